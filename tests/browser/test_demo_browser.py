"""The demo appeal as `make run` shows it, in Chromium: the Kazakh petition page on a phone
with its organisers named on the privacy notice, and the organiser's /admin/ in Kazakh, with
numbers grouped as Kazakh writes them and the hand-over list printed in Kazakh; the widget's
share text quoting the title «…„…“…»."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from undersign.campaigns import demo
from undersign.core import auth
from undersign.core.db import database

from tests.browser.conftest import SLUG, Partner, Service, add_signers, axe_violations, texts
from tests.conftest import screenshot

PHONE = {"width": 360, "height": 740}
NBSP = "\u00a0"
# A browser whose trimmed locale data has no Kazakh numbers, and so groups them "10,000".
TRIMMED_KAZAKH = """(() => {
  const Original = Intl.NumberFormat;
  Intl.NumberFormat = function (locale, options) {
    const tag = Array.isArray(locale) ? locale[0] : locale;
    return new Original(String(tag).startsWith("kk") ? "en-US" : locale, options);
  };
})();"""


def test_the_kazakh_petition_page_on_a_phone_names_its_organisers(
    service: Service, context_factory: Any
) -> None:
    from playwright.sync_api import expect

    t = texts("kk")
    page = context_factory(viewport=PHONE, device_scale_factor=2).new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang=kk")
    expect(page.get_by_role("heading", level=1)).to_have_text(demo.TEXTS["kk"]["title"])
    assert page.evaluate("document.documentElement.lang") == "kk"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    screenshot(page, "demo-petition-kk-phone")
    page.locator("form.sign").get_by_role("link", name=t["privacy"]["link"]).click()
    expect(page.locator("#organiser")).to_contain_text(demo.ORGANISER_NAME)
    contact = page.locator("#rights-contact").get_by_role("link")
    expect(contact).to_have_attribute("href", f"mailto:{demo.ORGANISER_CONTACT}")
    assert axe_violations(page) == []
    screenshot(page, "demo-privacy-kk-phone")


def test_the_organisers_admin_in_kazakh_groups_numbers_and_prints_the_list_in_kazakh(
    service: Service, context_factory: Any
) -> None:
    from playwright.sync_api import expect

    add_signers(service, [{"named": True, "name": "Айгерім Бекова", "city": "Жезқазған"}])
    with database(service.app).sessions() as session:
        token = auth.create(session, "office", by=auth.CLI)
    words = texts("kk")["admin"]
    context = context_factory(viewport={"width": 1280, "height": 900})
    context.add_init_script(TRIMMED_KAZAKH)
    page = context.new_page()
    page.goto(f"{service.url}/admin/")
    page.locator("#language").select_option("kk")
    page.get_by_label(words["sign_in"]["token"]).fill(token)
    page.get_by_role("button", name=words["sign_in"]["submit"]).click()
    page.evaluate("(hash) => { location.hash = hash; }", f"#/p/{SLUG}/dashboard")
    # The goal as Kazakh writes it even there: "10 000", not the browser's own "10,000".
    assert page.evaluate("new Intl.NumberFormat('kk').format(10000)") == "10,000"
    expect(page.locator(".progress span").first).to_have_text(f"1 / 10{NBSP}000")
    assert axe_violations(page) == []
    screenshot(page, "demo-admin-dashboard-kk")
    page.evaluate("(hash) => { location.hash = hash; }", f"#/p/{SLUG}/export")
    with page.expect_popup() as popup:
        page.get_by_role("button", name=words["export"]["handover_open"]).click()
    printable = popup.value
    expect(printable.locator("h1")).to_have_text(demo.TEXTS["kk"]["title"])
    assert printable.evaluate("document.documentElement.lang") == "kk"
    expect(printable.get_by_text("Айгерім Бекова")).to_be_visible()
    assert axe_violations(printable) == []
    screenshot(printable, "demo-handover-kk")


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("ru", "«Сохраним завод в Жезказгане: национализация, а не „консервация“»"),
        ("kk", "«Жезқазған зауытын сақтайық: „консервация“ емес, ұлттандыру»"),
    ],
)
def test_the_widgets_share_text_nests_the_titles_quotation_marks(
    service: Service, partner: Partner, page: Any, lang: str, title: str
) -> None:
    from playwright.sync_api import expect

    t = texts(lang)
    page.goto(partner.widget_page(service, lang))
    card = page.locator("undersign-petition")
    page.get_by_label(t["form"]["name"]).fill("Айгерім Бекова")
    page.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    card.locator("select[name=country]").select_option("KZ")
    card.locator("[type=submit]").click()
    expect(card.locator(".done h3").first).to_have_text(t["sign"]["success_heading"])
    telegram = card.locator(".share a", has_text="Telegram").get_attribute("href")
    (shared,) = parse_qs(urlsplit(telegram).query)["text"]
    assert title in shared and "»»" not in shared
    screenshot(page, f"demo-widget-shared-{lang}")
