"""Rate limits: Flask-Limiter, shared through Redis when configured."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from undersign.core.config import Settings, settings

# Keyed by the client's address as ProxyFix resolved it from UNDERSIGN_TRUSTED_PROXIES.
limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        if settings.redis_url
        else {},
        RATELIMIT_KEY_PREFIX="undersign",
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis being away must not stop people signing: count in memory meanwhile.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    limiter.init_app(app)


def sign_limit() -> str:
    """Per address: room for a plant's network at a human pace, none for a flood."""
    return settings().sign_rate_limit


def token_limit() -> str:
    return settings().token_rate_limit


# A log's inclusion or consistency proof reads every leaf hash of the tree: plenty for a
# person checking a receipt, a witness or `undersign log verify`, not for keeping the
# database busy on purpose.
PROOF_LIMIT = "60 per minute"
