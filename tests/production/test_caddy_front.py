"""Slow connections stall bare `undersign serve`; the shipped Caddy in front keeps it answering.

gunicorn's gthread worker hands a connection to one of its 8 threads as soon as its first
bytes arrive, and that thread then reads the request to its end: a worker is held by 8
clients that never finish their headers, and everyone else waits behind them. Caddy reads
each request whole, every connection in a goroutine of its own, before it passes it on, so
the app never sees a slow one. Here the shipped deploy/Caddyfile runs as it is, in front of
a real `undersign serve` on loopback, while 200 slow clients drip their headers at it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import CADDY, PROXY, free_port, unavailable
from tests.production.test_scale import Stack, wait_until

pytestmark = pytest.mark.slow  # real servers, in processes of their own

CADDYFILE = Path(__file__).parents[2] / "deploy" / "Caddyfile"
SLUG = "slow-clients"
SLOW_CLIENTS = 200
WITHIN = 1.0  # seconds: what "answers" means here
DRIP_EVERY = 0.5  # seconds between one byte and the next on each slow connection
ATTACK_AT_MOST = 60  # seconds: the slow clients stop dripping by then, whatever the test does


class SlowClients:
    """Connections that send a request's head a byte at a time and never end it.

    A context manager: leaving it closes every connection, so nothing outlives the test.
    """

    HEAD = (
        f"POST /api/v1/petitions/{SLUG}/signatures HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    ).encode() + b"." * 4000

    def __init__(self, base: str, count: int) -> None:
        address = urlsplit(base)
        self.address = (address.hostname or "127.0.0.1", address.port or 80)
        self.count = count
        self.sockets: list[socket.socket] = []
        self.sent = 0  # bytes of HEAD each connection has sent
        self._stop = threading.Event()
        self._dripper = threading.Thread(target=self._drip, daemon=True)

    def __enter__(self) -> SlowClients:
        for _ in range(self.count):
            connection = socket.create_connection(self.address, timeout=5)
            connection.settimeout(None)  # blocking, so that a peek with MSG_DONTWAIT never waits
            self.sockets.append(connection)
        self._dripper.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._dripper.join()
        for connection in self.sockets:
            connection.close()

    def _drip(self) -> None:
        ends = time.monotonic() + ATTACK_AT_MOST
        while self.sent < len(self.HEAD) and time.monotonic() < ends:
            byte = self.HEAD[self.sent : self.sent + 1]
            for connection in self.sockets:
                with suppress(OSError):  # closed by the server: still_open() counts it
                    connection.sendall(byte)
            self.sent += 1
            # The pace of the attack, not a wait for anything: a slow client is slow.
            if self._stop.wait(DRIP_EVERY):
                return

    def still_open(self) -> int:
        """Count the connections the server has neither closed nor answered."""
        waiting = 0
        for connection in self.sockets:
            try:
                connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                waiting += 1
            except OSError:
                pass
        return waiting


@pytest.fixture
def caddy() -> str:
    """Return the Caddy to run; without one, skip (or fail, when every service is required)."""
    if CADDY is None:
        unavailable(str(PROXY))
    assert CADDY is not None
    return CADDY


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A server's environment as behind the proxy, on SQLite, with one petition."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("UNDERSIGN_")}
    env.update(
        UNDERSIGN_DATABASE_URL=f"sqlite:///{tmp_path / 'undersign.sqlite'}",
        UNDERSIGN_SECRET_KEY="caddy-front-secret",
        UNDERSIGN_BASE_URL="http://localhost",
        UNDERSIGN_TRUSTED_PROXIES="1",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    running = Stack(env, tmp_path)
    running.run("db", "upgrade")
    running.run("petition", "create", SLUG, "--title", "Keep the plant open")
    yield running
    running.stop()


@contextmanager
def in_front(caddy: str, app: str, tmp_path: Path) -> Iterator[str]:
    """Run the shipped Caddyfile in front of `app`; yield Caddy's base URL.

    The file runs unchanged, as `import`ed: its site address and upstream come from the
    environment (SITE_DOMAIN, APP_UPSTREAM), and the test adds only what keeps it to
    itself: no admin endpoint, listening on loopback only.
    """
    port = free_port()
    config = tmp_path / "Caddyfile"
    config.write_text(f'{{\n\tadmin off\n\tdefault_bind 127.0.0.1\n}}\nimport "{CADDYFILE}"\n')
    home = tmp_path / "caddy-home"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "SITE_DOMAIN": f"http://127.0.0.1:{port}",
        "APP_UPSTREAM": urlsplit(app).netloc,
    }
    log = tmp_path / "caddy.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [caddy, "run", "--adapter", "caddyfile", "--config", str(config)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, "caddy exited:\n" + log.read_text(errors="replace")
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(ready, 30, "caddy to pass requests on")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def timed(method: str, url: str, **options: Any) -> tuple[int, float]:
    """Return the status of one request and the seconds its answer took."""
    started = time.monotonic()
    answer = httpx.request(method, url, timeout=10, **options)
    return answer.status_code, time.monotonic() - started


def signing(base: str, n: int) -> tuple[int, float]:
    body = {"name": f"Worker{n} Satpayev", "email": f"worker{n}@example.org", "country": "KZ"}
    return timed("POST", f"{base}/api/v1/petitions/{SLUG}/signatures", json=body)


def attack_in_place(slow: SlowClients) -> None:
    """Wait until every slow connection has sent part of a request the server must read."""
    wait_until(lambda: slow.sent >= 2, 10, "the slow clients to start their requests")


def test_behind_caddy_signing_and_health_answer_through_200_slow_connections(
    caddy: str, stack: Stack, tmp_path: Path
) -> None:
    app = stack.serve("server")
    with in_front(caddy, app, tmp_path) as front:
        assert signing(front, 0)[0] == 202
        with SlowClients(front, SLOW_CLIENTS) as slow:
            attack_in_place(slow)
            health = [timed("GET", f"{front}/healthz") for _ in range(5)]
            signed = [signing(front, n) for n in range(1, 6)]
            # The attack was on all along: Caddy still holds every slow connection open.
            assert slow.still_open() == SLOW_CLIENTS
    assert [status for status, _ in health] == [200] * 5
    assert [status for status, _ in signed] == [202] * 5
    slowest = max(seconds for _, seconds in [*health, *signed])
    assert slowest < WITHIN, f"the slowest answer took {slowest:.3f} s"


def test_without_a_proxy_200_slow_connections_hold_up_the_server(stack: Stack) -> None:
    """One worker, so that how the kernel shares connections out decides nothing.

    With the stack's two, the 200 held both in 37 of 40 runs here; in the others one worker
    had taken nearly all of them and the other, holding 2 or none, still answered.
    """
    app = stack.serve("server", workers=1)
    assert timed("GET", f"{app}/healthz")[0] == 200
    with SlowClients(app, SLOW_CLIENTS) as slow:
        attack_in_place(slow)
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"{app}/healthz", timeout=WITHIN)
    # Once they are gone it answers again: the slow connections were what held it.
    wait_until(lambda: timed("GET", f"{app}/healthz")[0] == 200, 30, "the server to answer again")
