"""/admin/ in a real Chromium: an organiser writes an update, previews it and watches it go out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import make_token
from tests.conftest import Signer, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def test_an_organiser_previews_sends_and_follows_an_update(app, signer: Signer, page, live_server):
    for address in ("a@example.org", "b@example.org"):
        assert signer.sign_and_confirm(address, contact_consent=True).status_code == 200
    token = make_token(app, "updates-office")

    page.goto(f"{live_server}/admin/")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Updates").click()
    page.get_by_role("link", name="Save the plant").click()
    expect(page.get_by_role("heading", name="Updates to supporters")).to_be_visible()
    expect(page.get_by_text("No updates sent yet.")).to_be_visible()

    english = page.locator("fieldset[lang=en]")
    english.get_by_label("Subject").fill("We delivered the signatures")
    english.get_by_label("Message (Markdown)").fill("Thank you, **all** of you.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".update-preview strong", has_text="all")).to_be_visible()
    screenshot(page, "admin-updates-preview")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send to supporters").click()
    progress = page.locator("#updates-sent [role=status]")
    expect(progress).to_have_text("Sending… 0 / 2")
    while signer.deliver():  # the mailer, meanwhile; the page asks again by itself
        pass
    expect(progress).to_have_text("Sent 2 / 2")
    row = page.locator("#updates-sent tbody tr").first
    expect(row).to_contain_text("We delivered the signatures")
    screenshot(page, "admin-updates-sent")
    assert [m["Subject"] for m in signer.inbox("b@example.org")][-1] == (
        "We delivered the signatures"
    )

    page.set_viewport_size({"width": 360, "height": 640})
    screenshot(page, "admin-updates-phone")
