"""Reading what a client sent, with one answer for each kind of mistake on every route.

- A body in a media type the route does not take: 415.
- A body that cannot be read as a JSON object: 400.
- A field or query parameter whose value is wrong: 422, naming it in `fields`
  (api/contract.py reads each route's body and query with its models).

The parsers of values (`whole_number`, `moment`) take text, not the request, so
the command line reads dates the same way and property tests can drive them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import request

from undersign.signers.signing import Client
from undersign.web.errors import APIError

MAX_PAGE = 1_000_000
# ASCII digits only: str.isdigit() also takes "²" and "١", which int() refuses or misreads.
DIGITS = re.compile(r"[0-9]{1,9}")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def client() -> Client:
    """Return where this request came from: its address (as ProxyFix resolved it), its Origin,
    and whether it reached us as the onion service."""
    onion = (request.host.partition(":")[0]).lower().endswith(".onion")
    return Client(ip=request.remote_addr, origin=request.headers.get("Origin"), onion=onion)


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


def whole_number(raw: str, least: int, most: int) -> int:
    """Read a whole number from `least` to `most` written in ASCII digits; raise ValueError."""
    if not DIGITS.fullmatch(raw) or not least <= int(raw) <= most:
        raise ValueError(f"must be a whole number from {least} to {most}")
    return int(raw)


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
