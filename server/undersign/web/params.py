"""Reading what a client sent, with one answer for each kind of mistake on every route.

- A body in a media type the route does not take: 415.
- A body that cannot be read as a JSON object: 400.
- A field or query parameter whose value is wrong: 422, naming it in `fields`.

The parsers of values (`whole_number`, `moment`) take text, not the request, so
the command line reads dates the same way and property tests can drive them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import request

from undersign.core.validation import check_characters
from undersign.signers.signing import Client
from undersign.web.errors import APIError

MAX_PAGE = 1_000_000
MAX_TOKEN = 500
# ASCII digits only: str.isdigit() also takes "²" and "١", which int() refuses or misreads.
DIGITS = re.compile(r"[0-9]{1,9}")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def client() -> Client:
    """Return where this request came from: its address (as ProxyFix resolved it) and Origin."""
    return Client(ip=request.remote_addr, origin=request.headers.get("Origin"))


def invalid(field: str, message: str) -> APIError:
    """Return the 422 that names one wrong field or parameter."""
    return APIError(422, "invalid_fields", message, {field: message})


def json_object() -> dict[str, Any]:
    """Return the request's body as a JSON object, or refuse it (415, 400)."""
    if request.mimetype != "application/json":
        raise APIError(415, "unsupported_media_type", "Send JSON (Content-Type: application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a body we want
        body = None
    if not isinstance(body, dict):
        raise APIError(400, "bad_request", "The body is not a JSON object.")
    return body


def text(
    body: dict[str, Any],
    field: str,
    *,
    required: bool = True,
    most: int = 200,
    multiline: bool = False,
) -> str | None:
    """Return a trimmed text field of at most `most` characters; None when optional and absent."""
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, f"{field} is required")
    value = value.strip()
    if len(value) > most:
        raise invalid(field, f"{field} must be at most {most} characters")
    try:
        check_characters(value, multiline)
    except ValueError:
        raise invalid(field, f"{field} holds characters that are not text") from None
    return value


def token(body: dict[str, Any]) -> str:
    """Return the `token` of an email link's action."""
    value = body.get("token")
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN:
        raise APIError(422, "invalid_fields", "A token is required.", {"token": "is required"})
    return value


def whole_number(raw: str, least: int, most: int) -> int:
    """Read a whole number from `least` to `most` written in ASCII digits; raise ValueError."""
    if not DIGITS.fullmatch(raw) or not least <= int(raw) <= most:
        raise ValueError(f"must be a whole number from {least} to {most}")
    return int(raw)


def query_number(name: str, default: int, most: int) -> int:
    """Return the query parameter `name` as a number from 1 to `most`, or `default`."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return whole_number(raw, 1, most)
    except ValueError as problem:
        raise invalid(name, f"{name} {problem}") from None


def paging(per_page: int, most_per_page: int) -> tuple[int, int]:
    """Return (page, per_page) from the query: pages count from 1."""
    return query_number("page", 1, MAX_PAGE), query_number("per_page", per_page, most_per_page)


def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    """Return the query parameter `name`, which must be one of `allowed`; `default` if absent."""
    value = request.args.get(name) or default
    if value not in allowed:
        raise invalid(name, f"{name} must be one of {', '.join(allowed)}")
    return value


def moment(raw: str, *, until: bool = False) -> datetime:
    """Read an ISO date or moment, UTC unless it says otherwise; raise ValueError if it is neither.

    A bare date as `until` includes that whole day: "until 27 November" means through it.
    """
    try:
        parsed = datetime.fromisoformat(raw)
        if until and ISO_DAY.fullmatch(raw):
            parsed += timedelta(days=1)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        # In UTC, as the database compares it: the calendar's last day ends in range.
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("beyond the calendar") from None


def query_moment(name: str, *, until: bool = False) -> datetime | None:
    """Return the query parameter `name` as a moment (see `moment`), or None if absent."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return moment(raw, until=until)
    except ValueError:
        raise invalid(name, f"{name} must be an ISO date like 2026-11-27") from None


def body_moment(body: dict[str, Any], field: str) -> datetime | None:
    """Return a body field as a moment (see `moment`), None if absent or null."""
    raw = body.get(field)
    if raw in (None, ""):
        return None
    try:
        if not isinstance(raw, str):
            raise ValueError("not text")
        return moment(raw)
    except ValueError:
        raise invalid(field, f"{field} must be an ISO date like 2026-11-27") from None
