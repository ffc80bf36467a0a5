"""The floor: a minimal Flask app under the same gunicorn settings as `undersign serve`.

It parses the same JSON body and answers 202, and answers a count GET, so what
Undersign costs above it is what Undersign does, not Flask or gunicorn.
"""

from __future__ import annotations

import argparse

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from undersign.server import run_gunicorn


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/api/v1/petitions/<slug>/signatures")
    def sign(slug: str) -> ResponseReturnValue:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("email"):
            return jsonify(error={"code": "bad_request"}), 400
        return jsonify(status="pending", message="Check your inbox."), 202

    @app.get("/api/v1/petitions/<slug>/count")
    def count(slug: str) -> ResponseReturnValue:
        return jsonify(slug=slug, signature_count=0, goal=None)

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    run_gunicorn("127.0.0.1", options.port, options.workers, factory=create_app)
