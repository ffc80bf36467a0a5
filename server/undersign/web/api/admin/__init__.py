"""The organiser API: petitions, signatures, exports, partners, webhooks, the audit log, tokens.

Every route needs `Authorization: Bearer <token>` (see `access`). No cookie is
read and no CORS header is sent, so another site can neither ride on a signed-in
browser (nothing to forge) nor read the answers.
"""

from __future__ import annotations

from flask import Blueprint

from undersign.web import access
from undersign.web.api.admin import audit_routes as audit
from undersign.web.api.admin import exports_routes as exports
from undersign.web.api.admin import mailings_routes as mailings
from undersign.web.api.admin import media_routes as media
from undersign.web.api.admin import news_routes as news
from undersign.web.api.admin import paper_routes as paper
from undersign.web.api.admin import partners_routes as partners
from undersign.web.api.admin import petitions_routes as petitions
from undersign.web.api.admin import signatures_routes as signatures
from undersign.web.api.admin import tokens_routes as tokens
from undersign.web.api.admin import webhooks_routes as webhooks

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
access.guard(bp)
RESOURCES = (
    access,
    petitions,
    signatures,
    exports,
    partners,
    webhooks,
    audit,
    media,
    news,
    paper,
    mailings,
    tokens,
)
for resource in RESOURCES:
    bp.register_blueprint(resource.bp)
