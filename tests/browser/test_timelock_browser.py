"""The plain form when every sign post is held: a browser without JavaScript waits and signs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.campaigns import demo
from undersign.core.db import database

from tests.browser.conftest import SLUG, Service, texts
from tests.conftest import SMTPServer, free_port, make_app, serve

WAIT = 2  # seconds: long enough to see the waiting page, short for the test


@pytest.fixture
def service(database_url: str, smtp: SMTPServer, tmp_path: Path) -> Iterator[Service]:
    """The demo petition served for real, with a threshold of 0: every form post waits."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        BASE_URL=url,
        CHALLENGE_NETWORK_RATE=0,
        CHALLENGE_WAIT=WAIT,
    )
    with database(app).sessions() as session:
        demo.seed(session)
        session.commit()
    server, _ = serve(app, port)
    yield Service(url, app, smtp)
    server.shutdown()
    database(app).engine.dispose()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_without_javascript_the_waiting_page_moves_on_by_itself_and_signs_once(
    service: Service, context_factory: Any, lang: str
) -> None:
    t = texts(lang)
    page = context_factory(java_script_enabled=False).new_page()
    pages: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda answer: (
            pages.append((answer.status, answer.url))
            if answer.request.resource_type == "document"
            else None
        ),
    )
    page.goto(f"{service.url}/p/{SLUG}?lang={lang}")
    page.get_by_label(t["form"]["name"]).fill("Aigerim Bekova")
    page.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    page.get_by_label(t["form"]["country"], exact=True).select_option("KZ")
    page.get_by_role("button", name=t["form"]["submit"]).click()

    expect(page.locator("h1")).to_have_text(t["waiting"]["heading"])
    expect(page.get_by_role("link", name=t["waiting"]["continue"])).to_be_visible()
    assert service.signatures() == []  # held, not yet taken
    # No click: the meta refresh follows the waiting link after WAIT seconds.
    expect(page.locator("h1")).to_have_text(t["sign"]["success_heading"])
    assert "/wait/" in page.url
    assert [status for status, _ in pages] == [200, 200, 202]  # the petition, waiting, signed
    assert len(service.signatures()) == 1
    assert "aigerim@example.org" not in " ".join(url for _, url in pages)
    assert service.link(service.deliver())  # the confirmation email, as after any signature
