"""Finding signatures, invalidating and restoring them, the review queue, and comment moderation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.models import AuditEntry

from tests.conftest import Signer


@pytest.fixture
def signed(signer):
    signer.sign_and_confirm("Aigerim.Bekova@gmail.com", name="Aigerim Bekova", source="kz-union")
    signer.sign_and_confirm("ivan@example.org", name="Ivan Petrov", country="RU")
    signer.sign(email="pending@example.org", name="Pat Pending")
    return signer


def names(found):
    return sorted(s["name"] for s in found)


def test_search_by_part_of_a_name_in_any_case(signed, organiser):
    assert names(organiser.signatures("test-petition", q="bek")) == ["Aigerim Bekova"]
    assert names(organiser.signatures("test-petition", q="PETR")) == ["Ivan Petrov"]
    assert organiser.signatures("test-petition", q="100%") == []


def test_search_by_address_finds_the_same_person_however_it_is_spelled(signed, organiser):
    found = organiser.signatures("test-petition", q="aigerimbekova+petition@googlemail.com")
    assert names(found) == ["Aigerim Bekova"]
    assert organiser.signatures("test-petition", q="someone@example.org") == []


def test_filter_by_source_state_and_date(signed, organiser):
    assert names(organiser.signatures("test-petition", source="kz-union")) == ["Aigerim Bekova"]
    assert names(organiser.signatures("test-petition", state="pending")) == ["Pat Pending"]
    assert len(organiser.signatures("test-petition", state="verified")) == 2
    today = datetime.now(UTC).date()
    assert len(organiser.signatures("test-petition", since=today.isoformat())) == 3
    assert len(organiser.signatures("test-petition", until=today.isoformat())) == 3
    yesterday = (today - timedelta(days=1)).isoformat()
    assert organiser.signatures("test-petition", until=yesterday) == []
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert organiser.signatures("test-petition", since=tomorrow) == []
    assert organiser.get("/petitions/test-petition/signatures", state="lost").status_code == 422


def test_pages_of_signatures_say_how_many_there_are(signed, organiser):
    first = organiser.get("/petitions/test-petition/signatures", per_page=2).json
    second = organiser.get("/petitions/test-petition/signatures", per_page=2, page=2).json
    assert first["total"] == 3 and len(first["signatures"]) == 2
    assert len(second["signatures"]) == 1


def test_invalidating_takes_a_signature_out_of_the_count_and_restoring_puts_it_back(
    signed, organiser
):
    ivan = organiser.signature_id("test-petition", "ivan@example.org")
    assert signed.count() == 2
    refused = organiser.post(f"/signatures/{ivan}/invalidate", {})
    assert refused.status_code == 422 and "reason" in refused.json["error"]["fields"]
    done = organiser.post(f"/signatures/{ivan}/invalidate", {"reason": "Duplicate on paper"})
    assert done.json["state"] == "invalidated"
    assert done.json["invalidation_reason"] == "Duplicate on paper"
    assert signed.count() == 1
    organiser.post(f"/signatures/{ivan}/invalidate", {"reason": "twice"})
    assert signed.count() == 1  # invalidating again changes nothing
    restored = organiser.post(f"/signatures/{ivan}/restore", {"reason": "Paper list was wrong"})
    assert restored.json["state"] == "verified" and signed.count() == 2
    assert organiser.post("/signatures/999999/restore", {"reason": "x"}).status_code == 404


def test_restoring_a_pending_signature_leaves_the_count_alone(signed, organiser):
    pat = organiser.signature_id("test-petition", "pending@example.org")
    organiser.post(f"/signatures/{pat}/invalidate", {"reason": "spam"})
    organiser.post(f"/signatures/{pat}/restore", {"reason": "not spam"})
    assert signed.count() == 2


def test_the_review_queue_holds_signatures_from_a_crowded_address(
    app, client, smtp, petition, organiser
):
    # Two signatures a day from one address are ordinary; the third is flagged.
    settings = app.extensions["undersign.settings"]
    app.extensions["undersign.settings"] = replace(settings, shared_address_threshold=2)
    crowd = Signer(app, client, smtp, petition)
    for n in range(4):
        crowd.sign_and_confirm(f"worker{n}@plant.kz", name=f"Worker {n}")
    queue = organiser.get("/petitions/test-petition/review").json
    assert queue["total"] == 2
    kept, dropped = (s["id"] for s in queue["signatures"])
    organiser.post(f"/signatures/{kept}/keep")
    organiser.post(f"/signatures/{dropped}/invalidate", {"reason": "same person twice"})
    assert organiser.get("/petitions/test-petition/review").json["total"] == 0
    assert crowd.count() == 3


def test_nothing_reaches_the_public_wall_before_an_organiser_approves_it(signer, organiser):
    # Name and city included: an employer reading the wall learns nothing unapproved.
    signer.sign_and_confirm("ana@example.org", name="Ana Lee", public=True, comment="Solidarity!")
    signer.sign_and_confirm("bo@example.org", name="Bo Kim", public=True, comment="=HYPERLINK()")
    signer.sign_and_confirm("cem@example.org", name="Cem Ak", city="Satpayev", public=True)

    def wall():
        entries = signer.client.get("/api/v1/petitions/test-petition/signatures").json
        return {e["first_name"]: (e["city"], e["comment"]) for e in entries["signatures"]}

    assert wall() == {}
    page = signer.client.get("/p/test-petition").text
    assert "Ana" not in page and "Satpayev" not in page
    queue = organiser.get("/petitions/test-petition/comments").json["signatures"]
    assert sorted(s["name"] for s in queue) == ["Ana Lee", "Bo Kim", "Cem Ak"]
    ids = {s["name"]: s["id"] for s in queue}
    approved = organiser.post(f"/signatures/{ids['Ana Lee']}/comment", {"decision": "approved"})
    assert approved.status_code == 200
    organiser.post(f"/signatures/{ids['Bo Kim']}/comment", {"decision": "rejected"})
    assert wall() == {"Ana": (None, "Solidarity!")}
    assert organiser.get("/petitions/test-petition/comments").json["total"] == 1
    rejected = organiser.get("/petitions/test-petition/comments", status="rejected").json
    assert [s["name"] for s in rejected["signatures"]] == ["Bo Kim"]


def test_many_entries_are_approved_at_once(signer, organiser):
    for n in range(3):
        signer.sign_and_confirm(f"p{n}@example.org", name=f"Name{n} X", public=True)
    queue = organiser.get("/petitions/test-petition/comments").json["signatures"]
    ids = [s["id"] for s in queue]
    answer = organiser.post(
        "/petitions/test-petition/comments", {"ids": ids, "decision": "approved"}
    )
    assert answer.json == {"decided": 3}
    wall = signer.client.get("/api/v1/petitions/test-petition/signatures").json["signatures"]
    assert sorted(e["first_name"] for e in wall) == ["Name0", "Name1", "Name2"]
    # Only pending entries of this petition: deciding again changes nothing.
    again = organiser.post(
        "/petitions/test-petition/comments", {"ids": ids, "decision": "rejected"}
    )
    assert again.json == {"decided": 0}
    bad = organiser.post("/petitions/test-petition/comments", {"ids": [], "decision": "approved"})
    assert bad.status_code == 422


def test_a_petition_may_show_entries_at_once_and_hide_them_after(signer, organiser):
    organiser.patch("/petitions/test-petition", {"wall_mode": "show"})
    signer.sign_and_confirm("ana@example.org", name="Ana Lee", public=True, comment="Hold on!")
    wall = "/api/v1/petitions/test-petition/signatures"
    assert [e["comment"] for e in signer.client.get(wall).json["signatures"]] == ["Hold on!"]
    (entry,) = organiser.get("/petitions/test-petition/comments").json["signatures"]
    organiser.post(f"/signatures/{entry['id']}/comment", {"decision": "rejected"})
    assert signer.client.get(wall).json["signatures"] == []
    assert organiser.patch("/petitions/test-petition", {"wall_mode": "never"}).status_code == 422


def test_a_signature_not_for_the_wall_cannot_be_moderated(signer, organiser):
    signer.sign_and_confirm("quiet@example.org")
    quiet = organiser.signature_id("test-petition", "quiet@example.org")
    answer = organiser.post(f"/signatures/{quiet}/comment", {"decision": "approved"})
    assert answer.status_code == 422
    with database(signer.app).sessions() as session:
        logged = select(func.count()).where(AuditEntry.action == "comment.approved")
        assert session.scalar(logged) == 0
