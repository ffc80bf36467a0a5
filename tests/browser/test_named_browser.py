"""In the widget or on the petition page, a person chooses whether the addressee sees their name."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from undersign.core.db import database
from undersign.core.models import Petition

from tests.browser.conftest import SLUG, Partner, Service, texts
from tests.conftest import SCREENSHOTS, screenshot

pytestmark = pytest.mark.slow  # a real Chromium

PHONE = {"width": 360, "height": 640}


def name_by_default(service: Service) -> None:
    with database(service.app).sessions.begin() as session:
        session.execute(update(Petition).where(Petition.slug == SLUG).values(named_default=True))


def test_a_person_ticks_named_in_the_widget_and_it_is_stored(
    service: Service, partner: Partner, page: Any
) -> None:
    t = texts("en")
    page.goto(partner.widget_page(service, "en"))
    card = page.locator("undersign-petition")
    box = page.get_by_label(t["form"]["named"])
    expect(box).not_to_be_checked()  # the demo petition does not name by default
    expect(card.locator(".who-sees")).to_contain_text(t["form"]["sees_addressee"])
    page.get_by_label(t["form"]["name"]).fill("Aigerim Bekova")
    page.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    card.locator("select[name=country]").select_option("KZ")
    box.check()
    card.locator("[type=submit]").click()
    expect(card.locator(".done h3").first).to_have_text(t["sign"]["success_heading"])
    assert [s.named for s in service.signatures()] == [True]


def test_the_widget_ticks_the_box_when_the_petition_names_by_default_and_an_untick_counts(
    service: Service, partner: Partner, page: Any
) -> None:
    name_by_default(service)
    t = texts("ru")
    page.goto(partner.widget_page(service, "ru"))
    card = page.locator("undersign-petition")
    box = page.get_by_label(t["form"]["named"])
    expect(box).to_be_checked()
    page.get_by_label(t["form"]["name"]).fill("Ольга Ким")
    page.get_by_label(t["form"]["email"]).fill("olga@example.org")
    card.locator("select[name=country]").select_option("KZ")
    box.uncheck()
    card.locator("[type=submit]").click()
    expect(card.locator(".done h3").first).to_have_text(t["sign"]["success_heading"])
    assert [s.named for s in service.signatures()] == [False]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_petition_page_form_on_a_phone_says_who_sees_what(
    service: Service, context_factory: Any, lang: str
) -> None:
    t = texts(lang)
    page = context_factory(viewport=PHONE, device_scale_factor=2).new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang={lang}")
    box = page.get_by_label(t["form"]["named"])
    expect(box).not_to_be_checked()
    expect(page.locator(".who-sees")).to_contain_text(t["form"]["who_sees"])
    for key in ("sees_addressee", "sees_wall", "sees_organisers"):
        expect(page.locator(".who-sees")).to_contain_text(t["form"][key])
    # The campaign's own page, with no partner's code: no partner sees anything of it.
    expect(page.locator(".who-sees")).not_to_contain_text(t["form"]["sees_partners"])
    # Nothing sticks out sideways on a narrow screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box.scroll_into_view_if_needed()
    screenshot(page, f"named-{lang}-phone-page")
    # And the part of the form that holds the choice, as one phone screen shows it.
    page.evaluate("scrollBy(0, document.getElementById('named').getBoundingClientRect().top - 16)")
    page.screenshot(path=str(SCREENSHOTS / f"named-{lang}-phone-screen.png"))

    # The no-JavaScript form sends the tick.
    page.get_by_label(t["form"]["name"]).fill("Айгерим Бекова")
    page.get_by_label(t["form"]["email"]).fill(f"aigerim.{lang}@example.org")
    page.locator("select#country").select_option("KZ")
    box.check()
    page.locator("form.sign [type=submit]").click()
    expect(page.locator("body")).not_to_contain_text(t["form"]["who_sees"])
    assert [s.named for s in service.signatures()] == [True]
