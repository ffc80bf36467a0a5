"""Every UNDERSIGN_ setting, read once, typed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from nacl.signing import SigningKey

from undersign.core import notes

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # SQLite file in the instance folder
    "REDIS_URL": None,
    "SECRET_KEY": None,  # generated once into the instance folder
    "SECRET_KEY_FALLBACKS": [],
    "IDENTITY_KEY": None,  # derived from SECRET_KEY unless set
    # The signature log's signing key (a signed-note signer key, `undersign log-key`); derived
    # from SECRET_KEY unless set, which suits development only: set it in production.
    "LOG_KEY": None,
    "BASE_URL": "http://127.0.0.1:8000",
    "ONION_URL": None,  # the same service as a Tor onion service (http://….onion), if it is one
    "SMTP_HOST": None,
    "SMTP_PORT": None,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_SECURITY": "none",
    "MAIL_FROM": "Undersign <no-reply@localhost>",
    "TRUSTED_PROXIES": 0,
    "RATELIMIT_ENABLED": True,
    # Per address, only what a machine reaches: the flood defence below spares shared addresses.
    "SIGN_RATE_LIMIT": "600 per minute;10000 per hour",
    "TOKEN_RATE_LIMIT": "60 per minute",
    "SHARED_ADDRESS_THRESHOLD": 25,
    # The flood defence (signers/flood.py): signatures a window may bring from one network
    # (IPv4 address, IPv6 /64) or to one petition before each post must solve a challenge,
    # and the challenge's cost at the threshold (ALTCHA maxnumber; about 1 s on a cheap phone).
    "CHALLENGE_NETWORK_RATE": 10,
    "CHALLENGE_PETITION_RATE": 300,
    "CHALLENGE_WINDOW": 60,
    "CHALLENGE_COST": 20_000,
    # What the no-JavaScript form waits instead at the threshold, in seconds (rising as the cost).
    "CHALLENGE_WAIT": 1,
    "COUNT_CACHE_SECONDS": 2,
    # The mail ceiling (mail/ceiling.py): when a petition's or a recipient domain's verification
    # emails of the last WINDOW seconds (those older than GRACE, or confirmed) number MIN_SENT or
    # more and fewer than CONFIRMED percent of them were confirmed, its new ones beyond RATE a
    # minute wait in the outbox, sent fairly across networks as confirmations recover.
    "MAIL_CEILING": True,
    "MAIL_CEILING_WINDOW": 900,
    "MAIL_CEILING_GRACE": 120,
    "MAIL_CEILING_MIN_SENT": 50,
    "MAIL_CEILING_CONFIRMED": 20,
    "MAIL_CEILING_PETITION_RATE": 60,
    "MAIL_CEILING_DOMAIN_RATE": 120,
    # Hosts inside the server's own network that webhooks may still be sent to (names or
    # addresses, comma-separated); every other internal destination is refused.
    "WEBHOOK_INTERNAL_HOSTS": [],
}

SMTP_SECURITY_MODES = ("none", "starttls", "tls")
# prometheus_client's own variable: the directory where every process of one
# `undersign serve` (gunicorn workers and the mailer) shares its counters.
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    secret_key_fallbacks: tuple[str, ...]
    identity_key: bytes
    # Signs every petition's log checkpoints, and derives signers' receipts (transparency.py).
    log_key: str
    base_url: str
    onion_url: str | None
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_security: str
    mail_from: str
    # A mailbox organisers read, offered in List-Unsubscribe beside the https link.
    unsubscribe_mailto: str | None
    trusted_proxies: int
    ratelimit_enabled: bool
    sign_rate_limit: str
    token_rate_limit: str
    shared_address_threshold: int
    challenge_network_rate: int
    challenge_petition_rate: int
    challenge_window: int
    challenge_cost: int
    challenge_wait: int
    count_cache_seconds: int
    mail_ceiling: bool
    mail_ceiling_window: int
    mail_ceiling_grace: int
    mail_ceiling_min_sent: int
    mail_ceiling_confirmed: int
    mail_ceiling_petition_rate: int
    mail_ceiling_domain_rate: int
    webhook_internal_hosts: frozenset[str]

    @property
    def signing_keys(self) -> list[str]:
        """Return every accepted key, oldest first: itsdangerous signs with the last."""
        return [*reversed(self.secret_key_fallbacks), self.secret_key]

    @property
    def origin(self) -> str:
        """Return the service's own origin (scheme://host[:port]), as browsers name it in Origin."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> Settings:
    """Read the settings once from the app's config and keep them on the app."""
    loaded = load(app.config, app.instance_path)
    app.extensions["undersign.settings"] = loaded
    return loaded


def settings(app: Flask | None = None) -> Settings:
    """Return the app's settings (the current app's by default)."""
    return (app or current_app).extensions["undersign.settings"]


class ConfigError(ValueError):
    """A setting has a value the service cannot run with."""


