"""Emailing supporters through the organiser API: send, test, preview, follow; thank-you pages."""

from __future__ import annotations

import pytest
from undersign.core import sealing

from tests.conftest import Signer

UPDATE = {
    "subject": {"en": "We delivered the signatures", "ru": "Мы передали подписи"},
    "body": {"en": "Thank you, *all* of you.", "ru": "Спасибо, *всем* вам."},
}


def deliver_all(signer: Signer) -> None:
    while signer.deliver():
        pass


def supporter(signer: Signer, address: str, **fields) -> None:
    assert signer.sign_and_confirm(address, contact_consent=True, **fields).status_code == 200


def test_an_update_is_accepted_then_followed_until_it_is_sent(signer, organiser):
    supporter(signer, "a@example.org")
    supporter(signer, "b@example.org", locale="ru")

    answer = organiser.post("/petitions/test-petition/updates", UPDATE)
    assert answer.status_code == 202
    (waiting,) = organiser.get("/petitions/test-petition/updates").json["updates"]
    assert (waiting["status"], waiting["pending"], waiting["sent"]) == ("sending", 2, 0)
    deliver_all(signer)
    (done,) = organiser.get("/petitions/test-petition/updates").json["updates"]

    assert done["id"] == answer.json["id"]
    assert {k: done[k] for k in ("status", "recipients", "sent", "failed", "pending")} == {
        "status": "sent",
        "recipients": 2,
        "sent": 2,
        "failed": 0,
        "pending": 0,
    }
    assert signer.inbox("b@example.org")[-1]["Subject"] == "Мы передали подписи"


def test_every_send_is_in_the_audit_log(signer, organiser):
    supporter(signer, "a@example.org")
    organiser.post("/petitions/test-petition/updates", UPDATE)
    organiser.post("/petitions/test-petition/updates", {**UPDATE, "test_to": "me@example.org"})

    entries = organiser.get("/audit").json["entries"]
    actions = [(e["action"], e["target"], e["rows"]) for e in entries[:2]]

    assert actions == [("mailing.test", "test-petition", 2), ("mailing.send", "test-petition", 1)]
    assert "me@example.org" not in str(entries)


def test_a_test_send_goes_to_its_address_alone(signer, organiser):
    supporter(signer, "a@example.org")

    answer = organiser.post(
        "/petitions/test-petition/updates", {**UPDATE, "test_to": "organiser@example.org"}
    )
    deliver_all(signer)

    assert answer.status_code == 202 and answer.json["test"] is True
    assert len(signer.inbox("organiser@example.org")) == 2  # English and Russian
    assert [m["Subject"] for m in signer.inbox("a@example.org")][-1] != UPDATE["subject"]["en"]


def test_a_partner_token_sends_to_and_sees_only_its_own(signer, organiser, as_partner):
    supporter(signer, "ours@example.org", source="kz-union")
    supporter(signer, "other@example.org")
    organiser.post("/petitions/test-petition/updates", UPDATE)
    partner = as_partner("kz-union")

    sent = partner.post("/petitions/test-petition/updates", UPDATE)
    deliver_all(signer)

    assert sent.status_code == 202 and sent.json["source"] == "kz-union"
    assert [u["id"] for u in partner.get("/petitions/test-petition/updates").json["updates"]] == [
        sent.json["id"]
    ]
    assert len(organiser.get("/petitions/test-petition/updates").json["updates"]) == 2
    subjects = [m["Subject"] for m in signer.inbox("other@example.org")]
    assert subjects.count(UPDATE["subject"]["en"]) == 1  # the organisers' alone


