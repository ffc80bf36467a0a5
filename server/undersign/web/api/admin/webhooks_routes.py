"""Webhooks: endpoints that receive each verified signature of a partner or a petition."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from undersign.campaigns import petitions
from undersign.core.db import get_session
from undersign.organisers import partners, webhooks
from undersign.web import params
from undersign.web.access import organisers_only, rights

bp = Blueprint("admin_webhooks", __name__)


@bp.get("/webhooks")
@organisers_only
def list_webhooks() -> Response:
    return jsonify(webhooks=[webhooks.describe(w) for w in webhooks.listed(get_session())])


@bp.post("/webhooks")
@organisers_only
def create_webhook() -> tuple[Response, int]:
    body, session = params.json_object(), get_session()
    url = params.text(body, "url", most=500) or ""
    partner_code = params.text(body, "partner", required=False, most=40)
    slug = params.text(body, "petition", required=False, most=80)
    # Named in the body, not the address: an unknown one is a wrong field (422), not a 404.
    try:
        partner = partners.find(session, partner_code) if partner_code else None
    except partners.PartnerNotFound:
        raise params.invalid("partner", "there is no such partner") from None
    try:
        petition = petitions.find(session, slug) if slug else None
    except petitions.PetitionNotFound:
        raise params.invalid("petition", "there is no such petition") from None
    created = webhooks.create(session, url, by=rights(), partner=partner, petition=petition)
    # The secret is shown here, once, for the receiver to check signatures with.
    return jsonify(webhooks.describe(created, with_secret=True)), 201


@bp.delete("/webhooks/<row_id:webhook_id>")
@organisers_only
def delete_webhook(webhook_id: int) -> tuple[str, int]:
    webhooks.delete(get_session(), webhook_id, by=rights())
    return "", 204
