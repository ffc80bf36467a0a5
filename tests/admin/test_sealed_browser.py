"""A sealed petition opened in /admin/ in a real Chromium: the key never leaves the browser."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path

import pytest
from undersign.core import sealing

from tests.admin.conftest import OrganiserAPI, make_token
from tests.browser.conftest import axe_violations
from tests.conftest import Signer, screenshot
from tests.core.test_sealing import SLUG, make_sealed_petition

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # Both databases: what the server stores (and searches by) differs only in the database.
    pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True),
]

PASSPHRASE = "steppe wind 1986"


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def key_files(tmp_path: Path) -> dict[str, sealing.Generated | Path]:
    """The first key, protected by a passphrase, and the plain key it was rotated to."""
    first, second = sealing.generate(PASSPHRASE), sealing.generate()
    files = {"first": tmp_path / "first.key.json", "second": tmp_path / "second.key.json"}
    sealing.write_key_file(files["first"], first.text)
    sealing.write_key_file(files["second"], second.text)
    (tmp_path / "notes.json").write_text('{"hello": "world"}', "utf-8")
    sealing.write_key_file(tmp_path / "stranger.key.json", sealing.generate().text)
    return {
        "first_key": first,
        "second_key": second,
        **files,
        "other": tmp_path / "notes.json",
        "stranger": tmp_path / "stranger.key.json",
    }


def sealed_rows(app) -> list[str]:
    """The names the database holds: sealed text only."""
    from tests.core.test_sealing import stored

    return [row.name for row in stored(app)]


def test_an_organiser_reads_a_sealed_petition_with_the_key_file(
    app, client, smtp, live_server, page, key_files
):
    from playwright.sync_api import expect

    make_sealed_petition(app, key_files["first_key"].public)
    # One signature a day from an address is ordinary; the second goes to review.
    settings = app.extensions["undersign.settings"]
    app.extensions["undersign.settings"] = replace(settings, shared_address_threshold=1)
    signer = Signer(app, client, smtp, SLUG)
    signer.sign_and_confirm(
        "aigerim@example.org", name="Aigerim Bekova", city="Zhezkazgan", named=True
    )
    # The key is rotated: later signers are sealed to the second key.
    organiser = OrganiserAPI(client, make_token(app, "rotation"))
    rotated = organiser.patch(f"/petitions/{SLUG}", {"seal_key": key_files["second_key"].public})
    assert rotated.status_code == 200, rotated.json
    signer.sign_and_confirm("bolat@example.org", name="Bolat Serikov", city="Satpayev", named=True)
    assert all(sealing.is_sealed(name) for name in sealed_rows(app))

    page.goto(f"{live_server}/admin/")
    page.get_by_label("Token").fill(make_token(app, "sealed-office"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Save the plant").click()
    page.get_by_role("link", name="Signatures", exact=True).click()
    table = page.locator("table.signatures")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator(".sealed-value").first).to_have_text("sealed")
    expect(table).not_to_contain_text("Bekova")
    expect(table).not_to_contain_text("sealed:")
    # The server cannot search names it cannot read; without a key the page says so.
    page.get_by_label("Name or email").fill("Bolat")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("open the key file first")).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "locked")

    # Not a key file, then the plain second key: Bolat's name opens, Aigerim's stays sealed.
    key_input = page.get_by_label("Key file", exact=True)
    key_input.set_input_files(key_files["other"])
    expect(page.get_by_role("alert").filter(has_text="not an undersign key file")).to_be_visible()
    # Another petition's key opens nothing here, and the page says so.
    key_input.set_input_files(key_files["stranger"])
    expect(page.get_by_text("None of the open keys is this petition's current key")).to_be_visible()
    expect(page.get_by_text("0 found among the 2 loaded")).to_be_visible()
    page.get_by_role("button", name="Forget keys").click()
    key_input.set_input_files(key_files["second"])
    expect(page.get_by_text("1 key open:")).to_be_visible()
    expect(table).to_contain_text("Bolat Serikov")
    expect(table.locator("tbody tr")).to_have_count(1)  # the search for "Bolat", now run here
    expect(page.get_by_text("1 found among the 2 loaded")).to_be_visible()

    # The first key needs its passphrase; a wrong one is refused, with a word.
    page.get_by_label("Key file", exact=True).set_input_files(key_files["first"])
    passphrase = page.get_by_label("Passphrase of the key file")
    passphrase.fill("steppe wind 1987")
    page.get_by_role("button", name="Open the key").click()
    expect(page.get_by_role("alert").filter(has_text="Wrong passphrase")).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "wrong-passphrase")
    passphrase.fill(PASSPHRASE)
    page.get_by_role("button", name="Open the key").click()
    expect(page.get_by_text("2 keys open:")).to_be_visible()
    page.get_by_label("Name or email").fill("bekova")
    page.get_by_role("button", name="Search").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Aigerim Bekova")
    expect(table).to_contain_text("Zhezkazgan")
    expect(table).to_contain_text("aigerim@example.org")  # the address, sealed once confirmed
    page.get_by_label("Name or email").fill("")
    page.get_by_role("button", name="Search").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator(".sealed-value")).to_have_count(0)
    assert axe_violations(page) == []
    shoot(page, "opened")
    page.set_viewport_size({"width": 360, "height": 640})
    shoot(page, "opened-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The review queue opens what it shows too.
    page.get_by_role("link", name=re.compile("^Review")).click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Bolat Serikov")
    expect(table).to_contain_text("Satpayev")
    shoot(page, "review")

    # The hand-over list is opened here before it is shown: plain names, nothing sealed.
    page.get_by_role("link", name="Export").click()
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Open printable list").click()
    printable = popup.value
    named = printable.locator("table.named tbody")
    expect(named).to_contain_text("Aigerim Bekova")
    expect(named).to_contain_text("Bolat Serikov")
    expect(named).to_contain_text("Satpayev")
    assert "sealed:" not in printable.content()
    screenshot(printable, "admin-sealed-handover")
    printable.close()

    # The key was never stored: not in the tab's storage, and gone once forgotten.
    private = [
        base64.b64encode(bytes(key_files[k].private)).decode() for k in ("first_key", "second_key")
    ]
    kept = page.evaluate(
        "() => JSON.stringify({...sessionStorage}) + JSON.stringify({...localStorage})"
    )
    assert not any(key in kept for key in private)
    page.get_by_role("button", name="Forget keys").click()
    expect(page.get_by_text("keys open")).to_have_count(0)
    page.get_by_role("button", name="Open printable list").click()
    expect(page.locator("#toast")).to_have_text(
        "Open the key file first: the list's names are sealed."
    )
    assert len(page.context.pages) == 1  # no list opened
    page.get_by_role("link", name="Signatures", exact=True).click()
    expect(table.locator(".sealed-value")).not_to_have_count(0)
    expect(table).not_to_contain_text("Bekova")


def shoot(page, name):
    screenshot(page, f"admin-sealed-{name}")
