"""Who is asking: the bearer token, the rights it gives, and what each route needs.

Every organiser route declares its action with `needs` (the table of actions and
roles is auth.ACTIONS); tests/admin/test_roles.py walks the URL map to prove it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel

from undersign.campaigns.petitions import PetitionNotFound
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


def needs(action: str) -> Callable[[F], F]:
    """Declare what a route does (a key of auth.ACTIONS) and refuse tokens it is not for.

    A token limited to other petitions is answered 404 for a petition in the path, as if
    it did not exist: a 403 would tell it which slugs are taken. A token whose role or
    kind does not allow the action is answered 403 naming the least role that would,
    and the refusal is in the audit log under the token's name.
    """
    auth.ACTIONS[action]  # an unknown action fails at import, not at request

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require(action, kwargs.get("slug"))
            return view(*args, **kwargs)

        checked.needs = action  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def require(action: str, slug: str | None = None) -> None:
    """Refuse this request unless its token may do `action` (on the petition `slug`)."""
    who = rights()
    if slug is not None and not who.covers(slug):
        raise PetitionNotFound(slug)
    if not who.may(action):
        _refuse(who, action, auth.ACTIONS[action], slug)


def _refuse(who: auth.Rights, action: str, least: auth.Role, slug: str | None) -> None:
    rule = request.url_rule.rule if request.url_rule else request.path
    auth.refused(get_session(), who, action, slug, rule)
    if who.partner is not None:
        message = "A partner's token reads its partner's share and changes nothing else."
    elif action in auth.EVERYWHERE and who.petitions is not None:
        message = f"Only an {least} token for every petition may do that."
    else:
        message = f"This token's role ({who.role}) may not do that: it needs {least}."
    raise APIError(403, "forbidden", message, role=least)


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
    role: auth.Role
    # The petitions this token is limited to; null: every petition.
    petitions: list[str] | None
    # Every action of auth.ACTIONS this token may do, for a page to offer only those.
    may: list[str]


@bp.get("/me")
@needs("petitions.read")
@described(
    "Who this token is: its role, its petitions, what it may do",
    (200, "Name, partner, role and petitions", Me),
    {403: "Asked for another partner's signatures."},
)
def me() -> Response:
    who = rights()
    return jsonify(
        name=who.name,
        partner=who.partner,
        role=who.role,
        petitions=sorted(who.petitions) if who.petitions is not None else None,
        may=[action for action in auth.ACTIONS if who.may(action)],
    )
