"""The public pages: listing, petition, embed, and the preflight a partner's widget needs."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from html import unescape

import pytest
from flask.testing import FlaskClient
from itsdangerous.timed import TimestampSigner
from sqlalchemy import update
from undersign.campaigns import charts
from undersign.core import i18n, tokens
from undersign.core.db import database
from undersign.core.models import Signature
from undersign.core.validation import MAX_LENGTH

from tests.conftest import post_form


def visible_text(html: str) -> str:
    without_code = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", without_code)).split())
    return re.sub(r" ([,.:])", r"\1", words)  # as a reader sees "Aigerim, Almaty"


def test_index_lists_the_open_petition_with_its_count(client: FlaskClient, petition: str) -> None:
    page = client.get("/?lang=en")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Save the plant" in text
    assert "0 signatures" in text
    assert f'href="/p/{petition}?lang=en' in page.text


def test_index_speaks_russian_when_asked(client: FlaskClient, petition: str) -> None:
    text = visible_text(client.get("/?lang=ru").text)
    assert "Открытые петиции" in text
    assert "Спасите завод" in text
    assert "0 подписей" in text


@pytest.mark.parametrize(
    ("header", "heading"),
    [("ru-RU,ru;q=0.9", "Открытые петиции"), ("kk", "Ашық петициялар"), ("de", "Open petitions")],
)
def test_index_follows_accept_language(client: FlaskClient, header: str, heading: str) -> None:
    assert heading in client.get("/", headers={"Accept-Language": header}).text


def test_petition_page_shows_text_target_count_form_and_previews(
    client: FlaskClient, petition: str
) -> None:
    page = client.get(f"/p/{petition}?lang=en")
    assert page.status_code == 200
    text = visible_text(page.text)
    for expected in (
        "Save the plant",
        "The Ministry",
        "0 signatures",
        "Goal: 100",
        "Add your name",
    ):
        assert expected in text
    assert '<meta property="og:title" content="Save the plant">' in page.text
    assert f'<meta property="og:url" content="http://localhost/p/{petition}">' in page.text
    assert 'name="email"' in page.text
    assert "https://t.me/share/url?url=http%3A%2F%2Flocalhost%2Fp%2Ftest-petition" in page.text
    assert "The first confirmed signatures will appear here." in text


def test_petition_page_shows_the_wall_and_pictures_once_people_sign(
    client: FlaskClient, signer, petition: str
) -> None:
    signer.sign_and_confirm("aigerim@example.org", public=True, city="Almaty", country="KZ")
    signer.sign_and_confirm("hidden@example.org", country="RU")
    signer.approve_wall()
    text = visible_text(client.get(f"/p/{petition}?lang=ru").text)
    assert "2 подписи" in text
    assert "Aigerim, Almaty, Казахстан" in text  # on the wall, country named in Russian
    assert "hidden" not in text.lower()  # did not choose the wall
    assert "Россия" in text  # by-country picture counts both, in the everyday name
    assert "Подтверждено " in text and "г.: 2." in text  # the growth caption, its date in words


def test_wall_pages_newest_first(client: FlaskClient, signer, petition: str) -> None:
    for n in range(12):
        signer.sign_and_confirm(f"person{n}@example.org", name=f"Person{n} Test", public=True)
    signer.approve_wall()
    first = visible_text(client.get(f"/p/{petition}?lang=en").text)
    second = visible_text(client.get(f"/p/{petition}?lang=en&page=2").text)
    assert "Person11" in first and "Person0" not in first and "Older" in first
    assert "Person0" in second and "Person11" not in second and "Newer" in second


def test_a_nonsense_wall_page_shows_the_first(client: FlaskClient, signer, petition: str) -> None:
    for n in range(12):
        signer.sign_and_confirm(f"person{n}@example.org", name=f"Person{n} Test", public=True)
    signer.approve_wall()
    first = visible_text(client.get(f"/p/{petition}?lang=en").text)
    assert "Person11" in first and "Person0" not in first and "Older" in first
    assert "Newer" not in first
    for page in ("-3", "0", "abc"):
        answer = client.get(f"/p/{petition}?lang=en&page={page}")
        assert answer.status_code == 200
        assert visible_text(answer.text) == first, page


@pytest.mark.parametrize("page", ["%C2%B2", "%D9%A3", "%EF%BC%93", "99999999999999999999"])
def test_a_page_number_in_another_script_shows_the_first_not_an_error(client, petition, page):
    """str.isdigit() holds for "²", Arabic-Indic and full-width digits, which int() refuses."""
    answer = client.get(f"/p/{petition}?lang=en&page={page}")
    assert answer.status_code == 200
    assert visible_text(answer.text) == visible_text(client.get(f"/p/{petition}?lang=en").text)


def test_unknown_petition_is_a_friendly_404(client: FlaskClient) -> None:
    page = client.get("/p/nothing-here?lang=kk")
    assert page.status_code == 404
    assert "Бұл мекенжайда ештеңе жоқ." in page.text


def test_embed_page_holds_the_widget_in_the_chosen_language(
    client: FlaskClient, petition: str
) -> None:
    page = client.get(f"/embed/{petition}?lang=kk&source=kz-union")
    assert page.status_code == 200
    assert f'<undersign-petition petition="{petition}" lang="kk" source="kz-union">' in page.text
    assert "X-Frame-Options" not in page.headers  # partners must be able to frame it
    assert 'name="source" value="kz-union"' in page.text  # the no-JavaScript form keeps it


def test_embed_page_drops_a_bad_partner_code(client: FlaskClient, petition: str) -> None:
    page = client.get(f'/embed/{petition}?source="><script>')
    assert '<script>"' not in page.text and 'source="' not in page.text


def test_widget_and_locales_are_served_to_every_origin(client: FlaskClient) -> None:
    widget = client.get("/widget.js")
    assert widget.status_code == 200
    assert widget.headers["Access-Control-Allow-Origin"] == "*"
    assert "customElements.define" in widget.text
    ru = client.get("/locales/ru.json")
    assert ru.headers["Access-Control-Allow-Origin"] == "*"
    assert ru.json["form"]["submit"] == "Подписать петицию"
    assert ["KZ", "Казахстан"] in ru.json["countries"]  # the widget's country names


@pytest.mark.parametrize(
    ("name", "accept", "chosen"),
    [("auto", "ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("de", "de-DE,kk;q=0.5", "kk"), ("auto", "", "en")],
)
def test_the_widget_learns_its_language_from_the_service(
    client: FlaskClient, name: str, accept: str, chosen: str
) -> None:
    words = client.get(f"/locales/{name}.json", headers={"Accept-Language": accept})
    assert words.json["locale"] == chosen
    assert words.json["form"]["submit"] == i18n.messages(chosen)["form"]["submit"]
    assert "Accept-Language" in words.headers["Vary"]  # caches keep one answer per language


def test_the_widget_gets_the_languages_and_limits_the_server_enforces(client: FlaskClient) -> None:
    words = client.get("/locales/kk.json", headers={"Accept-Language": "ru"})
    assert words.json["locale"] == "kk"  # an explicit language is kept
    assert words.json["locales"] == list(i18n.LOCALES)
    assert words.json["limits"] == MAX_LENGTH
    assert client.get("/locales/..%2Fsecret.json").status_code == 404


def test_a_partner_origin_may_post_json_after_preflight(client: FlaskClient, petition: str) -> None:
    preflight = client.options(
        f"/api/v1/petitions/{petition}/signatures",
        headers={
            "Origin": "http://partner.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_country_bars_keep_the_leaders_and_sum_the_rest() -> None:
    counts = {code: 1 for code in "ABCDEFGHIJ"} | {"KZ": 5}
    bars = charts.country_bars(counts, {"KZ": "Kazakhstan"}, "Other countries", top=3)
    assert [(b.label, b.count) for b in bars] == [
        ("Kazakhstan", 5),
        ("A", 1),
        ("B", 1),
        ("Other countries", 8),
    ]
    assert (bars[0].percent, bars[-1].percent) == (62.5, 100)


def test_growth_is_cumulative_and_spans_calendar_days() -> None:
    growth = charts.growth([{"date": "2026-01-01", "count": 2}, {"date": "2026-01-03", "count": 3}])
    assert growth is not None
    assert (growth.first, growth.total) == (2, 5)
    assert str(growth.end) == "2026-01-03"
    assert charts.growth([]) is None


def test_the_confirmation_page_speaks_the_signers_language(
    client: FlaskClient, signer, petition: str
) -> None:
    assert signer.sign(locale="kk").status_code == 202
    signer.deliver()
    page = client.get(f"/verify/{signer.token('aigerim@example.org')}")
    assert page.status_code == 200
    assert "Қолтаңбаңызды растаңыз" in page.text
    assert "Зауытты сақтаңыз" in page.text  # names the petition, in Kazakh
    assert 'method="post"' in page.text  # a scanner's GET confirms nothing
    assert signer.count() == 0


def test_a_broken_link_says_so_before_any_click(client: FlaskClient, petition: str) -> None:
    page = client.get("/verify/not-a-token?lang=ru")
    assert page.status_code == 400
    assert "Ссылка не работает" in page.text
    assert "<button" not in page.text


def test_an_expired_link_offers_to_sign_again(
    client: FlaskClient, signer, petition: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert signer.sign().status_code == 202
    keys = signer.app.extensions["undersign.settings"].signing_keys
    weeks_ago = int(time.time()) - 30 * 86400
    with database(signer.app).sessions.begin() as session:  # signed then, as the link was made
        signed_then = datetime.fromtimestamp(weeks_ago, UTC)
        session.execute(update(Signature).values(created_at=signed_then))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: weeks_ago)
    token = tokens.make(keys, tokens.VERIFY, 1)
    monkeypatch.undo()
    page = client.get(f"/verify/{token}?lang=en")
    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert f'href="/p/{petition}?lang=en#sign"' in page.text


def test_a_partner_link_to_the_petition_page_records_the_partner(
    client: FlaskClient, petition: str
) -> None:
    page = client.get(f"/p/{petition}?source=kz-union")
    assert 'name="source" value="kz-union"' in page.text


def test_the_no_javascript_answer_links_languages_back_to_the_page(
    client: FlaskClient, petition: str
) -> None:
    answer = post_form(client, f"/p/{petition}?lang=ru", {"name": "", "locale": "ru"})
    assert answer.status_code == 422
    assert "Заполните это поле." in answer.text
    # The answer's address is the page's: a language link stays on it, never on the API.
    assert 'href="?lang=kk"' in answer.text
