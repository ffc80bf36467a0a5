"""Gunicorn, embedded: `undersign serve` without a separate config file."""

from __future__ import annotations

import gc
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import NoMoreData, ParseException
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.exceptions import BadRequest

from undersign.core import logs
from undersign.core.config import METRICS_DIR

log = logging.getLogger(__name__)


class _Undersign(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], factory: Callable[[], Any] | None) -> None:
        self.options = options
        self.factory = factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorns lack the newer settings
                self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app after the fork, so no database
        # connection or Redis socket is ever shared between processes.
        if self.factory is not None:
            return _BrokenBodiesRefused(self.factory())
        from undersign import create_app

        return _BrokenBodiesRefused(create_app())


class _BrokenBodiesRefused:
    """Answer a body gunicorn cannot read (a broken chunk, a client gone mid-body) with a 400.

    Gunicorn raises its own exceptions from `wsgi.input` while the app reads the
    body; to the app they would be unforeseen, a 500 for what a client sent.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ["wsgi.input"] = _ClientBody(environ["wsgi.input"])
        return self.app(environ, start_response)


class _ClientBody:
    """Gunicorn's request body, its parse errors turned into the client's 400."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def read(self, size: int | None = None) -> bytes:
        return self._client_error(self.body.read, size)

    def readline(self, size: int | None = None) -> bytes:
        return self._client_error(self.body.readline, size)

    def readlines(self, size: int | None = None) -> list[bytes]:
        return self._client_error(self.body.readlines, size)

    def __iter__(self) -> _ClientBody:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    @staticmethod
    def _client_error(read: Callable[[int | None], Any], size: int | None) -> Any:
        try:
            return read(size)
        except (ParseException, NoMoreData) as error:
            # The exception's text quotes the body: only its name goes on.
            raise BadRequest(
                f"the request body could not be read ({type(error).__name__})"
            ) from None


class SheddingWorker(ThreadWorker):  # type: ignore[misc]
    """Gunicorn's threaded worker that answers what it cannot serve soon with a 503 at once.

    Each request is stamped when queued for a thread; the app (web/overload.py) sheds one
    that waited beyond the gate's wait (0.5 s). One that would wait that long behind those
    already held (`Gate.overloaded`: their count times a request's time over the threads,
    or a last request that waited that long while a queue remains) goes to a thread of its
    own that only answers 503s, so that the refusal is fast, not queued. The count of held
    requests is kept on the worker's main thread, which queues and finishes every request.
    """

    def init_process(self) -> None:
        from undersign.web import overload  # after the fork: the metrics directory is chosen

        self.gate = overload.GATE
        self.gate.threads = self.cfg.threads
        self.arrived = overload.arrived
        self.held = 0
        # Four threads: a slow client's first bytes must not hold up every refusal.
        self.refusing = futures.ThreadPoolExecutor(4, thread_name_prefix="shed")
        # The interpreter lock changes hands every 1 ms rather than 5: with the threads busy
        # signing, the main loop (accepting, queueing) and a refusal each wait for it once
        # or more a step, and a 503 that waits 5 ms a step is no longer fast.
        sys.setswitchinterval(0.001)
        super().init_process()

    def load_wsgi(self) -> None:
        """Build the app, then set what it is made of aside from the garbage collector.

        The app, its modules and their data are some 160,000 objects that live as long as
        the worker. A full collection walked them all, about 100 ms at rest and up to 475 ms
        under load, once a minute or so and every few seconds in a burst, holding every
        thread of the worker meanwhile: every request in it waited, and at 300 signatures a
        second its p99 rose from a few ms to hundreds (bench/README.md, bench/pauses.py).
        Frozen, they are never walked again; a full collection walks only what requests have
        made since.
        """
        super().load_wsgi()
        gc.collect()
        gc.freeze()

    def accept(self, listener: Any) -> None:
        """Take every connection the kernel holds, not one a wake-up (gunicorn's own).

        With the threads busy, each turn of the main loop waits for the interpreter lock:
        one connection a turn left the rest waiting in the kernel's backlog, unseen and
        unstamped, where no shedding could reach them.
        """
        for _ in range(256):
            held = self.nr_conns
            super().accept(listener)
            if self.nr_conns == held or self.nr_conns >= self.worker_connections:
                return

    def enqueue_req(self, conn: Any) -> None:
        conn.queued_at = time.monotonic()
        conn.shed = self.gate.overloaded(self.held)
        if conn.shed:
            done = self.refusing.submit(self.handle, conn)
        else:
            self.held += 1
            done = self.tpool.submit(self.handle, conn)
        done.add_done_callback(lambda fut: self.method_queue.defer(self.finish_request, conn, fut))

    def finish_request(self, conn: Any, fs: Any) -> None:
        if not getattr(conn, "shed", True):
            self.held -= 1
        conn.shed = True  # counted once, even if gunicorn queues the connection again
        super().finish_request(conn, fs)

    def handle(self, conn: Any) -> Any:
        self.arrived(conn.queued_at, conn.shed)
        started = time.monotonic()
        if not conn.shed:
            self.gate.last_wait = started - conn.queued_at
        try:
            return super().handle(conn)
        finally:
            if not conn.shed:  # a slow client's first bytes are not the app's time
                self.gate.served(min(time.monotonic() - started, self.gate.max_wait))
            self.arrived(None)


