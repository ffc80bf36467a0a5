"""In a real Chromium: the dashboard writes numbers, days and countries in the page's language;
the export offers CSV for Excel and XLSX; the hand-over list prints in the language chosen; the
paper form starts on the usual country. Axe clean, on a laptop and a phone."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
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
# What the dashboard must show, in each language: a number grouped as the language groups it
# (Chromium's own data groups Kazakh "10,000"), a day with the month's name (Chromium's has
# none in Kazakh: "M12 6"), and countries by name.
SHOWN = {
    "en": {
        "countries": [("Russia", "10,000"), ("Kazakhstan", "2"), ("Kyrgyzstan", "1")],
        "label": "6 Dec",
        "title": "6 December: 10,000",
    },
    "ru": {
        "countries": [("Россия", "10\u00a0000"), ("Казахстан", "2"), ("Кыргызстан", "1")],
        "label": "6 дек.",
        "title": "6 декабря: 10\u00a0000",
    },
    "kk": {
        "countries": [("Ресей", "10\u00a0000"), ("Қазақстан", "2"), ("Қырғызстан", "1")],
        "label": "6 жел.",
        "title": "6 желтоқсан: 10\u00a0000",
    },
}


@pytest.fixture
def campaign(app, signer, client) -> OrganiserAPI:
    """Three online signers (two from Kazakhstan) and 10,000 from Russia on paper, on 6 December."""
    signer.sign_and_confirm("aigerim@example.org", name="Aigerim Bekova", named=True)
    signer.sign_and_confirm("dana@example.org", name="Dana Sultan", city="Almaty")
    signer.sign_and_confirm("azamat@example.org", name="Azamat Uulu", country="KG", named=True)
    organiser = OrganiserAPI(client, make_token(app, "setup"))
    sheets = {"count": 10_000, "country": "RU", "date": "2026-12-06", "note": "Moscow"}
    assert organiser.post("/petitions/test-petition/paper", sheets).status_code == 201
    return organiser


def signed_in(app, browser, live_server, lang, viewport="desktop"):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORTS[viewport], accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.locator("#language").select_option(lang)
    page.locator("input[name=token]").fill(make_token(app, "office"))
    page.locator("#sign-in-form button").click()
    expect(page.locator("#who-name")).to_have_text("office")
    return context, page


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_dashboard_writes_numbers_days_and_countries_in_the_pages_language(
    app, campaign, live_server, browser, lang, viewport
):
    from playwright.sync_api import expect

    words = texts(lang)["admin"]
    shown = SHOWN[lang]
    context, page = signed_in(app, browser, live_server, lang, viewport)
    page.evaluate("() => { location.hash = '#/p/test-petition/dashboard'; }")
    by_country = page.locator(
        ".card", has=page.get_by_role("heading", name=words["dashboard"]["by_country"])
    )
    rows = by_country.locator("table.bars tbody tr")
    expect(rows).to_have_count(3)
    assert [
        (row.locator("th").inner_text(), row.locator("td.num").inner_text()) for row in rows.all()
    ] == shown["countries"]
    day = page.locator(".chart-day").first
    expect(day.locator(".chart-label")).to_have_text(shown["label"])
    expect(day).to_have_attribute("title", shown["title"])
    assert axe_violations(page, EVERY_IMPACT) == []
    screenshot(page, f"admin-dashboard-{lang}-{viewport}")

    # Another language chosen on the page: the dashboard is redrawn in it at once.
    other = "kk" if lang != "kk" else "ru"
    page.locator("#language").select_option(other)
    expect(page.locator("table.bars").first.locator("tbody th").first).to_have_text(
        SHOWN[other]["countries"][0][0]
    )
    expect(page.locator(".chart-label").first).to_have_text(SHOWN[other]["label"])
    context.close()


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_exports_for_excel_and_the_hand_over_list_in_any_of_the_petitions_languages(
    app, campaign, live_server, browser, lang
):
    from playwright.sync_api import expect

    words = texts(lang)["admin"]["export"]
    context, page = signed_in(app, browser, live_server, lang)
    page.evaluate("() => { location.hash = '#/p/test-petition/export'; }")
    expect(page.get_by_role("heading", name=words["handover_title"])).to_be_visible()
    assert axe_violations(page, EVERY_IMPACT) == []
    screenshot(page, f"admin-export-{lang}")

    format_ = page.get_by_label(words["format"])
    format_.select_option(label=words["csv_excel"])
    with page.expect_download() as download:
        page.get_by_role("button", name=words["download"]).click()
    raw = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith(".csv")
    assert raw.startswith(b"\xef\xbb\xbfname,")  # Excel then reads the Cyrillic as UTF-8
    format_.select_option(label=words["csv"])
    with page.expect_download() as download:
        page.get_by_role("button", name=words["download"]).click()
    assert Path(download.value.path()).read_bytes().startswith(b"name,")
    format_.select_option(label=words["xlsx"])
    with page.expect_download() as download:
        page.get_by_role("button", name=words["download"]).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Aigerim Bekova", "Azamat Uulu", "Dana Sultan"]

    # The list, first in the petition's own language, then in each other it is written in.
    picker = page.get_by_label(words["handover_language"])
    expect(picker).to_have_value("en")
    expect(picker.locator("option")).to_have_text(["English", "Русский", "Қазақша"])
    for chosen, heading, unnamed in [
        ("en", "Save the plant", "Russia"),
        ("kk", "Зауытты сақтаңыз", "Ресей"),
        ("ru", "Спасите завод", "Россия"),
    ]:
        picker.select_option(chosen)
        with page.expect_popup() as popup:
            page.get_by_role("button", name=words["handover_open"]).click()
        printable = popup.value
        expect(printable.locator("h1")).to_have_text(heading)
        assert printable.evaluate("() => document.documentElement.lang") == chosen
        expect(printable.locator("table.unnamed tbody tr").first).to_contain_text(unnamed)
        expect(printable.locator("table.named tbody tr")).to_have_count(2)
        if lang == "kk":
            screenshot(printable, f"admin-handover-from-{lang}-in-{chosen}")
        printable.close()
    context.close()


@pytest.mark.parametrize("lang", ["en", "kk"])
def test_the_paper_form_starts_on_the_country_most_signers_gave(
    app, campaign, live_server, browser, lang
):
    from playwright.sync_api import expect

    words = texts(lang)["paper"]
    context, page = signed_in(app, browser, live_server, lang)
    page.evaluate("() => { location.hash = '#/p/test-petition/paper'; }")
    expect(page.get_by_role("heading", name=words["count_heading"])).to_be_visible()
    country = page.locator("form.paper-count select[name=country]")
    expect(country).to_have_value("RU")  # 10,000 on paper from Russia
    # Adding sheets from elsewhere takes a choice; after them the form starts where most are.
    page.get_by_label(words["count"], exact=True).fill("20000")
    country.select_option("KG")
    page.get_by_label(words["date"]).fill("2026-12-05")
    page.locator("form.paper-count button[type=submit]").click()
    expect(page.locator("table.paper-history tbody tr")).to_have_count(2)
    expect(page.locator("form.paper-count select[name=country]")).to_have_value("KG")
    assert axe_violations(page, EVERY_IMPACT) == []
    screenshot(page, f"admin-paper-country-{lang}")
    context.close()
