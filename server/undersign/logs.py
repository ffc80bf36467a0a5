"""Logs: one JSON object a line, a request id on each, and no personal data in any of them."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from gunicorn import glogging

log = logging.getLogger("undersign.requests")

REQUEST_ID_HEADER = "X-Request-ID"
QUIET_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SLOW_SECONDS = 1.0
# A caller's id is kept only when it looks like one: anything else could smuggle
# personal data or forged lines into the log.
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

# A last line of defence for messages written by code that is not ours (gunicorn
# names a client's address when it refuses a request line, and quotes the line):
# what looks like an address, an IP or an email link's token is blanked.
_H = "[0-9a-fA-F]{1,4}"  # one group of an IPv6 address
_H6 = f"(?:{_H}(?::{_H})*)"  # groups on one side of its "::"
_REDACTIONS = [
    (re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[A-Za-z]{2,}"), "<email>"),
    # The server's own listening addresses (loopback, any) are nobody's: keep them readable.
    (re.compile(r"\b(?!127\.0\.0\.1\b|0\.0\.0\.0\b)(?:\d{1,3}\.){3}\d{1,3}\b"), "<ip>"),
    (re.compile(rf"(?<![\w:])(?:{_H}(?::{_H}){{7}}|{_H6}?::{_H6}?)(?![\w:])"), "<ip>"),
    (re.compile(r"/(verify|withdraw)/[^\s\"'?]+"), r"/\1/<token>"),
]
# The fields of a LogRecord itself; anything else was passed with `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info and record.exc_info[0] is not None:
            # The type and the place, not the text: an exception's message can
            # quote what a signer typed.
            entry["exception"] = record.exc_info[0].__name__
            if record.exc_info[2] is not None:
                place = traceback.extract_tb(record.exc_info[2])[-1]
                entry["exception_at"] = f"{place.filename}:{place.lineno}"
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """Send every log record to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class GunicornLogger(glogging.Logger):  # type: ignore[misc]
    """Gunicorn's logger without its access log.

    Request lines carry the tokens of email links; the app writes its own line
    per request, naming the route instead of the path.
    """

    def access(self, *args: Any, **kwargs: Any) -> None:
        return None


def gunicorn_config() -> dict[str, Any]:
    """Return gunicorn's `logconfig_dict`: its own lines in the same JSON, on stderr."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JSONFormatter}},
        "handlers": {"console": handler, "error_console": handler},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


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
