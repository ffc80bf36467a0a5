"""The /admin/ page: static files from frontend/admin/; every datum comes from the organiser API."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from undersign.i18n import frontend_dir

bp = Blueprint("admin_site", __name__)

# The page holds an organiser's token in sessionStorage, so no script but ours
# may run on it and no other site may frame it.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


@bp.get("/admin/")
def index() -> Response:
    response = send_from_directory(frontend_dir() / "admin", "index.html", max_age=0)
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
