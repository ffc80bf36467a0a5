"""Overload answered, not queued: a request that would wait beyond ~0.5 s gets a 503 at once.

Beyond what the machine can serve, requests used to wait in gunicorn's queue until the
client gave up: a spinner for many seconds, then a second try or nothing. Now each
worker process knows how many requests it holds and how long each waited before the
app saw it, and answers the excess at once with `503` and `Retry-After`:

- when a request is queued, the worker (cli/gunicorn.py, `SheddingWorker`) estimates
  how long the requests ahead of it will take (`Gate.expected_wait`: those held, times
  the time a request has been taking, over the threads); beyond `max_wait` it is handed
  to a thread of its own that only answers 503s, so the answer does not wait behind them;
- when a request reaches the app, it is answered 503 if it waited longer than
  `max_wait` since it was queued, or since the proxy in front took it (`X-Request-Start`,
  which deploy/Caddyfile sets);
- the API's answer is written here, below Flask (a few tens of µs): JSON
  `{"error": {"code": "overloaded", ...}}` with the public API's CORS headers, so the
  widget on a partner's page can read `Retry-After`; a page's is rendered by Flask
  (`init_app`'s hook, before any view), in the reader's language, and for a form post
  it holds the same fields, sent again by the browser after the delay (js/retry.js).

A signature is shed the same way while the mailers are behind: while the
emails they claim had waited beyond `OVERLOAD_MAIL_SECONDS` (5 s), so that whoever is told
"check your inbox" finds the email there within seconds.

Nothing is written for a shed request: no view runs. Health probes, metrics, static files
(`/static/`, `/widget.js`) and CORS preflights are never shed: they are cheap, the 503 page
needs its stylesheet, and a refused preflight would fail the widget's post outright
instead of letting it retry.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, g, request

from undersign.core import metrics, outbox
from undersign.core.cache import Cache, get_cache
from undersign.web import request_log
from undersign.web.headers import HSTS, OPEN_TO_ALL

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

NEVER_SHED = frozenset({"/healthz", "/readyz", "/metrics", "/widget.js"})
# Files served from memory: the 503 page itself needs its stylesheet.
STATIC = "/static/"
ROUTE = "(overloaded)"  # how logs and metrics name a shed request: its route was never matched
ENVIRON_KEY = "undersign.overloaded"  # a page to shed: the seconds to ask for, for Flask's hook
MESSAGE = "Many people are signing just now: try again in {seconds} s."
# The posts that take a signature and so queue an email: the API's and the plain form's.
SIGNING = re.compile(r"/api/v1/petitions/[^/]+/signatures|/p/[^/]+")
# How long a worker reuses what the mailers last said of their lag before asking again.
LAG_NEAR_SECONDS = 0.5


class Gate:
    """One process's judgement of how long a request would wait, and how long to ask for."""

    def __init__(
        self, max_wait: float = 0.5, threads: int = 8, retry_after: tuple[int, int] = (2, 5)
    ) -> None:
        self.max_wait, self.threads, self.retry_after = max_wait, threads, retry_after
        # A thread's wall time for one request, averaged: under load it is what the
        # threads, sharing one interpreter, take a request each.
        self.service = 0.005
        # How long the last request taken by a thread had waited for it: while that is
        # beyond `max_wait`, the queue is not draining, whatever the estimate says.
        self.last_wait = 0.0

    def served(self, seconds: float) -> None:
        self.service += (seconds - self.service) * 0.05

    def expected_wait(self, ahead: int) -> float:
        """How long a request with `ahead` requests before it in this process would wait."""
        return ahead * self.service / self.threads

    def overloaded(self, ahead: int) -> bool:
        """Whether a request queued now, behind `ahead` others, should be refused at once."""
        if self.expected_wait(ahead) > self.max_wait:
            return True
        # The last one taken waited too long, and there is still a queue behind the threads.
        return self.last_wait > self.max_wait and ahead > self.threads

    def seconds_to_ask(self) -> int:
        """The Retry-After to send: spread, so that the shed do not all come back at once."""
        low, high = self.retry_after
        return random.randint(low, high)  # spreading, not secrecy


GATE = Gate()

# Set by the worker's thread for the request it is about to hand to the app.
_here = threading.local()


def arrived(queued_at: float | None, shed: bool = False) -> None:
    """Tell the app, on this thread, when the request it is given was queued (monotonic
    clock) and whether the worker chose to shed it already."""
    _here.queued_at, _here.shed = queued_at, shed


def _proxy_wait(environ: WSGIEnvironment, now: float) -> float:
    """Seconds since the proxy in front took the request (`X-Request-Start: t=<unix time>`,
    in seconds, milliseconds or microseconds); 0 without one or for one that makes no sense."""
    stamp = environ.get("HTTP_X_REQUEST_START", "").removeprefix("t=")
    try:
        value = float(stamp)
    except ValueError:
        return 0.0
    if not math.isfinite(value) or value <= 0:
        return 0.0
    while value > 1e11:  # milliseconds or microseconds since 1970
        value /= 1000
    return max(0.0, now - value)


