"""The widget on a partner's page: a person signs, confirms by email, and sees the count move."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from undersign.core.db import database
from undersign.core.models import Petition

from tests.browser.conftest import SLUG, Partner, Service, axe_violations, texts
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium

# Latin words that may stay on a Russian or Kazakh screen: brand names, the example address.
LATIN_ALLOWED = {"WhatsApp", "Telegram", "name", "example", "org"}


def widget(page: Any) -> Any:
    return page.locator("undersign-petition").first


def english_left(page: Any) -> set[str]:
    """Return the Latin words the person can read inside the widget."""
    text = widget(page).evaluate("element => element.shadowRoot.querySelector('.card').innerText")
    return set(re.findall(r"[A-Za-z]{3,}", text)) - LATIN_ALLOWED


def fill_the_form(page: Any, name: str, email: str) -> None:
    page.get_by_label(texts_of(page)["form"]["name"]).fill(name)
    page.get_by_label(texts_of(page)["form"]["email"]).fill(email)
    page.locator("undersign-petition select[name=country]").select_option("KZ")
    page.locator("undersign-petition textarea[name=comment]").fill("Солидарность!")
    page.get_by_label(texts_of(page)["form"]["public"]).check()


def texts_of(page: Any) -> dict[str, Any]:
    return texts(widget(page).get_attribute("lang") or "en")


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_person_signs_on_a_partner_site_confirms_and_the_count_goes_up(
    service: Service, partner: Partner, page: Any, lang: str
) -> None:
    t = texts(lang)
    page.goto(partner.widget_page(service, lang, source="kz-union"))
    form = widget(page).locator("form")
    expect(form.locator("[type=submit]")).to_have_text(t["form"]["submit"])
    expect(widget(page).locator(".count")).to_contain_text("0")
    if lang != "en":  # grouped as the language writes it, as on the service's own pages
        expect(widget(page).locator(".goal")).to_contain_text("10\u00a0000")
    if lang != "en":
        assert not english_left(page), f"English left on screen: {english_left(page)}"
    assert axe_violations(page) == []
    screenshot(page, f"widget-{lang}-1-form")

    # Sending an empty form shows each problem beside its field, in the person's language.
    form.locator("[type=submit]").click()
    name_error = widget(page).locator("#name-error")
    expect(name_error).to_have_text(t["errors"]["required"])
    expect(widget(page).locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(widget(page).locator("#name")).to_be_focused()
    expect(widget(page).locator(".status")).to_have_text(t["errors"]["summary"])
    if lang != "en":
        assert not english_left(page), f"English left on screen: {english_left(page)}"
    screenshot(page, f"widget-{lang}-2-errors")

    fill_the_form(page, "Aigerim Bekova", f"aigerim.{lang}@example.org")
    form.locator("[type=submit]").click()
    expect(widget(page).locator(".done h3").first).to_have_text(t["sign"]["success_heading"])
    expect(widget(page).locator(".done")).to_contain_text(t["sign"]["success"])
    expect(widget(page).get_by_role("link", name="Telegram")).to_be_visible()
    if lang != "en":
        assert not english_left(page), f"English left on screen: {english_left(page)}"
    screenshot(page, f"widget-{lang}-3-check-your-inbox")

    email = service.deliver()
    assert service.signatures()[0].source == "kz-union"
    assert service.signatures()[0].locale == lang
    confirmation = page.context.new_page()
    confirmation.goto(service.link(email))
    expect(confirmation.locator("h1")).to_have_text(t["token"]["verify_heading"])
    screenshot(confirmation, f"verify-{lang}-1-button")
    confirmation.get_by_role("button", name=t["token"]["verify_button"]).click()
    expect(confirmation.locator("h1")).to_have_text(t["token"]["verified_heading"])
    screenshot(confirmation, f"verify-{lang}-2-confirmed")
    confirmation.close()

    page.bring_to_front()
    one = t["petition"]["count"]["one"].format(count=1)
    expect(widget(page).locator(".count")).to_contain_text(one, timeout=20_000)
    expect(widget(page).get_by_role("progressbar")).to_have_attribute("aria-valuenow", "1")
    screenshot(page, f"widget-{lang}-4-counted")


def test_the_widget_fits_a_phone(service: Service, partner: Partner, context_factory: Any) -> None:
    phone = context_factory(viewport={"width": 360, "height": 640}, is_mobile=True)
    page = phone.new_page()
    page.goto(partner.widget_page(service, "ru"))
    expect(widget(page).locator("[type=submit]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    widget(page).locator("summary").click()  # the full text opens and still fits
    expect(widget(page).locator("details p").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "widget-ru-phone")


def test_several_widgets_live_on_one_page_without_leaking(
    service: Service, partner: Partner, page: Any
) -> None:
    body = (
        f'<undersign-petition petition="{SLUG}" lang="en"></undersign-petition>'
        f'<undersign-petition petition="{SLUG}" lang="kk" class="green"></undersign-petition>'
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(
        partner.page(
            "two",
            body,
            head=f'<script src="{service.url}/widget.js" defer></script>',
            style=".green { --undersign-accent: #1e6b34; } button { background: yellow; }",
        )
    )
    widgets = page.locator("undersign-petition")
    expect(widgets.nth(0).locator("[type=submit]")).to_have_text(texts("en")["form"]["submit"])
    expect(widgets.nth(1).locator("[type=submit]")).to_have_text(texts("kk")["form"]["submit"])

    # Themed by a custom property; the host's own button style does not reach inside.
    background = (
        widgets.nth(1)
        .locator("[type=submit]")
        .evaluate("button => getComputedStyle(button).backgroundColor")
    )
    assert background == "rgb(30, 107, 52)"
    # Nothing leaks onto the host page: no globals, no styles, no cookies.
    new_globals = page.evaluate(
        "Object.getOwnPropertyNames(window).filter(name => !window.globalsBefore.includes(name))"
    )
    assert new_globals == ["globalsBefore"]  # the test page's own note, nothing else
    assert page.evaluate("document.styleSheets.length") == 1  # the partner's own
    assert page.evaluate("document.cookie") == ""
    assert page.context.cookies() == []
    # Only the service is asked, and only for the script and each language's words and petition.
    asked = [url for url in requests if not url.startswith(partner.url)]
    assert all(url.startswith(service.url) for url in asked)
    assert len(asked) <= 3, asked  # widget.js, then the petition with its words in en and in kk

    # Each widget keeps its own form: signing in one leaves the other as it was.
    first = widgets.nth(0)
    first.locator("#name").fill("Dana")
    assert widgets.nth(1).locator("#name").input_value() == ""
    assert axe_violations(page) == []
    screenshot(page, "widget-two-on-one-page")


def test_the_widget_explains_a_closed_petition_a_flood_and_being_offline(
    service: Service, partner: Partner, page: Any
) -> None:
    t = texts("ru")
    page.goto(partner.widget_page(service, "ru"))
    w = widget(page)
    expect(w.locator("[type=submit]")).to_be_visible()
    w.locator("#name").fill("Dana Test")
    w.locator("#email").fill("dana@example.org")
    w.locator("select").select_option("KZ")

    page.context.set_offline(True)
    w.locator("[type=submit]").click()
    expect(w.locator(".status")).to_have_text(t["sign"]["offline"])
    page.context.set_offline(False)

    page.route(
        "**/signatures",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "60", "Access-Control-Allow-Origin": "*"},
            json={"error": {"code": "rate_limited", "message": "Too many"}},
        ),
    )
    w.locator("[type=submit]").click()
    expect(w.locator(".status")).to_have_text(t["sign"]["rate_limited"])
    screenshot(page, "widget-ru-rate-limited")
    page.unroute("**/signatures")

    service.close_petition()
    w.locator("[type=submit]").click()
    expect(w.locator(".status")).to_have_text(t["sign"]["closed"])
    assert service.signatures() == []

    page.reload()
    expect(widget(page).locator(".status")).to_have_text(t["sign"]["closed"])
    expect(widget(page).locator("form")).to_have_count(0)
    screenshot(page, "widget-ru-closed")


def test_the_widget_can_be_used_by_keyboard_alone(
    service: Service, partner: Partner, page: Any
) -> None:
    page.goto(partner.widget_page(service, "en"))
    w = widget(page)
    expect(w.locator("[type=submit]")).to_be_visible()
    w.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the full text
    expect(w.locator("details")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(w.locator("#name")).to_be_focused()
    page.keyboard.type("Aigerim Bekova")
    page.keyboard.press("Tab")
    page.keyboard.type("kb@example.org")
    page.keyboard.press("Tab")
    expect(w.locator("select")).to_be_focused()
    w.locator("select").select_option("KZ")  # a select's own keys differ by platform
    for _ in range(4):  # city, postcode, message, named
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(w.locator("#public")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the consent, over the hidden honeypot, to the notice's link
    expect(w.locator(".notice-link")).to_be_focused()
    page.keyboard.press("Tab")
    expect(w.locator("[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(w.locator(".done h3").first).to_be_focused()


def test_a_cold_load_asks_the_service_twice(service: Service, partner: Partner, page: Any) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(partner.widget_page(service, "kk"))
    page.wait_for_function(
        "document.querySelector('undersign-petition').shadowRoot.querySelector('[type=submit]')"
    )
    form_at = page.evaluate("performance.now()")
    to_service = sorted(
        url.removeprefix(service.url) for url in asked if url.startswith(service.url)
    )
    assert to_service == ["/widget.js", "/widget/zhezkazgan.json?lang=kk"]  # script, then data
    print(f"cold load: {len(asked)} requests in all, form rendered at {form_at:.0f} ms")


@pytest.mark.parametrize(
    ("query", "browser_locale", "expected"),
    [("", "ru-RU", "ru"), ("?lang=kk", "ru-RU", "kk"), ("", "de-DE", "en")],
)
def test_without_a_lang_attribute_the_widget_follows_the_page_then_the_browser(
    service: Service,
    partner: Partner,
    context_factory: Any,
    query: str,
    browser_locale: str,
    expected: str,
) -> None:
    page = context_factory(locale=browser_locale).new_page()
    body = f'<undersign-petition petition="{SLUG}"></undersign-petition>'
    head = f'<script src="{service.url}/widget.js" defer></script>'
    page.goto(partner.page("no-lang", body, head=head) + query)
    expect(widget(page).locator("[type=submit]")).to_have_text(texts(expected)["form"]["submit"])


def test_an_unknown_petition_says_so_in_the_widget(
    service: Service, partner: Partner, page: Any
) -> None:
    page.goto(partner.widget_page(service, "ru", petition="nope"))
    expect(widget(page).get_by_role("alert")).to_have_text(texts("ru")["widget"]["load_failed"])


def test_the_widget_follows_a_change_of_language(
    service: Service, partner: Partner, page: Any
) -> None:
    page.goto(partner.widget_page(service, "en"))
    expect(widget(page).locator("[type=submit]")).to_have_text(texts("en")["form"]["submit"])
    widget(page).evaluate("element => element.setAttribute('lang', 'ru')")
    expect(widget(page).locator("[type=submit]")).to_have_text(texts("ru")["form"]["submit"])
    expect(widget(page).locator("h2")).to_contain_text("Жезказган")


@pytest.mark.parametrize(("lang", "mode"), [("kk", "show"), ("ru", "approve"), ("en", "show")])
def test_the_widget_says_when_the_public_wall_shows_an_entry_as_the_petition_does(
    service: Service, partner: Partner, context_factory: Any, lang: str, mode: str
) -> None:
    with database(service.app).sessions.begin() as session:
        session.execute(update(Petition).where(Petition.slug == SLUG).values(wall_mode=mode))
    form = texts(lang)["form"]
    says, not_says = {
        "show": ("sees_wall_show", "sees_wall"),
        "approve": ("sees_wall", "sees_wall_show"),
    }[mode]
    page = context_factory(viewport={"width": 360, "height": 640}, is_mobile=True).new_page()
    page.goto(partner.widget_page(service, lang))
    who_sees = widget(page).locator(".who-sees")
    expect(who_sees).to_contain_text(form[says])
    expect(who_sees).not_to_contain_text(form[not_says])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    who_sees.scroll_into_view_if_needed()
    screenshot(page, f"widget-wall-{mode}-{lang}-phone")


@pytest.mark.parametrize(("lang", "form"), [("en", "other"), ("ru", "few")])
def test_the_widget_told_many_are_signing_waits_and_sends_again_by_itself(
    service: Service, partner: Partner, page: Any, monkeypatch: Any, lang: str, form: str
) -> None:
    """The first post reaches the service as if it had waited 5 s in the queue (the proxy's
    X-Request-Start): the real service sheds it with 503 and Retry-After; the widget says so,
    waits, and sends the same signature again, which is taken once."""
    from undersign.web import overload

    monkeypatch.setattr(overload.GATE, "retry_after", (2, 2))
    t = texts(lang)
    shed: list[int] = []

    def first_waited_long(route: Any) -> None:
        if route.request.method == "POST" and not shed:
            shed.append(1)
            late = f"t={int((time.time() - 5) * 1000)}"
            route.continue_(headers={**route.request.headers, "x-request-start": late})
        else:
            route.continue_()

    page.route("**/signatures", first_waited_long)
    page.goto(partner.widget_page(service, lang))
    w = widget(page)
    w.locator("#name").fill("Dana Test")
    w.locator("#email").fill(f"dana.{lang}@example.org")
    w.locator("select").select_option("KZ")
    w.locator("[type=submit]").click()

    retrying = t["overload"]["retrying"][form].format(count=2)
    expect(w.locator(".status")).to_have_text(retrying)
    expect(w.locator("[type=submit]")).to_be_disabled()  # no second press meanwhile
    screenshot(page, f"widget-{lang}-overloaded-retrying")
    expect(w.locator(".done h3").first).to_have_text(t["sign"]["success_heading"], timeout=15_000)
    assert shed == [1]
    assert [s.email for s in service.signatures()] == [f"dana.{lang}@example.org"]
