"""Outputs an organiser uses as they are: the hand-over list in any of the petition's languages,
the paper form on the usual country, a comments queue of wall entries only, and the months
/admin/ writes dates with."""

from __future__ import annotations

import re

from sqlalchemy import select
from undersign.core.db import database
from undersign.core.models import AuditEntry

COUNTED_ROW = re.compile(r'<tr><td class="country">([^<]+)</td><td class="n">(\d+)</td></tr>')


def handover(organiser, **query):
    return organiser.get("/petitions/test-petition/handover", **query)


# --- the hand-over list in any language the petition has -----------------------------------


def test_the_list_prints_in_each_language_the_petition_is_written_in(signer, organiser):
    signer.sign_and_confirm("a@example.org", name="Aigerim Bekova", named=True)
    signer.sign_and_confirm("b@example.org", country="KG")

    english = handover(organiser).text  # unasked: the petition's first language
    assert '<html lang="en">' in english and "<h1>Save the plant</h1>" in english
    russian = handover(organiser, lang="ru").text
    assert '<html lang="ru">' in russian and "<h1>Спасите завод</h1>" in russian
    assert "Всего: <strong>2 подписи</strong>" in russian
    assert COUNTED_ROW.findall(russian) == [("Кыргызстан", "1")]
    kazakh = handover(organiser, lang="kk").text
    assert '<html lang="kk">' in kazakh and "<h1>Зауытты сақтаңыз</h1>" in kazakh
    assert COUNTED_ROW.findall(kazakh) == [("Қырғызстан", "1")]
    assert "Aigerim Bekova" in kazakh and "Total" not in kazakh and "Всего" not in kazakh
    with database(signer.app).sessions() as session:
        asked = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "handover").order_by(AuditEntry.id)
        ).all()
    assert [entry["lang"] for entry in asked] == ["en", "ru", "kk"]


def test_a_language_the_petition_is_not_written_in_is_refused(app, signer, organiser):
    organiser.patch("/petitions/test-petition", {"texts": {"en": {"title": "Save the plant"}}})
    signer.sign_and_confirm("a@example.org", named=True)
    refused = handover(organiser, lang="kk")
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"lang": "This petition is written in en only."}
    assert handover(organiser, lang="de").status_code == 422  # not one Undersign speaks
    # Read to the end, as a browser does: the list streams from a snapshot held open till then.
    english = handover(organiser, lang="en")
    assert english.status_code == 200 and "<h1>Save the plant</h1>" in english.text


# --- the paper form starts on the petition's usual country -----------------------------------


def paper_country(organiser):
    answer = organiser.get("/petitions/test-petition/paper")
    assert answer.status_code == 200
    return answer.json["country"]


def test_the_paper_form_starts_on_the_country_most_signers_gave(signer, organiser):
    assert paper_country(organiser) is None  # nobody yet: the form has no favourite
    signer.sign_and_confirm("a@example.org", country="RU")
    signer.sign_and_confirm("b@example.org", country="KZ")
    assert paper_country(organiser) == "KZ"  # a tie goes to the first code: steady
    signer.sign_and_confirm("c@example.org", country="RU")
    signer.sign(email="pending1@example.org", country="KG")  # unconfirmed: not counted
    signer.sign(email="pending2@example.org", country="KG")
    signer.sign(email="pending3@example.org", country="KG")
    assert paper_country(organiser) == "RU"
    # Paper counts count too: the sheets from Kyrgyzstan outnumber everyone online.
    sheets = {"count": 3, "country": "KG", "date": "2026-11-28"}
    assert organiser.post("/petitions/test-petition/paper", sheets).status_code == 201
    assert paper_country(organiser) == "KG"


def test_an_invalidated_signature_does_not_make_a_country_usual(signer, organiser):
    signer.sign_and_confirm("a@example.org", country="KZ")
    signer.sign_and_confirm("b@example.org", country="RU")
    signer.sign_and_confirm("c@example.org", country="RU")
    for address in ("b@example.org", "c@example.org"):
        found = organiser.signature_id("test-petition", address)
        answer = organiser.post(f"/signatures/{found}/invalidate", {"reason": "a bot"})
        assert answer.status_code == 200
    assert paper_country(organiser) == "KZ"


# --- the comments queue holds wall entries only ----------------------------------------------


def test_a_message_for_the_organisers_alone_never_waits_in_the_comments_queue(signer, organiser):
    signer.sign_and_confirm("wall@example.org", name="Ana Lee", public=True, comment="Hold on!")
    signer.sign_and_confirm("quiet@example.org", name="Bo Kim", public=False, comment="Only you")
    signer.sign_and_confirm("name@example.org", name="Cem Ak", public=True)

    queue = organiser.get("/petitions/test-petition/comments").json
    assert sorted(s["name"] for s in queue["signatures"]) == ["Ana Lee", "Cem Ak"]
    assert queue["total"] == 2
    board = organiser.get("/petitions/test-petition/dashboard").json
    assert board["queues"]["comments"] == 2
    # The message still reaches the organisers: in the signatures and in exports.
    (quiet,) = organiser.signatures("test-petition", q="quiet@example.org")
    assert quiet["comment"] == "Only you"
    # Nor can it be approved onto the wall, one by one or many at once.
    one = organiser.post(f"/signatures/{quiet['id']}/comment", {"decision": "approved"})
    assert one.status_code == 422
    many = organiser.post(
        "/petitions/test-petition/comments", {"ids": [quiet["id"]], "decision": "approved"}
    )
    assert many.json == {"decided": 0}
    wall = signer.client.get("/api/v1/petitions/test-petition/signatures").json["signatures"]
    assert wall == []


# --- the months /admin/ writes dates with ----------------------------------------------------


def test_each_locale_file_names_the_months_as_a_date_does(client):
    months = {
        lang: client.get(f"/locales/{lang}.json").json["months"] for lang in ("en", "ru", "kk")
    }
    assert months["kk"]["long"][11] == "желтоқсан" and months["kk"]["short"][11] == "жел."
    assert months["ru"]["long"][11] == "декабря" and months["ru"]["short"][11] == "дек."
    assert months["en"]["long"][0] == "January"
    assert all(len(form) == 12 for lang in months.values() for form in lang.values())
