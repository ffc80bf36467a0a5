"""Who may do what: no token, a wrong or revoked one, a partner's token outside its share."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from undersign.core import auth
from undersign.core.db import database
from undersign.core.models import Signature

ROUTES = [
    ("get", "/api/v1/admin/petitions"),
    ("get", "/api/v1/admin/petitions/test-petition/signatures"),
    ("get", "/api/v1/admin/petitions/test-petition/export"),
    ("post", "/api/v1/admin/petitions"),
    ("post", "/api/v1/admin/signatures/1/invalidate"),
    ("get", "/api/v1/admin/audit"),
]
ORGANISERS_ONLY = [
    ("post", "/petitions", {"slug": "x", "texts": {"en": {"title": "X"}}}),
    ("patch", "/petitions/test-petition", {"goal": 5}),
    ("post", "/petitions/test-petition/close", {}),
    ("post", "/signatures/1/invalidate", {"reason": "duplicate"}),
    ("post", "/signatures/1/comment", {"decision": "approved"}),
    ("get", "/partners", None),
    ("post", "/partners", {"code": "kz-union", "name": "Union"}),
    ("get", "/webhooks", None),
    ("post", "/webhooks", {"url": "http://127.0.0.1:9/", "petition": "test-petition"}),
    ("get", "/audit", None),
    ("get", "/petitions/test-petition/handover", None),
]


def call(client, method, path, headers):
    return getattr(client, method)(path, json={}, headers=headers)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_token_is_401(client, petition, method, path):
    answer = call(client, method, path, {})
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_wrong_token_is_401(client, petition, organiser, method, path):
    wrong = organiser.token[:-2] + ("aa" if not organiser.token.endswith("aa") else "bb")
    assert call(client, method, path, {"Authorization": f"Bearer {wrong}"}).status_code == 401
    basic = {"Authorization": f"Basic {organiser.token}"}
    assert call(client, method, path, basic).status_code == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_revoked_token_is_401(app, client, petition, organiser, method, path):
    with database(app).sessions() as session:
        auth.revoke(session, "campaign-office", by=auth.CLI)
    assert call(client, method, path, organiser.headers()).status_code == 401


def test_the_token_in_a_url_is_not_accepted(client, petition, organiser):
    answer = client.get(f"/api/v1/admin/petitions?token={organiser.token}")
    assert answer.status_code == 401


def test_no_cross_origin_reads_or_preflights(client, petition, organiser):
    origin = {"Origin": "https://evil.example"}
    answer = client.get("/api/v1/admin/petitions", headers={**organiser.headers(), **origin})
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer.headers
    preflight = client.options(
        "/api/v1/admin/petitions",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


@pytest.mark.parametrize(("method", "path", "body"), ORGANISERS_ONLY)
def test_a_partner_token_may_not_manage(client, petition, as_partner, method, path, body):
    partner = as_partner("kz-union")
    answer = partner.get(path) if method == "get" else getattr(partner, method)(path, body)
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "forbidden"


@pytest.fixture
def collected(signer):
    """Four verified signers: two per partner, one of each with contact consent."""
    signer.sign_and_confirm(
        "ally@example.org", name="Ally Union", source="kz-union", contact_consent=True
    )
    signer.sign_and_confirm("bek@example.org", name="Bek Union", source="kz-union")
    signer.sign_and_confirm(
        "cora@example.org", name="Cora Other", source="other-org", contact_consent=True
    )
    signer.sign_and_confirm("dan@example.org", name="Dan Direct")
    return signer


def test_a_partner_sees_only_its_own_verified_signers_who_consented(
    collected, as_partner, organiser
):
    collected.sign(email="eve@example.org", source="kz-union", contact_consent=True)  # pending
    partner = as_partner("kz-union")
    seen = partner.signatures("test-petition")
    assert [(s["email"], s["name"]) for s in seen] == [("ally@example.org", "Ally Union")]
    assert len(organiser.signatures("test-petition")) == 5
    other = partner.get("/petitions/test-petition/signatures", source="other-org")
    assert other.status_code == 403


@pytest.mark.parametrize(
    "query",
    [{"q": "bek@example.org"}, {"q": "B"}, {"q": "Bek"}, {"q": "eve@example.org"}, {"q": "E"}],
)
def test_a_partners_search_matches_nothing_it_may_not_see(collected, as_partner, query):
    # Growing name prefixes or a guessed address must not tell a partner who signed.
    collected.sign(
        email="eve@example.org", name="Eve Union", source="kz-union", contact_consent=True
    )  # never confirmed: no consent yet
    found = as_partner("kz-union").get("/petitions/test-petition/signatures", **query)
    assert found.status_code == 200
    assert found.json["total"] == 0 and found.json["signatures"] == []


def test_a_partner_export_holds_only_what_it_may_read(collected, as_partner):
    partner = as_partner("kz-union")
    answer = partner.get("/petitions/test-petition/export", format="csv")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [(row["source"], row["name"]) for row in rows] == [("kz-union", "Ally Union")]
    assert "Bek" not in answer.get_data(as_text=True)
    refused = partner.get("/petitions/test-petition/export", source="other-org")
    assert refused.status_code == 403


def test_every_search_is_in_the_audit_log_without_the_words_looked_for(
    collected, as_partner, organiser
):
    as_partner("kz-union").get("/petitions/test-petition/signatures", q="bek@example.org")
    organiser.get("/petitions/test-petition/signatures", q="Dan", state="verified")
    log = organiser.get("/audit").json["entries"]
    searches = [
        (e["actor"], e["detail"]["by"], e["rows"]) for e in log if e["action"] == "signature.search"
    ]
    assert searches[:2] == [("campaign-office", "name", 1), ("partner-kz-union", "address", 0)]
    assert "bek@" not in str(log) and "Dan" not in str(log)


def test_a_partner_counts_only_its_share(collected, as_partner, organiser):
    mine = as_partner("kz-union").get("/petitions")
    assert mine.json["petitions"][0]["counts"]["verified"] == 2
    everything = organiser.get("/petitions")
    assert everything.json["petitions"][0]["counts"]["verified"] == 4


@pytest.mark.parametrize("row", ["0", "2147483648", "15005884262706219008"])
def test_an_id_outside_the_databases_range_is_404_not_500(organiser, row):
    assert organiser.delete(f"/webhooks/{row}").status_code == 404
    assert organiser.post(f"/signatures/{row}/restore", {"reason": "x"}).status_code == 404


def test_a_partner_code_from_a_site_the_partner_did_not_allow_is_dropped(
    app, client, petition, organiser
):
    organiser.post(
        "/partners",
        {"code": "kz-union", "name": "Union", "allowed_origins": ["https://union.example"]},
    )
    body = {"name": "Ana", "country": "KZ", "source": "kz-union"}
    sign = "/api/v1/petitions/test-petition/signatures"
    for email, origin in [
        ("own@example.org", "https://union.example"),  # the partner's own site
        ("spoof@example.org", "https://owners-pr.example"),  # a site that borrows its code
        ("here@example.org", "http://localhost"),  # our own pages (the embed)
    ]:
        answer = client.post(sign, json={**body, "email": email}, headers={"Origin": origin})
        assert answer.status_code == 202  # the signer is not refused, only not credited
    with database(app).sessions() as session:
        sources = dict(session.execute(select(Signature.email, Signature.source)).all())
    assert sources == {
        "own@example.org": "kz-union",
        "spoof@example.org": None,
        "here@example.org": "kz-union",
    }
