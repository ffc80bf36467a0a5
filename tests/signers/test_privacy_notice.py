"""Each petition's privacy notice says who holds the data, how long, who sees it; and is linked.

The periods are checked against what the code does (retention.purge, the links'
lifetimes, the rate limits), not against numbers copied into the test.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from undersign.campaigns import petitions
from undersign.core import auth, i18n, sealing, tokens
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.core.models import Signature
from undersign.signers import notice, retention

from tests.conftest import Signer, make_app, post_form

SLUG = "test-petition"
NOTICE = f"/p/{SLUG}/privacy"
LOCALES = i18n.LOCALES
TOKENS = itertools.count()
WORDS = {locale: i18n.messages(locale) for locale in LOCALES}


def words(locale: str) -> dict[str, str]:
    return WORDS[locale]["privacy"]  # type: ignore[no-any-return]


def text_of(page: str, element_id: str) -> str:
    """Return the text of the element with `element_id`, tags dropped and spaces folded.

    Only the spaces markup adds are folded: a no-break space is the text's own.
    """
    found = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no #{element_id} on the page"
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(2)))).strip()


def read(client: FlaskClient, locale: str, slug: str = SLUG) -> str:
    answer = client.get(f"/p/{slug}/privacy?lang={locale}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert f'<html lang="{locale}">' in page
    return page


def set_policy(app: Flask, client: FlaskClient, **policy: object) -> None:
    """Change the petition's settings through the organiser API, as an organiser would."""
    with database(app).sessions() as session:
        token = auth.create(session, f"office-{next(TOKENS)}", by=CLI)
    answer = client.patch(
        f"/api/v1/admin/petitions/{SLUG}",
        json=policy,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.json


# --- who holds the data --------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_the_notice_names_the_organisers_and_links_their_contact(
    app: Flask, client: FlaskClient, petition: str, locale: str
) -> None:
    set_policy(app, client, organiser_name="Metalworkers' Union", organiser_contact="hi@union.kz")
    page = read(client, locale)
    holder = text_of(page, "organiser")
    assert words(locale)["holder_named"].format(name="Metalworkers' Union") in holder
    assert words(locale)["holder_contact"].format(contact="hi@union.kz") in holder
    assert '<a href="mailto:hi@union.kz">hi@union.kz</a>' in page
    rights = text_of(page, "rights-contact")
    assert rights == words(locale)["rights_contact"].format(contact="hi@union.kz")
    assert words(locale)["holder_unnamed"] not in page


@pytest.mark.parametrize("locale", LOCALES)
def test_a_name_without_a_contact_and_a_contact_without_a_name_are_said_as_such(
    app: Flask, client: FlaskClient, petition: str, locale: str
) -> None:
    said = words(locale)
    set_policy(app, client, organiser_name="Union")
    assert text_of(read(client, locale), "organiser") == " ".join(
        [said["holder_named"].format(name="Union"), said["holder_no_contact"]]
    )
    set_policy(app, client, organiser_name=None, organiser_contact="hi@union.kz")
    assert text_of(read(client, locale), "organiser") == " ".join(
        [said["holder_unnamed"], said["holder_contact"].format(contact="hi@union.kz")]
    )


def test_a_contact_that_is_a_web_page_is_a_link_and_anything_else_is_text(
    app: Flask, client: FlaskClient, petition: str
) -> None:
    set_policy(app, client, organiser_contact="https://union.kz/contact")
    assert '<a href="https://union.kz/contact">' in read(client, "en")
    set_policy(app, client, organiser_contact="a@b.kz?body=x")
    assert "mailto:" not in read(client, "en")
    set_policy(app, client, organiser_contact="+7 727 000 00 00, javascript:alert(1)")
    page = read(client, "en")
    assert "+7 727 000 00 00, javascript:alert(1)" in text_of(page, "rights-contact")
    assert 'href="javascript' not in page and 'href="+7' not in page


