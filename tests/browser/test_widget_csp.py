"""The widget on a partner page that allows its script and API and no inline styles.

Hardened sites (news, unions) send `style-src 'self'` or stricter. The widget must keep its look
there, and its honeypot must stay out of sight and out of the Tab order: a person who fills it
in is dropped as a bot without a word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.wrappers import Request, Response

from tests.browser.conftest import RESIZE_LISTENER, SLUG, Partner, Service, texts
from tests.conftest import screenshot, serve

pytestmark = pytest.mark.slow  # a real Chromium

# What a hardened partner page sends: the service's script and API, nothing inline.
POLICIES = {
    "style-self": (
        "default-src 'none'; script-src {service}; connect-src {service}; "
        "style-src 'self'; img-src 'self'"
    ),
    "style-none": (
        "default-src 'none'; script-src {service}; connect-src {service}; "
        "style-src 'none'; img-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'"
    ),
}

# The policy the service's own pages are to send (as /admin/ does), here put on /embed/{slug}.
SERVICE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors {partner}; base-uri 'none'; form-action 'self'"
)

HARDENED_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Metalworkers' union</title>
{stylesheet}
<script src="{service}/widget.js" defer></script>
</head>
<body><main><h1>Metalworkers' union</h1>
<undersign-petition petition="{slug}" lang="en" source="kz-union"></undersign-petition>
</main></body></html>
"""

# The partner's own styles, from its own origin: nothing inline on its page, so any violation
# the browser reports there is the widget's.
PARTNER_CSS = "body { font-family: Georgia, serif; margin: 1rem; } input, label { all: revert; }"

