"""Organiser tokens from /admin/: list, create (the token is shown once), revoke. Owners only."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field

from undersign.core import auth
from undersign.core.db import get_session
from undersign.core.models import OrganiserToken
from undersign.web.access import needs, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import DescribedAs, Request, Text, refuse
from undersign.web.errors import APIError

bp = Blueprint("admin_tokens", __name__)


class Token(BaseModel):
    """A token as owners see it listed: never the token itself, which only its maker saw."""

    name: str
    role: auth.Role
    petitions: list[str] | None
    partner: str | None
    created_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    last_used_at: Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]
    revoked_at: Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]


class Tokens(BaseModel):
    tokens: list[Token]


class Made(Token):
    # Shown this once: only its hash is kept.
    token: str


class NewToken(Request):
    """A new token: its name, role and petitions (none: every petition), as the CLI takes them."""

    name: Annotated[str, Text(80), Field(json_schema_extra={"pattern": r"^[\w.@-]{1,80}$"})]
    role: Annotated[Any, DescribedAs(auth.Role)] = auth.Role.OWNER  # checked below
    petitions: Annotated[
        list[Annotated[str, Text(80)]], refuse("petitions must be a list of slugs")
    ] = Field(default_factory=list)


@bp.get("/tokens")
@needs("tokens.manage")
@described(
    "Every token: name, role, petitions, partner, when made, used, revoked", (200, "Tokens", Tokens)
)
def list_tokens() -> Response:
    return jsonify(tokens=[auth.describe(found) for found in auth.listed(get_session())])


@bp.post("/tokens")
@needs("tokens.manage")
@described(
    "Make a token with a role, for some petitions or all; the answer holds it, once",
    (201, "The token, shown this once", Made),
    {409: "A token of that name exists.", 422: "Invalid fields."},
    body=NewToken,
)
def create_token(body: NewToken) -> tuple[Response, int]:
    if body.role not in auth.LADDER:
        wrong = "role must be owner, editor, moderator or viewer"
        raise APIError(422, "invalid_fields", wrong, fields={"role": wrong})
    session, name = get_session(), body.name.strip()
    try:
        made = auth.create(session, name, by=rights(), role=body.role, petitions=body.petitions)
    except auth.TokenExists as error:
        raise APIError(409, "conflict", str(error)) from None
    except auth.TokenError as error:
        raise APIError(422, "invalid_fields", str(error)) from None
    return jsonify(auth.describe(_made(name)) | {"token": made}), 201


@bp.delete("/tokens/<name>")
@needs("tokens.manage")
@described(
    "Revoke a token at once: it answers 401 from now on",
    (200, "The token", Token),
    {404: "No such token."},
)
def revoke_token(name: str) -> Response:
    session = get_session()
    try:
        auth.revoke(session, name, by=rights())
    except auth.TokenNotFound:
        raise APIError(404, "not_found", "There is no such token.") from None
    return jsonify(auth.describe(_made(name)))


def _made(name: str) -> OrganiserToken:
    found = auth.find(get_session(), name)
    assert found is not None  # made or revoked just now, in this request
    return found