@pytest.mark.parametrize("locale", LOCALES)
def test_without_organisers_named_the_notice_says_so_and_who_runs_the_service(
    client: FlaskClient, petition: str, locale: str
) -> None:
    page = read(client, locale)
    said = words(locale)
    assert text_of(page, "organiser") == said["holder_none"]
    # make_app's service: http://localhost, mailing from the default sender.
    assert said["holder_service"].format(service="localhost", sender="no-reply@localhost") in page
    rights = text_of(page, "rights-contact")
    assert rights == said["rights_no_contact"].format(sender="no-reply@localhost")
    assert said["withdraw_late_no_contact"] in text_of(page, "withdraw-how")


# --- how long --------------------------------------------------------------------------------

UNIT = {"day": timedelta(days=1), "hour": timedelta(hours=1), "minute": timedelta(minutes=1)}


def stated(page: str, element_id: str) -> timedelta:
    """Read the period an English notice states in one of its lines ("for 14 days")."""
    found = re.search(r"(\d[\d,]*) (day|hour|minute)s?\b", text_of(page, element_id))
    assert found, text_of(page, element_id)
    return int(found.group(1).replace(",", "")) * UNIT[found.group(2)]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_notice_states_the_periods_the_code_uses_in_each_language(
    client: FlaskClient, petition: str, locale: str
) -> None:
    page = read(client, locale)
    name = notice.duration
    assert name(locale, tokens.VERIFY.max_age) in text_of(page, "kept-pending")
    assert name(locale, retention.SHARED_ADDRESS_WINDOW) in text_of(page, "kept-network")
    # The withdraw link lasts as long as the data: tests/signers/test_retention.py.
    assert name(locale, timedelta(days=90)) in text_of(page, "withdraw-how")
    assert name(locale, timedelta(days=90)) in text_of(page, "kept-confirmed")
    assert name(locale, timedelta(hours=1)) in text_of(page, "kept-rate-limit")  # "…;1000 per hour"


def test_an_unconfirmed_signature_is_purged_exactly_when_the_notice_says(
    app: Flask, signer: Signer
) -> None:
    assert signer.sign().status_code == 202
    period = stated(read(signer.client, "en"), "kept-pending")
    with database(app).sessions() as session:
        sent = session.scalars(select(Signature.last_email_at)).one()
        assert sent is not None
        retention.purge(session, now=sent + period - timedelta(minutes=1))
        assert session.scalar(select(Signature.id)) is not None, "purged before the notice said"
        retention.purge(session, now=sent + period + timedelta(minutes=1))
        assert session.scalar(select(Signature.id)) is None, "kept longer than the notice said"


def test_the_network_address_hash_is_forgotten_exactly_when_the_notice_says(
    app: Flask, signer: Signer
) -> None:
    signer.sign_and_confirm("aigerim@example.org")
    period = stated(read(signer.client, "en"), "kept-network")
    with database(app).sessions() as session:
        created = session.scalars(select(Signature.created_at)).one()
        retention.purge(session, now=created + period - timedelta(minutes=1))
        assert session.scalar(select(Signature.ip_key)) is not None, "forgotten before its time"
        retention.purge(session, now=created + period + timedelta(minutes=1))
        assert session.scalar(select(Signature.ip_key)) is None, "kept longer than the notice said"


def test_the_withdraw_link_lasts_as_long_as_the_notice_says(
    client: FlaskClient, petition: str
) -> None:
    assert tokens.WITHDRAW.until_erased
    assert stated(read(client, "en"), "withdraw-how") == timedelta(days=90)  # after closing
    assert stated(read(client, "en"), "kept-pending") == tokens.VERIFY.max_age


def test_the_rate_limiters_memory_follows_the_settings(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path, SIGN_RATE_LIMIT="5 per minute;50 per day")
    with database(app).sessions() as session:
        petitions.create(session, SLUG, {"en": {"title": "Save the plant"}}, by=CLI)
    assert stated(read(app.test_client(), "en"), "kept-rate-limit") == timedelta(days=1)
    database(app).engine.dispose()


