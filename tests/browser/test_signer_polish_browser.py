"""What a signer notices in a real browser: a link opened twice, the focus on the field to fix,
a country chosen for them, shares in their language, and pages that load only from here."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SLUG, Partner, Service, axe_violations, texts
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium

DEVICES = {
    "desktop": {"viewport": {"width": 1100, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True},
}


def sign_by_api(service: Service, email: str, lang: str) -> str:
    """Sign as a script would; return the confirmation link from the email."""
    body = {"name": "Aigerim Bekova", "email": email, "country": "KZ", "locale": lang}
    answer = service.app.test_client().post(f"/api/v1/petitions/{SLUG}/signatures", json=body)
    assert answer.status_code == 202
    return service.link(service.deliver())


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_confirmation_link_opened_again_says_it_is_already_confirmed(
    service: Service, context_factory: Any, lang: str, device: str
) -> None:
    t = texts(lang)
    page = context_factory(**DEVICES[device]).new_page()
    link = sign_by_api(service, f"aigerim.{lang}.{device}@example.org", lang)
    page.goto(link)
    page.get_by_role("button", name=t["token"]["verify_button"]).click()
    expect(page.locator("h1")).to_have_text(t["token"]["verified_heading"])

    page.goto(link)  # from the email again, a day later
    expect(page.locator("h1")).to_have_text(t["reach"]["already_heading"])
    expect(page.locator("main")).to_contain_text(t["reach"]["already_intro"])
    expect(page.locator("main")).not_to_contain_text(t["token"]["verify_intro"])
    expect(page.get_by_role("button", name=t["token"]["verify_button"])).to_have_count(0)
    assert page.title().startswith(t["reach"]["already_heading"])
    # Shared from here, the petition opens in the signer's language.
    telegram = page.get_by_role("link", name="Telegram").get_attribute("href")
    assert telegram and quote(f"/p/{SLUG}?lang={lang}", safe="") in telegram
    assert (
        page.evaluate("document.documentElement.scrollWidth")
        <= DEVICES[device]["viewport"]["width"]
    )
    assert axe_violations(page) == []
    screenshot(page, f"already-confirmed-{lang}-{device}")


@pytest.mark.parametrize("device", list(DEVICES))
def test_on_the_page_the_first_field_to_fix_takes_the_focus(
    service: Service, context_factory: Any, device: str
) -> None:
    t = texts("kk")
    page = context_factory(**DEVICES[device]).new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang=kk")
    country = page.locator("select#country")
    expect(country).to_have_value("KZ")  # a Kazakh page: Kazakhstan, which they can change
    page.get_by_label(t["form"]["name"]).fill("Айгерим Бекова")
    page.get_by_label(t["form"]["email"]).fill("aigerim-at-example.org")
    page.locator("form.sign [type=submit]").click()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#email")).to_be_focused()
    expect(country).to_have_value("KZ")
    # The focused field is on the screen, not somewhere below the fold.
    box = page.locator("#email").bounding_box()
    assert box and 0 <= box["y"] < DEVICES[device]["viewport"]["height"]
    assert axe_violations(page) == []
    screenshot(page, f"page-kk-first-error-{device}", full_page=False)
    assert service.signatures() == []


def test_the_widget_chooses_kazakhstan_and_shares_in_its_language(
    service: Service, partner: Partner, page: Any
) -> None:
    t = texts("kk")
    page.goto(partner.widget_page(service, "kk"))  # no source: no partner collects here
    widget = page.locator("undersign-petition")
    expect(widget.locator("select")).to_have_value("KZ")
    expect(widget.locator(".who-sees")).to_contain_text(t["form"]["sees_organisers"])
    expect(widget.locator(".who-sees")).not_to_contain_text(t["form"]["sees_partners"])
    widget.locator("#name").fill("Айгерим Бекова")
    widget.locator("#email").fill("aigerim.widget@example.org")
    widget.locator("[type=submit]").click()
    expect(widget.locator(".done h3").first).to_have_text(t["sign"]["success_heading"])
    telegram = widget.get_by_role("link", name="Telegram").get_attribute("href")
    assert telegram and quote(f"{service.url}/p/{SLUG}?lang=kk", safe="") in telegram
    [signature] = service.signatures()
    assert signature.country == "KZ"


def test_no_page_loads_anything_from_another_origin_and_nothing_is_missing(
    service: Service, context_factory: Any
) -> None:
    """Every page a signer or an organiser opens asks only this service, and gets an answer."""
    page = context_factory().new_page()
    asked: list[str] = []
    missing: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on(
        "response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    t = texts("en")

    page.goto(f"{service.url}/p/{SLUG}?lang=en")
    page.get_by_label(t["form"]["name"]).fill("Aigerim Bekova")
    page.get_by_label(t["form"]["email"]).fill("aigerim.origin@example.org")
    page.locator("form.sign [type=submit]").click()
    expect(page.locator("h1")).to_have_text(t["sign"]["success_heading"])
    verify = service.link(service.deliver())
    withdraw = service.link(service.deliver(), "withdraw")
    page.goto(verify)
    page.get_by_role("button", name=t["token"]["verify_button"]).click()
    expect(page.locator("h1")).to_have_text(t["token"]["verified_heading"])
    pages = [
        "/",
        "/?lang=kk",
        f"/p/{SLUG}?lang=ru",
        f"/p/{SLUG}/privacy?lang=kk",
        f"/embed/{SLUG}?lang=kk",
        "/admin/",
    ]
    for path in pages:
        page.goto(service.url + path)
        page.wait_for_load_state("networkidle")
    page.goto(verify)
    page.goto(withdraw)
    icons: set[str] = set()
    for path in [*pages, urlsplit(verify).path]:
        page.goto(service.url + path)
        icons |= set(page.eval_on_selector_all("link[rel=icon]", "links => links.map(l => l.href)"))
    assert len(icons) == 2, icons  # the .ico and the .svg, on every page
    for icon in icons:
        assert page.request.get(icon).status == 200
    not_found = page.goto(f"{service.url}/nowhere")
    assert not_found and not_found.status == 404
    assert page.request.get(f"{service.url}/favicon.ico").status == 200

    others = {url for url in asked if not url.startswith((service.url + "/", "data:", "blob:"))}
    assert others == set()
    assert missing == [f"404 {service.url}/nowhere"]
