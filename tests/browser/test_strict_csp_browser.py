"""Partners whose pages allow no inline script or style: the frame snippet made of attributes
and a hosted script, and a widget that says what is wrong when the page's policy shuts it out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.campaigns import demo
from werkzeug.wrappers import Request, Response

from tests.admin.conftest import OrganiserAPI, make_token
from tests.browser.conftest import RESIZE_LISTENER, SLUG, Service, axe_violations, texts
from tests.browser.test_widget_csp import Violations
from tests.conftest import screenshot, serve

pytestmark = pytest.mark.slow  # a real Chromium

# The partner's policy the issue names: its own and our scripts, its own styles, nothing inline.
STRICT = "script-src 'self' {service}; style-src 'self'"
# A policy that forgot us in connect-src (default-src covers it): widget.js runs, no data comes.
NO_CONNECT = "default-src 'none'; script-src {service}; style-src 'self'"

PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/site.css">
{head}
</head>
<body><main><h1>{title}</h1>
{body}
</main></body></html>
"""
TITLES = {"en": "Metalworkers' union", "ru": "Профсоюз металлургов", "kk": "Металлургтер одағы"}


@pytest.fixture
def strict_partner(service: Service) -> Iterator[Callable[..., str]]:
    """A partner site that sends a policy of its own; returns a page's address on it."""
    pages: dict[str, tuple[str, str]] = {}

    @Request.application  # type: ignore[arg-type]
    def site(request: Request) -> Response:
        if request.path == "/site.css":
            return Response(
                "body { font-family: Georgia, serif; margin: 1rem; }", content_type="text/css"
            )
        found = pages.get(request.path.strip("/"))
        if found is None:
            return Response("not found", 404)
        html, policy = found
        response = Response(html, content_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = policy.format(service=service.url)
        return response

    server, url = serve(site)

    def page(name: str, policy: str, body: str, *, lang: str = "en", head: str = "") -> str:
        pages[name] = (PAGE.format(lang=lang, title=TITLES[lang], head=head, body=body), policy)
        return f"{url}/{name}"

    yield page
    server.shutdown()


README = Path(__file__).parents[2] / "README.md"


def strict_snippet(service: Service, lang: str) -> str:
    """The README's snippet for strict pages, for this service, petition title and language."""
    blocks = re.findall(r"```html\n(.*?)```", README.read_text("utf-8"), flags=re.S)
    [snippet] = [block for block in blocks if "/frame.js" in block]
    assert "style=" not in snippet and "<script>" not in snippet  # nothing inline
    title = demo.TEXTS[lang]["title"].replace('"', "&quot;")
    return (
        snippet.replace("https://sign.example.org", service.url)
        .replace("lang=ru", f"lang={lang}")
        .replace('title="Петиция"', f'title="{title}"')
    )


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_under_a_strict_policy_the_frame_snippet_fits_the_form_and_a_person_signs(
    service: Service, strict_partner: Callable[..., str], page: Any, lang: str
) -> None:
    violations = Violations(page)
    page.goto(strict_partner(f"frame-{lang}", STRICT, strict_snippet(service, lang), lang=lang))
    frame_element = page.locator("iframe")
    form = page.frame_locator("iframe").locator("undersign-petition")
    expect(form.locator("[type=submit]")).to_have_text(texts(lang)["form"]["submit"])
    # Unsized, a frame is 150 px tall and 300 wide with a border; frame.js fits it to the form.
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 900")
    main_width = page.evaluate("document.querySelector('main').clientWidth")
    assert frame_element.evaluate("f => f.getBoundingClientRect().width") == main_width
    assert frame_element.evaluate("f => getComputedStyle(f).borderTopWidth") == "0px"
    screenshot(page, f"strict-frame-{lang}-1-form")

    form.locator("#name").fill("Айгерим Бекова")
    form.locator("#email").fill(f"aigerim.strict.{lang}@example.org")
    form.locator("select").select_option("KZ")
    form.locator("[type=submit]").click()
    expect(form.locator(".done h3").first).to_have_text(texts(lang)["sign"]["success_heading"])
    screenshot(page, f"strict-frame-{lang}-2-done")
    [signature] = service.signatures()
    assert signature.source == "kz-union"
    assert violations.all() == []
    assert axe_violations(page) == []


def test_the_old_inline_snippet_is_what_a_strict_policy_stops(
    service: Service, strict_partner: Callable[..., str], page: Any
) -> None:
    """Why the strict snippet exists: the inline listener is refused and the frame stays 150 px."""
    violations = Violations(page)
    inline = (
        f'<iframe src="{service.url}/embed/{SLUG}?lang=en" title="Petition"></iframe>'
        + RESIZE_LISTENER.format(service=service.url)
    )
    page.goto(strict_partner("old", STRICT, inline))
    expect(
        page.frame_locator("iframe").locator("undersign-petition [type=submit]")
    ).to_be_attached()
    assert page.locator("iframe").evaluate("f => f.offsetHeight") < 200
    assert any("script-src" in v for v in violations.all())


@pytest.mark.parametrize(
    ("lang", "page_lang"),
    [("kk", "kk"), ("ru", "en"), (None, "kk")],  # the element's own lang, else the page's
)
def test_a_widget_the_page_shuts_out_says_why_in_its_language(
    service: Service,
    strict_partner: Callable[..., str],
    page: Any,
    lang: str | None,
    page_lang: str,
) -> None:
    said = lang or page_lang
    words = texts(said)["reach"]
    # The site's owner looks at the console: there it says what to allow, in the same language.
    told = words["blocked_console"].format(service=service.url)
    assert f"connect-src {service.url}" in told
    attribute = f' lang="{lang}"' if lang else ""
    body = f'<undersign-petition petition="{SLUG}"{attribute}></undersign-petition>'
    head = f'<script src="{service.url}/widget.js" defer></script>'
    address = strict_partner(f"no-connect-{lang}", NO_CONNECT, body, lang=page_lang, head=head)
    with page.expect_console_message(lambda message: message.text == told) as logged:
        page.goto(address)
    assert logged.value.type == "error"
    widget = page.locator("undersign-petition")
    expect(widget.get_by_role("alert")).to_have_text(words["blocked"])
    link = widget.get_by_role("link", name=words["open"])
    assert link.get_attribute("href") == f"{service.url}/p/{SLUG}?lang={said}"
    assert axe_violations(page) == []
    screenshot(page, f"widget-blocked-{said}")


def test_a_widget_that_cannot_reach_the_service_says_so_in_its_language(
    service: Service, strict_partner: Callable[..., str], page: Any
) -> None:
    """No policy to blame (the service is away): the plain message, in the element's language."""
    page.route(f"{service.url}/widget/**", lambda route: route.abort())
    body = f'<undersign-petition petition="{SLUG}" lang="ru"></undersign-petition>'
    head = f'<script src="{service.url}/widget.js" defer></script>'
    page.goto(strict_partner("away", STRICT + f"; connect-src {service.url}", body, head=head))
    widget = page.locator("undersign-petition")
    expect(widget.get_by_role("alert")).to_have_text(texts("ru")["reach"]["failed"])
    expect(widget.get_by_role("link")).to_have_count(0)


def test_admin_gives_the_strict_snippet_and_it_works_as_pasted(
    service: Service, strict_partner: Callable[..., str], page: Any
) -> None:
    organiser = OrganiserAPI(service.app.test_client(), make_token(service.app, "setup"))
    made = {"code": "kz-union", "name": "Miners' union", "allowed_origins": []}
    assert organiser.post("/partners", made).status_code == 201
    page.goto(f"{service.url}/admin/")
    page.get_by_label("Token").fill(make_token(service.app, "office"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Partners").click()
    page.get_by_label("Language of the snippets").select_option("kk")
    box = page.get_by_role("textbox", name=texts("en")["reach"]["strict_frame"])
    expect(box).to_have_value(re.compile(re.escape(f"/embed/{SLUG}?lang=kk&source=kz-union")))
    assert f'<script src="{service.url}/frame.js" defer></script>' in box.input_value()
    snippet = box.input_value()
    assert "style=" not in snippet and "<script>" not in snippet  # nothing inline
    screenshot(page, "admin-snippets-strict")

    violations = Violations(page)
    page.goto(strict_partner("pasted", STRICT, snippet, lang="kk"))
    form = page.frame_locator("iframe").locator("undersign-petition [type=submit]")
    expect(form).to_have_text(texts("kk")["form"]["submit"])
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 900")
    assert page.locator("iframe").get_attribute("title") == demo.TEXTS["kk"]["title"]
    assert violations.all() == []
