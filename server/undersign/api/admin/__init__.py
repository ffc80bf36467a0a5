"""The organiser API: petitions, signatures, exports, partners, webhooks and the audit log.

Every route needs `Authorization: Bearer <token>` (see `access`). No cookie is
read and no CORS header is sent, so another site can neither ride on a signed-in
browser (nothing to forge) nor read the answers.
"""

from __future__ import annotations

from flask import Blueprint

from undersign.api.admin import (
    access,
    audit,
    exports,
    mailings,
    media,
    news,
    paper,
    partners,
    petitions,
    signatures,
    webhooks,
)

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
)
for resource in RESOURCES:
    bp.register_blueprint(resource.bp)
