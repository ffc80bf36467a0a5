"""The OpenAPI 3.1 description of every route, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from undersign.web.api.openapi import admin, public

bp = Blueprint("openapi", __name__)


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Undersign", "version": "1"},
        "paths": {**public.PATHS, **admin.PATHS},
        "components": {"schemas": public.SCHEMAS, "securitySchemes": admin.SECURITY_SCHEMES},
    }


@bp.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
