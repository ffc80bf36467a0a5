"""What a signer notices around the form: a country chosen for them when the guess is good,
a confirmation link opened twice, share links in their language, who sees what, the icon,
machine-readable times, and the focus on the first field to fix."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from undersign.core import i18n
from undersign.core.i18n import preselected_country

from tests.conftest import Signer, post_form
from tests.web.test_pages import visible_text

SELECTED = re.compile(r'<option value="([A-Z]{2})"\s*selected>')


@pytest.mark.parametrize(
    ("lang", "accept", "chosen"),
    [
        ("kk", "", "KZ"),  # a Kazakh page: its readers live in Kazakhstan
        ("kk", "en-US,en;q=0.8", "KZ"),  # the browser's region is for another language
        ("ru", "ru-KZ,ru;q=0.9", "KZ"),  # a Russian reader whose browser says Kazakhstan
        ("ru", "ru", None),  # Russian alone: Russia would be a guess, so nothing is chosen
        ("en", "en", None),
        ("en", "en-GB", "GB"),
    ],
)
def test_the_form_chooses_a_country_only_when_the_guess_is_good(
    client: FlaskClient, petition: str, lang: str, accept: str, chosen: str | None
) -> None:
    page = client.get(f"/p/{petition}?lang={lang}", headers={"Accept-Language": accept})
    assert SELECTED.findall(page.text) == ([chosen] if chosen else [])
    words = client.get(
        f"/widget/{petition}.json?lang={lang}", headers={"Accept-Language": accept}
    ).json["words"]
    assert words["country"] == chosen


def test_a_chosen_country_is_not_forced_on_a_signer_who_chose_another(
    client: FlaskClient, petition: str
) -> None:
    answer = post_form(client, f"/p/{petition}?lang=kk", {"name": "", "country": "RU"})
    assert answer.status_code == 422
    assert SELECTED.findall(answer.text) == ["RU"]
    assert preselected_country("kk", ["kk-CN"]) == "CN"


def test_reopening_a_confirmation_link_after_confirming_says_it_is_done(
    signer: Signer, client: FlaskClient
) -> None:
    first = signer.sign_and_confirm("aigerim@example.org")
    assert first.status_code == 200
    t = i18n.messages("en")
    token = signer.token("aigerim@example.org")
    for again in (client.get(f"/verify/{token}"), client.post(f"/verify/{token}")):
        assert again.status_code == 200
        text = visible_text(again.text)
        assert t["reach"]["already_heading"] in text
        assert t["reach"]["already_intro"] in text
        assert "1 confirmed signature" in text
        assert t["token"]["verify_intro"] not in text  # not "one more step"
        assert t["token"]["verify_button"] not in text
        assert "/withdraw/" in again.text  # withdrawing stays one click away
    assert signer.count() == 1


def test_a_pending_signers_link_still_asks_for_the_click(
    signer: Signer, client: FlaskClient
) -> None:
    assert signer.sign(email="aigerim@example.org").status_code == 202
    signer.deliver()
    page = client.get(f"/verify/{signer.token('aigerim@example.org')}")
    assert i18n.messages("en")["token"]["verify_intro"] in visible_text(page.text)
    assert i18n.messages("en")["reach"]["already_heading"] not in page.text


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_share_links_keep_the_pages_language(
    signer: Signer, client: FlaskClient, petition: str, lang: str
) -> None:
    shared = quote(f"http://localhost/p/{petition}?lang={lang}", safe="")
    page = client.get(f"/p/{petition}?lang={lang}").text
    assert f"https://t.me/share/url?url={shared}&amp;" in page
    assert f'data-link="http://localhost/p/{petition}?lang={lang}"' in page
    signer.sign_and_confirm("aigerim@example.org", locale=lang)
    confirmed = client.get(f"/verify/{signer.token('aigerim@example.org')}").text
    assert f"https://t.me/share/url?url={shared}&amp;" in confirmed


def test_the_partner_line_shows_only_where_a_partner_collects(
    client: FlaskClient, petition: str
) -> None:
    partner_line = i18n.messages("en")["form"]["sees_partners"]
    assert partner_line not in visible_text(client.get(f"/p/{petition}?lang=en").text)
    with_partner = client.get(f"/p/{petition}?lang=en&source=kz-union").text
    assert partner_line in visible_text(with_partner)


def test_every_page_has_an_icon(client: FlaskClient, petition: str) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert client.get("/static/favicon.svg").status_code == 200
    for path in ("/", f"/p/{petition}", f"/p/{petition}/privacy", f"/embed/{petition}", "/nowhere"):
        assert '<link rel="icon" href="/favicon.ico"' in client.get(path).text, path


def test_times_on_the_wall_are_to_the_second(signer: Signer, client: FlaskClient) -> None:
    signer.sign_and_confirm("aigerim@example.org", public=True, comment="Solidarity")
    signer.approve_wall()
    page = client.get(f"/p/{signer.slug}?lang=en").text
    times = re.findall(r'<time datetime="([^"]+)"', page)
    assert times
    for moment in times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment), moment


def test_the_first_field_to_fix_takes_the_focus(client: FlaskClient, petition: str) -> None:
    answer = post_form(
        client, f"/p/{petition}?lang=en", {"name": "Aigerim", "email": "not-an-address"}
    )
    assert answer.status_code == 422
    focused = re.findall(r"<(?:input|select|textarea)[^>]*\bautofocus\b[^>]*>", answer.text)
    assert len(focused) == 1
    assert 'id="email"' in focused[0]
    assert "autofocus" not in client.get(f"/p/{petition}?lang=en").text


def test_the_widget_carries_its_words_for_when_it_gets_no_data(client: FlaskClient) -> None:
    script = client.get("/widget.js").get_data(as_text=True)
    for lang in ("en", "ru", "kk"):
        assert i18n.messages(lang)["reach"]["blocked_console"] in script
    assert "/* words when unreachable */ {}" not in script