def run_gunicorn(
    host: str,
    port: int,
    workers: int,
    threads: int = 8,
    factory: Callable[[], Any] | None = None,
) -> None:
    """Serve `factory()` (Undersign by default; the benchmark's floor otherwise)."""
    _Undersign(
        {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            # Threads keep a worker serving while signers on slow phones upload; beyond
            # capacity the excess is answered 503 at once rather than queued (SheddingWorker;
            # the benchmark's floor, another app, is served by gunicorn's own).
            "worker_class": SheddingWorker if factory is None else "gthread",
            "threads": threads,
            # Bounded queues: a worker holds at most this many connections (the rest wait in
            # the kernel's backlog, itself bounded), and sheds what it cannot serve in 0.5 s.
            "worker_connections": 1000,
            "backlog": 512,
            # A listening socket each worker (SO_REUSEPORT): the kernel spreads new connections
            # across them. On one shared socket the first worker awake took every connection
            # waiting (SheddingWorker.accept), a keep-alive client's whole pool (a proxy's,
            # wrk's 16) included, and signing ran at half the rate in one run of two with the
            # other worker's core idle (bench/README.md). See also refuse_if_taken.
            "reuse_port": True,
            "timeout": 60,
            "graceful_timeout": 20,
            # Which proxy may say a request came over HTTPS is the app's to judge (ProxyFix,
            # within UNDERSIGN_TRUSTED_PROXIES): gunicorn would believe any loopback client.
            "forwarded_allow_ips": "",
            "secure_scheme_headers": {},
            # Room for the app's own 414 answer below gunicorn's hard limit.
            "limit_request_line": 8190,
            # No access log: request lines carry the tokens of email links.
            "accesslog": None,
            "logconfig_dict": _logging(),
            "logger_class": logs.GunicornLogger,
            # One fixed socket path per user: a second server on the machine would
            # take the first one's. Nothing here uses it.
            "control_socket_disable": True,
        },
        factory,
    ).run()


def refuse_if_taken(host: str, port: int) -> None:
    """Raise OSError if something listens on `host`:`port` already.

    The workers listen with SO_REUSEPORT, so a second server started on a taken port
    by the same user would not fail: it would quietly share the first one's connections.
    A plain bind, which a listening socket there refuses, says so before anything starts.
    """
    # The address family gunicorn binds with: IPv6 for an address with a colon, else IPv4.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # TIME_WAIT connections left by an earlier server are no reason to refuse.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _logging() -> dict[str, Any]:
    """Return gunicorn's logging: the app's JSON lines, its refusals cut to their reason."""
    config = logs.gunicorn_config()
    config["filters"] = {"refusals": {"()": RefusalReasonOnly}}
    for handler in config["handlers"].values():
        handler["filters"] = ["refusals"]
    return config


