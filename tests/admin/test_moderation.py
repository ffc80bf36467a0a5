"""Finding signatures, invalidating and restoring them, the review queue, and comment moderation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from undersign.db import database
from undersign.models import AuditEntry

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


def test_a_comment_reaches_the_public_wall_only_once_approved(signer, organiser):
    signer.sign_and_confirm("ana@example.org", name="Ana Lee", public=True, comment="Solidarity!")
    signer.sign_and_confirm("bo@example.org", name="Bo Kim", public=True, comment="=HYPERLINK()")

    def wall():
        entries = signer.client.get("/api/v1/petitions/test-petition/signatures").json
        return {e["first_name"]: e["comment"] for e in entries["signatures"]}

    assert wall() == {"Ana": None, "Bo": None}
    queue = organiser.get("/petitions/test-petition/comments").json["signatures"]
    assert sorted(s["comment"] for s in queue) == ["=HYPERLINK()", "Solidarity!"]
    ids = {s["comment"]: s["id"] for s in queue}
    assert (
        organiser.post(
            f"/signatures/{ids['Solidarity!']}/comment", {"decision": "approved"}
        ).status_code
        == 200
    )
    organiser.post(f"/signatures/{ids['=HYPERLINK()']}/comment", {"decision": "rejected"})
    assert wall() == {"Ana": "Solidarity!", "Bo": None}
    assert organiser.get("/petitions/test-petition/comments").json["total"] == 0
    rejected = organiser.get("/petitions/test-petition/comments", status="rejected").json
    assert [s["name"] for s in rejected["signatures"]] == ["Bo Kim"]


def test_a_signature_without_a_comment_cannot_be_moderated(signer, organiser):
    signer.sign_and_confirm("quiet@example.org")
    quiet = organiser.signature_id("test-petition", "quiet@example.org")
    answer = organiser.post(f"/signatures/{quiet}/comment", {"decision": "approved"})
    assert answer.status_code == 422
    with database(signer.app).sessions() as session:
        logged = select(func.count()).where(AuditEntry.action == "comment.approved")
        assert session.scalar(logged) == 0
