"""Every answer says nosniff; every page says what may run on it, who may frame it, what it refers.

The rules live in `undersign/headers.py`; these tests visit one of each kind of page the service
renders (success, refusal and error alike) and read the headers a browser would act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from undersign.campaigns import petitions
from undersign.core import auth
from undersign.core.db import database
from undersign.core.i18n import frontend_dir
from undersign.organisers import partners
from werkzeug.test import TestResponse

from tests.conftest import Signer, SMTPServer, create_petition, make_app, post_form

TEMPLATES = Path(__file__).parents[2] / "server" / "undersign" / "templates"
SLUG = "test-petition"
PERSON = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}

# What would run or style a page without coming from a file: none of it may be in a page.
INLINE_CODE = re.compile(
    r"<script\b(?![^>]*\bsrc=)[^>]*>"  # a script element without src
    r"|<style\b"  # a style element
    r"|\sstyle\s*="  # a style attribute
    r"|\son[a-z]+\s*=",  # an event handler attribute
    re.I,
)


@dataclass
class Visit:
    """What a test needs to reach every kind of page."""

    client: FlaskClient
    verify: str
    withdraw: str
    organiser: str
    monkeypatch: pytest.MonkeyPatch


@pytest.fixture
def visit(
    app: Flask, client: FlaskClient, signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> Visit:
    """A petition with one pending signature, its two links, and an organiser's token."""
    assert signer.sign(**PERSON).status_code == 202
    signer.deliver()
    with database(app).sessions() as session:
        organiser = auth.create(session, "office", by=auth.CLI)
        partners.create(session, "kz-union", "KZ union", ["https://union.example"], by=auth.CLI)
    return Visit(
        client,
        signer.token(PERSON["email"], "verify"),
        signer.token(PERSON["email"], "withdraw"),
        organiser,
        monkeypatch,
    )


def broken(visit: Visit, error: Exception) -> TestResponse:
    """Open the front page while listing petitions fails with `error`."""

    def fail(*args: Any) -> None:
        raise error

    visit.monkeypatch.setattr(petitions, "open_and_closed", fail)
    return visit.client.get("/")


def handover(visit: Visit) -> TestResponse:
    auth_header = {"Authorization": f"Bearer {visit.organiser}"}
    return visit.client.get(f"/api/v1/admin/petitions/{SLUG}/handover", headers=auth_header)


