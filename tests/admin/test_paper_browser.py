"""In a real Chromium: paper signatures on the admin page, and the hand-over list printed to PDF."""

from __future__ import annotations

import io

import pytest
from undersign.campaigns import petitions
from undersign.core import auth
from undersign.core.db import database

from tests.admin.conftest import make_token
from tests.browser.conftest import axe_violations
from tests.conftest import SCREENSHOTS as SHOTS
from tests.conftest import Signer, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # The page is the same on every database; SQLite keeps this test quick.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

TEXTS = {
    "ru": {
        "title": "Сохраним завод в Жезказгане",
        "summary": "Требуем сохранить рабочие места и безопасность на заводе.",
        "target": "Министерству промышленности Республики Казахстан",
        "body": "Мы, рабочие и жители Жезказгана, просим:\n\n"
        "- сохранить рабочие места;\n- провести проверку безопасности;\n"
        "- выплатить долги по зарплате.",
    },
    "kk": {
        "title": "Жезқазғандағы зауытты сақтайық",
        "summary": "Зауыттағы жұмыс орындары мен қауіпсіздікті сақтауды талап етеміз.",
        "target": "Қазақстан Республикасы Өнеркәсіп министрлігіне",
        "body": "Біз, Жезқазған жұмысшылары мен тұрғындары, сұраймыз:\n\n"
        "- жұмыс орындарын сақтау;\n- қауіпсіздікті тексеру;\n- жалақы қарызын өтеу.",
    },
}
TYPED = "name,city,country,date,named\n" + "".join(
    f"Рабочий Номер{n},Сатпаев,KZ,2026-11-{10 + n % 18:02d},{'yes' if n % 3 else 'no'}\n"
    for n in range(90)
)


def make_petition(app, locale: str) -> str:
    slug = f"plant-{locale}"
    with database(app).sessions() as session:
        petitions.create(
            session, slug, {locale: TEXTS[locale]}, by=auth.CLI, goal=5000, default_locale=locale
        )
    return slug


@pytest.fixture
def context(browser):
    made = browser.new_context(viewport={"width": 1280, "height": 900})
    yield made
    made.close()


