"""Two servers and two mailers on one PostgreSQL and one Redis behave as one service.

Real processes (`undersign serve --no-mailer`, `undersign mailer`) on loopback,
a real SMTP server, signing through both servers at once: every email arrives
exactly once, the count is exact on both, and the rate limit is one limit.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from undersign.core.models import OutboxMessage

from tests.conftest import SMTPServer, free_port, fresh_postgres_database

pytestmark = pytest.mark.slow  # real servers and mailers, in processes of their own

SLUG = "scale-test"
SIGNERS = 60
SIGN_LIMIT = 5
LINK = re.compile(r"http://localhost/(verify|withdraw)/([\w.\-]+)")


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` until it is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def scale_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of this test's own."""
    with fresh_postgres_database("undersign_scale") as url:
        yield url


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text("utf-8", errors="replace").splitlines()


class Stack:
    """The processes of one deployment, started with one environment, stopped together."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.processes: list[Process] = []

    def run(self, *args: str) -> str:
        """Run an `undersign` command to completion; return what it printed."""
        done = subprocess.run(
            [sys.executable, "-m", "undersign", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, name: str, *args: str) -> Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "undersign", *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def serve(self, name: str, workers: int = 2) -> str:
        """Start `undersign serve --no-mailer` on a free port; return its base URL once ready."""
        port = free_port()
        process = self.start(
            name,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-mailer",
        )
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert process.popen.poll() is None, f"{name} exited:\n" + "\n".join(process.lines())
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, 60, f"{name} to be ready")
        return base

    def stop(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()


@pytest.fixture
def stack(scale_database: str, redis_url: str, smtp: SMTPServer, tmp_path: Path) -> Iterator[Stack]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("UNDERSIGN_")}
    env.update(
        UNDERSIGN_DATABASE_URL=scale_database,
        UNDERSIGN_REDIS_URL=redis_url,
        UNDERSIGN_SECRET_KEY="scale-test-secret",
        UNDERSIGN_BASE_URL="http://localhost",
        UNDERSIGN_SMTP_HOST="127.0.0.1",
        UNDERSIGN_SMTP_PORT=str(smtp.port),
        # As behind the TLS proxy: each signer's address arrives in X-Forwarded-For.
        UNDERSIGN_TRUSTED_PROXIES="1",
        UNDERSIGN_SIGN_RATE_LIMIT=f"{SIGN_LIMIT} per minute",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    running = Stack(env, tmp_path)
    yield running
    running.stop()


def signer_ip(n: int) -> str:
    return f"198.51.100.{n % 250 + 1}" if n < 250 else f"203.0.113.{n % 250 + 1}"


def sign(base: str, n: int, email: str, name: str) -> int:
    body = {"name": name, "email": email, "country": "KZ", "city": "Satpayev"}
    answer = httpx.post(
        f"{base}/api/v1/petitions/{SLUG}/signatures",
        json=body,
        headers={"X-Forwarded-For": signer_ip(n)},
        timeout=30,
    )
    return answer.status_code


def tokens_in(message: Any) -> dict[str, str]:
    body = message.get_body(preferencelist=("plain",))
    return dict(LINK.findall(body.get_content()))


def outbox_depth(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        engine.dispose()


def scraped(base: str, metric: str, **labels: str) -> float:
    """Sum the samples of `metric` on one server's /metrics that carry `labels`."""
    page = httpx.get(f"{base}/metrics", timeout=10).text
    pattern = re.compile(rf"^{re.escape(metric)}(?:\{{(.*)\}})? (\S+)$", re.MULTILINE)
    wanted = {f'{key}="{value}"' for key, value in labels.items()}
    return sum(
        float(value) for found, value in pattern.findall(page) if wanted <= set(found.split(","))
    )