# name: (how to ask, the status, which kind of page answers)
PAGES: dict[str, tuple[Callable[[Visit], TestResponse], int, str]] = {
    "index": (lambda v: v.client.get("/"), 200, "page"),
    "petition": (lambda v: v.client.get(f"/p/{SLUG}?lang=ru"), 200, "page"),
    "petition-wall-page": (lambda v: v.client.get(f"/p/{SLUG}?page=2"), 200, "page"),
    "no-js-thank-you": (
        lambda v: post_form(v.client, f"/p/{SLUG}", {**PERSON, "email": "b@example.org"}),
        202,
        "page",
    ),
    "no-js-form-errors": (lambda v: post_form(v.client, f"/p/{SLUG}", {}), 422, "page"),
    "no-js-form-too-large": (
        lambda v: v.client.post(f"/p/{SLUG}", data={"comment": "x" * 40_000}),
        413,
        "page",
    ),
    "not-found": (lambda v: v.client.get("/p/no-such-petition"), 404, "page"),
    "privacy-notice": (lambda v: v.client.get(f"/p/{SLUG}/privacy?lang=kk"), 200, "page"),
    "privacy-notice-of-no-petition": (
        lambda v: v.client.get("/p/no-such-petition/privacy"),
        404,
        "page",
    ),
    "no-such-address": (lambda v: v.client.get("/nothing/here"), 404, "page"),
    "method-not-allowed": (lambda v: v.client.delete(f"/p/{SLUG}"), 405, "page"),
    "internal-error": (lambda v: broken(v, RuntimeError("boom")), 500, "page"),
    "database-away": (
        lambda v: broken(v, OperationalError("SELECT", {}, Exception("gone"))),
        503,
        "page",
    ),
    "handover": (handover, 200, "page"),
    "verify": (lambda v: v.client.get(f"/verify/{v.verify}"), 200, "token"),
    "verify-pressed": (lambda v: v.client.post(f"/verify/{v.verify}"), 200, "token"),
    "verify-broken-link": (lambda v: v.client.get("/verify/not-a-token"), 400, "token"),
    "verify-odd-address": (lambda v: v.client.get(f"/verify/{v.verify}/more"), 404, "token"),
    "withdraw": (lambda v: v.client.get(f"/withdraw/{v.withdraw}"), 200, "token"),
    "withdraw-pressed": (lambda v: v.client.post(f"/withdraw/{v.withdraw}"), 200, "token"),
    "unsubscribe-broken-link": (lambda v: v.client.get("/unsubscribe/not-a-token"), 400, "token"),
    "waiting-link-broken": (lambda v: v.client.get(f"/p/{SLUG}/wait/not-a-ticket"), 410, "token"),
    "waiting-link-odd-address": (
        lambda v: v.client.get(f"/p/{SLUG}/wait/not-a-ticket/more"),
        404,
        "token",
    ),
    "unsubscribe-pressed": (lambda v: v.client.post("/unsubscribe/not-a-token"), 400, "token"),
    "admin": (lambda v: v.client.get("/admin/"), 200, "admin"),
    "admin-as-static-file": (lambda v: v.client.get("/static/admin/index.html"), 200, "admin"),
    "embed": (lambda v: v.client.get(f"/embed/{SLUG}"), 200, "embed-anywhere"),
    "embed-for-a-partner-without-sites": (
        lambda v: v.client.get(f"/embed/{SLUG}?source=other-group"),
        200,
        "embed-anywhere",
    ),
    "embed-with-a-bad-partner-code": (
        lambda v: v.client.get(f'/embed/{SLUG}?source="><script>'),
        200,
        "embed-anywhere",
    ),
    "embed-for-a-partner-with-sites": (
        lambda v: v.client.get(f"/embed/{SLUG}?source=kz-union&lang=kk"),
        200,
        "embed-partner",
    ),
    "embed-of-no-petition": (
        lambda v: v.client.get("/embed/no-such-petition?source=kz-union"),
        404,
        "embed-anywhere",
    ),
}


def directives(answer: TestResponse) -> dict[str, str]:
    policy = answer.headers.get("Content-Security-Policy", "")
    parts = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: value for name, _, value in parts}


def assert_page_headers(answer: TestResponse, kind: str) -> None:
    """Check what a browser reads from a page's headers, for one kind of page."""
    headers, policy = answer.headers, directives(answer)
    assert answer.mimetype == "text/html"
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Only the service's own files run and style the page; nothing inline, nothing evaluated:
    # /admin/ may compile WebAssembly (libsodium opens sealed petitions), and no more than that.
    wasm = " 'wasm-unsafe-eval'" if kind == "admin" else ""
    assert policy["script-src"] == "'self'" + wasm
    assert policy["style-src"] == "'self'"
    assert policy["base-uri"] == "'none'"
    assert "unsafe" not in headers["Content-Security-Policy"].replace(wasm, "")
    assert "Strict-Transport-Security" not in headers  # plain HTTP here
    if kind in ("page", "token", "admin"):
        assert policy["frame-ancestors"] == "'none'"
        assert headers["X-Frame-Options"] == "DENY"
    # A link's token is in the address, an organiser's in the tab: their pages tell no one.
    quiet = kind in ("token", "admin")
    assert headers["Referrer-Policy"] == (
        "no-referrer" if quiet else "strict-origin-when-cross-origin"
    )
    if kind.startswith("embed"):
        assert "X-Frame-Options" not in headers
    if kind == "embed-anywhere":
        assert "frame-ancestors" not in policy, "no partner sites named: any site may frame it"
    if kind == "embed-partner":
        assert policy["frame-ancestors"] == "'self' https://union.example"


