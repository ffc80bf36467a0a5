"""Every kind of page under its headers, in Chromium: nothing refused, everything working.

The pages send a Content-Security-Policy without inline script or style, and only the embed may
be framed (`undersign/headers.py`). Each test records what the browser refuses (violation events
in every page and frame, console errors) and checks the page still does its job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.core import auth, tokens
from undersign.core.db import database
from undersign.core.i18n import count_text
from undersign.organisers import partners

from tests.browser.conftest import RESIZE_LISTENER, SLUG, Partner, Service, add_signers, texts
from tests.browser.test_widget_csp import RECORD_VIOLATIONS
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium

INK = "rgb(29, 29, 27)"  # the site header's background, from site.css: the stylesheet applied
ACCENT = "rgb(163, 38, 27)"


class Refusals:
    """What a browser context refused or failed at: CSP violations, console errors, page errors."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.console: list[str] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.console.append(f"error: {error.error}"))

    def _console(self, message: Any) -> None:
        # A page answered 404 or 410 on purpose is not a refusal; anything else is.
        if message.type in ("error", "warning") and "Failed to load resource" not in message.text:
            self.console.append(message.text)

    def wait_for(self, text: str, seconds: float = 5) -> None:
        """Wait until the console reports a refusal that names `text`."""
        for _ in range(int(seconds * 10)):
            if any(text in line for line in self.console):
                return
            self.context.pages[0].wait_for_timeout(100)
        raise AssertionError(f"no refusal names {text!r}: {self.all()}")

    def all(self) -> list[str]:
        events: list[str] = []
        for page in self.context.pages:
            for frame in page.frames:
                if frame.url.startswith(("http", "blob:")):
                    events += frame.evaluate("window.cspViolations || []")
        return self.console + events


@pytest.fixture
def watched(context_factory: Callable[..., Any]) -> Callable[..., tuple[Any, Refusals]]:
    """Open a page in a new context whose refusals are recorded; return both."""

    def open_page(**options: Any) -> tuple[Any, Refusals]:
        context = context_factory(**options)
        refusals = Refusals(context)
        return context.new_page(), refusals

    return open_page


def style_of(locator: Any, prop: str) -> str:
    return str(locator.evaluate(f"element => getComputedStyle(element).{prop}"))


def width_of(locator: Any) -> float:
    return float(locator.evaluate("element => element.getBoundingClientRect().width"))


def allow_framing(service: Service, code: str, origins: list[str]) -> None:
    with database(service.app).sessions() as session:
        partners.create(session, code, code, origins, by=auth.CLI)


