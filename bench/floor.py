"""The floors: minimal Flask apps under the same gunicorn settings as `undersign serve`.

`floor` parses the same JSON body and answers 202, and answers a count GET, so
what Undersign costs above it is what Undersign does, not Flask or gunicorn.

`reference` (with --database-url) also writes what a signature must write: its
row and its outbox row, in one transaction, with raw psycopg and no checks. It
is what Flask plus PostgreSQL can do on this machine; signing is measured
against it (issue 12).
"""

from __future__ import annotations

import argparse
import hashlib
import threading

import psycopg
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from undersign.cli.gunicorn import run_gunicorn

INSERT_SIGNATURE = """
    INSERT INTO signatures (petition_id, email_key, spelling_key, name, email, city, comment,
        country, public, contact_consent, named, locale, status, flagged, emails_sent, created_at,
        last_email_at)
    VALUES ((SELECT id FROM petitions WHERE slug = %s), %s, %s, %s, %s, %s, %s, %s, %s, false,
        false, 'en', 'pending', false, 1, now(), now())
    RETURNING id
"""
INSERT_OUTBOX = "INSERT INTO outbox (kind, signature_id, created_at, due_at, attempts) "
INSERT_OUTBOX += "VALUES ('verify', %s, now(), now(), 0)"


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    local = threading.local()  # one connection per gunicorn thread, as a pool would hand out

    def connection() -> psycopg.Connection:
        if getattr(local, "connection", None) is None:
            assert database_url is not None
            local.connection = psycopg.connect(database_url)
        return local.connection

    @app.post("/api/v1/petitions/<slug>/signatures")
    def sign(slug: str) -> ResponseReturnValue:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("email"):
            return jsonify(error={"code": "bad_request"}), 400
        if database_url is not None:
            key = hashlib.sha256(str(body["email"]).encode()).hexdigest()
            values = [slug, key, key, body.get("name"), body["email"], body.get("city")]
            values += [body.get("comment"), body.get("country"), bool(body.get("public"))]
            with connection().transaction():
                row = connection().execute(INSERT_SIGNATURE, values).fetchone()
                assert row is not None
                connection().execute(INSERT_OUTBOX, (row[0],))
        return jsonify(status="pending", message="Check your inbox."), 202

    @app.get("/api/v1/petitions/<slug>/count")
    def count(slug: str) -> ResponseReturnValue:
        return jsonify(slug=slug, signature_count=0, goal=None)

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="psycopg URL: write like a signature does")
    options = parser.parse_args()
    url = options.database_url
    run_gunicorn("127.0.0.1", options.port, options.workers, factory=lambda: create_app(url))
