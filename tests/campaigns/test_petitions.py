"""What the public sees of a petition: its text in Markdown, its closing date, and once closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from undersign.campaigns import petitions
from undersign.core import i18n
from undersign.core.auth import CLI
from undersign.core.db import database

from tests.core.test_markup import Elements
from tests.web.test_pages import visible_text

BODY = {
    "en": "# What we ask\n\n1. Keep every job.\n2. Pay the [wages](https://example.org/w).\n\n"
    "<script>alert(1)</script>",
    "ru": "# Наши требования\n\n- Сохранить рабочие места\n- Выплатить **все** долги\n",
    "kk": "# Талаптарымыз\n\n- Жұмыс орындарын сақтау\n- Қарызды *толық* өтеу\n",
}
CLOSES = datetime(2031, 3, 8, 12, 0, tzinfo=UTC)


def add(app: Flask, slug: str, *, closes_at: datetime | None = CLOSES, is_open: bool = True):
    """Create a petition in three languages with a Markdown body."""
    texts = {lc: {"title": f"{slug} ({lc})", "summary": f"About {slug}.", "body": body}
             for lc, body in BODY.items()}  # fmt: skip
    with database(app).sessions() as session:
        created = petitions.create(session, slug, texts, by=CLI, goal=50, closes_at=closes_at)
        if not is_open:
            petitions.set_open(session, created, False, by=CLI)


def test_the_public_petition_carries_its_body_rendered_and_sanitised(app, client):
    add(app, "plant")
    shown = client.get("/api/v1/petitions/plant?lang=en").json
    assert shown["body"] == BODY["en"]  # the Markdown, as written
    assert Elements(shown["body_html"]).tags() == ["h2", "ol", "li", "li", "a", "p"]
    assert "&lt;script&gt;" in shown["body_html"]
    assert shown["closes_at"] == "2031-03-08T12:00:00+00:00"
    assert shown["status"] == "open"


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "8 March 2031"), ("ru", "8 марта 2031\u202fг."), ("kk", "2031 жылғы 8 наурыз")],
)
def test_the_closing_date_is_given_in_words_in_the_readers_language(app, client, lang, words):
    add(app, "plant")
    assert client.get(f"/api/v1/petitions/plant?lang={lang}").json["closes_on"] == words
    page = visible_text(client.get(f"/p/plant?lang={lang}").text)
    said = i18n.messages(lang)["content"]["closes_on"].format(date=words)
    assert " ".join(said.split()) in page  # as a reader sees it, the narrow space a space


def test_the_petition_page_shows_the_body_as_headings_lists_and_links(app, client):
    add(app, "plant")
    html = client.get("/p/plant?lang=ru").text
    article = html[html.index('<article class="petition-body"') : html.index("</article>")]
    assert "<h2>Наши требования</h2>" in article
    assert "<li>Выплатить <strong>все</strong> долги</li>" in article
    assert html.count("<h1") == 1
    english = client.get("/p/plant?lang=en").text
    assert (
        '<a href="https://example.org/w" target="_blank" rel="nofollow noopener noreferrer">'
        in english
    )
    assert "<script>alert" not in english


def test_a_petition_past_its_closing_time_is_closed_everywhere(app, client):
    add(app, "late", closes_at=datetime.now(UTC) - timedelta(days=1))
    assert client.get("/api/v1/petitions/late").json["status"] == "closed"
    person = {"name": "Aigerim", "email": "a@example.org", "country": "KZ"}
    assert client.post("/api/v1/petitions/late/signatures", json=person).status_code == 409
    page = client.get("/p/late?lang=en").text
    assert 'name="email"' not in page  # no form
    text = visible_text(page)
    assert i18n.messages("en")["petition"]["closed"] in text
    assert "Final count: 0 signatures" in text


def test_the_index_lists_closed_petitions_apart_with_their_final_count(app, client, signer):
    add(app, "open-one")
    add(app, "shut-by-organisers", closes_at=None)
    add(app, "ran-out-of-time", closes_at=datetime.now(UTC) - timedelta(hours=1))
    signer.sign_and_confirm("one@example.org")  # on test-petition, which closes too
    signer.sign_and_confirm("two@example.org")
    with database(app).sessions() as session:
        for slug in ("shut-by-organisers", "test-petition"):
            petitions.set_open(session, petitions.find(session, slug), False, by=CLI)

    html = client.get("/?lang=ru").text
    opened, closed = html.split(i18n.messages("ru")["content"]["closed_heading"])
    assert "open-one (ru)" in opened
    assert "/p/open-one?lang=ru#sign" in opened
    for slug in ("shut-by-organisers", "ran-out-of-time", "test-petition"):
        assert slug not in opened
        assert f'href="/p/{slug}?lang=ru"' in closed
    assert "#sign" not in closed  # nothing left to sign
    assert "Итог: 2 подписи" in visible_text(closed)
    assert "Итог: 0 подписей" in visible_text(closed)


def test_the_index_has_no_closed_section_while_every_petition_is_open(client, petition):
    page = client.get("/?lang=en").text
    assert i18n.messages("en")["content"]["closed_heading"] not in page


def test_a_closed_petitions_page_shows_its_final_count_and_no_form(client, signer, petition):
    signer.sign_and_confirm("one@example.org")
    with database(signer.app).sessions() as session:
        petitions.set_open(session, petitions.find(session, petition), False, by=CLI)
    for lang, final in (("en", "Final count: 1 signature"), ("kk", "Қорытынды: 1 қолтаңба")):
        page = client.get(f"/p/{petition}?lang={lang}")
        assert page.status_code == 200
        assert 'name="email"' not in page.text
        assert final in visible_text(page.text)
    embed = client.get(f"/embed/{petition}?lang=en").text
    assert 'name="email"' not in embed and "Final count: 1 signature" in visible_text(embed)


def test_an_open_petitions_embed_keeps_its_form_for_readers_without_javascript(
    app: Flask, client: FlaskClient
) -> None:
    add(app, "plant")
    embed = client.get("/embed/plant?lang=en").text
    assert 'name="email"' in embed and "Signing closes on 8 March 2031" in visible_text(embed)
