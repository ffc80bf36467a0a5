"""Partners: the organisations whose sites collect signatures, and their embed snippets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.models import Partner
from undersign.organisers import partners
from undersign.signers import thanks
from undersign.web import params
from undersign.web.access import organisers_only, rights

bp = Blueprint("admin_partners", __name__)

MAX_ORIGINS = 50


def _origins(body: dict[str, Any]) -> list[str] | None:
    origins = body.get("allowed_origins")
    if origins is None:
        return None
    if (
        not isinstance(origins, list)
        or len(origins) > MAX_ORIGINS
        or not all(isinstance(o, str) for o in origins)
    ):
        raise params.invalid("allowed_origins", "allowed_origins must be a list of origins")
    return origins


def _describe(partner: Partner) -> dict[str, Any]:
    """A partner with the snippets for the petition named by ?petition=, if any."""
    return partners.describe(partner, settings().base_url, request.args.get("petition") or None)


@bp.get("/partners")
@organisers_only
def list_partners() -> Response:
    return jsonify(partners=[_describe(p) for p in partners.listed(get_session())])


@bp.post("/partners")
@organisers_only
def create_partner() -> tuple[Response, int]:
    body = params.json_object()
    code = params.text(body, "code", most=40) or ""
    name = params.text(body, "name", most=120) or ""
    created = partners.create(get_session(), code, name, _origins(body) or [], by=rights())
    return jsonify(_describe(created)), 201


@bp.patch("/partners/<code>")
@organisers_only
def edit_partner(code: str) -> Response:
    body = params.json_object()
    changed = partners.update(
        get_session(),
        code,
        by=rights(),
        name=params.text(body, "name", required=False, most=120),
        allowed_origins=_origins(body),
        thanks_url=_thanks_url(body),
    )
    return jsonify(_describe(changed))


def _thanks_url(body: dict[str, Any]) -> str | None:
    """Read the partner's thank-you page: an https address, null for none, absent to keep."""
    if "thanks_url" not in body:
        return None
    value = body["thanks_url"]
    if value is not None and not isinstance(value, str):
        raise params.invalid("thanks_url", "thanks_url must be an https:// address, or null")
    try:
        return thanks.check(value) or ""  # "": take it away
    except thanks.InvalidThanksURL as problem:
        raise params.invalid("thanks_url", str(problem)) from None
