"""What a Russian or Kazakh reader sees, on a phone and a desktop: the count in the words its
number takes, the country list in their alphabet's order with their likeliest country first,
a letter typed on the list jumping to it, and a language switch a thumb can hit."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.core.i18n import LOCALES, collation_key

from tests.browser.conftest import SLUG, Partner, Service, add_signers
from tests.conftest import screenshot

DEVICES = {
    "phone": {"viewport": {"width": 360, "height": 640}, "is_mobile": True},
    "desktop": {"viewport": {"width": 1100, "height": 900}},
}
# 21 takes the singular in Russian, as 1 does; Kazakh never changes the noun.
SIGNERS = 21
COUNT = {"ru": "21 подпись", "kk": "21 қолтаңба"}
KAZAKHSTAN = {"ru": "Казахстан", "kk": "Қазақстан"}
# A letter, and the first country after the top one that starts with it.
# Where the picture of the list looks: among the К and Қ names.
AROUND = {"ru": "Кыргызстан", "kk": "Қырғызстан"}
JUMP = {"ru": ("Я", "Ямайка"), "kk": ("Ұ", "Ұлыбритания")}


def check_country_list(select: Any, lang: str) -> None:
    """Kazakhstan first (the browser says kk-KZ / ru-KZ), then the rest alphabetically."""
    names = select.locator("option").all_text_contents()[1:]  # after "Choose your country"
    assert names[0] == KAZAKHSTAN[lang]
    rest = names[1:]
    assert rest == sorted(rest, key=collation_key(lang))
    assert KAZAKHSTAN[lang] not in rest  # moved to the top, not listed twice
    letter, country = JUMP[lang]
    select.focus()
    type_on_keyboard(select.page, letter)
    expect(select.locator("option:checked")).to_have_text(country)


def type_on_keyboard(page: Any, letter: str) -> None:
    """Press a key that types `letter`, as a Russian or Kazakh keyboard layout does.

    Playwright's own keyboard knows the US layout only and inserts other letters as
    text, which a <select> does not hear; Chromium's DevTools protocol presses the key.
    """
    cdp = page.context.new_cdp_session(page)
    for kind in ("keyDown", "keyUp"):
        cdp.send("Input.dispatchKeyEvent", {"type": kind, "key": letter, "text": letter})
    cdp.detach()


def show_list(select: Any, around: str) -> None:
    """Open the list as rows on the page, scrolled to `around`, so a screenshot shows the order."""
    select.evaluate(
        """(element, name) => {
            element.size = 12;
            element.selectedIndex = -1;
            const option = [...element.options].find((o) => o.text === name);
            const row = element.scrollHeight / element.options.length;
            element.scrollTop = option.index * row - element.clientHeight / 2;
        }""",
        around,
    )
    select.scroll_into_view_if_needed()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_petition_page_reads_in_the_readers_language(
    service: Service, context_factory: Any, lang: str, device: str
) -> None:
    add_signers(service, [{}] * SIGNERS)
    page = context_factory(locale=f"{lang}-KZ", **DEVICES[device]).new_page()
    page.goto(f"{service.url}/p/{SLUG}")
    expect(page.locator("[data-count]")).to_have_text(COUNT[lang])
    if device == "phone":
        links = page.locator(".languages a").all()
        assert len(links) == len(LOCALES), "one link a language, or the loop checks nothing"
        for link in links:
            box = link.bounding_box()
            assert box and box["height"] >= 24 and box["width"] >= 24, link.text_content()
    screenshot(page, f"language-page-{lang}-{device}", full_page=False)
    select = page.locator("#country")
    check_country_list(select, lang)
    show_list(select, AROUND[lang])
    screenshot(page, f"language-page-{lang}-{device}-countries", full_page=False)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_widget_reads_in_the_readers_language(
    service: Service, partner: Partner, context_factory: Any, lang: str, device: str
) -> None:
    add_signers(service, [{}] * SIGNERS)
    page = context_factory(locale=f"{lang}-KZ", **DEVICES[device]).new_page()
    page.goto(partner.widget_page(service, lang))
    widget = page.locator("undersign-petition")
    expect(widget.locator(".count")).to_contain_text(COUNT[lang])
    screenshot(page, f"language-widget-{lang}-{device}", full_page=False)
    select = widget.locator("select#country")
    check_country_list(select, lang)
    show_list(select, AROUND[lang])
    screenshot(page, f"language-widget-{lang}-{device}-countries", full_page=False)
