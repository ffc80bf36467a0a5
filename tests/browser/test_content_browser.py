"""A petition written in Markdown, its closing date, and closed petitions, as a reader sees them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.campaigns import petitions
from undersign.core import i18n, tokens
from undersign.core.auth import CLI
from undersign.core.db import database
from werkzeug.wrappers import Request, Response

from tests.browser.conftest import Partner, Service, axe_violations, texts
from tests.conftest import screenshot, serve

pytestmark = pytest.mark.slow  # a real Chromium

SLUG = "pay-the-miners"
CLOSES = datetime(2031, 3, 8, 12, 0, tzinfo=UTC)
TEXTS = {
    "en": {
        "title": "Pay the Satpaev miners what they are owed",
        "summary": "Three months without wages. We ask the company to pay, "
        "and the state to see it does.",
        "target": "Kazakhmys Corporation",
        "body": """# What happened

Since **August** the 1,200 miners of the Satpaev pits have not been paid. Families borrow to
buy bread; the company says the price of copper *fell*.

## What we ask

1. Pay every wage owed, with interest, before 1 December.
2. No dismissals of those who spoke out.
3. A wage agreement signed with the [miners' union](https://example.org/union).

## How you can help

- Sign, and share the page.
- Send a message of solidarity: the miners read every one.
- Write to [the organisers](mailto:organisers@example.org).

> "We dug the copper. Now we are told to wait." — a shift leader, 24 years underground
""",
    },
    "kk": {
        "title": "Сәтбаев кеншілерінің жалақысын төлеңіз",
        "summary": "Үш ай бойы жалақы жоқ. Компаниядан қарызды өтеуді, "
        "мемлекеттен соны қадағалауды талап етеміз.",
        "target": "«Қазақмыс» корпорациясы",
        "body": """# Не болды

**Тамыздан** бері Сәтбаев шахталарының 1 200 кеншісі жалақы алған жоқ. Отбасылар нан алу
үшін қарыз алып жүр; компания мыс бағасы *түсті* дейді.

## Талаптарымыз

1. Барлық жалақы қарызын өсімімен 1 желтоқсанға дейін төлеу.
2. Үн көтергендерді жұмыстан шығармау.
3. [Кеншілер кәсіподағымен](https://example.org/union) жалақы келісімін жасау.

## Қалай көмектесуге болады

- Қол қойып, бетті таратыңыз.
- Қолдау хатын жазыңыз: кеншілер әрқайсысын оқиды.
- [Ұйымдастырушыларға](mailto:organisers@example.org) жазыңыз.

> «Мысты біз қаздық. Енді бізге күте тұрыңдар дейді». — 24 жыл жер астында істеген ауысым бастығы
""",
    },
}
CLOSED_SLUG = "open-the-clinic"
CLOSED_TEXTS = {
    "en": {
        "title": "Reopen the Balkhash workers' clinic",
        "summary": "The clinic closed in spring. We asked for it back, and it reopened in June.",
    },
    "kk": {
        "title": "Балқаш жұмысшылар емханасын қайта ашыңыз",
        "summary": "Емхана көктемде жабылды. Біз оны қайтаруды сұрадық, ол маусымда қайта ашылды.",
    },
}
PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True}


def add_petitions(service: Service) -> None:
    """The Markdown petition, open until CLOSES, and one that ran out of time with 2 signatures."""
    with database(service.app).sessions() as session:
        petitions.create(session, SLUG, TEXTS, by=CLI, goal=5000, closes_at=CLOSES)
        petitions.create(
            session, CLOSED_SLUG, CLOSED_TEXTS, by=CLI, goal=1000,
            closes_at=datetime.now(UTC) + timedelta(days=1),
        )  # fmt: skip
    client = service.app.test_client()
    keys = service.app.extensions["undersign.settings"].signing_keys
    for n in range(2):
        person = {"name": f"Person{n} Test", "email": f"p{n}@example.org", "country": "KZ"}
        signed = client.post(f"/api/v1/petitions/{CLOSED_SLUG}/signatures", json=person)
        assert signed.status_code == 202
    for signature in service.signatures():
        token = tokens.make(keys, tokens.VERIFY, signature.id)
        assert client.post("/api/v1/signatures/verify", json={"token": token}).status_code == 200
    # Then its time runs out: closed by the clock, not by an organiser.
    with database(service.app).sessions() as session:
        petitions.find(session, CLOSED_SLUG).closes_at = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()


@pytest.mark.parametrize("lang", ["en", "kk"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_markdown_petition_reads_as_headings_lists_and_links_with_its_closing_date(
    service: Service, context_factory: Any, lang: str, device: str
) -> None:
    add_petitions(service)
    page = context_factory(**(PHONE if device == "phone" else {})).new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang={lang}")
    body = page.locator("article.petition-body")
    headings = body.get_by_role("heading", level=2)
    expect(headings.first).to_have_text(TEXTS[lang]["body"].split("\n")[0][2:])
    expect(body.get_by_role("heading", level=3)).to_have_count(2)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(body.locator("ol > li")).to_have_count(3)
    expect(body.locator("ul > li")).to_have_count(3)
    union = body.locator('a[href="https://example.org/union"]')
    expect(union).to_have_attribute("rel", "nofollow noopener noreferrer")
    expect(union).to_have_attribute("target", "_blank")
    expect(body.locator("strong").first).to_be_visible()
    date = i18n.format_date(lang, CLOSES.date())
    closes = texts(lang)["content"]["closes_on"].format(date=date)
    expect(page.locator(".sign-section .closes")).to_have_text(closes)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_violations(page) == []
    screenshot(page, f"content-petition-{lang}-{device}")


@pytest.mark.parametrize("lang", ["en", "kk"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_index_lists_a_closed_petition_apart_with_its_final_count(
    service: Service, context_factory: Any, lang: str, device: str
) -> None:
    add_petitions(service)
    t = texts(lang)
    page = context_factory(**(PHONE if device == "phone" else {})).new_page()
    page.goto(f"{service.url}/?lang={lang}")
    closed = page.locator("section.closed-petitions")
    expect(closed.get_by_role("heading", level=2)).to_have_text(t["content"]["closed_heading"])
    card = closed.locator("li", has_text=CLOSED_TEXTS[lang]["title"])
    final = t["content"]["final_count"].format(count=i18n.count_text(lang, 2))
    expect(card.locator(".final-count")).to_have_text(final)
    open_list = page.locator("main > ul.petitions")
    expect(open_list).to_contain_text(TEXTS[lang]["title"])
    expect(open_list).not_to_contain_text(CLOSED_TEXTS[lang]["title"])
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_violations(page) == []
    screenshot(page, f"content-index-{lang}-{device}")

    # The closed petition's own page: closed, its final count, and no form.
    card.get_by_role("link").click()
    expect(page.locator("#sign-heading")).to_have_text(t["content"]["signing_over"])
    expect(page.locator(".notice.closed")).to_contain_text(t["petition"]["closed"])
    expect(page.locator(".notice.closed")).to_contain_text(final)
    expect(page.locator("form.sign-form, input[type=email]")).to_have_count(0)
    screenshot(page, f"content-closed-{lang}-{device}")


# A partner page that allows the service's script and API and enforces Trusted Types:
# the widget may not hand HTML to innerHTML there, and must still show the formatted text.
STRICT = (
    "default-src 'none'; script-src {service}; connect-src {service}; style-src 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)
STRICT_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Union</title>
<script src="{service}/widget.js" defer></script></head>
<body><main><h1>Union</h1>
<undersign-petition petition="{slug}" lang="{lang}"></undersign-petition></main></body></html>
"""


@pytest.fixture
def strict_partner(service: Service) -> Iterator[str]:
    """A partner site on its own origin that sends STRICT; returns its address."""

    @Request.application  # type: ignore[arg-type]
    def site(request: Request) -> Response:
        lang = request.path.strip("/")
        html = STRICT_PAGE.format(service=service.url, slug=SLUG, lang=lang)
        response = Response(html, content_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = STRICT.format(service=service.url)
        return response

    server, url = serve(site)
    yield url
    server.shutdown()


@pytest.mark.parametrize("lang", ["en", "kk"])
def test_the_widgets_read_more_shows_the_same_text_under_a_strict_policy(
    service: Service, strict_partner: str, page: Any, lang: str
) -> None:
    add_petitions(service)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(f"{strict_partner}/{lang}")
    widget = page.locator("undersign-petition")
    widget.locator("summary").click()
    body = widget.locator("details .body")
    # The card's title is the h2: the text's headings come one level below it.
    expect(body.get_by_role("heading", level=3).first).to_have_text(
        TEXTS[lang]["body"].split("\n")[0][2:]
    )
    expect(body.get_by_role("heading", level=4)).to_have_count(2)
    expect(body.locator("ol > li")).to_have_count(3)
    union = body.locator('a[href="https://example.org/union"]')
    expect(union).to_have_attribute("rel", "nofollow noopener noreferrer")
    expect(union).to_have_attribute("target", "_blank")
    date = i18n.format_date(lang, CLOSES.date())
    expect(widget.locator(".closes")).to_have_text(
        texts(lang)["content"]["closes_on"].format(date=date)
    )
    assert body.locator("script, [style], [onclick]").count() == 0
    screenshot(page, f"content-widget-{lang}")
    assert refused == []  # nothing blocked, Trusted Types included


def test_a_browser_without_set_html_still_shows_the_formatted_text(
    service: Service, partner: Partner, page: Any
) -> None:
    """Safari and older browsers: the sanitised HTML goes in by innerHTML, links still safe."""
    add_petitions(service)
    page.add_init_script("delete Element.prototype.setHTML")
    page.goto(partner.widget_page(service, "en", petition=SLUG))
    widget = page.locator("undersign-petition")
    widget.locator("summary").click()
    body = widget.locator("details .body")
    expect(body.get_by_role("heading", level=4)).to_have_count(2)
    expect(body.locator("ul > li")).to_have_count(3)
    expect(body.locator('a[href^="mailto:"]')).to_have_attribute("target", "_blank")
