"""Every petition setting in /admin/, and sealing a petition without a terminal, in Chromium.

The key file the page makes is opened by the real `undersign decrypt`, run as a program.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from undersign.core import sealing
from undersign.core.db import database
from undersign.core.models import Petition

from tests.admin.conftest import OrganiserAPI, make_token
from tests.browser.conftest import EVERY_IMPACT, axe_violations, texts
from tests.conftest import Signer, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

PASSPHRASE = "steppe wind over the pit 1986"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
UNDERSIGN = Path(sys.executable).parent / "undersign"


def open_admin(
    browser: Any, live_server: str, app: Any, lang: str = "en", device: str = "desktop"
) -> Any:
    context = browser.new_context(viewport=VIEWPORTS[device], accept_downloads=True)
    context.set_default_timeout(20_000)  # argon2id over 256 MiB, twice, in WebAssembly
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.locator("#language").select_option(lang)
    words = texts(lang)["admin"]
    page.get_by_label(words["sign_in"]["token"]).fill(make_token(app, "office"))
    page.get_by_role("button", name=words["sign_in"]["submit"]).click()
    page.locator("#who-name").wait_for()
    return page


def open_as_editor(browser: Any, live_server: str, app: Any) -> Any:
    """The page signed in with an editor's token: texts, not settings."""
    from undersign.core import auth

    with database(app).sessions() as session:
        token = auth.create(session, "writer", by=auth.CLI, role="editor")
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#who-name").wait_for()
    return page


def stored(app: Any, slug: str) -> Petition:
    with database(app).sessions() as session:
        return session.scalars(select(Petition).where(Petition.slug == slug)).one()


