"""The /admin/ page: static files from frontend/admin/; every datum comes from the organiser API.

What the page must agree with the server on (the languages, the patterns a slug and a
partner code must match) it reads from /admin/facts.json, made here from the server's own
values, so that no script keeps a copy to drift.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, send_from_directory

from undersign.campaigns.petitions import SLUG
from undersign.core import i18n
from undersign.core.validation import PARTNER_CODE

bp = Blueprint("admin_site", __name__)


@bp.get("/admin/")
def index() -> Response:
    # Its strict policy (no script but ours, no framing) is in headers.ADMIN.
    return send_from_directory(i18n.frontend_dir() / "admin", "index.html", max_age=0)


def facts() -> dict[str, object]:
    """Return what the page takes from the server: the same for everyone, nothing personal.

    The languages are a list, not an object, to keep their order through JSON. The patterns
    are the very texts Python matches with; the page puts them in `pattern` attributes.
    """
    return {
        "languages": [{"code": code, "name": name} for code, name in i18n.LANGUAGES.items()],
        "patterns": {"slug": SLUG.pattern, "partner_code": PARTNER_CODE.pattern},
    }


@bp.get("/admin/facts.json")
def facts_json() -> Response:
    """Serve `facts()`: asked again on every visit, answered 304 until a release changes it."""
    response = jsonify(facts())
    response.cache_control.no_cache = True
    response.add_etag()
    response.make_conditional(request)  # a 304 when If-None-Match names this tag
    return response
