"""The demo appeal `make run` shows: Kazakh first, its organisers named on the privacy notice,
signing its emails and the hand-over list in Kazakh, its title quoted as Russian quotes it."""

from __future__ import annotations

import html
from urllib.parse import unquote

import pytest
from sqlalchemy import select
from undersign.campaigns import demo
from undersign.core import i18n
from undersign.core.db import database
from undersign.core.models import Petition

from tests.admin.conftest import OrganiserAPI, make_token
from tests.conftest import Signer


@pytest.fixture
def seeded(app, client, smtp):
    with database(app).sessions() as session:
        assert demo.seed(session)
        assert not demo.seed(session)  # safe to repeat
    return Signer(app, client, smtp, demo.SLUG)


def test_the_demo_is_kazakh_first_with_russian_and_english_and_its_organisers_named(app, seeded):
    with database(app).sessions() as session:
        petition = session.scalars(select(Petition).where(Petition.slug == demo.SLUG)).one()
        assert petition.default_locale == "kk"
        assert list(petition.texts) == ["kk", "ru", "en"]
        assert petition.organiser_name and petition.organiser_contact
    notice = seeded.client.get(f"/p/{demo.SLUG}/privacy?lang=kk").text
    assert html.escape(demo.ORGANISER_NAME) in notice
    assert f'href="mailto:{demo.ORGANISER_CONTACT}"' in notice
    assert i18n.messages("kk")["privacy"]["holder_none"] not in notice


@pytest.mark.parametrize(
    ("locale", "signed"),
    [
        ("kk", f"Ынтымақпен,\n{demo.ORGANISER_NAME} (Undersign арқылы)"),
        ("ru", f"С солидарным приветом,\n{demo.ORGANISER_NAME} (рассылка через Undersign)"),
        ("en", f"In solidarity,\n{demo.ORGANISER_NAME}, through Undersign"),
    ],
)
def test_the_demos_emails_are_signed_by_its_organisers(seeded, locale, signed):
    assert seeded.sign(email="a@example.org", locale=locale).status_code == 202
    seeded.deliver()
    (email,) = seeded.inbox("a@example.org")
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert signed in text.replace("\r\n", "\n")
    page = email.get_body(preferencelist=("html",)).get_content()
    assert html.escape(demo.ORGANISER_NAME) in page
    assert i18n.messages(locale)["mail"]["team"] not in text  # not the nameless signature


def test_a_petition_without_an_organiser_name_signs_as_the_organisers(signer):
    assert signer.sign(email="a@example.org", locale="ru").status_code == 202
    signer.deliver()
    (email,) = signer.inbox("a@example.org")
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "Организаторы кампании (рассылка через Undersign)" in text


@pytest.mark.parametrize(
    ("locale", "shared"),
    [
        ("ru", "«Сохраним завод в Жезказгане: национализация, а не „консервация“»"),
        ("kk", "«Жезқазған зауытын сақтайық: „консервация“ емес, ұлттандыру»"),
    ],
)
def test_the_confirmed_page_shares_the_title_with_its_quotation_marks_nested(
    seeded, locale, shared
):
    assert seeded.sign(email="a@example.org", locale=locale).status_code == 202
    seeded.deliver()
    page = seeded.confirm("a@example.org").text
    links = unquote(html.unescape(page))
    assert shared in links
    assert "«консервация»»" not in links and "«консервация» емес, ұлттандыру»" not in links


def test_the_hand_over_list_is_in_kazakh(app, client, seeded):
    seeded.sign_and_confirm("a@example.org", name="Айгерім Бекова", named=True, locale="ru")
    organiser = OrganiserAPI(client, make_token(app, "campaign-office"))
    answer = organiser.get(f"/petitions/{demo.SLUG}/handover")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert '<html lang="kk">' in page
    assert f"<h1>{html.escape(demo.TEXTS['kk']['title'])}</h1>" in page
    assert "Айгерім Бекова" in page and "Қазақстан" in page
