"""Logs: one JSON object a line, the request id on each, and no personal data in any of them."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from gunicorn import glogging

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
# Each redaction needs one of these to match: an "@", a digit before a dot, a colon, or a
# link's path. Most lines (a request's route and status) hold none, and one search for them
# costs a quarter of the four substitutions it spares, on every request's line.
_MAY_NAME_SOMEONE = re.compile(r"@|\d\.|:|/(?:verify|withdraw)/")
# The fields of a LogRecord itself; anything else was passed with `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    if not _MAY_NAME_SOMEONE.search(text):
        return text
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
