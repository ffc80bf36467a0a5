"""The headers that keep signers safe, on every answer: one hook, the differences as data.

Every answer says `nosniff`, so a browser treats it as what its type says and nothing else,
and over HTTPS asks for HTTPS next time. Every HTML page also says what may run on it (the
service's own files only: no inline script or style, so an injected one does nothing), who may
frame it (nobody, except the embed) and how much its links tell the next site.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask import Flask, Response, request

from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.validation import PARTNER_CODE
from undersign.organisers import partners

Headers = Mapping[str, str]

# The one value: behind the TLS proxy too, which passes it through and sets none of its own
# (deploy/Caddyfile; tests/production/test_caddyfile.py holds it to that).
HSTS = "max-age=31536000; includeSubDomains"

# The public pages load their own scripts, styles and data and nothing else. petition.js and
# the widget fetch counts and words from here (connect-src); the forms post only here.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'"
)

# Links from a page tell another site only which service they came from, never which page:
# strict-origin-when-cross-origin, the browsers' default, said aloud. Not no-referrer on every
# page: under it a form's post says `Origin: null`, and a check of where posts come from could
# never be added. A page whose address holds a link's token (/verify/, /withdraw/,
# /unsubscribe/) tells no one anything, not even this service's next page, whose access log
# would keep the token.
SHARED = "strict-origin-when-cross-origin"
SILENT = "no-referrer"

# The public API: partner sites on any origin read counts and post signatures from the
# signer's browser; nothing there relies on cookies, so "*" is safe.
OPEN_TO_ALL = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After, ETag",
}
# What a browser reads only from the answer to its preflight (OPTIONS) request.
PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept-Language",
    "Access-Control-Max-Age": "86400",
}

PAGE = {
    "Content-Security-Policy": f"{PAGE_POLICY}; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": SHARED,
}
TOKEN_PAGE = {**PAGE, "Referrer-Policy": SILENT}
# A waiting page's address holds a ticket, the key a held signature is sealed with
# (/p/<slug>/wait/<ticket>, web/pages.py): told to no one, kept by no cache, the browser's
# included.
TICKET_PATH = re.compile(r"/p/[^/]+/wait/")
TICKET_PAGE = {**TOKEN_PAGE, "Cache-Control": "no-store"}
# A petition's check page verifies the log's Ed25519 signatures with libsodium, compiled to
# WebAssembly (frontend/admin/vendor/): 'wasm-unsafe-eval' compiles WebAssembly, no eval().
CHECK_PATH = re.compile(r"/p/[^/]+/check$")
CHECK_PAGE = {
    **PAGE,
    "Content-Security-Policy": PAGE["Content-Security-Policy"].replace(
        "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
    ),
}
# /admin/ holds an organiser's token in sessionStorage, so no script but ours may run on it and
# no other site may frame it. Its blob: documents (the hand-over list) inherit this policy.
# 'wasm-unsafe-eval' lets libsodium, compiled to WebAssembly (frontend/admin/vendor/), open a
# sealed petition's values in the organiser's browser; it allows compiling WebAssembly only,
# not eval() or inline script, and no other page needs it.
ADMIN = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
        "img-src 'self' data:; "
        "connect-src 'self'; frame-src blob:; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": SILENT,
}


def embed(status: int) -> Headers:
    """Let the sites of the partner named in ?source= frame the embed, or any site if it named none.

    No X-Frame-Options: it cannot name a list of sites. An error page (no such petition, the
    database away) has no form to misuse, so any site may frame it and the partner's frame
    shows why, and it is answered without asking the database again.
    """
    source = request.args.get("source", "")
    if status >= 400 or not PARTNER_CODE.fullmatch(source):
        return {"Content-Security-Policy": PAGE_POLICY, "Referrer-Policy": SHARED}
    allowed = partners.frame_ancestors(get_session(), source)
    policy = f"{PAGE_POLICY}; {allowed}" if allowed else PAGE_POLICY
    return {"Content-Security-Policy": policy, "Referrer-Policy": SHARED}


# Pages that differ from PAGE, by where they live: a 404 at /verify/<token>/x still holds a
# token in its address. The first match decides.
KINDS: tuple[tuple[tuple[str, ...], Headers | Callable[[int], Headers]], ...] = (
    (("/verify/", "/withdraw/", "/unsubscribe/"), TOKEN_PAGE),
    (("/admin/", "/static/admin/index.html"), ADMIN),
    (("/embed/",), embed),
)


def init_app(app: Flask) -> None:
    """Add the headers to every answer the app gives, pages, data and files alike."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    if request.is_secure:  # as ProxyFix saw it, within UNDERSIGN_TRUSTED_PROXIES
        headers["Strict-Transport-Security"] = HSTS
    if response.mimetype == "text/html":
        headers.update(page_headers(request.path, response.status_code))
        onion = onion_location()
        if onion:
            headers["Onion-Location"] = onion
    return response


def onion_location() -> str | None:
    """Return this page's address on the onion service (UNDERSIGN_ONION_URL), if there is one.

    Tor Browser offers it to a reader who came by the normal address (over HTTPS): the same
    page, reachable where the normal address is blocked. Not sent on the onion itself.
    """
    onion = settings().onion_url
    if onion is None or request.host.lower().endswith(".onion"):
        return None
    query = request.query_string.decode("latin-1")
    return f"{onion}{request.path}{'?' + query if query else ''}"


def page_headers(path: str, status: int) -> Headers:
    if TICKET_PATH.match(path):  # under /p/, whose other pages are PAGE
        return TICKET_PAGE
    if CHECK_PATH.match(path):
        return CHECK_PAGE
    for prefixes, kind in KINDS:
        if path.startswith(prefixes):
            return kind(status) if callable(kind) else kind
    return PAGE
