"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from undersign.cache import RedisCache, get_cache
from undersign.db import database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready when the database answers, and Redis too when one is configured."""
    checks: dict[str, str] = {}
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready; say which kind
        current_app.logger.warning("readiness: database %s", type(error).__name__)
        checks["database"] = "unavailable"
    store = get_cache()
    if isinstance(store, RedisCache):
        checks["redis"] = "ok" if store.ping() else "unavailable"
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