def test_an_organiser_sets_every_setting_and_is_warned_without_a_contact(
    app, client, live_server, browser
):
    from playwright.sync_api import expect

    words = texts("en")["admin"]["settings"]
    page = open_admin(browser, live_server, app)
    page.evaluate("() => { location.hash = '#/p/new/edit'; }")
    page.get_by_label("Address (slug)").fill("clean-water")
    # No contact yet: the form says what that means for signers.
    expect(page.get_by_text(words["no_contact"])).to_be_visible()
    page.get_by_label("Organisers' name").fill("Satpayev water committee")
    page.locator("input[name='en.title']").fill("Clean water for Satpayev")
    page.locator("input[name='kk.title']").fill("Сәтбаевқа таза су")
    page.locator("input[name='ru.title']").fill("Чистая вода для Сатпаева")
    # Russian is ticked off: its texts are hidden and not kept.
    page.get_by_role("checkbox", name="Русский").uncheck()
    expect(page.locator("input[name='ru.title']")).to_be_hidden()
    page.get_by_role("button", name="Create petition").click()
    expect(page.get_by_role("heading", name="Clean water for Satpayev")).to_be_visible()
    # Every tab of a petition without a contact carries the warning, with the way to fix it.
    expect(page.get_by_role("note")).to_contain_text(words["no_contact"])
    made = stored(app, "clean-water")
    assert sorted(made.texts) == ["en", "kk"]
    assert made.organiser_name == "Satpayev water committee" and made.organiser_contact is None

    page.get_by_role("link", name=words["add_contact"]).click()
    contact = page.get_by_label("Contact address")
    contact.fill("")
    # The form says it beside the field, and stops as soon as an address is typed.
    beside = page.get_by_role("group", name="Organisers").get_by_text(words["no_contact"])
    expect(beside).to_be_visible()
    contact.fill("water@example.org")
    expect(beside).to_be_hidden()
    page.get_by_label("Name signers on the hand-over list").check()
    page.get_by_role("radio", name=words["wall_show"]).check()
    page.get_by_label("Thank-you page").fill("https://union.example.org/thanks")
    page.get_by_label("Goal").fill("1500")
    page.get_by_label("Closes (UTC)").fill("2027-03-01T18:00")
    page.get_by_label(words["retention_days"]).fill("30")
    english = page.get_by_role("checkbox", name="English")
    english.click()  # the main language stays ticked
    expect(english).to_be_checked()
    page.get_by_label("Main language").select_option("kk")
    english.uncheck()  # no longer the main language: it goes
    shoot(page, "settings-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_role("note")).to_have_count(0)
    # The organiser sees the day personal data goes: 30 days after closing.
    expect(page.get_by_text(words["erases_on"].replace("{date}", "2027-03-31"))).to_be_visible()

    edited = stored(app, "clean-water")
    assert (edited.organiser_contact, edited.named_default, edited.wall_mode) == (
        "water@example.org",
        True,
        "show",
    )
    assert edited.thanks_url == "https://union.example.org/thanks" and edited.goal == 1500
    assert edited.retention_days == 30
    assert edited.closes_at is not None and edited.closes_at.isoformat().startswith(
        "2027-03-01T18:00"
    )
    assert (edited.default_locale, sorted(edited.texts)) == ("kk", ["kk"])
    # What the settings are for: the privacy notice names the organisers and their address.
    notice = client.get("/p/clean-water/privacy?lang=kk").get_data(as_text=True)
    assert "Satpayev water committee" in notice and "water@example.org" in notice
    page.context.close()


def make_key_in_page(page: Any, words: dict[str, str], tmp_path: Path, name: str) -> Path:
    """Type a passphrase, make the key, download its file; answer where it was saved."""
    page.get_by_label(words["passphrase"], exact=False).first.fill(PASSPHRASE)
    page.get_by_label(words["passphrase_again"]).fill(PASSPHRASE)
    page.get_by_role("button", name=words["make"]).click()
    with page.expect_download() as downloading:
        page.get_by_role("link", name=words["download"]).click()
    saved = tmp_path / name
    downloading.value.save_as(saved)
    return saved


def test_an_organiser_seals_a_new_petition_in_the_browser_and_undersign_decrypt_opens_it(
    app, client, smtp, live_server, browser, tmp_path
):
    from playwright.sync_api import expect

    words = texts("en")["admin"]["settings"]
    page = open_admin(browser, live_server, app)
    sent: list[str] = []  # every body the page sent
    page.on("request", lambda request: sent.append(request.post_data or ""))
    page.evaluate("() => { location.hash = '#/p/new/edit'; }")
    page.get_by_label("Address (slug)").fill("sealed-water")
    page.locator("input[name='en.title']").fill("Clean water, sealed")
    page.get_by_label("Contact address").fill("water@example.org")
    page.get_by_label(words["seal"]).check()
    # What it costs is said before anything is made.
    for cost in ("cost_key", "cost_email", "cost_wall"):
        expect(page.get_by_text(words[cost])).to_be_visible()
    page.get_by_role("button", name="Create petition").click()
    expect(page.get_by_role("alert").filter(has_text=words["not_ready"])).to_be_visible()

    passphrase = page.get_by_label(words["passphrase"], exact=False).first
    passphrase.fill("short")
    page.get_by_role("button", name=words["make"]).click()
    expect(page.get_by_role("alert").filter(has_text=words["too_short"])).to_be_visible()
    passphrase.fill(PASSPHRASE)
    page.get_by_label(words["passphrase_again"]).fill(PASSPHRASE + "!")
    page.get_by_role("button", name=words["make"]).click()
    expect(page.get_by_role("alert").filter(has_text=words["mismatch"])).to_be_visible()
    key_file = make_key_in_page(page, words, tmp_path, "browser.key.json")
    assert page.get_by_role("link", name=words["download"]).get_attribute("download") == (
        "undersign-sealed-water.key.json"
    )

    # The file is opened once from where it was saved: another key file, or a wrong
    # passphrase, is refused.
    stranger = tmp_path / "stranger.key.json"
    sealing.write_key_file(stranger, sealing.generate(PASSPHRASE).text)
    page.get_by_label(words["check_file"]).set_input_files(stranger)
    page.get_by_label(words["check_passphrase"]).fill(PASSPHRASE)
    page.get_by_role("button", name=words["check"]).click()
    expect(page.get_by_role("alert").filter(has_text=words["other_key"])).to_be_visible()
    page.get_by_label(words["check_file"]).set_input_files(key_file)
    page.get_by_label(words["check_passphrase"]).fill("steppe wind")
    page.get_by_role("button", name=words["check"]).click()
    expect(page.get_by_role("alert").filter(has_text="Wrong passphrase")).to_be_visible()
    page.get_by_label(words["check_passphrase"]).fill(PASSPHRASE)
    page.get_by_role("button", name=words["check"]).click()
    expect(page.get_by_text("The file opens with its passphrase.")).to_be_visible()
    # Not yet confirmed that the costs are understood: still refused.
    page.get_by_role("button", name="Create petition").click()
    expect(page.get_by_role("alert").filter(has_text=words["not_ready"])).to_be_visible()
    page.get_by_label(words["understood"]).check()
    expect(page.get_by_role("alert").filter(has_text=words["not_ready"])).to_be_hidden()
    shoot(page, "seal-new")
    page.get_by_role("button", name="Create petition").click()
    expect(page.get_by_role("heading", name="Clean water, sealed")).to_be_visible()

    # The file is the one `undersign keys generate --passphrase` writes, field for field.
    document = json.loads(key_file.read_text("utf-8"))
    reference = json.loads(sealing.generate("x").text)
    assert list(document) == list(reference)
    assert list(document["passphrase"]) == list(reference["passphrase"])
    assert document["passphrase"] | {"salt": ""} == reference["passphrase"] | {"salt": ""}
    # As Python writes it:
    assert key_file.read_text("utf-8") == json.dumps(document, indent=2) + "\n"
    private = sealing.load(key_file.read_text("utf-8"), lambda: PASSPHRASE)
    assert sealing.public_text(private.public_key) == document["public_key"]
    # Only the public key was sent.
    assert stored(app, "sealed-water").seal_key == document["public_key"]
    assert not any("private_key" in body or PASSPHRASE in body for body in sent)

    # A signer signs; the export holds sealed values only; the real command opens it.
    signer = Signer(app, client, smtp, "sealed-water")
    signer.sign_and_confirm("aigerim@example.org", name="Aigerim Bekova", city="Zhezkazgan")
    organiser = OrganiserAPI(client, make_token(app, "export"))
    exported = organiser.get("/petitions/sealed-water/export", format="csv")
    assert exported.status_code == 200
    sealed_csv = tmp_path / "sealed.csv"
    sealed_csv.write_bytes(exported.get_data())
    assert b"Bekova" not in sealed_csv.read_bytes()
    plain_csv = tmp_path / "plain.csv"
    done = subprocess.run(
        [
            str(UNDERSIGN),
            "decrypt",
            "--key",
            str(key_file),
            "-i",
            str(sealed_csv),
            "-o",
            str(plain_csv),
        ],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no terminal: the passphrase is read from standard input
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(plain_csv.read_text("utf-8-sig"))))
    assert [(r["name"], r["city"], r["email"]) for r in rows] == [
        ("Aigerim Bekova", "Zhezkazgan", "aigerim@example.org")
    ]
    page.context.close()


