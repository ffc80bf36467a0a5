"""The audit log: every change and export, newest first."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from undersign.core.db import get_session
from undersign.organisers import audit
from undersign.web import params
from undersign.web.access import organisers_only

bp = Blueprint("admin_audit", __name__)

MAX_PER_PAGE = 200


@bp.get("/audit")
@organisers_only
def audit_log() -> Response:
    number, size = params.paging(100, MAX_PER_PAGE)
    found = audit.page(get_session(), number, size)
    return jsonify(entries=[audit.describe(e) for e in found], page=number, per_page=size)