def test_an_organiser_adds_a_count_and_imports_a_list_checked_line_by_line(
    app, client, smtp, live_server, context, tmp_path
):
    from playwright.sync_api import expect

    slug = make_petition(app, "ru")
    Signer(app, client, smtp, slug).sign_and_confirm("a@example.org", named=True)
    token = make_token(app, "office")
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("office")).to_be_visible()
    page.goto(f"{live_server}/admin/#/p/{slug}/paper")
    expect(page.get_by_role("heading", name="Signatures on paper")).to_be_visible()
    expect(page.get_by_text("No signatures on paper yet.")).to_be_visible()

    page.get_by_label("Signatures", exact=True).fill("120")
    page.get_by_label("Country").first.select_option("KZ")
    page.get_by_label("Date").fill("2026-11-28")
    page.get_by_label("Note").first.fill("plant gate")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("table.paper-history tbody tr")).to_have_count(1)
    expect(page.locator("table.paper-history")).to_contain_text("plant gate")
    expect(page.locator(".paper-total")).to_have_text("120 signatures on paper")
    assert client.get(f"/api/v1/petitions/{slug}/count").json["signature_count"] == 121

    # A list with mistakes: every one is shown by line, nothing is stored.
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(
        "name;city;country;date\nЕржан Сапаров;Жезказган;KZ;2026-11-28\n;Сатпаев;ZZ;2026-11-28\n",
        "utf-8",
    )
    page.get_by_label("CSV file").set_input_files(str(wrong))
    page.get_by_role("button", name="Check the list").click()
    errors = page.locator("table.paper-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.first).to_contain_text("3")
    expect(page.get_by_role("button", name="Add these signatures")).to_have_count(0)
    screenshot(page, "admin-paper-errors")
    assert axe_violations(page) == []

    right = tmp_path / "right.csv"
    right.write_text("\ufeff" + TYPED, "utf-8")
    page.get_by_label("CSV file").set_input_files(str(right))
    page.get_by_role("button", name="Check the list").click()
    expect(page.locator("table.paper-sample tbody tr")).to_have_count(5)
    expect(page.locator(".paper-preview")).to_contain_text("90 signers can be added")
    screenshot(page, "admin-paper-preview")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Add these signatures").click()
    expect(page.locator("table.paper-history tbody tr")).to_have_count(2)
    expect(page.locator(".paper-total")).to_have_text("210 signatures on paper")
    assert client.get(f"/api/v1/petitions/{slug}/count").json["signature_count"] == 211
    screenshot(page, "admin-paper")

    # The same page in Russian, and on a phone.
    page.get_by_label("Language").select_option("ru")
    expect(page.get_by_role("heading", name="Подписи на бумаге")).to_be_visible()
    expect(page.locator(".paper-total")).to_have_text("210 подписей на бумаге")
    screenshot(page, "admin-paper-ru")
    page.set_viewport_size({"width": 360, "height": 640})
    screenshot(page, "admin-paper-ru-phone")

    # Removing a batch asks first.
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("table.paper-history").get_by_role("button").first.click()
    expect(page.locator("table.paper-history tbody tr")).to_have_count(1)
    assert client.get(f"/api/v1/petitions/{slug}/count").json["signature_count"] == 121


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_the_handover_list_prints_with_its_cover_first_and_numbered_pages(
    app, client, smtp, live_server, browser, locale
):
    from playwright.sync_api import expect
    from pypdf import PdfReader

    slug = make_petition(app, locale)
    signer = Signer(app, client, smtp, slug)
    signer.sign_and_confirm("a@example.org", name="Айгерим Бекова", city="Жезказган", named=True)
    signer.sign_and_confirm("b@example.org", name="Скрытый Подписант", country="RU")
    token = make_token(app, f"office-{locale}")
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/admin/petitions/{slug}/paper"
    count = {"count": 120, "country": "KZ", "date": "2026-11-28", "note": "plant gate"}
    assert client.post(base, json=count, headers=headers).status_code == 201
    typed = {"csv": TYPED, "dry_run": False}
    assert client.post(f"{base}/import", json=typed, headers=headers).status_code == 201

    context = browser.new_context(
        viewport={"width": 794, "height": 1123}, extra_http_headers=headers
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server}/api/v1/admin/petitions/{slug}/handover")
        expect(page.locator("h1")).to_have_text(TEXTS[locale]["title"])
        page.emulate_media(media="print")
        # The cover is what the first printed page holds (the list starts on the next).
        page.locator("section.cover").screenshot(path=str(SHOTS / f"handover-{locale}-cover.png"))
        screenshot(page, f"handover-{locale}-first-page", full_page=False)
        printed = page.pdf(format="A4", prefer_css_page_size=True)
        (SHOTS / f"handover-{locale}.pdf").write_bytes(printed)
        pdf = PdfReader(io.BytesIO(printed))
    finally:
        context.close()

    pages = [printed.extract_text() for printed in pdf.pages]
    total = len(pages)
    assert total >= 3  # the cover, then 61 named rows and the counts
    # Page 1 is the cover: addressee, text and total; the list starts on page 2.
    first = " ".join(pages[0].split())
    assert TEXTS[locale]["target"] in first
    assert "провести проверку" in first or "қауіпсіздікті тексеру" in first
    assert "212" in first  # 2 online + 120 counted + 90 typed in
    assert "Рабочий Номер1" not in first
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {total}" in text, f"page {number} has no page number"
    body = " ".join(" ".join(pages).split())
    assert "Скрытый" not in body  # not named: counted by country only
    assert "Рабочий Номер0 " not in body  # typed in without agreement to be named
    assert "Рабочий Номер1 " in body
