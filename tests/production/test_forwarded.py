"""Who may say a request came over HTTPS: only the proxies UNDERSIGN_TRUSTED_PROXIES names.

Gunicorn believes X-Forwarded-Proto from loopback clients unless told otherwise; a client
that says "https" itself would then get the answers meant for HTTPS (HSTS, https links).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.production.test_scale import Stack, wait_until

pytestmark = pytest.mark.slow  # a real gunicorn, in a process of its own


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    stacks: list[Stack] = []

    def start(trusted_proxies: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            UNDERSIGN_DATABASE_URL=f"sqlite:///{tmp_path / f'forwarded{trusted_proxies}.sqlite'}",
            UNDERSIGN_SECRET_KEY="forwarded-secret",
            UNDERSIGN_TRUSTED_PROXIES=trusted_proxies,
        )
        stack = Stack(env, tmp_path)
        stacks.append(stack)
        stack.run("db", "upgrade")
        return stack.serve(f"server{trusted_proxies}")

    yield start
    for stack in stacks:
        stack.stop()


def test_a_client_that_says_https_itself_is_not_believed_without_a_trusted_proxy(serve):
    base = serve("0")
    answer = httpx.get(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200
    assert "Strict-Transport-Security" not in answer.headers


def test_the_trusted_proxy_is_believed(serve):
    base = serve("1")
    answer = httpx.get(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200
    assert "Strict-Transport-Security" in answer.headers


@pytest.mark.parametrize("trusted_proxies", ["0", "1"])
def test_serve_on_an_outside_address_says_once_that_it_expects_a_proxy(tmp_path, trusted_proxies):
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        UNDERSIGN_DATABASE_URL=f"sqlite:///{tmp_path / 'outside.sqlite'}",
        UNDERSIGN_SECRET_KEY="forwarded-secret",
        UNDERSIGN_TRUSTED_PROXIES=trusted_proxies,
    )
    stack = Stack(env, tmp_path)
    stack.run("db", "upgrade")
    port = free_port()
    # 127.0.0.2 is not one of the names `serve` takes for loopback: to it, an outside address.
    served = stack.start("outside", "serve", "--host", "127.0.0.2", "--port", str(port),
                         "--workers", "1", "--no-mailer")  # fmt: skip

    def ready() -> bool:
        assert served.popen.poll() is None, "\n".join(served.lines())
        try:
            return httpx.get(f"http://127.0.0.2:{port}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(ready, 60, "serve to be ready")
    finally:
        stack.stop()
    said = [line for line in served.lines() if "no proxy in front" in line]
    assert len(said) == (1 if trusted_proxies == "0" else 0)
