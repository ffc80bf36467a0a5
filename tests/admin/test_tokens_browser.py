"""The team screen of /admin/ in a real Chromium: make a token (shown once), copy it, revoke it."""

from __future__ import annotations

import re

import pytest

from tests.admin.conftest import OrganiserAPI, make_token
from tests.admin.test_admin_languages_browser import VIEWPORTS, leaves
from tests.browser.conftest import EVERY_IMPACT, axe_violations, texts
from tests.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # The page is the same on every database; SQLite keeps this test quick.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def sign_in(page, live_server, token, lang="en"):
    from playwright.sync_api import expect

    words = texts(lang)["admin"]
    page.goto(f"{live_server}/admin/")
    page.locator("#language").select_option(lang)
    page.get_by_label(words["sign_in"]["token"]).fill(token)
    page.get_by_role("button", name=words["sign_in"]["submit"]).click()
    expect(page.locator("#who")).to_be_visible()


def test_an_owner_makes_a_token_copies_it_once_and_revokes_it(
    app, client, petition, live_server, browser
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    sign_in(page, live_server, make_token(app, "office"))
    page.get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team and tokens")).to_be_visible()
    expect(page.get_by_role("cell", name="office", exact=True)).to_be_visible()

    page.get_by_label("Name", exact=True).fill("aliya-editor")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Save the plant").check()
    page.get_by_role("button", name="Make the token").click()
    shown = page.locator("#view").get_by_label("Token", exact=True)
    expect(shown).to_be_focused()
    token = shown.input_value()
    assert re.fullmatch(r"us_[\w-]{40,}", token)
    expect(page.get_by_text("it is not shown again")).to_be_visible()
    assert axe_violations(page, EVERY_IMPACT) == []
    screenshot(page, "admin-tokens-made")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#toast")).to_have_text("Copied.")
    assert page.evaluate("() => navigator.clipboard.readText()") == token

    # The token works, with the role and the petition it was given.
    holder = OrganiserAPI(client, token)
    me = holder.get("/me").json
    assert (me["role"], me["petitions"]) == ("editor", ["test-petition"])
    row = page.get_by_role("row").filter(has_text="aliya-editor")
    expect(row).to_contain_text("Editor")
    expect(row).to_contain_text("Save the plant")

    # Shown once: drawn again, the screen no longer holds it.
    page.reload()
    expect(page.get_by_role("heading", name="Team and tokens")).to_be_visible()
    assert token not in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke aliya-editor").click()
    expect(page.locator("#toast")).to_have_text("The token was revoked.")
    expect(page.get_by_role("row").filter(has_text="aliya-editor")).to_contain_text("revoked")
    assert holder.get("/me").status_code == 401
    screenshot(page, "admin-tokens-revoked")
    context.close()


def test_a_token_that_may_not_manage_sees_no_team_link(app, client, petition, live_server, browser):
    from playwright.sync_api import expect

    owner = OrganiserAPI(client, make_token(app, "office"))
    made = owner.post("/tokens", {"name": "writer", "role": "editor"}).json["token"]
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    sign_in(page, live_server, made)
    expect(page.get_by_role("link", name="Petitions")).to_be_visible()
    for hidden in ("Team", "Partners", "Webhooks", "Audit log"):
        expect(page.get_by_role("link", name=hidden)).to_have_count(0)
    expect(page.get_by_role("link", name="Updates")).to_be_visible()
    # Asked for anyway (an old bookmark), the refusal says which role would do, in the page's words.
    page.evaluate("() => { location.hash = '#/tokens'; }")
    expect(page.locator("#view .error")).to_have_text(
        "Your token’s role may not do this: it needs the role “Owner” or a higher one. "
        "Ask an owner of the campaign."
    )
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_team_screen_speaks_each_language_and_passes_axe(
    app, petition, live_server, browser, lang, viewport
):
    from playwright.sync_api import expect

    words = texts(lang)["admin_team"]
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    make_token(app, "partner-union", partner="kz-union")
    sign_in(page, live_server, make_token(app, "office"), lang)
    page.get_by_role("link", name=words["nav"]).click()
    expect(page.get_by_role("heading", name=words["title"])).to_be_visible()
    expect(page.get_by_role("heading", name=words["roles_title"])).to_be_visible()
    page.get_by_label(words["name"], exact=True).fill("aigerim")
    page.get_by_role("button", name=words["create"]).click()
    expect(
        page.get_by_role("heading", name=words["made_title"].format(name="aigerim"))
    ).to_be_visible()
    problems = axe_violations(page, EVERY_IMPACT)
    assert problems == [], problems
    if lang != "en":
        english, native = leaves(texts("en")["admin_team"]), leaves(words)
        assert set(native) == set(english)  # every text of the screen is translated
        shown = page.locator("#view").inner_text()
        left = [
            text
            for path, text in english.items()
            if native[path] != text and len(text) >= 6 and "{" not in text and text in shown
        ]
        assert left == []
    screenshot(page, f"admin-tokens-{lang}-{viewport}")
    context.close()