def test_two_servers_and_two_mailers_act_as_one_service(
    stack: Stack, smtp: SMTPServer, scale_database: str
):
    stack.run("petition", "create", SLUG, "--title", "Keep the plant open", "--goal", "1000")
    servers = [stack.serve("server-a"), stack.serve("server-b")]
    for n in range(2):
        stack.start(f"mailer-{n}", "mailer")

    people = [(f"worker{n}@example.org", f"Worker{n} Zhumabekov") for n in range(SIGNERS)]
    # The same people again, their addresses in capitals: a second email must not go out.
    again = [(f"Worker{n}@Example.org", name) for n, (_, name) in enumerate(people[:20])]
    posts = [*people, *again]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda job: sign(servers[job[0] % 2], job[0], *job[1]),
                enumerate(posts),
            )
        )
    assert answers == [202] * len(posts)

    wait_until(lambda: outbox_depth(scale_database) == 0, 60, "the outbox to empty")
    received = smtp.mailbox.wait_for(SIGNERS, timeout=30)
    per_address = Counter(message["To"] for message in received)
    assert per_address == Counter(email for email, _ in people), "each signer gets one email"

    # A third of the signers confirm, through either server; one clicks twice.
    confirming = [
        message
        for message in received
        if message["To"].endswith(
            ("0@example.org", "3@example.org", "6@example.org", "9@example.org")
        )
    ][: SIGNERS // 3]
    for n, message in enumerate([*confirming, confirming[0]]):
        answer = httpx.post(
            f"{servers[n % 2]}/api/v1/signatures/verify",
            json={"token": tokens_in(message)["verify"]},
            headers={"X-Forwarded-For": signer_ip(n)},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "verified"
    assert answer.json()["signature_count"] == len(confirming)

    for base in servers:
        count = httpx.get(f"{base}/api/v1/petitions/{SLUG}/count", timeout=10).json()
        assert count["signature_count"] == len(confirming)
        assert scraped(base, "undersign_signatures") == SIGNERS
        assert scraped(base, "undersign_outbox_depth") == 0

    # Each server counts the requests of both its workers, not only the one scraped.
    signed = {"route": "/api/v1/petitions/<slug>/signatures", "status": "202"}
    assert scraped(servers[0], "undersign_http_requests_total", **signed) == len(posts[0::2])
    assert scraped(servers[1], "undersign_http_requests_total", **signed) == len(posts[1::2])

    _check_the_logs_hold_no_personal_data(stack, [*people, *again], confirming)


def test_the_rate_limit_is_one_limit_across_servers(stack: Stack):
    stack.run("petition", "create", SLUG, "--title", "Keep the plant open")
    servers = [stack.serve("server-a"), stack.serve("server-b")]
    flood = 0  # one address, alternating between the servers
    answers = [
        sign(servers[n % 2], flood, f"flood{n}@example.org", "Flood Sender")
        for n in range(SIGN_LIMIT + 1)
    ]
    assert answers == [202] * SIGN_LIMIT + [429]

    refused = httpx.post(
        f"{servers[0]}/api/v1/petitions/{SLUG}/signatures",
        json={"name": "Flood Sender", "email": "floodx@example.org", "country": "KZ"},
        headers={"X-Forwarded-For": signer_ip(flood)},
        timeout=10,
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Another address behind the same servers is not held back.
    assert sign(servers[1], 7, "neighbour@example.org", "Neighbour") == 202
    rate_limited = sum(scraped(base, "undersign_rate_limited_requests_total") for base in servers)
    assert rate_limited == 2


def _check_the_logs_hold_no_personal_data(
    stack: Stack, people: list[tuple[str, str]], confirmed: list[Any]
) -> None:
    secrets = {email.lower() for email, _ in people} | {name for _, name in people}
    secrets |= {signer_ip(n) for n in range(len(people))}
    for message in confirmed:
        secrets |= set(tokens_in(message).values())
    for process in stack.processes:
        lines = process.lines()
        assert lines, f"{process.name} wrote no log"
        for line in lines:
            entry = json.loads(line)  # one JSON object a line, nothing else
            assert {"time", "level", "message"} <= set(entry)
            leaked = [secret for secret in secrets if secret in line.lower() or secret in line]
            assert not leaked, f"{process.name} logged personal data: {line}"
