"""The one log line each request gets, and the request id that ties its lines together."""

from __future__ import annotations

import logging
import re
import secrets
import time

from flask import Flask, Response, g, request

log = logging.getLogger("undersign.requests")

REQUEST_ID_HEADER = "X-Request-ID"
QUIET_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SLOW_SECONDS = 1.0
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
    if not log.isEnabledFor(level):
        return
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


def route() -> str:
    """Name the route that answered, not the path: paths carry tokens (/verify/<token>)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"
