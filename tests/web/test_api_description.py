"""The OpenAPI document, health checks, the petition and its public wall."""

from __future__ import annotations

import time

from flask import Flask
from undersign.web import overload


def test_openapi_describes_every_public_route_with_its_refusals(client, app: Flask):
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.1")
    described = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<", "{").replace(">", "}")
        if not (path.startswith("/api/") or path in {"/healthz", "/readyz"}):
            continue
        if path.startswith("/api/v1/admin"):
            continue  # the organiser API is described with its own section
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in described, f"{method} {path} is not described"
    for operations in document["paths"].values():
        for operation in operations.values():
            assert {"413", "414", "429"} <= set(operation["responses"])


def test_the_document_warns_that_a_shed_request_is_a_503_with_retry_after(client, petition):
    overload.arrived(time.monotonic() - 2)  # as the worker says of a request queued too long
    try:
        shed = client.post(f"/api/v1/petitions/{petition}/signatures", json={})
    finally:
        overload.arrived(None)
    assert shed.status_code == 503 and "Retry-After" in shed.headers
    document = client.get("/api/openapi.json").json
    sign = document["paths"]["/api/v1/petitions/{slug}/signatures"]["post"]["responses"]["503"]
    assert f"`{shed.json['error']['code']}`" in sign["description"]
    assert sign["headers"]["Retry-After"]["description"].startswith("Seconds to wait")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            warned = "`overloaded`" in operation["responses"]["503"]["description"]
            never_shed = path in {"/healthz", "/readyz"}  # probes must see the real state
            assert warned != never_shed, f"{method.upper()} {path}"


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok"}


def test_readiness_checks_redis_when_configured(database_url, tmp_path, redis_url):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    assert app.test_client().get("/readyz").json["checks"] == {"database": "ok", "redis": "ok"}


def test_the_petition_answers_in_the_requested_language_with_a_fallback(client, petition):
    english = client.get(f"/api/v1/petitions/{petition}").json
    assert english["title"] == "Save the plant" and english["target"] == "The Ministry"
    russian = client.get(f"/api/v1/petitions/{petition}?lang=ru").json
    assert russian["title"] == "Спасите завод"
    assert russian["target"] == "The Ministry", "missing fields fall back"
    kazakh = client.get(f"/api/v1/petitions/{petition}", headers={"Accept-Language": "kk-KZ"}).json
    assert kazakh["title"] == "Зауытты сақтаңыз"
    assert kazakh["summary"] == "Keep it open."
    assert set(english) >= {
        "slug",
        "title",
        "summary",
        "body",
        "target",
        "goal",
        "signature_count",
        "status",
        "closes_at",
    }


def test_the_wall_shows_only_consenting_verified_signers_and_approved_comments(signer, app):
    from sqlalchemy import update
    from undersign.core.db import database
    from undersign.core.models import Signature

    signer.sign_and_confirm(
        "shown@example.org",
        name="Erlan Sadykov",
        city="Satpaev",
        country="KZ",
        public=True,
        comment="Держитесь!",
    )
    signer.sign_and_confirm("hidden@example.org", name="Hidden Person", public=False)
    signer.sign(email="pending@example.org", name="Pending Person", public=True)
    assert signer.client.get("/api/v1/petitions/test-petition/signatures").json["signatures"] == []
    with database(app).sessions.begin() as session:  # an organiser approves the entry
        shown = Signature.email == "shown@example.org"
        session.execute(update(Signature).where(shown).values(comment_status="approved"))
    wall = signer.client.get("/api/v1/petitions/test-petition/signatures").json
    assert wall["signatures"] == [
        {
            "first_name": "Erlan",
            "country": "KZ",
            "city": "Satpaev",
            "comment": "Держитесь!",
            "signed_at": wall["signatures"][0]["signed_at"],
        }
    ], "no surname, no address, nobody unapproved, nobody who chose not to be shown"


def test_the_wall_pages_newest_first(signer):
    for n in range(3):
        signer.sign_and_confirm(f"w{n}@example.org", name=f"Name{n} Surname", public=True)
    signer.approve_wall()
    first = signer.client.get("/api/v1/petitions/test-petition/signatures?per_page=2").json
    second = signer.client.get("/api/v1/petitions/test-petition/signatures?per_page=2&page=2").json
    assert [s["first_name"] for s in first["signatures"]] == ["Name2", "Name1"]
    assert first["has_more"] is True
    assert [s["first_name"] for s in second["signatures"]] == ["Name0"]
    assert second["has_more"] is False


def test_stats_aggregate_counted_signatures(signer):
    signer.sign_and_confirm("a@example.org", country="KZ", source="kz-union")
    signer.sign_and_confirm("b@example.org", country="GB")
    signer.sign(email="c@example.org", country="DE")
    stats = signer.client.get("/api/v1/petitions/test-petition/stats").json
    assert stats["by_country"] == {"GB": 1, "KZ": 1}
    assert "by_source" not in stats  # which partners collect is not the public's to learn
    assert sum(day["count"] for day in stats["by_day"]) == 2


def test_a_petition_without_a_goal_is_described_as_the_document_says(client, app):
    from tests.admin.conftest import make_token

    token = make_token(app, "office")
    created = client.post(
        "/api/v1/admin/petitions",
        json={"slug": "no-goal", "texts": {"en": {"title": "No goal"}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201
    count = client.get("/api/v1/petitions/no-goal/count").json
    assert count["goal"] is None
    document = client.get("/api/openapi.json").json
    answer = document["paths"]["/api/v1/petitions/{slug}/count"]["get"]["responses"]["200"]
    reference = answer["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][reference.rpartition("/")[2]]
    assert "null" in schema["properties"]["goal"]["type"]
