"""Consent over the hand-over list: a signer's `named` choice, or the petition's default."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select, update
from undersign.core import i18n
from undersign.core.db import database
from undersign.core.i18n import LOCALES
from undersign.core.models import Petition, Signature
from undersign.core.validation import parse_signature
from werkzeug.datastructures import MultiDict

from tests.conftest import post_form


def named(app: Flask, email: str) -> bool:
    with database(app).sessions() as session:
        return bool(session.scalar(select(Signature.named).where(Signature.email == email)))


def name_by_default(app: Flask, slug: str) -> None:
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).where(Petition.slug == slug).values(named_default=True))


def sign_form(client, slug: str, email: str, **fields: str):
    """Post the no-JavaScript form as a browser does: a ticked box, then the hidden no."""
    data = [("name", "Aigerim Bekova"), ("email", email), ("country", "KZ"), ("locale", "en")]
    if fields.pop("tick", None):
        data.append(("named", "true"))
    data.append(("named", "false"))
    data += list(fields.items())
    answer = post_form(client, f"/p/{slug}", MultiDict(data))
    assert answer.status_code == 202, answer.text[:300]


@pytest.mark.parametrize(("choice", "stored"), [(True, True), (False, False), (None, False)])
def test_the_choice_is_stored_from_json_and_absent_means_no(app, signer, choice, stored):
    body = {} if choice is None else {"named": choice}
    assert signer.sign(email="a@example.org", **body).status_code == 202
    assert named(app, "a@example.org") is stored


@pytest.mark.parametrize(("choice", "stored"), [(True, True), (False, False), (None, True)])
def test_a_petition_that_names_by_default_names_those_who_do_not_choose(
    app, signer, petition, choice, stored
):
    name_by_default(app, petition)
    body = {} if choice is None else {"named": choice}
    assert signer.sign(email="a@example.org", **body).status_code == 202
    assert named(app, "a@example.org") is stored


def test_a_choice_that_is_not_yes_or_no_is_refused(signer):
    answer = signer.sign(email="a@example.org", named="perhaps")
    assert answer.status_code == 422 and "named" in answer.json["error"]["fields"]


@pytest.mark.parametrize("default", [False, True])
def test_the_no_javascript_form_stores_the_tick_and_its_absence(app, client, petition, default):
    if default:
        name_by_default(app, petition)
    sign_form(client, petition, "ticked@example.org", tick="yes")
    sign_form(client, petition, "unticked@example.org")  # an untick says no, even by default yes
    assert named(app, "ticked@example.org") is True
    assert named(app, "unticked@example.org") is False


@pytest.mark.parametrize(("default", "checked"), [(False, False), (True, True)])
def test_the_form_ticks_the_box_as_the_petition_says_and_tells_who_sees_what(
    app, client, petition, default, checked
):
    if default:
        name_by_default(app, petition)
    for path in (f"/p/{petition}?lang=en", f"/embed/{petition}?lang=en"):
        page = client.get(path).text
        box = re.search(r'<input id="named"[^>]*>', page)
        assert box is not None, path
        assert ("checked" in box.group(0)) is checked, path
        assert "list handed to the addressee" in page and "Who sees what" in page


def test_a_refused_form_keeps_the_signers_choice(app, client, petition):
    name_by_default(app, petition)
    data = [("name", ""), ("email", "a@example.org"), ("country", "KZ"), ("named", "false")]
    page = post_form(client, f"/p/{petition}?lang=en", MultiDict(data))
    assert page.status_code == 422
    box = re.search(r'<input id="named"[^>]*>', page.text)
    assert box is not None and "checked" not in box.group(0)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_form_says_who_sees_what_in_the_signers_language(client, petition, lang):
    page = client.get(f"/p/{petition}?lang={lang}").text
    heading = {"ru": "Кто что увидит", "kk": "Кім нені көреді"}[lang]
    assert heading in page and "Who sees what" not in page


def wall_mode(app: Flask, slug: str, mode: str) -> None:
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).where(Petition.slug == slug).values(wall_mode=mode))


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize(("mode", "says", "not_says"), [
    ("approve", "sees_wall", "sees_wall_show"),
    ("show", "sees_wall_show", "sees_wall"),
])  # fmt: skip
def test_the_form_says_when_the_public_wall_shows_an_entry_as_the_petition_does(
    app, client, petition, lang, mode, says, not_says
):
    wall_mode(app, petition, mode)
    form = i18n.messages(lang)["form"]
    refused = post_form(client, f"/p/{petition}?lang={lang}", {"locale": lang, "email": "x"})
    assert refused.status_code == 422
    pages = {
        "page": client.get(f"/p/{petition}?lang={lang}").text,
        "embed": client.get(f"/embed/{petition}?lang={lang}").text,
        "no-JavaScript answer": refused.text,
    }
    for where, page in pages.items():
        said = unescape(page)
        assert form[says] in said and form[not_says] not in said, where
    assert client.get(f"/api/v1/petitions/{petition}").json["wall_mode"] == mode


@pytest.mark.parametrize(
    ("value", "read"), [(None, None), (True, True), (False, False), ("on", True), ("", False)]
)
def test_the_choice_reads_like_the_other_boxes_but_absent_stays_unsaid(value, read):
    data = {"name": "A", "email": "a@example.org", "country": "KZ"}
    if value is not None:
        data["named"] = value
    assert parse_signature(data).named is read