def test_with_rate_limits_off_the_notice_does_not_claim_the_limiter_remembers(
    database_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
    with database(app).sessions() as session:
        petitions.create(session, SLUG, {"en": {"title": "Save the plant"}}, by=CLI)
    page = read(app.test_client(), "en")
    assert 'id="kept-rate-limit"' not in page and 'id="kept-network"' in page
    database(app).engine.dispose()


@pytest.mark.parametrize(
    ("locale", "period", "said"),
    [
        ("en", timedelta(days=14), "14 days"),
        ("en", timedelta(hours=1), "1 hour"),
        ("ru", timedelta(days=14), "14 дней"),
        ("ru", timedelta(days=21), "21 день"),
        ("ru", timedelta(hours=24), "1 день"),
        ("ru", timedelta(hours=3), "3 часа"),
        ("ru", timedelta(minutes=90), "90 минут"),
        ("ru", timedelta(days=365), "365 дней"),
        ("kk", timedelta(days=365), "365 күн"),
        ("kk", timedelta(hours=5), "5 сағат"),
    ],
)
def test_periods_are_named_in_the_largest_whole_unit_and_the_languages_grammar(
    locale: str, period: timedelta, said: str
) -> None:
    assert notice.duration(locale, period) == said


# --- who sees what, and sealing ---------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_who_sees_what_repeats_the_forms_own_words(
    client: FlaskClient, petition: str, locale: str
) -> None:
    page = unescape(read(client, locale))
    form = WORDS[locale]["form"]
    for key in ("sees_addressee", "sees_wall", "sees_organisers", "sees_partners"):
        assert form[key] in page


@pytest.mark.parametrize("locale", LOCALES)
def test_a_wall_shown_at_once_is_described_as_such(
    app: Flask, client: FlaskClient, petition: str, locale: str
) -> None:
    set_policy(app, client, wall_mode="show")
    assert text_of(read(client, locale), "sees-wall") == WORDS[locale]["form"]["sees_wall_show"]


@pytest.mark.parametrize("locale", LOCALES)
def test_only_a_sealed_petition_says_it_is_sealed(
    app: Flask, client: FlaskClient, petition: str, locale: str
) -> None:
    said = words(locale)
    plain = unescape(read(client, locale))
    assert said["sealed_heading"] not in plain and said["sealed_intro"] not in plain
    assert said["unsealed"] in plain

    set_policy(app, client, seal_key=sealing.generate().public)
    sealed = unescape(read(client, locale))
    assert said["sealed_heading"] in sealed and said["sealed_intro"] in sealed
    assert said["unsealed"] not in sealed


def test_what_the_notice_calls_sealed_is_sealed_in_the_database(
    app: Flask, client: FlaskClient, signer: Signer
) -> None:
    set_policy(app, client, seal_key=sealing.generate().public)
    page = read(client, "en")
    listed = re.findall(r"<li>([^<]+)</li>", page[page.index('id="sealed-section"') :])
    labels = WORDS["en"]["form"]
    assert {labels[field] for field in notice.privacy.SEALED_AT_ONCE} <= set(listed)
    signer.sign(postcode="050000", city="Almaty", comment="Solidarity", public=True)
    with database(app).sessions() as session:
        row = session.scalars(select(Signature)).one()
        for field in notice.privacy.SEALED_AT_ONCE:
            assert sealing.is_sealed(getattr(row, field)), field
        assert not sealing.is_sealed(row.email), "the mailer still needs the address"
        # What the public wall shows stays readable, as the notice says.
        assert row.shown == {"first_name": "Aigerim", "city": "Almaty", "comment": "Solidarity"}
    signer.deliver()
    signer.confirm("aigerim@example.org")
    with database(app).sessions() as session:
        assert sealing.is_sealed(session.scalars(select(Signature.email)).one())


def test_withdrawing_erases_what_the_notice_lists(app: Flask, signer: Signer) -> None:
    page = read(signer.client, "en")
    erased = re.findall(r"<li>([^<]+)</li>", page[page.index('id="erased"') :])[:5]
    labels = {label: field for field, label in WORDS["en"]["form"].items()}
    fields = [labels[label] for label in erased]
    assert fields == list(notice.privacy.PERSONAL_FIELDS)
    signer.sign_and_confirm("aigerim@example.org", city="Almaty", comment="Solidarity")
    withdraw = signer.token("aigerim@example.org", "withdraw")
    assert signer.client.post(f"/withdraw/{withdraw}").status_code == 200
    with database(app).sessions() as session:
        row = session.scalars(select(Signature)).one()
        assert all(getattr(row, field) in ("", None) for field in fields)
        assert row.ip_key is None and row.email_key.startswith("withdrawn:")
        assert row.shown is None, "the wall entry goes too"
        assert row.country == "KZ", "what stays: a signature from a country"