@pytest.mark.parametrize("name", list(PAGES))
def test_every_kind_of_page_sends_its_policy(visit: Visit, name: str) -> None:
    ask, status, kind = PAGES[name]
    answer = ask(visit)
    page = answer.get_data(as_text=True)  # all of it: a streamed page ends its snapshot
    assert answer.status_code == status, page[:300]
    assert_page_headers(answer, kind)
    assert not INLINE_CODE.search(page), INLINE_CODE.search(page)


@pytest.mark.parametrize("path", ["/p/{slug}", "/verify/{token}"])
def test_a_page_refused_by_the_rate_limit_keeps_its_policy(
    database_url: str, smtp: SMTPServer, tmp_path: Path, path: str
) -> None:
    app = make_app(database_url, tmp_path, SIGN_RATE_LIMIT="1/minute", TOKEN_RATE_LIMIT="1/minute")
    address = path.format(slug=create_petition(app), token="not-a-token")
    client = app.test_client()
    assert client.post(address, data={}).status_code in (400, 403)  # no token: refused
    refused = client.post(address, data={})
    assert refused.status_code == 429
    assert_page_headers(refused, "token" if "verify" in path else "page")
    database(app).engine.dispose()


# Answers that are not pages: data, scripts, styles. nosniff keeps each what its type says.
NOT_PAGES = {
    "/api/v1/petitions/test-petition/count": "application/json",
    "/api/v1/petitions/no-such-petition": "application/json",
    "/api/openapi.json": "application/json",
    "/api/v1/admin/me": "application/json",  # 401 without a token
    "/locales/en.json": "application/json",
    "/widget.js": "text/javascript",
    "/static/js/petition.js": "text/javascript",
    "/static/css/site.css": "text/css",
    "/static/admin/main.js": "text/javascript",
    "/healthz": "application/json",
}


@pytest.mark.parametrize("path", list(NOT_PAGES))
def test_every_other_answer_says_nosniff_and_its_true_type(
    client: FlaskClient, petition: str, path: str
) -> None:
    answer = client.get(path)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.mimetype == NOT_PAGES[path]


def test_a_conditional_static_answer_says_nosniff_too(client: FlaskClient) -> None:
    first = client.get("/static/css/site.css")
    again = client.get("/static/css/site.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["X-Content-Type-Options"] == "nosniff"


HSTS = "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("path", ["/", "/api/v1/petitions/test-petition/count", "/widget.js"])
def test_over_https_every_answer_asks_for_https_next_time(
    client: FlaskClient, petition: str, path: str
) -> None:
    assert (
        client.get(path, base_url="https://sign.example.org").headers["Strict-Transport-Security"]
        == HSTS
    )
    assert "Strict-Transport-Security" not in client.get(path).headers


@pytest.mark.parametrize(("proxies", "expected"), [(1, HSTS), (0, None)])
def test_https_at_the_proxy_counts_only_when_the_proxy_is_trusted(
    database_url: str, tmp_path: Path, proxies: int, expected: str | None
) -> None:
    app = make_app(database_url, tmp_path, TRUSTED_PROXIES=proxies)
    answer = app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers.get("Strict-Transport-Security") == expected
    database(app).engine.dispose()


def page_sources() -> list[Path]:
    """Every template of a page (not of an email), and the static HTML of /admin/."""
    found = [p for p in TEMPLATES.rglob("*.html") if "mail" not in p.relative_to(TEMPLATES).parts]
    return [*sorted(found), frontend_dir() / "admin" / "index.html"]


@pytest.mark.parametrize("path", page_sources(), ids=lambda p: p.name)
def test_no_page_holds_inline_script_or_style(path: Path) -> None:
    """The policy would block them: every script and style comes from a file under frontend/."""
    source = path.read_text("utf-8")
    assert not INLINE_CODE.search(source), INLINE_CODE.search(source)
