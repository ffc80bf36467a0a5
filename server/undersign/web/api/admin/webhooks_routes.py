"""Webhooks: endpoints that receive each verified signature of a partner or a petition."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field

from undersign.campaigns import petitions
from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.organisers import partners, webhooks
from undersign.web import params
from undersign.web.access import needs, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import Request, Text

bp = Blueprint("admin_webhooks", __name__)


class NewWebhook(Request):
    """An endpoint for one partner or one petition."""

    url: Annotated[str, Text(webhooks.URL_MOST), Field(json_schema_extra={"format": "uri"})]
    partner: Annotated[str, Text(40)] | None = None
    petition: Annotated[str, Text(80)] | None = None


class Webhooks(BaseModel):
    webhooks: list[dict[str, Any]]


class Created(BaseModel):
    id: int
    url: str
    secret: str


@bp.get("/webhooks")
@needs("webhooks.manage")
@described("Webhooks (without their secrets)", (200, "Webhooks", Webhooks))
def list_webhooks() -> Response:
    return jsonify(webhooks=[webhooks.describe(w) for w in webhooks.listed(get_session())])


@bp.post("/webhooks")
@needs("webhooks.manage")
@described(
    "Add a webhook for a partner or a petition; its secret is shown once",
    (201, "Created", Created),
    {422: "Invalid fields."},
    body=NewWebhook,
)
def create_webhook(body: NewWebhook) -> tuple[Response, int]:
    session = get_session()
    # Named in the body, not the address: an unknown one is a wrong field (422), not a 404.
    try:
        partner = partners.find(session, body.partner) if body.partner else None
    except partners.PartnerNotFound:
        raise params.invalid("partner", "there is no such partner") from None
    try:
        petition = petitions.find(session, body.petition) if body.petition else None
    except petitions.PetitionNotFound:
        raise params.invalid("petition", "there is no such petition") from None
    created = webhooks.create(
        session,
        body.url,
        by=rights(),
        partner=partner,
        petition=petition,
        internal_hosts=settings().webhook_internal_hosts,
    )
    # The secret is shown here, once, for the receiver to check signatures with.
    return jsonify(webhooks.describe(created, with_secret=True)), 201


@bp.delete("/webhooks/<row_id:webhook_id>")
@needs("webhooks.manage")
@described("Remove a webhook", (204, "Removed", None), {404: "No such webhook."})
def delete_webhook(webhook_id: int) -> tuple[str, int]:
    webhooks.delete(get_session(), webhook_id, by=rights())
    return "", 204
