"""/admin/ in a real Chromium: sign in, create a petition, see a signature arrive, export."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest

from tests.admin.conftest import make_token
from tests.conftest import Signer, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # The page is the same on every database; SQLite keeps this test quick.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


def shoot(page, name):
    screenshot(page, f"admin-{name}")


def test_an_organiser_runs_a_petition_from_the_admin_page(app, client, smtp, live_server, page):
    from playwright.sync_api import expect

    token = make_token(app, "browser-office")
    # Three signatures a day from one address are ordinary; more go to review.
    settings = app.extensions["undersign.settings"]
    app.extensions["undersign.settings"] = replace(settings, shared_address_threshold=3)

    page.goto(f"{live_server}/admin/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shoot(page, "sign-in")
    page.get_by_label("Token").fill("us_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("browser-office")).to_be_visible()
    assert token not in page.url
    expect(page.get_by_text("No petitions yet.")).to_be_visible()

    # Create a petition.
    page.get_by_role("link", name="New petition").click()
    page.get_by_label("Address (slug)").fill("clean-water")
    page.locator("input[name='en.title']").fill("Clean water for Satpayev")
    page.locator("input[name='en.summary']").fill("Fix the pipes before winter.")
    page.locator("input[name='en.target']").fill("The Akimat")
    page.locator("input[name='ru.title']").fill("Чистая вода для Сатпаева")
    page.get_by_label("Goal").fill("500")
    shoot(page, "new-petition")
    page.get_by_role("button", name="Create petition").click()
    expect(page.get_by_role("heading", name="Clean water for Satpayev")).to_be_visible()
    assert client.get("/api/v1/petitions/clean-water?lang=ru").json["title"] == (
        "Чистая вода для Сатпаева"
    )

    # Signatures arrive through the public API, confirmed by email.
    signer = Signer(app, client, smtp, "clean-water")
    signer.sign_and_confirm(
        "aigerim@example.org",
        name="Aigerim Bekova",
        city="Satpayev",
        public=True,
        comment="Water is a right!",
        source="kz-union",
        contact_consent=True,
        named=True,
    )
    signer.sign_and_confirm("ivan@example.org", name="Ivan Petrov", country="RU", city="Omsk")
    for n in range(3):
        signer.sign_and_confirm(f"shift{n}@plant.kz", name=f"Shift Worker {n}", city="Zhezkazgan")
    signer.sign(email="pending@example.org", name="Pat Pending")
    page.reload()
    stats = page.locator(".stat")
    expect(stats.filter(has_text="Verified").locator(".stat-value")).to_have_text("5")
    expect(stats.filter(has_text="Pending").locator(".stat-value")).to_have_text("1")
    expect(page.locator(".bars").first).to_contain_text("Kazakhstan")  # a name, not "KZ"
    shoot(page, "dashboard")

    page.get_by_role("link", name="Petitions").click()
    expect(page.locator("table.table")).to_contain_text("Clean water for Satpayev")
    shoot(page, "petitions")
    page.get_by_role("link", name="Clean water for Satpayev").click()

    # The signature table: search, then invalidate with a reason.
    page.get_by_role("link", name="Signatures").click()
    expect(page.locator("table.signatures")).to_contain_text("Aigerim Bekova")
    shoot(page, "signatures")
    page.get_by_label("Name or email").fill("ivan@example.org")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.signatures tbody tr")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept("Signed twice on paper"))
    page.get_by_role("button", name="Invalidate").click()
    expect(page.locator("table.signatures")).to_contain_text("Signed twice on paper")
    assert signer.count() == 4

    # The review queue: every signature after the third from one address.
    page.get_by_role("link", name=re.compile("^Review")).click()
    expect(page.locator("table.signatures tbody tr")).to_have_count(3)
    shoot(page, "review")
    page.get_by_role("button", name="Keep", exact=True).first.click()
    expect(page.locator("table.signatures tbody tr")).to_have_count(2)
    # Many at once: nothing ticked is refused with a word, then the ticked ones are kept.
    page.get_by_role("button", name="Keep selected").click()
    expect(page.get_by_role("status")).to_have_text("Tick the entries to act on first.")
    page.get_by_role("checkbox", name="Select all").check()
    page.get_by_role("button", name="Keep selected").click()
    expect(page.get_by_text("No signatures here.")).to_be_visible()
    expect(page.get_by_text("2 signatures kept.")).to_be_visible()

    # Moderate the comment; it reaches the public wall.
    page.get_by_role("link", name=re.compile("^Comments")).click()
    expect(page.locator("blockquote")).to_have_text("Water is a right!")
    shoot(page, "comments")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("No comments wait for moderation.")).to_be_visible()
    wall = client.get("/api/v1/petitions/clean-water/signatures").json["signatures"]
    assert [entry["comment"] for entry in wall] == ["Water is a right!"]

    # Export: a CSV download, and the printable list.
    page.get_by_role("link", name="Export").click()
    page.get_by_label("Source").fill("kz-union")
    shoot(page, "export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    exported = Path(download.value.path()).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [row["name"] for row in rows] == ["Aigerim Bekova"]
    assert download.value.suggested_filename.endswith(".csv")
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Open printable list").click()
    printable = popup.value
    # Aigerim agreed to be named; the three shift workers are counted, not named.
    expect(printable.locator("table.named tbody tr")).to_have_count(1)
    expect(printable.locator("table.named")).to_contain_text("Aigerim Bekova")
    expect(printable.locator("table.unnamed tbody tr")).to_have_text(["Kazakhstan3"])
    expect(printable.locator("body")).not_to_contain_text("Shift Worker")
    expect(printable.locator("h1")).to_have_text("Clean water for Satpayev")
    shoot(printable, "handover")
    printable.emulate_media(media="print")
    expect(printable.locator("thead tr.page-title")).to_be_visible()
    printable.close()

    # Edit the petition.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Goal").fill("1000")
    shoot(page, "edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    assert client.get("/api/v1/petitions/clean-water").json["goal"] == 1000

    # Partners with their snippet, a webhook, and the audit log.
    page.get_by_role("link", name="Partners").click()
    page.get_by_label("Code").fill("kz-union")
    page.get_by_label("Name", exact=True).fill("Miners' union")
    page.get_by_label("Allowed origins").fill("https://union.example.org")
    page.get_by_role("button", name="Add partner").click()
    expect(page.locator("textarea.code").first).to_have_value(re.compile('source="kz-union"'))
    shoot(page, "partners")

    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Endpoint URL").fill("https://crm.union.example.org/undersign")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_text("Signing secret (shown once)")).to_be_visible()
    shoot(page, "webhooks")

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table")).to_contain_text("signature.invalidate")
    expect(page.locator("tbody tr").filter(has_text="handover")).to_contain_text("4")
    shoot(page, "audit")

    # Signing out forgets the token.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 0


def test_a_partner_sees_only_its_share_in_the_admin_page(app, signer, live_server, page):
    from playwright.sync_api import expect

    signer.sign_and_confirm(
        "ally@example.org",
        name="Ally Union",
        source="kz-union",
        contact_consent=True,
        city="Almaty",
    )
    signer.sign_and_confirm("bek@example.org", name="Bek Private", source="kz-union")
    signer.sign_and_confirm("cora@example.org", name="Cora Elsewhere", source="other-org")
    token = make_token(app, "union-office", partner="kz-union")

    page.goto(f"{live_server}/admin/")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("union-office · partner kz-union")).to_be_visible()
    expect(page.get_by_role("link", name="Audit log")).to_be_hidden()
    expect(page.get_by_role("link", name="New petition")).to_have_count(0)
    expect(page.locator("tbody tr td.num").first).to_have_text("2")
    page.get_by_role("link", name="Save the plant").click()
    expect(page.get_by_role("button", name="Close petition")).to_have_count(0)
    page.get_by_role("link", name="Signatures").click()
    table = page.locator("table.signatures")
    # Only the signer who agreed to be contacted: Bek, who did not, is not even a row.
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Ally Union")
    expect(table).not_to_contain_text("Bek Private")
    expect(table).not_to_contain_text("Cora")
    expect(page.get_by_role("button", name="Invalidate")).to_have_count(0)
    shoot(page, "partner-signatures")
    page.get_by_role("link", name="Export").click()
    expect(page.get_by_label("Source")).to_have_count(0)
    expect(page.get_by_role("button", name="Open printable list")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert [row["name"] for row in rows] == ["Ally Union"]
    shoot(page, "partner-export")


def test_an_organiser_approves_a_days_wall_entries_at_once(app, signer, live_server, page):
    from playwright.sync_api import expect

    for n, comment in enumerate(["Мы с вами!", None, "Solidarity from Sheffield"]):
        signer.sign_and_confirm(
            f"p{n}@example.org", name=f"Name{n} X", public=True, comment=comment
        )
    page.goto(f"{live_server}/admin/")
    page.get_by_label("Token").fill(make_token(app, "office"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Save the plant").click()
    page.get_by_role("link", name=re.compile("^Comments")).click()
    expect(page.get_by_text("No message: name, city and country only.")).to_be_visible()
    shoot(page, "wall-queue")
    # One is rejected after a look; the rest go up together.
    page.get_by_role("checkbox", name="Select Name1 X").check()
    page.get_by_role("button", name="Reject selected").click()
    expect(page.locator("article.comment-card")).to_have_count(2)
    page.get_by_role("checkbox", name="Select all").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_text("No comments wait for moderation.")).to_be_visible()
    expect(page.locator("#toast")).to_have_text("2 approved for the wall.")
    wall = signer.client.get("/api/v1/petitions/test-petition/signatures").json["signatures"]
    assert sorted(entry["first_name"] for entry in wall) == ["Name0", "Name2"]