# --- where it is linked from ----------------------------------------------------------------


def test_an_unknown_petition_has_no_notice(client: FlaskClient, petition: str) -> None:
    answer = client.get("/p/no-such-petition/privacy?lang=ru")
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    assert WORDS["ru"]["error"]["heading"] in answer.get_data(as_text=True)


def notice_link(locale: str) -> str:
    return f'href="/p/{SLUG}/privacy?lang={locale}"'


@pytest.mark.parametrize("locale", LOCALES)
def test_the_petition_page_form_and_footer_link_the_notice(
    client: FlaskClient, petition: str, locale: str
) -> None:
    page = client.get(f"/p/{SLUG}?lang={locale}").get_data(as_text=True)
    form = page[page.index('<form class="sign"') : page.index("</form>")]
    assert notice_link(locale) in form and words(locale)["link"] in form
    footer = page[page.index('<footer class="site"') :]
    assert notice_link(locale) in footer
    assert WORDS[locale]["footer"]["privacy"] in footer


def test_the_no_javascript_forms_answer_links_the_notice(
    client: FlaskClient, petition: str
) -> None:
    refused = post_form(client, f"/p/{SLUG}?lang=kk", {"locale": "kk"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert notice_link("kk") in page[page.index('<form class="sign"') : page.index("</form>")]


def test_the_embeds_form_opens_the_notice_in_its_own_tab(
    client: FlaskClient, petition: str
) -> None:
    page = client.get(f"/embed/{SLUG}?lang=ru").get_data(as_text=True)
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert f'{notice_link("ru")} target="_blank" rel="noopener"' in noscript


@pytest.mark.parametrize("locale", LOCALES)
def test_the_verification_email_links_the_notice_in_both_parts(signer: Signer, locale: str) -> None:
    assert signer.sign(locale=locale).status_code == 202
    signer.deliver()
    (message,) = signer.inbox("aigerim@example.org")
    url = f"http://localhost/p/{SLUG}/privacy?lang={locale}"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    lines = plain.get_content().splitlines()
    assert lines[lines.index(words(locale)["mail_hint"]) + 1] == url
    assert f'<a href="{url}"' in html.get_content()
    assert words(locale)["mail_hint"] in html.get_content()
    followed = signer.client.get(url.removeprefix("http://localhost"))
    assert followed.status_code == 200 and f'lang="{locale}"' in followed.get_data(as_text=True)


def footer_of(answer: object) -> str:
    page = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert '<footer class="site"' in page, "no footer"
    return page[page.index('<footer class="site"') : page.index("</footer>")]


def test_pages_of_a_petition_link_its_notice_in_the_footer_and_others_link_none(
    signer: Signer,
) -> None:
    client = signer.client
    assert signer.sign().status_code == 202
    signer.deliver()
    verify = client.get(f"/verify/{signer.token('aigerim@example.org')}?lang=kk")
    thank_you = signer.sign_on_page("ru", email="b@example.org", locale="ru")
    assert thank_you.status_code == 202
    for answer, locale in ((verify, "kk"), (thank_you, "ru"), (client.get(NOTICE), "en")):
        assert notice_link(locale) in footer_of(answer)
    for answer in (client.get("/"), client.get("/p/no-such-petition"), client.get("/nothing")):
        footer = footer_of(answer)
        assert "/privacy" not in footer and WORDS["en"]["footer"]["note"] in footer


def test_no_page_sets_a_cookie_as_the_footer_says(signer: Signer) -> None:
    client = signer.client
    answers = [
        client.get("/"),
        client.get(f"/p/{SLUG}"),
        client.get(NOTICE),
        signer.sign_on_page(email="b@example.org"),
    ]
    for answer in answers:
        assert "Set-Cookie" not in answer.headers
