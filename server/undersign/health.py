"""What operators and their load balancers watch: liveness, readiness and metrics."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST

from undersign import metrics
from undersign.cache import RedisCache, get_cache
from undersign.db import database
from undersign.logs import route

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    """Time and count every request; serve /healthz, /readyz and /metrics."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is None:
            return response
        name = route()
        metrics.REQUESTS.labels(request.method, name, str(response.status_code)).inc()
        metrics.LATENCY.labels(request.method, name).observe(time.perf_counter() - started)
        if response.status_code == 429:
            metrics.RATE_LIMITED.labels(name).inc()
        return response

    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready when the database answers, and Redis too when one is configured."""
    checks = {"database": "ok" if database().answers() else "unavailable"}
    store = get_cache()
    if isinstance(store, RedisCache):
        checks["redis"] = "ok" if store.ping() else "unavailable"
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics_page() -> Response:
    return Response(metrics.exposition(database().sessions), mimetype=CONTENT_TYPE_LATEST)
