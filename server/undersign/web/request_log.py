"""The one log line each request gets, and the request id that ties its lines together."""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time

from flask import Flask, Response, g, request

log = logging.getLogger("undersign.requests")

REQUEST_ID_HEADER = "X-Request-ID"
QUIET_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SLOW_SECONDS = 1.0
# Requests shed under overload get one line for all of them this often, a process.
SHED_TALLY_SECONDS = 10.0
# A caller's id is kept only when it looks like one: anything else could smuggle
# personal data or forged lines into the log.
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def init_app(app: Flask) -> None:
    """Give each request an id and write one line for it when it is answered."""

    @app.before_request
    def _start() -> None:
        g.request_id = choose_request_id(request.headers.get(REQUEST_ID_HEADER, ""))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id is None:  # refused before our hook ran
            return response
        response.headers[REQUEST_ID_HEADER] = request_id
        elapsed = time.perf_counter() - g.request_started
        if g.get("shed"):  # a page web/overload.py answered 503
            write_shed(request.method, route(), elapsed, request_id)
        else:
            write_line(request.method, route(), response.status_code, elapsed, request_id)
        return response


def choose_request_id(offered: str) -> str:
    """Return the caller's request id when it looks like one, else a new one."""
    return offered if _GOOD_REQUEST_ID.fullmatch(offered) else secrets.token_hex(16)


def write_line(method: str, route: str, status: int, elapsed: float, request_id: str) -> None:
    """Write the one line a request gets, naming its route (paths carry tokens)."""
    # Widgets poll counts by the thousand: a read that went well is a debug
    # line; every change, every error and every slow answer is an info line.
    quiet = method in QUIET_METHODS and status < 400
    level = logging.DEBUG if quiet and elapsed < SLOW_SECONDS else logging.INFO
    if log.isEnabledFor(level):
        _write(level, method, route, status, elapsed, request_id)


def _write(level: int, method: str, route: str, status: int, elapsed: float, request_id: str
           ) -> None:  # fmt: skip
    log.log(
        level,
        "%s %s %s",
        method,
        route,
        status,
        extra={
            "request_id": request_id,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 1),
        },
    )


class _Tally:
    """Requests shed since the last tally line, and when the next one is due."""

    def __init__(self) -> None:
        self.shed = 0
        self.due = 0.0
        self.lock = threading.Lock()

    def count(self, now: float) -> int:
        """Count one; return how many to report now (0: not yet)."""
        with self.lock:
            self.shed += 1
            if now < self.due:
                return 0
            reported, self.shed, self.due = self.shed, 0, now + SHED_TALLY_SECONDS
            return reported


_SHED = _Tally()


def write_shed(method: str, route: str, elapsed: float, request_id: str) -> None:
    """Log a request answered 503 under overload: its own line at debug, and at most every
    SHED_TALLY_SECONDS a warning saying how many were shed since the last.

    A line each made overload worse: at 900 refusals a second the workers' threads queued on
    the log's lock, refusals took seconds and the worker stopped answering (bench/README.md,
    "Open loop and overload"). The metrics still count every one, route `(overloaded)`.
    """
    if log.isEnabledFor(logging.DEBUG):
        _write(logging.DEBUG, method, route, 503, elapsed, request_id)
    shed = _SHED.count(time.monotonic())
    if shed:
        log.warning("overloaded: %d requests answered 503 since the last such line", shed,
                    extra={"shed": shed})  # fmt: skip


def route() -> str:
    """Name the route that answered, not the path: paths carry tokens (/verify/<token>)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"
