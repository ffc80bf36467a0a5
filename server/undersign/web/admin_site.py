"""The /admin/ page: static files from frontend/admin/; every datum comes from the organiser API."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from undersign.core.i18n import frontend_dir

bp = Blueprint("admin_site", __name__)


@bp.get("/admin/")
def index() -> Response:
    # Its strict policy (no script but ours, no framing) is in headers.ADMIN.
    return send_from_directory(frontend_dir() / "admin", "index.html", max_age=0)