def test_the_petition_page_runs_its_scripts_and_draws_its_bars_under_the_policy(
    service: Service, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    add_signers(service, [{"country": "KZ"}, {"country": "KZ"}, {"country": "RU"}])
    t = texts("en")
    page, refusals = watched(permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{service.url}/p/{SLUG}?lang=en")
    assert style_of(page.locator("header.site"), "backgroundColor") == INK
    expect(page.locator("[data-count]")).to_have_text("3 signatures")

    # The bars are SVG: their widths are attributes, which no style policy blocks.
    kz, ru = page.locator(".bars .fill-value").all()
    assert width_of(kz) == pytest.approx(width_of(page.locator(".bar-track").first), abs=1)
    assert width_of(ru) == pytest.approx(width_of(kz) / 2, abs=1)
    assert style_of(kz, "fill") == ACCENT
    # 3 of 10,000 is a sliver, but one you can see.
    assert width_of(page.locator(".progress .fill").locator("rect").first) >= 5
    screenshot(page, "headers-petition-en")

    # petition.js runs: the copy button shows itself and copies.
    page.get_by_role("button", name=t["share"]["copy_link"]).click()
    expect(page.locator(".copy-link")).to_have_text(t["share"]["copied"])

    # And the count keeps itself live, fetching from the service (connect-src 'self').
    add_signers(service, [{"email": "late@example.org", "country": "KZ"}])
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("[data-count]")).to_have_text("4 signatures", timeout=20_000)
    expect(page.locator(".progress .fill-value")).to_have_attribute("width", "0.04%")
    assert refusals.all() == []


def test_the_no_javascript_form_posts_and_thanks_under_the_policy(
    service: Service, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    t = texts("ru")
    page, refusals = watched()
    page.goto(f"{service.url}/p/{SLUG}?lang=ru")
    page.get_by_label(t["form"]["name"]).fill("Айгерим Бекова")
    page.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    page.get_by_label(t["form"]["country"], exact=True).select_option("KZ")
    page.get_by_role("button", name=t["form"]["submit"]).click()
    expect(page.locator("h1")).to_have_text(t["sign"]["success_heading"])
    assert style_of(page.locator("header.site"), "backgroundColor") == INK
    screenshot(page, "headers-thank-you-ru")
    assert len(service.signatures()) == 1
    assert refusals.all() == []


def test_the_verify_page_confirms_and_tells_no_one_its_address(
    service: Service, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    t = texts("kk")
    client = service.app.test_client()
    body = {"name": "Aigerim Bekova", "email": "a@example.org", "country": "KZ", "locale": "kk"}
    assert client.post(f"/api/v1/petitions/{SLUG}/signatures", json=body).status_code == 202
    link = service.link(service.deliver())

    page, refusals = watched()
    page.goto(link)
    page.get_by_role("button", name=t["token"]["verify_button"]).click()
    expect(page.locator("h1")).to_have_text(t["token"]["verified_heading"])
    screenshot(page, "headers-verified-kk")
    # The address holds the token: the next page learns nothing of where the signer came from.
    with page.expect_request(lambda request: f"/p/{SLUG}" in request.url) as followed:
        page.get_by_role("link", name=t["token"]["back"]).click()
    assert "referer" not in followed.value.all_headers()
    expect(page.locator("[data-count]")).to_have_text(count_text("kk", 1))
    # An ordinary page does say where a visitor came from, to this service at least.
    with page.expect_request(lambda request: "lang=ru" in request.url) as switched:
        page.get_by_role("link", name="Русский").click()
    assert switched.value.all_headers()["referer"].startswith(f"{service.url}/p/{SLUG}")
    assert refusals.all() == []


@pytest.mark.parametrize(
    "path",
    ["/", "/p/no-such-petition", "/verify/not-a-token", f"/withdraw/{'x' * 40}", "/nothing"],
)
def test_index_and_error_pages_keep_their_look_under_the_policy(
    service: Service, watched: Callable[..., tuple[Any, Refusals]], path: str
) -> None:
    page, refusals = watched()
    page.goto(f"{service.url}{path}")
    expect(page.locator("h1")).to_be_visible()
    assert style_of(page.locator("header.site"), "backgroundColor") == INK
    if path == "/":
        assert width_of(page.locator(".progress .fill rect").first) >= 5
        screenshot(page, "headers-index")
    assert refusals.all() == []


def test_the_embed_sizes_its_frame_on_a_partners_site_it_names(
    service: Service, partner: Partner, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    allow_framing(service, "kz-union", [partner.url])
    t = texts("kk")
    page, refusals = watched()
    page.goto(
        partner.page(
            "embed-allowed",
            f'<iframe title="{t["petition"]["sign_heading"]}" class="undersign" '
            f'src="{service.url}/embed/{SLUG}?lang=kk&source=kz-union"></iframe>',
            lang="kk",
            head=RESIZE_LISTENER.format(service=service.url),
            style="iframe.undersign { width: 100%; border: 0 }",
        )
    )
    frame = page.frame_locator("iframe")
    expect(frame.locator("undersign-petition [type=submit]")).to_have_text(t["form"]["submit"])
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 900")
    screenshot(page, "headers-embed-partner-kk")
    assert refusals.all() == []


def test_a_site_the_partner_did_not_name_cannot_frame_its_embed(
    service: Service, partner: Partner, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    allow_framing(service, "kz-union", ["https://union.example"])
    page, refusals = watched()
    page.goto(
        partner.page(
            "embed-refused",
            f'<iframe title="Petition" src="{service.url}/embed/{SLUG}?source=kz-union"></iframe>',
        )
    )
    refusals.wait_for("frame-ancestors 'self' https://union.example")
    assert page.frames[1].url.startswith("chrome-error:")  # the partner's frame stays empty


@pytest.mark.parametrize("path", [f"/p/{SLUG}", "/", f"/verify/{'x' * 40}", "/admin/"])
def test_no_other_page_can_be_framed(
    service: Service, partner: Partner, watched: Callable[..., tuple[Any, Refusals]], path: str
) -> None:
    page, refusals = watched()
    page.goto(partner.page("framing", f'<iframe title="Page" src="{service.url}{path}"></iframe>'))
    refusals.wait_for("frame-ancestors 'none'")
    assert page.frames[1].url.startswith("chrome-error:")


def test_the_embeds_form_without_javascript_answers_in_a_tab_of_its_own(
    service: Service, partner: Partner, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    """The thank-you page may not be framed, so the framed form opens it beside the partner's."""
    t = texts("en")
    page, _ = watched(java_script_enabled=False)
    page.goto(
        partner.page(
            "embed-nojs",
            f'<iframe title="Petition" src="{service.url}/embed/{SLUG}?source=kz-union" '
            'width="600" height="900"></iframe>',
        )
    )
    frame = page.frame_locator("iframe")
    frame.get_by_label(t["form"]["name"]).fill("Aigerim Bekova")
    frame.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    frame.get_by_label(t["form"]["country"], exact=True).select_option("KZ")
    with page.context.expect_page() as opened:
        frame.get_by_role("button", name=t["form"]["submit"]).click()
    thanks = opened.value
    expect(thanks.locator("h1")).to_have_text(t["sign"]["success_heading"])
    screenshot(thanks, "headers-embed-nojs-thank-you")
    [signature] = service.signatures()
    assert signature.source == "kz-union"


def test_the_admin_page_signs_in_and_opens_the_handover_list_under_its_policy(
    service: Service, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    add_signers(service, [{"country": "KZ"}])
    with database(service.app).sessions() as session:
        token = auth.create(session, "office", by=auth.CLI)
    page, refusals = watched()
    page.goto(f"{service.url}/admin/#/p/{SLUG}/export")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Open printable list")).to_be_visible()
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Open printable list").click()
    printable = popup.value
    expect(printable.locator("h1")).to_be_visible()
    assert style_of(printable.locator("body"), "marginTop") == "32px"  # handover.css applied
    screenshot(page, "headers-admin-export")
    assert refusals.all() == []


def test_the_handover_list_opened_directly_keeps_its_look(
    service: Service, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    add_signers(service, [{"country": "KZ"}])
    with database(service.app).sessions() as session:
        token = auth.create(session, "office", by=auth.CLI)
    page, refusals = watched(extra_http_headers={"Authorization": f"Bearer {token}"})
    page.goto(f"{service.url}/api/v1/admin/petitions/{SLUG}/handover")
    expect(page.locator("h1")).to_be_visible()
    assert style_of(page.locator("body"), "marginTop") == "32px"
    screenshot(page, "headers-handover")
    assert refusals.all() == []


def test_a_withdrawal_under_the_policy(
    service: Service, watched: Callable[..., tuple[Any, Refusals]]
) -> None:
    add_signers(service, [{"country": "KZ"}])
    keys = service.app.extensions["undersign.settings"].signing_keys
    token = tokens.make(keys, tokens.WITHDRAW, service.signatures()[0].id)
    t = texts("en")
    page, refusals = watched()
    page.goto(f"{service.url}/withdraw/{token}?lang=en")
    page.get_by_role("button", name=t["token"]["withdraw_button"]).click()
    expect(page.locator("h1")).to_have_text(t["token"]["withdrawn_heading"])
    assert refusals.all() == []
