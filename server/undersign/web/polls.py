"""The widgets' count poll, answered below Flask while this process holds the count.

Kept beside the Flask route that answers the same poll (web/api/public.py): it takes
half the server CPU a poll and serves 2.7 times the polls a second (bench/README.md,
"Is each fast path still worth its code?").

It answers a poll whose count is in the cache with the bytes and headers the Flask
route gives (tests/web/test_polls.py compares them), with the same request id, metrics
and log line, and hands every other request to Flask: other paths and methods, a query
string, a count not cached (Flask reads the database and fills the cache), an unknown
petition.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.http import parse_etags

from undersign.campaigns import petitions
from undersign.core import counting, metrics
from undersign.core.cache import Cache
from undersign.web import request_log
from undersign.web.headers import HSTS, OPEN_TO_ALL

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PATH = re.compile(rf"/api/v1/petitions/({petitions.SLUG.pattern})/count")
ROUTE = "/api/v1/petitions/<slug>/count"  # as the Flask route names itself in logs and metrics


class CountPolls:
    """WSGI middleware: answer cached count polls, pass everything else to `app`."""

    def __init__(self, app: WSGIApplication, cache: Cache, ttl: int) -> None:
        self.app, self.cache, self.ttl = app, cache, ttl

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        found = PATH.fullmatch(environ.get("PATH_INFO", ""))
        if found is None or environ["REQUEST_METHOD"] != "GET" or environ.get("QUERY_STRING"):
            return self.app(environ, start_response)
        text = counting.cached_count_json(self.cache, found[1])
        if text is None or text == "null":
            return self.app(environ, start_response)
        body = text.encode()
        tag = f'"{count_etag(body)}"'
        headers = [*cache_headers(self.ttl, tag), *_the_hooks_headers(environ)]
        request_id = request_log.choose_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        headers.append((request_log.REQUEST_ID_HEADER, request_id))
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(tag.strip('"')):
            status, body = 304, b""
        else:
            status = 200
            headers[:0] = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response("200 OK" if status == 200 else "304 NOT MODIFIED", headers)
        metrics.observe("GET", ROUTE, status, started)
        request_log.write_line("GET", ROUTE, status, time.perf_counter() - started, request_id)
        return [body]


def count_etag(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def cache_headers(ttl: int, tag: str) -> list[tuple[str, str]]:
    """How long a count's answer may be kept, and its tag: the Flask route's too."""
    return [("Cache-Control", f"public, max-age={ttl}"), ("ETag", tag)]


def _the_hooks_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """What the app's hooks add to a count's answer (api/public.py, headers.py)."""
    added = [*OPEN_TO_ALL.items(), ("X-Content-Type-Options", "nosniff")]
    if environ.get("wsgi.url_scheme") == "https":  # as ProxyFix saw it
        added.append(("Strict-Transport-Security", HSTS))
    return added
