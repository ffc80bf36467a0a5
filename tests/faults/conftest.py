"""Parts that fail on purpose: a Redis of the test's own, connections cut, a gate that closes.

Nothing here touches the machine's own servers: a test kills only the redis-server it
started, and cuts only the connections to its own PostgreSQL database.
"""

from __future__ import annotations

import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, create_engine, make_url, text

from tests.conftest import POSTGRES_URL, free_port, statements_sent, unavailable

DEADLINE = 5.0  # seconds for a server to start, or a connection to be gone


def wait_until(condition: Callable[[], Any], what: str, seconds: float = DEADLINE) -> Any:
    """Poll `condition` until it holds; fail with `what` when `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.02)
    return result


def sample(page: str, metric: str, **labels: str) -> float:
    """Sum the samples of `metric` in a Prometheus page that carry `labels`."""
    wanted = {f'{key}="{value}"' for key, value in labels.items()}
    total = 0.0
    for found, value in re.findall(rf"^{re.escape(metric)}(?:\{{(.*)\}})? (\S+)$", page, re.M):
        if wanted <= set(found.split(",")):
            total += float(value)
    return total


# --- Redis -------------------------------------------------------------------


class RedisServer:
    """A redis-server of this test's own, to kill, pause and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self.answers, f"redis-server on port {self.port} answers")
        return self

    def answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def pause(self) -> None:
        """Stop the process without closing its socket: Redis hangs, as on a stalled host."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a paused process dies only once resumed
        self.process.kill()
        self.process.wait(timeout=DEADLINE)
        self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis that this test alone uses, and may kill."""
    if not shutil.which("redis-server"):
        unavailable("no redis-server on the PATH to start a Redis of the test's own")
    server = RedisServer().start()
    yield server
    server.kill()
    server.client.close()


# --- PostgreSQL --------------------------------------------------------------

OTHERS = (
    "SELECT pid FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate(url: str, pids: list[int] | None = None) -> int:
    """Terminate `pids` (every other connection to `url`'s database by default); wait until gone.

    Only the test's own database is touched: a restart of the server, as its clients see it.
    """
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            targets = pids if pids is not None else list(connection.scalars(text(OTHERS)))
            for pid in targets:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

            def gone() -> bool:
                alive = set(connection.scalars(text(OTHERS)))
                return not alive.intersection(targets)

            wait_until(gone, f"connections {targets} are gone")
    finally:
        engine.dispose()
    return len(targets)


def backend_pid(connection: Any) -> int:
    """The PostgreSQL process behind a SQLAlchemy connection."""
    return int(connection.connection.dbapi_connection.info.backend_pid)


@contextmanager
def cut_at(engine: Engine, url: str, statement: str = "") -> Iterator[list[str]]:
    """Cut the connection that is about to run the first statement containing `statement`.

    The request holding it meets a dead connection in the middle of its work. Yields the
    statements that were cut (one, if the request got that far).
    """
    cut: list[str] = []

    def _cut(driver: Any, sql: str, _parameters: Any) -> None:
        if not cut and statement in sql:
            cut.append(sql)
            terminate(url, [driver.info.backend_pid])

    with statements_sent(engine, _cut):
        yield cut


class Gate:
    """A TCP relay to PostgreSQL that can close (cutting every connection) and open again.

    Shut, nothing listens on its port: the database is unreachable, as while it restarts
    or its host is away. Open again, on the same port, it is back.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()

    def url(self, database_url: str) -> str:
        return (
            make_url(database_url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    def open(self) -> Gate:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def shut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, []
        if listener is not None:
            listener.close()
        for client, server in pairs:
            for end in (client, server):
                with suppress(OSError):  # already closed by the other side
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # shut
            server = socket.create_connection(self.target, timeout=DEADLINE)
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    server.close()
                    return
                self._pairs.append((client, server))
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    @staticmethod
    def _relay(client: socket.socket, server: socket.socket) -> None:
        ends = {client: server, server: client}
        try:
            while True:
                readable, _, _ = select.select(list(ends), [], [])
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    ends[end].sendall(data)
        except (OSError, ValueError):
            return  # the gate shut these sockets
        finally:
            client.close()
            server.close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    if not POSTGRES_URL:
        unavailable("PostgreSQL is needed behind the gate")
    assert POSTGRES_URL
    parsed = make_url(POSTGRES_URL)
    opened = Gate((parsed.host or "127.0.0.1", parsed.port or 5432)).open()
    yield opened
    opened.shut()
