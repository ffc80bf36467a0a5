"""Undersign: petitions whose signatures are verified by email, kept safe, and counted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from undersign.core import cache, config, db
from undersign.core.i18n import frontend_dir
from undersign.web import headers, limits, request_log

# Big enough for the longest valid signature in any script, small enough that
# a flood of oversized bodies costs nothing: larger bodies are refused with 413.
MAX_BODY_BYTES = 16 * 1024
MAX_URL_CHARS = 4096


class Undersign(Flask):
    """Flask, for an app with no async views or hooks."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Flask asks of every view and hook, on every request, whether it is a
        # coroutine function: eight questions a count poll, a tenth of its time.
        return func


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints."""
    app = Undersign(
        __name__,
        instance_relative_config=True,
        static_folder=str(frontend_dir()),
        static_url_path="/static",
    )
    app.config.update(config.DEFAULTS)
    app.config.from_prefixed_env("UNDERSIGN")
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Cyrillic stays readable
    app.session_interface = NoCookieSession()
    settings = config.init_app(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
    )
    db.init_app(app, settings.database_url)
    cache.init_app(app, settings.redis_url)
    # Before the limiter, so that a refused request is logged and counted too.
    request_log.init_app(app)
    # Imported here: `undersign serve` chooses where metrics live before this runs.
    from undersign.web import health, overload

    overload.init_app(app)  # a shed page is answered before the limiter or a view runs

    health.init_app(app)
    limits.init_app(app, settings)
    headers.init_app(app)
    _register_blueprints(app)
    from undersign.web import polls

    ttl = settings.count_cache_seconds
    app.wsgi_app = polls.CountPolls(app.wsgi_app, cache.get_cache(app), ttl)  # type: ignore[method-assign]
    overload.wrap(app)  # outside all but ProxyFix: nothing runs for a request it sheds
    if settings.trusted_proxies:  # outermost: every layer sees the client as the proxy named it
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


class NoCookieSession(SessionInterface):
    """Undersign keeps no cookie session (nothing sets one): none to open or sign on each request.

    Flask's own would derive a signing key and look for a cookie on every request,
    a few percent of a signature's time.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


class RowId(IntegerConverter):
    """A row's id in a URL: beyond the database's integer range it is a 404, not an overflow."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["row_id"] = RowId
    from undersign.web import admin_site, errors, pages
    from undersign.web.api import admin, openapi, public

    app.register_blueprint(public.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_site.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    errors.init_app(app, pages.html_error)
    app.before_request(errors.refuse_odd_requests(MAX_URL_CHARS))