# Every violation the page and its frames report, as "directive blocked-uri source-file".
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  (window.cspViolations ||= []).push(
    `${event.effectiveDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
}, true);
"""

ACCENT = "rgb(163, 38, 27)"  # the widget's default accent, #a3261b
CARD_PADDING = "20px"  # 1.25rem


@pytest.fixture
def hardened_partner(service: Service) -> Iterator[Callable[[str], str]]:
    """A partner site that sends one of POLICIES; returns the address of its page under a policy."""

    @Request.application  # type: ignore[arg-type]
    def site(request: Request) -> Response:
        if request.path == "/site.css":
            return Response(PARTNER_CSS, content_type="text/css")
        name = request.path.strip("/")
        if name not in POLICIES:
            return Response("not found", 404)
        policy = POLICIES[name].format(service=service.url)
        own_styles = "style-src 'self'" in policy
        html = HARDENED_PAGE.format(
            service=service.url,
            slug=SLUG,
            stylesheet='<link rel="stylesheet" href="/site.css">' if own_styles else "",
        )
        response = Response(html, content_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = policy
        return response

    server, url = serve(site)
    yield lambda policy: f"{url}/{policy}"
    server.shutdown()


class Violations:
    """What the browser refused under the page's policy: console errors and violation events."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def all(self) -> list[str]:
        events: list[str] = []
        for frame in self.page.frames:
            events += frame.evaluate("window.cspViolations || []")
        return self.console + events


def widget(page: Any) -> Any:
    return page.locator("undersign-petition").first


def style_of(locator: Any, prop: str) -> str:
    return str(locator.evaluate(f"element => getComputedStyle(element).{prop}"))


def assert_styled_and_honeypot_hidden(w: Any) -> None:
    """The widget's own styles apply, and its honeypot can be neither seen nor focused."""
    expect(w.locator("[type=submit]")).to_be_visible()
    assert style_of(w.locator("[type=submit]"), "backgroundColor") == ACCENT
    assert style_of(w.locator(".card"), "paddingTop") == CARD_PADDING
    assert style_of(w.locator(".card"), "borderTopStyle") == "solid"
    assert style_of(w.locator(".bar span"), "backgroundColor") == ACCENT
    assert style_of(w.locator("#name"), "paddingLeft") == "10.4px"  # .65rem, not the browser's 1px
    expect(w.locator("#website")).to_be_hidden()
    expect(w.get_by_text(texts("en")["form"]["honeypot"])).to_be_hidden()
    assert w.locator("#website").get_attribute("tabindex") == "-1"


@pytest.mark.parametrize("policy", list(POLICIES))
def test_under_a_strict_policy_the_widget_keeps_its_look_and_a_person_signs_by_keyboard(
    service: Service, hardened_partner: Callable[[str], str], page: Any, policy: str
) -> None:
    t = texts("en")
    violations = Violations(page)
    page.goto(hardened_partner(policy))
    w = widget(page)
    assert_styled_and_honeypot_hidden(w)
    screenshot(page, f"widget-csp-{policy}-1-form")

    # Tab from the top of the page through the whole widget: the honeypot is never on the way.
    def tab() -> str:
        """Press Tab; return the id (else the tag) of what has the focus inside the widget."""
        page.keyboard.press("Tab")
        return str(w.evaluate("e => (f => f ? f.id || f.tagName : '')(e.shadowRoot.activeElement)"))

    assert tab() == "SUMMARY"
    assert tab() == "name"
    page.keyboard.type("Aigerim Bekova")
    assert tab() == "email"
    page.keyboard.type("aigerim.csp@example.org")
    assert tab() == "country"
    w.locator("select").select_option("KZ")  # a select's own keys differ by platform
    assert [tab(), tab(), tab()] == ["city", "postcode", "comment"]
    assert tab() == "named"
    assert tab() == "public"
    assert tab() == "contact_consent"
    page.keyboard.press("Space")
    assert tab() == "A"  # the privacy notice's link, read before signing
    assert tab() == "BUTTON"
    expect(w.locator("[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(w.locator(".done h3").first).to_be_focused()
    expect(w.locator(".done h3").first).to_have_text(t["sign"]["success_heading"])
    assert style_of(w.locator(".share a").first, "borderTopColor") == ACCENT
    screenshot(page, f"widget-csp-{policy}-2-check-your-inbox")

    # Kept, not dropped as a bot: it is stored and its confirmation email goes out.
    [signature] = service.signatures()
    assert (signature.source, signature.contact_consent) == ("kz-union", True)
    assert "/verify/" in service.deliver()
    assert violations.all() == []


@pytest.mark.parametrize("policy", list(POLICIES))
def test_under_a_strict_policy_the_widget_fits_a_phone(
    service: Service, hardened_partner: Callable[[str], str], context_factory: Any, policy: str
) -> None:
    page = context_factory(viewport={"width": 360, "height": 640}, is_mobile=True).new_page()
    violations = Violations(page)
    page.goto(hardened_partner(policy))
    assert_styled_and_honeypot_hidden(widget(page))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"widget-csp-{policy}-phone")
    assert violations.all() == []


def test_a_bot_that_fills_every_input_fills_the_honeypot_and_nothing_is_kept(
    service: Service, hardened_partner: Callable[[str], str], page: Any
) -> None:
    page.goto(hardened_partner("style-self"))
    w = widget(page)
    expect(w.locator("[type=submit]")).to_be_visible()
    # What a form-filling script does: a value in every text field, seen or not.
    w.evaluate(
        """element => {
          const form = element.shadowRoot.querySelector("form");
          for (const field of form.querySelectorAll("input:not([type=checkbox]), textarea"))
            field.value = field.type === "email" ? "bot@example.org" : "Bot Botov";
          form.country.value = "KZ";
          form.requestSubmit();
        }"""
    )
    # The bot is told what a person is told, and nothing is kept.
    expect(w.locator(".done h3").first).to_have_text(texts("en")["sign"]["success_heading"])
    assert service.signatures() == []


def test_the_iframe_embed_keeps_its_look_under_the_services_own_strict_policy(
    service: Service, partner: Partner, page: Any
) -> None:
    """/embed/{slug} under the policy the service's pages are to send: no inline styles either."""
    policy = SERVICE_POLICY.format(partner=partner.url)

    def with_policy(route: Any) -> None:
        response = route.fetch()
        route.fulfill(
            response=response,
            headers={**response.headers, "content-security-policy": policy},
        )

    page.route(f"{service.url}/embed/**", with_policy)
    violations = Violations(page)
    page.goto(
        partner.page(
            "iframe-csp",
            f'<iframe title="Petition" style="width: 100%; border: 0" '
            f'src="{service.url}/embed/{SLUG}?lang=en&source=kz-union"></iframe>',
            head=RESIZE_LISTENER.format(service=service.url),
        )
    )
    frame = page.frame_locator("iframe").locator("undersign-petition")
    assert_styled_and_honeypot_hidden(frame)
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 900")
    screenshot(page, "embed-csp-en-1-form")
    frame.locator("#name").fill("Aigerim Bekova")
    frame.locator("#email").fill("aigerim.embed@example.org")
    frame.locator("select").select_option("KZ")
    frame.locator("[type=submit]").click()
    expect(frame.locator(".done h3").first).to_have_text(texts("en")["sign"]["success_heading"])
    screenshot(page, "embed-csp-en-2-done")
    assert len(service.signatures()) == 1
    assert violations.all() == []


def test_a_browser_without_constructable_stylesheets_gets_a_style_element(
    service: Service, partner: Partner, page: Any
) -> None:
    """Safari before 16.4: on a page without a strict policy the widget still has its look."""
    page.add_init_script("delete ShadowRoot.prototype.adoptedStyleSheets")
    page.goto(partner.widget_page(service, "en"))
    w = widget(page)
    assert_styled_and_honeypot_hidden(w)
    assert w.evaluate("e => e.shadowRoot.querySelectorAll('style').length") == 1