def test_an_organiser_rotates_the_seal_key_from_the_settings(app, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    from tests.core.test_sealing import make_sealed_petition

    words = texts("en")["admin"]["settings"]
    first = sealing.generate()
    make_sealed_petition(app, first.public, slug="sealed-water")
    page = open_admin(browser, live_server, app)
    page.evaluate("() => { location.hash = '#/p/sealed-water/edit'; }")
    expect(
        page.get_by_text(words["sealed_to"].replace("{key}", first.public[:10] + "…"))
    ).to_be_visible()
    rotate = page.get_by_role("button", name=words["rotate"])
    expect(rotate).to_be_hidden()  # not before the new file was saved and opened
    key_file = make_key_in_page(page, words, tmp_path, "second.key.json")
    expect(rotate).to_be_hidden()
    page.get_by_label(words["check_file"]).set_input_files(key_file)
    page.get_by_label(words["check_passphrase"]).fill(PASSPHRASE)
    page.get_by_role("button", name=words["check"]).click()
    rotate.click()
    expect(page.get_by_role("status").filter(has_text=words["rotated"])).to_be_visible()
    public = json.loads(key_file.read_text("utf-8"))["public_key"]
    assert stored(app, "sealed-water").seal_key == public
    expect(page.get_by_text(words["sealed_to"].replace("{key}", public[:10] + "…"))).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_settings_and_sealing_screens_speak_each_language_and_pass_axe(
    app, live_server, browser, lang, device
):
    from playwright.sync_api import expect

    from tests.core.test_sealing import make_sealed_petition

    words = texts(lang)["admin"]
    make_sealed_petition(app, sealing.generate().public, slug="sealed-water")
    page = open_admin(browser, live_server, app, lang, device)
    name = f"admin-settings-{lang}-{device}"

    page.evaluate("() => { location.hash = '#/p/new/edit'; }")
    page.get_by_label(words["settings"]["seal"]).check()
    expect(page.get_by_text(words["settings"]["cost_key"])).to_be_visible()
    page.get_by_role("button", name=words["settings"]["make"]).click()  # no passphrase: said why
    expect(
        page.get_by_role("alert").filter(has_text=words["settings"]["too_short"])
    ).to_be_visible()
    assert axe_violations(page, EVERY_IMPACT) == []
    screenshot(page, f"{name}-new")

    # A sealed petition without a contact: the warning above, the key's change below.
    page.evaluate("() => { location.hash = '#/p/sealed-water/edit'; }")
    expect(page.get_by_role("heading", name=words["settings"]["rotate_title"])).to_be_visible()
    expect(page.get_by_role("note").first).to_contain_text(words["settings"]["no_contact"])
    assert axe_violations(page, EVERY_IMPACT) == []
    screenshot(page, f"{name}-edit")
    page.context.close()


def shoot(page: Any, name: str) -> None:
    screenshot(page, f"admin-{name}")


def test_a_late_word_of_the_address_does_not_draw_the_form_again(app, live_server, browser):
    """The browser tells of a change of address after the code that made it may have drawn
    the view (signing in does): that late word must not draw the form again over what was typed.
    """
    from playwright.sync_api import expect

    from tests.core.test_sealing import make_sealed_petition

    make_sealed_petition(app, sealing.generate().public, slug="sealed-water")
    page = open_as_editor(browser, live_server, app)
    page.evaluate("() => { location.hash = '#/p/sealed-water/edit'; }")
    summary = page.locator("input[name='en.summary']")
    summary.fill("Before winter comes.")
    # As the browser does when its event for an address comes after that address was drawn.
    page.evaluate("() => window.dispatchEvent(new HashChangeEvent('hashchange'))")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#toast")).to_have_text("Saved.")
    assert stored(app, "sealed-water").texts["en"]["summary"] == "Before winter comes."
    page.context.close()


def test_an_editor_saves_the_texts_and_is_told_who_may_change_the_settings(
    app, live_server, browser
):
    from playwright.sync_api import expect

    from tests.core.test_sealing import make_sealed_petition

    make_sealed_petition(app, sealing.generate().public, slug="sealed-water")
    with database(app).sessions() as session:  # a closing time: the form shows it to the minute
        petition = session.scalars(select(Petition).where(Petition.slug == "sealed-water")).one()
        petition.closes_at = datetime(2027, 3, 1, 18, tzinfo=UTC)
        session.commit()
    page = open_as_editor(browser, live_server, app)
    page.evaluate("() => { location.hash = '#/p/sealed-water/edit'; }")
    # Only what changed is sent: the texts, which an editor may change.
    page.locator("input[name='en.summary']").fill("Before winter comes.")
    page.get_by_role("button", name="Save changes").click()
    toast = page.locator("#toast")
    expect(toast).to_have_text("Saved.")
    assert stored(app, "sealed-water").texts["en"]["summary"] == "Before winter comes."
    # A setting is an owner's: refused, and the page says so.
    page.get_by_label("Goal").fill("300")
    page.get_by_role("button", name="Save changes").click()
    expect(toast).to_contain_text("owner")
    assert stored(app, "sealed-water").goal is None
    page.context.close()
