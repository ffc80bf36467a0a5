"""The service's own pages in a real browser: without JavaScript, framed, on a phone, audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.core import tokens

from tests.browser.conftest import (
    RESIZE_LISTENER,
    SLUG,
    Partner,
    Service,
    add_signers,
    axe_violations,
    texts,
)
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium

LANGUAGES = ["en", "ru", "kk"]
# Latin words allowed on a Russian or Kazakh page: names of things, not sentences.
LATIN_ALLOWED = {"Undersign", "English", "WhatsApp", "Telegram", "Facebook", "Person", "Test"}


def english_left(page: Any) -> set[str]:
    text = page.locator("body").inner_text()
    return (
        set(re.findall(r"[A-Za-z]{3,}", text))
        - LATIN_ALLOWED
        - {w for w in re.findall(r"[A-Za-z]+", text) if w.startswith("Person")}
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_javascript_a_person_signs_and_confirms(
    service: Service, context_factory: Any, lang: str
) -> None:
    t = texts(lang)
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang={lang}")
    submit = page.get_by_role("button", name=t["form"]["submit"])
    submit.click()  # empty: the page comes back with every problem beside its field
    expect(page.locator("#name-error")).to_have_text(t["errors"]["required"])
    expect(page.locator(".form-error")).to_have_text(t["errors"]["summary"])
    screenshot(page, f"page-{lang}-nojs-errors")

    page.get_by_label(t["form"]["name"]).fill("Aigerim Bekova")
    page.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    page.get_by_label(t["form"]["country"], exact=True).select_option("KZ")
    page.get_by_label(t["form"]["public"]).check()
    page.get_by_role("button", name=t["form"]["submit"]).click()
    expect(page.locator("h1")).to_have_text(t["sign"]["success_heading"])
    if lang != "en":
        assert not english_left(page), english_left(page)
    assert axe_violations_without_js(page) == []
    screenshot(page, f"page-{lang}-nojs-signed")

    page.goto(service.link(service.deliver()))
    page.get_by_role("button", name=t["token"]["verify_button"]).click()
    expect(page.locator("h1")).to_have_text(t["token"]["verified_heading"])
    page.get_by_role("link", name=t["token"]["back"]).click()
    one = t["petition"]["count"]["one"].format(count=1)
    expect(page.locator("[data-count]")).to_have_text(one)
    # Counted at once, but on the wall only once an organiser approves her entry.
    expect(page.locator("main")).not_to_contain_text("Aigerim")
    service.approve_wall()
    page.reload()
    expect(page.locator(".messages")).to_contain_text("Aigerim")


def axe_violations_without_js(page: Any) -> list[str]:
    """axe needs script: audit the same document again in a context that runs it."""
    html, origin = page.content(), re.match(r"https?://[^/]+", page.url)
    assert origin
    context = page.context.browser.new_context()
    try:
        other = context.new_page()
        other.goto(f"{origin.group(0)}/static/css/site.css")  # the same origin, for its links
        other.set_content(html)
        return axe_violations(other)
    finally:
        context.close()


def test_the_iframe_embed_signs_and_sizes_its_frame(
    service: Service, partner: Partner, page: Any
) -> None:
    t = texts("kk")
    frame_page = partner.page(
        "iframe",
        f'<iframe title="{t["petition"]["sign_heading"]}" style="width: 100%; border: 0" '
        f'src="{service.url}/embed/{SLUG}?lang=kk&source=kz-union"></iframe>',
        lang="kk",
        head=RESIZE_LISTENER.format(service=service.url),
    )
    page.goto(frame_page)
    frame = page.frame_locator("iframe")
    expect(frame.locator("[type=submit]")).to_have_text(t["form"]["submit"])
    # The frame grew from the browser's 150px default to show the whole form.
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 900")
    tall = page.evaluate("document.querySelector('iframe').offsetHeight")
    screenshot(page, "embed-kk-1-form")

    frame.locator("#name").fill("Aigerim Bekova")
    frame.locator("#email").fill("aigerim@example.org")
    frame.locator("select").select_option("KZ")
    frame.locator("[type=submit]").click()
    expect(frame.locator(".done h3").first).to_have_text(t["sign"]["success_heading"])
    page.wait_for_function(f"document.querySelector('iframe').offsetHeight < {tall}")
    screenshot(page, "embed-kk-2-done")
    service.deliver()
    assert service.signatures()[0].source == "kz-union"


def test_the_petition_page_fits_a_phone(service: Service, context_factory: Any) -> None:
    add_signers(service, [{"public": True, "comment": "Мы с вами!", "city": "Сатпаев"}])
    page = context_factory(viewport={"width": 360, "height": 640}, is_mobile=True).new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang=kk")
    expect(page.get_by_role("button", name=texts("kk")["form"]["submit"])).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # On a phone the form comes right after the summary, before the long full text.
    form_top = page.locator("#sign").bounding_box()["y"]
    assert form_top < page.locator(".petition-body").bounding_box()["y"]
    screenshot(page, "page-kk-phone-first-screen", full_page=False)
    screenshot(page, "page-kk-phone")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_reads_in_one_language_and_passes_the_audit(
    service: Service, page: Any, lang: str
) -> None:
    add_signers(
        service,
        [
            {"public": True, "comment": "Держитесь, товарищи!", "city": "Жезказган"},
            {"public": True, "country": "RU", "city": "Екатеринбург"},
            {"public": False, "country": "DE"},
            {"public": True, "comment": "Solidarity from Sheffield", "country": "GB"},
        ],
    )
    keys = service.app.extensions["undersign.settings"].signing_keys
    first = service.signatures()[0].id
    # One more who has not confirmed yet: their link's page still asks for the click.
    waiting = {"name": "Dana Test", "email": "dana@example.org", "country": "KZ"}
    client = service.app.test_client()
    assert client.post(f"/api/v1/petitions/{SLUG}/signatures", json=waiting).status_code == 202
    pending = service.signatures()[-1].id
    t = texts(lang)
    pages = {
        "index": ("/", t["index"]["heading"]),
        "petition": (f"/p/{SLUG}", None),
        "embed": (f"/embed/{SLUG}", None),
        "verify": (
            f"/verify/{tokens.make(keys, tokens.VERIFY, pending)}",
            t["token"]["verify_heading"],
        ),
        "verify-again": (
            f"/verify/{tokens.make(keys, tokens.VERIFY, first)}",
            t["reach"]["already_heading"],
        ),
        "withdraw": (
            f"/withdraw/{tokens.make(keys, tokens.WITHDRAW, first)}",
            t["token"]["withdraw_heading"],
        ),
        "broken-link": ("/verify/not-a-token", t["token"]["invalid_heading"]),
        "not-found": ("/p/no-such-petition", t["error"]["heading"]),
    }
    for name, (path, heading) in pages.items():
        page.goto(f"{service.url}{path}?lang={lang}")
        if heading:
            expect(page.locator("h1")).to_have_text(heading)
        if name == "embed":
            expect(page.locator("undersign-petition [type=submit]")).to_be_visible()
        if lang != "en" and name != "petition":  # the wall quotes a signer in English
            # A confirmed signer's receipt is a code, not words.
            code = " ".join(page.locator(".receipt-code").all_inner_texts())
            left = english_left(page) - set(re.findall(r"[A-Za-z]+", code))
            assert not left, f"{name}: {left}"
        assert axe_violations(page) == [], name
        screenshot(page, f"page-{lang}-{name}")

    page.goto(f"{service.url}/withdraw/{tokens.make(keys, tokens.WITHDRAW, first)}?lang={lang}")
    page.get_by_role("button", name=t["token"]["withdraw_button"]).click()
    expect(page.locator("h1")).to_have_text(t["token"]["withdrawn_heading"])
    assert axe_violations(page) == []
    screenshot(page, f"page-{lang}-withdrawn")


def test_the_petition_page_shows_the_wall_pictures_and_share_links(
    service: Service, page: Any
) -> None:
    add_signers(
        service,
        [{"public": True, "comment": f"Message {n}", "country": "KZ"} for n in range(12)]
        + [{"country": "RU"}, {"country": "DE"}],
    )
    t = texts("en")
    page.goto(f"{service.url}/p/{SLUG}?lang=en")
    expect(page.locator("[data-count]")).to_have_text("14 signatures")
    expect(page.locator(".bars li").first).to_contain_text("Kazakhstan")
    expect(page.locator(".bars li").first).to_contain_text("12")
    expect(page.get_by_role("img", name=t["stats"]["growth"])).to_be_visible()
    expect(page.locator(".messages li")).to_have_count(10)
    expect(page.locator(".messages li").first).to_contain_text("Message 11")  # newest first
    expect(page.get_by_role("link", name="Telegram")).to_have_attribute(
        "href", re.compile(r"^https://t\.me/share/url\?url=http")
    )
    screenshot(page, "page-en-petition-full")
    page.get_by_role("link", name=t["wall"]["older"]).click()
    expect(page.locator(".messages li")).to_have_count(2)
    expect(page.locator(".messages li").last).to_contain_text("Message 0")
