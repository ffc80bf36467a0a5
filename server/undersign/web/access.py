"""Who is asking: the bearer token, the rights it gives, and what only organisers may do."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel

from undersign.core import auth
from undersign.core.db import get_session
from undersign.web.api.contract import described
from undersign.web.errors import APIError

F = TypeVar("F", bound=Callable[..., Any])
MAX_TOKEN = 200
# A petition's texts in three languages can be long; the app's 16 KiB is for signing.
MAX_BODY_BYTES = 4 * 1024 * 1024

bp = Blueprint("admin_access", __name__)


def guard(api: Blueprint) -> None:
    """Make every route of `api` ask for a token and answer uncacheably."""
    api.before_request(_allow_long_texts)
    api.before_request(_authenticate)
    api.after_request(_private)


def _allow_long_texts() -> None:
    request.max_content_length = MAX_BODY_BYTES


def _authenticate() -> None:
    found = bearer_rights()
    if found is None:
        raise APIError(401, "unauthorized", "A valid organiser token is required.")
    g.rights = found


def bearer_rights() -> auth.Rights | None:
    """Return the rights of the request's bearer token; None when it sends none.

    A token that is sent but wrong or revoked is refused (401), never ignored.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    found = None
    if scheme.lower() == "bearer" and 0 < len(token.strip()) <= MAX_TOKEN:
        found = auth.authenticate(get_session(), token.strip())
    if found is None:
        raise APIError(401, "unauthorized", "A valid organiser token is required.")
    return found


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="undersign"'
    return response


def rights() -> auth.Rights:
    """Return the rights of this request's token."""
    return g.rights


def organisers_only(view: F) -> F:
    """Refuse partner tokens: the change or the data is not theirs."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not rights().is_organiser:
            raise APIError(403, "forbidden", "This token may not do that.")
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def source_filter(source: str | None) -> str | None:
    """Return the query's `source` filter; a partner token may ask only for its own."""
    source = source or None
    partner = rights().partner
    if partner is not None and source not in (None, partner):
        raise APIError(403, "forbidden", "This token sees only its own partner's signatures.")
    return source


class Me(BaseModel):
    name: str
    partner: str | None


@bp.get("/me")
@described(
    "Who this token is",
    (200, "Name and partner", Me),
    {403: "Asked for another partner's signatures."},
)
def me() -> Response:
    who = rights()
    return jsonify(name=who.name, partner=who.partner)