def load(config: Mapping[str, Any], instance_path: str) -> Settings:
    """Build the typed settings from Flask's config (environment and test overrides)."""
    get = {**DEFAULTS, **config}.get
    secret_key = get("SECRET_KEY") or _instance_secret(Path(instance_path))
    identity_key = get("IDENTITY_KEY") or f"identity:{secret_key}"
    security = str(get("SMTP_SECURITY") or "none").lower()
    if security not in SMTP_SECURITY_MODES:
        raise ConfigError(
            f"UNDERSIGN_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_MODES)}"
        )
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    return Settings(
        database_url=get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'undersign.sqlite'}",
        redis_url=get("REDIS_URL") or None,
        secret_key=str(secret_key),
        secret_key_fallbacks=_string_list(get("SECRET_KEY_FALLBACKS")),
        identity_key=str(identity_key).encode(),
        log_key=_log_key(get("LOG_KEY"), str(secret_key), str(get("BASE_URL"))),
        base_url=str(get("BASE_URL")).rstrip("/"),
        onion_url=_onion_url(get("ONION_URL")),
        smtp_host=get("SMTP_HOST") or None,
        smtp_port=_integer("SMTP_PORT", get("SMTP_PORT") or default_port),
        smtp_username=get("SMTP_USERNAME") or None,
        smtp_password=_optional_str(get("SMTP_PASSWORD")),
        smtp_security=security,
        mail_from=_mail_from(get("MAIL_FROM")),
        unsubscribe_mailto=_optional_str(get("UNSUBSCRIBE_MAILTO")),
        trusted_proxies=_integer("TRUSTED_PROXIES", get("TRUSTED_PROXIES")),
        ratelimit_enabled=_boolean("RATELIMIT_ENABLED", get("RATELIMIT_ENABLED")),
        sign_rate_limit=str(get("SIGN_RATE_LIMIT")),
        token_rate_limit=str(get("TOKEN_RATE_LIMIT")),
        shared_address_threshold=_integer(
            "SHARED_ADDRESS_THRESHOLD", get("SHARED_ADDRESS_THRESHOLD")
        ),
        challenge_network_rate=_integer("CHALLENGE_NETWORK_RATE", get("CHALLENGE_NETWORK_RATE")),
        challenge_petition_rate=_integer("CHALLENGE_PETITION_RATE", get("CHALLENGE_PETITION_RATE")),
        challenge_window=_integer("CHALLENGE_WINDOW", get("CHALLENGE_WINDOW")),
        challenge_cost=_integer("CHALLENGE_COST", get("CHALLENGE_COST")),
        challenge_wait=_integer("CHALLENGE_WAIT", get("CHALLENGE_WAIT")),
        count_cache_seconds=_integer("COUNT_CACHE_SECONDS", get("COUNT_CACHE_SECONDS")),
        mail_ceiling=_boolean("MAIL_CEILING", get("MAIL_CEILING")),
        mail_ceiling_window=_integer("MAIL_CEILING_WINDOW", get("MAIL_CEILING_WINDOW")),
        mail_ceiling_grace=_integer("MAIL_CEILING_GRACE", get("MAIL_CEILING_GRACE")),
        mail_ceiling_min_sent=_integer("MAIL_CEILING_MIN_SENT", get("MAIL_CEILING_MIN_SENT")),
        mail_ceiling_confirmed=_integer("MAIL_CEILING_CONFIRMED", get("MAIL_CEILING_CONFIRMED")),
        mail_ceiling_petition_rate=_integer(
            "MAIL_CEILING_PETITION_RATE", get("MAIL_CEILING_PETITION_RATE")
        ),
        mail_ceiling_domain_rate=_integer(
            "MAIL_CEILING_DOMAIN_RATE", get("MAIL_CEILING_DOMAIN_RATE")
        ),
        webhook_internal_hosts=frozenset(
            host.lower() for host in _string_list(get("WEBHOOK_INTERNAL_HOSTS"))
        ),
    )


def _instance_secret(instance: Path) -> str:
    """Return the development key, generating it once so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def _log_key(value: Any, secret_key: str, base_url: str) -> str:
    """Return the log's signer key: the one set, or one derived from the secret key."""
    if value:
        try:
            notes.Signer(str(value))
        except notes.NoteError:
            raise ConfigError(
                "UNDERSIGN_LOG_KEY must be a signer key (PRIVATE+KEY+...), as "
                "docs/transparency.md shows how to make one"
            ) from None
        return str(value).strip()
    name = urlsplit(base_url).hostname or "undersign"
    seed = hmac.new(secret_key.encode(), b"undersign log key", hashlib.sha256).digest()
    public = bytes(SigningKey(seed).verify_key)
    key_id = notes.key_id(name, notes.ED25519, public).hex()
    return (
        f"PRIVATE+KEY+{name}+{key_id}+" + base64.b64encode(bytes([notes.ED25519]) + seed).decode()
    )


def _string_list(value: Any) -> tuple[str, ...]:
    # from_prefixed_env parses JSON, so a list arrives as a list; a plain value
    # arrives as a string, which we read as comma-separated.
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(part) for part in value)


def _mail_from(value: Any) -> str:
    """Return the sender; its domain names every Message-ID, so it must have one."""
    _, address = parseaddr(str(value))
    if not address.partition("@")[2]:
        raise ConfigError(
            f"UNDERSIGN_MAIL_FROM must be an address like no-reply@example.org, not {value!r}"
        )
    return str(value)


def _onion_url(value: Any) -> str | None:
    """Return UNDERSIGN_ONION_URL without a trailing slash: an origin ending in .onion, or None."""
    if not value:
        return None
    url = str(value).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not (parts.hostname or "").endswith(".onion"):
        raise ConfigError(f"UNDERSIGN_ONION_URL must be like http://….onion, not {value!r}")
    if parts.path or parts.query or parts.fragment:
        raise ConfigError(f"UNDERSIGN_ONION_URL must be an origin with no path, not {value!r}")
    return url


def _optional_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _integer(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"UNDERSIGN_{name} must be a whole number, not {value!r}") from None


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"UNDERSIGN_{name} must be true or false, not {value!r}")
