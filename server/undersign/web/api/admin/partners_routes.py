"""Partners: the organisations whose sites collect signatures, and their embed snippets."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field

from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.models import Partner
from undersign.core.validation import PARTNER_CODE
from undersign.organisers import partners
from undersign.web.access import needs, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import Request, Text, ThanksURL, refuse

bp = Blueprint("admin_partners", __name__)

MAX_ORIGINS = 50
Origins = Annotated[
    list[str] | None,
    Field(max_length=MAX_ORIGINS, description="Where its pages live, like https://example.org."),
    refuse("allowed_origins must be a list of origins"),
]


class PartnerChange(Request):
    """What a PATCH may change; what it leaves out stays."""

    name: Annotated[str, Text(partners.NAME_MOST)] | None = None
    allowed_origins: Origins = None
    thanks_url: ThanksURL = None


class NewPartner(Request):
    code: Annotated[
        str, Text(40), Field(json_schema_extra={"pattern": f"^{PARTNER_CODE.pattern}$"})
    ]
    name: Annotated[str, Text(partners.NAME_MOST)]
    allowed_origins: Origins = None


class Partners(BaseModel):
    partners: list[dict[str, Any]]


def _describe(partner: Partner) -> dict[str, Any]:
    """A partner with the snippets for the petition named by ?petition=, if any."""
    return partners.describe(partner, settings().base_url, request.args.get("petition") or None)


@bp.get("/partners")
@needs("partners.manage")
@described("Partners with their embed snippets", (200, "Partners", Partners))
def list_partners() -> Response:
    return jsonify(partners=[_describe(p) for p in partners.listed(get_session())])


@bp.post("/partners")
@needs("partners.manage")
@described(
    "Add a partner: code, name, allowed origins",
    (201, "Created", dict[str, Any]),
    {422: "Invalid fields."},
    body=NewPartner,
)
def create_partner(body: NewPartner) -> tuple[Response, int]:
    origins = body.allowed_origins or []
    created = partners.create(get_session(), body.code, body.name, origins, by=rights())
    return jsonify(_describe(created)), 201


@bp.patch("/partners/<code>")
@needs("partners.manage")
@described(
    "Change a partner's name, allowed origins or thank-you page",
    (200, "The partner", dict[str, Any]),
    {404: "No such partner.", 422: "Invalid fields."},
    body=PartnerChange,
)
def edit_partner(code: str, body: PartnerChange) -> Response:
    # A thank-you page left out stays (None); given as null or "", it goes ("").
    thanks_url = body.thanks_url or "" if "thanks_url" in body.model_fields_set else None
    changed = partners.update(
        get_session(),
        code,
        by=rights(),
        name=body.name,
        allowed_origins=body.allowed_origins,
        thanks_url=thanks_url,
    )
    return jsonify(_describe(changed))
