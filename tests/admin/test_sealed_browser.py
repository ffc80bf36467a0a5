"""/admin/ opens a sealed petition's values in the browser, with the organisers' key file."""

from __future__ import annotations

import pytest
from undersign import sealing

from tests.admin.conftest import make_token
from tests.conftest import Signer, screenshot
from tests.test_sealing import ALICE, SLUG, make_sealed_petition

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def test_an_organiser_reads_a_sealed_petition_with_the_key_file(
    app, client, smtp, live_server, browser, tmp_path
):
    from playwright.sync_api import expect

    key = sealing.generate()
    key_file = tmp_path / "undersign-key.json"
    sealing.write_key_file(key_file, key.text)
    make_sealed_petition(app, key.public)
    Signer(app, client, smtp, SLUG).sign_and_confirm(
        "aigerim@example.org", comment="Keep it open", **ALICE
    )
    token = make_token(app, "office")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/admin/")
        page.get_by_label("Token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Save the plant").click()
        page.get_by_role("link", name="Signatures").click()
        table = page.locator("table.signatures")
        expect(table).to_contain_text("sealed:")
        expect(table).not_to_contain_text(ALICE["name"])

        page.get_by_label("Key file").set_input_files(str(key_file))
        expect(table).to_contain_text(ALICE["name"])
        expect(table).to_contain_text("aigerim@example.org")
        expect(table).to_contain_text(ALICE["city"])
        expect(table).to_contain_text("Keep it open")
        expect(table).not_to_contain_text("sealed:")
        expect(page.get_by_text("opened with undersign-key.json")).to_be_visible()
        screenshot(page, "admin-sealed-opened")
    finally:
        context.close()
