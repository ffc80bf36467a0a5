"""The privacy notice in Chromium: reached from the form and the widget, readable on a phone.

Each test also records what the browser refused under the page's Content-Security-Policy and
runs axe-core on the notice.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from undersign.core import sealing
from undersign.core.db import database
from undersign.core.models import Petition

from tests.browser.conftest import SLUG, Partner, Service, axe_violations, texts
from tests.browser.test_headers_browser import Refusals
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium

PHONE = {"width": 360, "height": 640}


def set_petition(service: Service, **values: Any) -> None:
    with database(service.app).sessions.begin() as session:
        session.execute(update(Petition).where(Petition.slug == SLUG).values(**values))


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_person_on_a_phone_follows_the_forms_link_to_the_notice(
    service: Service, context_factory: Any, lang: str
) -> None:
    set_petition(
        service,
        organiser_name="Қазақстан металлургтерінің кәсіподағы",
        organiser_contact="solidarity@metalworkers.example.kz",
    )
    t = texts(lang)
    context = context_factory(viewport=PHONE, device_scale_factor=2)
    refusals = Refusals(context)
    page = context.new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang={lang}")
    page.locator("form.sign").get_by_role("link", name=t["privacy"]["link"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["privacy"]["title"])
    assert page.url == f"{service.url}/p/{SLUG}/privacy?lang={lang}"
    contact = page.locator("#rights-contact").get_by_role("link")
    expect(contact).to_have_attribute("href", "mailto:solidarity@metalworkers.example.kz")
    # Nothing sticks out sideways on a narrow screen, not even a long address.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    assert refusals.all() == []
    screenshot(page, f"privacy-notice-{lang}-phone")


def test_a_sealed_petitions_notice_on_a_desktop_in_english(
    service: Service, context_factory: Any
) -> None:
    # Sealed, and (unlike the demo as seeded) no organiser named: the notice says so.
    set_petition(
        service, seal_key=sealing.generate().public, organiser_name=None, organiser_contact=None
    )
    t = texts("en")["privacy"]
    context = context_factory(viewport={"width": 1280, "height": 900})
    refusals = Refusals(context)
    page = context.new_page()
    page.goto(f"{service.url}/p/{SLUG}/privacy?lang=en")
    expect(page.get_by_role("heading", name=t["sealed_heading"])).to_be_visible()
    expect(page.locator("#organiser")).to_have_text(t["holder_none"])
    # The footer links this same notice; the header's language links keep the page.
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link")).to_have_attribute("href", f"/p/{SLUG}/privacy?lang=en")
    page.get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts("ru")["privacy"]["title"])
    page.go_back()
    assert axe_violations(page) == []
    assert refusals.all() == []
    screenshot(page, "privacy-notice-en-desktop")


def test_the_widget_links_the_notice_in_its_language_in_a_new_tab(
    service: Service, partner: Partner, context_factory: Any
) -> None:
    t = texts("ru")
    context = context_factory(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    page.goto(partner.widget_page(service, "ru"))
    link = page.locator("undersign-petition").get_by_role("link", name=t["privacy"]["link"])
    expect(link).to_have_attribute("href", f"{service.url}/p/{SLUG}/privacy?lang=ru")
    expect(link).to_have_attribute("target", "_blank")
    link.scroll_into_view_if_needed()
    page.evaluate("scrollBy(0, 120)")  # the link and the button below it, on one screen
    screenshot(page, "privacy-widget-ru-phone", full_page=False)
    with context.expect_page() as opened:
        link.click()
    notice = opened.value
    expect(notice.get_by_role("heading", level=1)).to_have_text(t["privacy"]["title"])
    assert page.url.startswith(partner.url), "the partner's page stays where it was"