def test_a_partner_token_sends_one_update_a_day_and_is_told_when_the_next_may_go(
    signer, organiser, as_partner
):
    supporter(signer, "ours@example.org", source="kz-union")
    partner = as_partner("kz-union")
    assert partner.post("/petitions/test-petition/updates", UPDATE).status_code == 202

    again = partner.post("/petitions/test-petition/updates", UPDATE)
    assert again.status_code == 429 and again.json["error"]["code"] == "rate_limited"
    assert 86_000 < int(again.headers["Retry-After"]) <= 86_400
    assert "one update a day" in again.json["error"]["message"]
    assert len(partner.get("/petitions/test-petition/updates").json["updates"]) == 1
    # A test to the partner's own address, and the organisers' own updates, are not held back.
    test = {**UPDATE, "test_to": "office@kz-union.example"}
    assert partner.post("/petitions/test-petition/updates", test).status_code == 202
    assert organiser.post("/petitions/test-petition/updates", UPDATE).status_code == 202
    deliver_all(signer)
    subjects = [m["Subject"] for m in signer.inbox("ours@example.org")]
    assert subjects.count(UPDATE["subject"]["en"]) == 2  # the partner's first, the organisers'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": UPDATE["body"]}, "subject"),
        ({**UPDATE, "subject": "Hello"}, "subject"),
        ({**UPDATE, "subject": {"ru": "Привет"}, "body": {"ru": "Текст"}}, "subject"),
        ({**UPDATE, "subject": {"en": "Two\nlines"}, "body": {"en": "x"}}, "subject"),
        ({**UPDATE, "subject": {"de": "Hallo", "en": "Hi"}}, "subject"),
        ({**UPDATE, "body": {"en": "Only English"}}, "body"),
        ({**UPDATE, "body": {"en": "x" * 20_001, "ru": "y"}}, "body"),
        ({**UPDATE, "test_to": "not an address"}, "test_to"),
        ({**UPDATE, "test_to": 7}, "test_to"),
    ],
)
def test_a_wrong_update_is_refused_naming_the_field_and_nothing_is_sent(
    signer, organiser, body, field
):
    supporter(signer, "a@example.org")

    answer = organiser.post("/petitions/test-petition/updates", body)
    deliver_all(signer)

    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]
    assert organiser.get("/petitions/test-petition/updates").json["updates"] == []


def test_a_sealed_petition_refuses_updates_and_says_why(organiser, petition):
    key = sealing.generate().public
    assert organiser.patch(f"/petitions/{petition}", {"seal_key": key}).status_code == 200

    answer = organiser.post(f"/petitions/{petition}/updates", UPDATE)

    assert answer.status_code == 422
    assert "sealed" in answer.json["error"]["fields"]["petition"]
    assert "cannot email" in answer.json["error"]["fields"]["petition"]


def test_an_update_for_no_petition_is_404(organiser, petition):
    assert organiser.post("/petitions/nothing-here/updates", UPDATE).status_code == 404
    assert organiser.get("/petitions/nothing-here/updates").status_code == 404


def test_the_preview_renders_each_language_as_the_email_will_and_sends_nothing(signer, organiser):
    supporter(signer, "a@example.org")
    before = len(signer.smtp.mailbox.messages)

    answer = organiser.post(
        "/petitions/test-petition/updates/preview",
        {**UPDATE, "body": {"en": "Hi <script>x()</script> **bold**", "ru": "Текст"}},
    )
    deliver_all(signer)

    assert answer.status_code == 200
    english = answer.json["preview"]["en"]
    assert "<strong>bold</strong>" in english["html"] and "<script>" not in english["html"]
    assert english["text"].startswith("Hi")
    assert len(signer.smtp.mailbox.messages) == before


# --- thank-you pages ----------------------------------------------------------------


@pytest.fixture
def _partner(organiser) -> None:
    made = organiser.post("/partners", {"code": "kz-union", "name": "KZ Union"})
    assert made.status_code == 201


def test_organisers_set_and_clear_a_petitions_thank_you_page(organiser, petition):
    url = "https://campaign.example.org/next"

    assert organiser.patch(f"/petitions/{petition}", {"thanks_url": url}).json["thanks_url"] == url
    assert organiser.get(f"/petitions/{petition}").json["thanks_url"] == url
    cleared = organiser.patch(f"/petitions/{petition}", {"thanks_url": None})
    assert cleared.json["thanks_url"] is None


@pytest.mark.parametrize(
    "url",
    [
        "http://campaign.example.org/next",
        "javascript:alert(1)",
        "https://",
        "https://user:pass@example.org/",
        "https://example.org/a b",
        "https://example.org/" + "x" * 500,
        7,
    ],
)
def test_a_thank_you_page_must_be_an_https_address(organiser, petition, _partner, url):
    answer = organiser.patch(f"/petitions/{petition}", {"thanks_url": url})
    partner = organiser.patch("/partners/kz-union", {"thanks_url": url})

    assert answer.status_code == partner.status_code == 422
    assert "thanks_url" in answer.json["error"]["fields"]
    assert "thanks_url" in partner.json["error"]["fields"]
    assert organiser.get(f"/petitions/{petition}").json["thanks_url"] is None


def test_a_partner_gets_its_own_thank_you_page(organiser, _partner):
    url = "https://union.example.kz/thanks"

    changed = organiser.patch("/partners/kz-union", {"thanks_url": url})
    kept = organiser.patch("/partners/kz-union", {"name": "KZ Union of Workers"})
    cleared = organiser.patch("/partners/kz-union", {"thanks_url": None})

    assert changed.json["thanks_url"] == kept.json["thanks_url"] == url
    assert cleared.json["thanks_url"] is None
