"""`make run`: the demo served on the port asked for, its emails linking to that port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SMTPServer, free_port
from tests.production.test_scale import wait_until

ROOT = Path(__file__).parents[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


@pytest.mark.slow
def test_make_run_serves_on_the_port_asked_and_emails_link_to_it(
    tmp_path: Path, smtp: SMTPServer
) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")}
    environment |= {
        "UNDERSIGN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite'}",
        "UNDERSIGN_SECRET_KEY": "make-run-test-" + "k" * 32,
        "UNDERSIGN_SMTP_HOST": "127.0.0.1",
        "UNDERSIGN_SMTP_PORT": str(smtp.port),
    }
    # BIN: this interpreter's scripts; -o: take the installed environment as it is.
    command = ["make", "-s", "-o", ".venv/.installed", "run", f"PORT={port}"]
    command.append(f"BIN={Path(sys.executable).parent}")
    server = subprocess.Popen(
        command, cwd=ROOT, env=environment, start_new_session=True, stdout=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{base}/healthz"), 60, f"make run to answer on {port}")
        sign = urllib.request.Request(
            f"{base}/api/v1/petitions/zhezkazgan/signatures",
            data=json.dumps(
                {"name": "Aigerim B", "email": "a@example.org", "country": "KZ"}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(sign, timeout=10) as response:
            assert response.status == 202
        (email,) = smtp.mailbox.wait_for(1, timeout=30)
        body = email.get_body(preferencelist=("plain",))
        assert body is not None
        assert f"{base}/verify/" in body.get_content()
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make, the server and its mailer: ours alone
        server.wait(timeout=30)
