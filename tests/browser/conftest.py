"""A real Chromium, the service on one loopback port and a partner's site on another origin."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from undersign.campaigns import demo
from undersign.core import tokens
from undersign.core.db import database
from undersign.core.i18n import frontend_dir
from undersign.core.models import Petition, Signature
from undersign.mail.worker import deliver_due
from werkzeug.wrappers import Request, Response

from tests.conftest import SMTPServer, free_port, make_app, serve, unavailable

SLUG = demo.SLUG


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


# --- the service ---------------------------------------------------------------------------


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """One database is enough here: these tests are about what the browser shows."""
    path = tmp_path / "undersign.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@dataclass
class Service:
    """The running service, with the helpers a test needs to play the person and the mailer."""

    url: str
    app: Flask
    smtp: SMTPServer

    def deliver(self, count: int = 1) -> str:
        """Run the mailer, wait for the `count`th email and return its plain-text body."""
        deliver_due(self.app)
        messages = self.smtp.mailbox.wait_for(count)
        assert len(messages) >= count, "the confirmation email did not arrive"
        body = messages[count - 1].get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())

    def link(self, body: str, purpose: str = "verify") -> str:
        found = re.search(rf"{re.escape(self.url)}/{purpose}/[\w.\-]+", body)
        assert found, f"no {purpose} link in the email"
        return found.group(0)

    def approve_wall(self) -> None:
        """Approve every entry waiting for the wall, as an organiser would."""
        with database(self.app).sessions.begin() as session:
            waiting = Signature.comment_status == "pending"
            session.execute(update(Signature).where(waiting).values(comment_status="approved"))

    def signatures(self) -> list[Signature]:
        with database(self.app).sessions() as session:
            return list(session.scalars(select(Signature).order_by(Signature.id)))

    def close_petition(self) -> None:
        with database(self.app).sessions() as session:
            petition = session.scalars(select(Petition).where(Petition.slug == SLUG)).one()
            petition.status = "closed"
            session.commit()


@pytest.fixture
def service(database_url: str, smtp: SMTPServer, tmp_path: Path) -> Iterator[Service]:
    """The app, with the demo petition in three languages, served for real on loopback."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, BASE_URL=url)
    with database(app).sessions() as session:
        demo.seed(session)
        session.commit()
    server, _ = serve(app, port)
    yield Service(url, app, smtp)
    server.shutdown()
    database(app).engine.dispose()


# --- the partner's site, on another origin -------------------------------------------------

PARTNER_PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ font-family: Georgia, serif; margin: 1rem; }} {style}</style>
<script>window.globalsBefore = Object.getOwnPropertyNames(window);</script>
{head}
</head>
<body><main><h1>{title}</h1>
{body}
</main></body></html>
"""

RESIZE_LISTENER = """<script>
addEventListener("message", (event) => {{
  if (event.origin !== "{service}" || !event.data || event.data.type !== "undersign:resize") return;
  for (const frame of document.querySelectorAll("iframe")) {{
    if (frame.contentWindow === event.source) frame.style.height = event.data.height + "px";
  }}
}});
</script>"""


@dataclass
class Partner:
    """A partner's site on its own origin; `page()` returns the address of a page it serves."""

    url: str
    pages: dict[str, str]

    def page(
        self, name: str, body: str, *, lang: str = "en", head: str = "", style: str = ""
    ) -> str:
        title = {
            "en": "Metalworkers' union",
            "ru": "Профсоюз металлургов",
            "kk": "Металлургтер одағы",
        }
        self.pages[name] = PARTNER_PAGE.format(
            lang=lang, title=title[lang], head=head, body=body, style=style
        )
        return f"{self.url}/{name}"

    def widget_page(self, service: Service, lang: str, petition: str = SLUG, **extra: str) -> str:
        attributes = "".join(f' {k}="{v}"' for k, v in {"lang": lang, **extra}.items())
        return self.page(
            f"widget-{petition}-{lang}",
            f'<undersign-petition petition="{petition}"{attributes}></undersign-petition>',
            lang=lang,
            head=f'<script src="{service.url}/widget.js" defer></script>',
        )


@pytest.fixture
def partner(service: Service) -> Iterator[Partner]:
    pages: dict[str, str] = {}

    @Request.application  # type: ignore[arg-type]
    def site(request: Request) -> Response:
        html = pages.get(request.path.strip("/"))
        if html is None:
            return Response("not found", 404)
        return Response(html, content_type="text/html; charset=utf-8")

    server, url = serve(site)
    yield Partner(url, pages)
    server.shutdown()


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture
def context_factory(browser: Any) -> Iterator[Callable[..., Any]]:
    """New browser contexts (a fresh profile each), closed after the test."""
    contexts: list[Any] = []

    def new_context(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1100, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(context_factory: Callable[..., Any]) -> Any:
    return context_factory().new_page()


SERIOUS = ("serious", "critical")
EVERY_IMPACT = ("minor", "moderate", *SERIOUS)


def axe_violations(page: Any, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """Run axe-core on the page, shadow roots and frames included; return its `impacts`."""
    try:
        import axe_playwright_python
    except ImportError:
        unavailable("axe-playwright-python (which ships axe.min.js) is not installed")
    script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    # Evaluated, not an inline <script>, which the pages' policy (script-src 'self') blocks.
    page.evaluate(script.read_text("utf-8"))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in impacts
    ]


def texts(locale: str) -> dict[str, Any]:
    return json.loads((frontend_dir() / "locales" / f"{locale}.json").read_text("utf-8"))  # type: ignore[no-any-return]


def add_signers(service: Service, people: list[dict[str, Any]]) -> None:
    """Sign and confirm for each person through the API, approving their messages for the wall."""
    client = service.app.test_client()
    keys = service.app.extensions["undersign.settings"].signing_keys
    for n, person in enumerate(people):
        body = {"name": f"Person{n} Test", "email": f"person{n}@example.org", "country": "KZ"}
        answer = client.post(f"/api/v1/petitions/{SLUG}/signatures", json={**body, **person})
        assert answer.status_code == 202, answer.json
    for signature in service.signatures():
        token = tokens.make(keys, tokens.VERIFY, signature.id)
        assert client.post("/api/v1/signatures/verify", json={"token": token}).status_code == 200
    with database(service.app).sessions() as session:
        session.execute(
            update(Signature)
            .where(Signature.comment_status.is_not(None))
            .values(comment_status="approved")
        )
        session.commit()
