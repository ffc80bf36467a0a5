"""What operators and their load balancers watch: liveness, readiness and metrics."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field

from undersign.core import metrics
from undersign.core.cache import RedisCache, get_cache
from undersign.core.db import database
from undersign.web.api.contract import described
from undersign.web.errors import RETRY_AFTER_SECONDS
from undersign.web.request_log import route

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    """Time and count every request; serve /healthz, /readyz and /metrics."""

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("request_started")  # set by request_log.init_app's hook, which runs first
        if started is None:
            return response
        metrics.observe(request.method, route(), response.status_code, started)
        return response

    app.register_blueprint(bp)


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


@bp.get("/healthz")
@described("Liveness", (200, "Alive", Health))
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
@described(
    "Readiness: the database, and Redis when configured",
    (200, "Ready", Health),
    {503: "A dependency is unavailable."},
)
def readyz() -> ResponseReturnValue:
    """Ready when the database answers; Redis away only degrades the service.

    Without the database an instance can do nothing useful, so the load balancer
    should send no one to it. Without Redis it goes on: limits are counted and
    counts cached in this process's memory until Redis answers again.
    """
    checks = {"database": "ok" if database().answers() else "unavailable"}
    redis = _redis()
    if redis is not None:
        checks["redis"] = "ok" if redis.ping() else "degraded"
    if checks["database"] == "ok":
        return jsonify(status="ready", checks=checks)
    response = jsonify(status="unavailable", checks=checks)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.get("/metrics")
def metrics_page() -> Response:
    redis = _redis()
    page = metrics.exposition(database().sessions, redis_up=redis.ping if redis else None)
    return Response(page, mimetype=CONTENT_TYPE_LATEST)


def _redis() -> RedisCache | None:
    """Return the cache's Redis (the limits use the same server), if one is configured."""
    store = get_cache()
    return store if isinstance(store, RedisCache) else None
