"""/admin/ in English, Russian and Kazakh, on a laptop and a phone: all translated, axe clean."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from tests.admin.conftest import OrganiserAPI, make_token
from tests.browser.conftest import EVERY_IMPACT, axe_violations, texts
from tests.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # What is shown does not depend on the database; SQLite keeps this quick.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 640}}


def leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every text of a locale block by its path; plural forms as path.form."""
    found: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            found |= leaves(value, f"{prefix}{key}.")
        else:
            found[prefix + key] = value
    return found


def english_left_in(page: Any, lang: str) -> list[str]:
    """English words of the page's own that a Russian or Kazakh page still shows.

    Not inside a word, an address or a slug (test-petition is the petition's, not the page's).
    """
    english, native = leaves(texts("en")["admin"]), leaves(texts(lang)["admin"])
    # Without what the page shows as code (audit actions, snippets): data, not the page's words.
    shown = page.evaluate(
        """() => {
            const copy = document.body.cloneNode(true);
            for (const el of copy.querySelectorAll("code, textarea, [hidden]")) el.remove();
            return copy.textContent;
        }"""
    )
    pieces = {
        piece.strip(" .,:;()“”")
        for path, text in english.items()
        if native.get(path) != text
        for piece in re.split(r"\{\w+\}", text)
    }
    return sorted(
        p
        for p in pieces
        if len(p) >= 6 and re.search(rf"(?<![\w/-]){re.escape(p)}(?![\w-])", shown)
    )


@pytest.fixture
def busy_petition(app, signer, client) -> OrganiserAPI:
    """A petition with a review queue, comments waiting, a partner and a webhook."""
    settings = app.extensions["undersign.settings"]
    app.extensions["undersign.settings"] = replace(settings, shared_address_threshold=2)
    people = [
        ("aigerim@example.org", "Aigerim Bekova", "Zhezkazgan", "Біз біргеміз!"),
        ("ivan@example.org", "Иван Петров", "Satpayev", None),
        ("dana@example.org", "Dana Sultan", "Almaty", "Solidarity from the plant"),
        ("olga@example.org", "Ольга Ким", "Karaganda", "Держитесь!"),
    ]
    for address, name, city, comment in people:
        signer.sign_and_confirm(address, name=name, city=city, public=True, comment=comment)
    signer.sign(email="late@example.org", name="Pat Late")
    organiser = OrganiserAPI(client, make_token(app, "setup"))
    partner = {"code": "kz-union", "name": "Шахтёры Жезказгана", "allowed_origins": []}
    assert organiser.post("/partners", partner).status_code == 201
    hook = {"url": "https://crm.example.org/undersign", "petition": "test-petition"}
    assert organiser.post("/webhooks", hook).status_code == 201
    return organiser


def views(lang: str) -> list[tuple[str, str, str]]:
    """(name, address, a text the view shows once drawn), the other helpers' views included."""
    everything = texts(lang)
    words = everything["admin"]
    return [
        ("petitions", "#/petitions", words["petitions"]["title"]),
        ("dashboard", "#/p/test-petition/dashboard", words["dashboard"]["per_day"]),
        ("signatures", "#/p/test-petition/signatures", words["signatures"]["search"]),
        ("review", "#/p/test-petition/review", words["moderation"]["keep_selected"]),
        ("comments", "#/p/test-petition/comments", words["moderation"]["approve_selected"]),
        ("export", "#/p/test-petition/export", words["export"]["handover_title"]),
        ("edit", "#/p/test-petition/edit", words["edit"]["save"]),
        ("new-petition", "#/p/new/edit", words["edit"]["create"]),
        ("partners", "#/partners", words["partners"]["add_title"]),
        ("webhooks", "#/webhooks", words["webhooks"]["add_title"]),
        ("audit", "#/audit", words["audit"]["title"]),
        ("paper", "#/p/test-petition/paper", everything["paper"]["count_heading"]),
        ("media", "#/p/test-petition/media", everything["news"]["heading"]),
        ("updates", "#/updates", everything["mailings"]["admin"]["choose"]),
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_admin_page_speaks_each_language_and_passes_axe(
    app, busy_petition, live_server, browser, lang, viewport
):
    from playwright.sync_api import expect

    words = texts(lang)["admin"]
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    page = context.new_page()
    name = f"admin-{lang}-{viewport}"
    page.goto(f"{live_server}/admin/")
    page.locator("#language").select_option(lang)
    expect(page.get_by_role("heading", name=words["sign_in"]["title"])).to_be_visible()
    assert page.evaluate("() => document.documentElement.lang") == lang
    assert axe_violations(page, EVERY_IMPACT) == []
    screenshot(page, f"{name}-sign-in")
    page.get_by_label(words["sign_in"]["token"]).fill(make_token(app, "office"))
    page.get_by_role("button", name=words["sign_in"]["submit"]).click()
    expect(page.locator("#who-name")).to_have_text("office")

    for view, address, marker in views(lang):
        page.evaluate("(hash) => { location.hash = hash; }", address)
        expect(page.locator("#view").get_by_text(marker, exact=True).first).to_be_visible()
        problems = axe_violations(page, EVERY_IMPACT)  # not one, however minor
        assert problems == [], f"{view}: {problems}"
        if lang != "en":
            assert english_left_in(page, lang) == [], view
        screenshot(page, f"{name}-{view}")
    # The language chosen is kept for the next visit, and the page says it in its own words.
    page.reload()
    expect(page.locator("#language")).to_have_value(lang)
    expect(page.get_by_role("link", name=words["nav"]["audit"])).to_be_visible()
    expect(page.locator("#view").get_by_text(marker, exact=True).first).to_be_visible()
    context.close()


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_closing_a_petition_is_asked_about_first(app, busy_petition, live_server, browser, lang):
    from playwright.sync_api import expect

    words = texts(lang)["admin"]["petitions"]
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.locator("#language").select_option(lang)
    page.locator("input[name=token]").fill(make_token(app, "office"))
    page.locator("#sign-in-form button").click()
    expect(page.locator("#who-name")).to_have_text("office")  # signed in, before going on
    page.evaluate("() => { location.hash = '#/p/test-petition/dashboard'; }")
    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.get_by_role("button", name=words["close"]).click()
    expect(page.locator(".heading .pill")).to_have_text(words["open"])
    assert asked == [words["confirm_close"].format(title="Save the plant")]
    assert busy_petition.get("/petitions/test-petition").json["status"] == "open"

    page.once("dialog", answer(True))
    page.get_by_role("button", name=words["close"]).click()
    expect(page.locator("#toast")).to_have_text(words["closed_done"])
    expect(page.locator(".heading .pill")).to_have_text(words["closed"])
    assert busy_petition.get("/petitions/test-petition").json["status"] == "closed"
    # Opening again turns no one away: it is not asked about.
    page.get_by_role("button", name=words["open_again"]).click()
    expect(page.locator(".heading .pill")).to_have_text(words["open"])
    assert len(asked) == 2
    context.close()