def never_shed(path: str) -> bool:
    """Is this path answered whatever the load (probes, metrics, what the 503 page needs)?"""
    return path in NEVER_SHED or path.startswith(STATIC)


def signing(environ: WSGIEnvironment) -> bool:
    """Is this request a signature, which would queue an email?"""
    return environ.get("REQUEST_METHOD") == "POST" and bool(
        SIGNING.fullmatch(environ.get("PATH_INFO", ""))
    )


class MailLag:
    """Whether signers' emails wait longer than `limit` for the mailers now, as they last said.

    The mailers say how long the emails they claim had waited (mail/worker.py). A signature
    taken while they are behind would get its email after everyone queued before it: at a
    viral moment a minute or more, and people give up on a link that does not come. So
    signing is shed like any overload while they catch up, and what is taken is mailed within
    seconds. No mailer saying anything (none running, or no shared cache: its word expires)
    holds no one back. What they said is read at most every LAG_NEAR_SECONDS a process
    (absent included), so that signing pays no round trip for it.
    """

    def __init__(self, cache: Cache, limit: float) -> None:
        self.cache, self.limit = cache, limit
        self._lag, self._read_at = 0.0, -math.inf

    def behind(self) -> bool:
        if self.limit <= 0:
            return False
        now = time.monotonic()
        if now - self._read_at > LAG_NEAR_SECONDS:
            self._lag, self._read_at = _seconds(self.cache.get(outbox.LAG_KEY)), now
        return self._lag > self.limit


def _seconds(said: str | None) -> float:
    try:
        return float(said or 0)
    except ValueError:
        return 0.0


class Shedding:
    """WSGI middleware (outside all but ProxyFix): a request that waited too long gets a 503,
    and so does a signature while the mailers are behind."""

    def __init__(self, app: WSGIApplication, gate: Gate, behind: Callable[[], bool]) -> None:
        self.app, self.gate, self.behind = app, gate, behind

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if never_shed(path) or environ.get("REQUEST_METHOD") == "OPTIONS":
            return self.app(environ, start_response)
        shed = getattr(_here, "shed", False)
        if not shed:
            queued_at = getattr(_here, "queued_at", None)
            waited = time.monotonic() - queued_at if queued_at is not None else 0.0
            if "HTTP_X_REQUEST_START" in environ:
                waited = max(waited, _proxy_wait(environ, time.time()))
            shed = waited > self.gate.max_wait or (signing(environ) and self.behind())
        if not shed:
            return self.app(environ, start_response)
        seconds = self.gate.seconds_to_ask()
        form = environ.get("CONTENT_TYPE", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        )
        if path.startswith("/api/") and not form:
            return _json_answer(environ, start_response, seconds)
        environ[ENVIRON_KEY] = seconds  # a page, in the reader's language: Flask renders it
        return self.app(environ, start_response)


def _json_answer(
    environ: WSGIEnvironment, start_response: StartResponse, seconds: int
) -> Iterable[bytes]:
    started = time.perf_counter()
    problem = {"code": "overloaded", "message": MESSAGE.format(seconds=seconds)}
    body = json.dumps({"error": problem}).encode()
    request_id = request_log.choose_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Retry-After", str(seconds)),
        ("Cache-Control", "no-store"),
        *OPEN_TO_ALL.items(),
        ("X-Content-Type-Options", "nosniff"),
        (request_log.REQUEST_ID_HEADER, request_id),
    ]
    if environ.get("wsgi.url_scheme") == "https":
        headers.append(("Strict-Transport-Security", HSTS))
    start_response("503 SERVICE UNAVAILABLE", headers)
    method = environ.get("REQUEST_METHOD", "GET")
    metrics.observe(method, ROUTE, 503, started)
    request_log.write_shed(method, ROUTE, time.perf_counter() - started, request_id)
    return [body]


def init_app(app: Flask) -> None:
    """Read the settings and answer a shed page request before the limiter or any view.

    Call right after request_log.init_app (so the answer is logged), and `wrap` last.
    """
    GATE.max_wait = float(app.config.get("OVERLOAD_WAIT_SECONDS", 0.5))
    asked = app.config.get("OVERLOAD_RETRY_AFTER", (2, 5))
    GATE.retry_after = (int(asked[0]), int(asked[1]))

    @app.before_request
    def _shed_page() -> Any:
        seconds = request.environ.get(ENVIRON_KEY)
        if seconds is None:
            return None
        from undersign.web.pages import overloaded_page

        g.shed = True  # its log line is tallied with the others (request_log.write_shed)

        return overloaded_page(seconds)


def wrap(app: Flask) -> None:
    """Install the middleware around all but ProxyFix: nothing else runs for a request it sheds."""
    limit = float(app.config.get("OVERLOAD_MAIL_SECONDS", 5))
    behind = MailLag(get_cache(app), limit).behind
    app.wsgi_app = Shedding(app.wsgi_app, GATE, behind)  # type: ignore[method-assign]