# "Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'GET /…'": the reason is
# the words before the quoted request, which may hold a name in any encoding (logs.redact
# knows only addresses and tokens).
_REFUSAL = re.compile(r"Invalid request from ip=\S*: (?P<reason>[^:'\"(]*)")


class RefusalReasonOnly(logging.Filter):
    """Cut gunicorn's own lines about a request to what went wrong: no address, no request.

    Gunicorn names the client and quotes the request line or header it refused,
    and the URI of a request that broke: a signer's address, name or link could
    be in either.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "gunicorn.error":
            return True
        message = record.getMessage()
        refused = _REFUSAL.match(message)
        if refused:
            record.msg, record.args = "Invalid request refused: %s", (refused["reason"].strip(),)
        elif message.startswith("Error handling request"):
            record.msg, record.args = "Error handling request", ()
        return True


def prepare_metrics_dir() -> Path | None:
    """Give the workers and the mailer one directory to share their metrics through.

    prometheus_client chooses where counters live when it is first imported, so
    this must run before anything imports undersign.core.metrics in this process; the
    workers and the mailer inherit the setting. Return the directory if we made it.
    """
    given = os.environ.get(METRICS_DIR)
    if given:
        # Files left by an earlier run would add its counts to ours.
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="undersign-metrics-"))
    os.environ[METRICS_DIR] = str(made)
    return made


def remove_metrics_dir(made: Path | None) -> None:
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


# Starting a child and forking a gunicorn worker must not overlap. Popen waits for its
# child's exec on a pipe; a worker forked meanwhile (on gunicorn's thread) inherits that
# pipe's other end and never execs, so Popen would wait until the worker exits, with the
# mailer running but unwatched. Every os.fork takes this lock first; so does Popen.
_spawning = threading.Lock()
os.register_at_fork(
    before=_spawning.acquire,
    after_in_parent=_spawning.release,
    after_in_child=_spawning.release,
)


class Supervisor:
    """Keep one child process running beside gunicorn: start it again whenever it dies.

    A pause comes before each restart, doubling from `first_pause` up to
    `longest_pause` while the child keeps dying young, so that a mailer that
    cannot start (no database yet) does not spin; one that ran for
    `longest_pause` or more is restarted after the first pause again.
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        first_pause: float = 1.0,
        longest_pause: float = 60.0,
    ) -> None:
        self.name, self.command = name, command
        self.first_pause, self.longest_pause = first_pause, longest_pause
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        # Held while a child starts or is stopped, so `stop` never misses one.
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name=f"{name}-supervisor", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stop watching, then end the child: politely, then for good after `timeout`."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout)

    def _watch(self) -> None:
        pause = self.first_pause
        while True:
            started = time.monotonic()
            ended = self._run_child()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= self.longest_pause:
                pause = self.first_pause  # it had run well: no sign of a crash loop
            log.error("%s %s; starting it again in %.0f s", self.name, ended, pause)
            self._stopping.wait(pause)
            pause = min(pause * 2, self.longest_pause)

    def _run_child(self) -> str:
        """Start the child and wait for it to end; return what became of it."""
        with self._lock:
            if self._stopping.is_set():
                return "stopped"
            try:
                with _spawning:
                    process = self.process = subprocess.Popen(self.command)  # noqa: S603  # our own
            except OSError as error:  # out of memory or processes: try again later
                return f"could not start ({type(error).__name__})"
        log.info("%s started (pid %d)", self.name, process.pid)
        # gunicorn's arbiter reaps every child of this process: when it comes
        # first, wait() still returns, with a status of 0.
        return f"(pid {process.pid}) ended with status {process.wait()}"
