"""The no-JavaScript form's time-lock: a sign post held a few seconds instead of a challenge.

A browser without JavaScript cannot solve a proof of work, so when signing runs fast its
form post is kept here, and sent on when the browser comes back after the wait (a meta
refresh). What is kept is sealed with a fresh key that only the ticket holds: the cache
(Redis in production) never holds a name or an address it could read, and the ticket,
the one thing the waiting page's address carries, names no one.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from undersign.core.cache import Cache

# How long a held post waits for its browser after the wait is over: minutes, then it is
# gone and the person signs again.
KEPT_SECONDS = 300
ID_BYTES = 16
TICKET_BYTES = ID_BYTES + SecretBox.KEY_SIZE

Form = dict[str, list[str]]  # a form's fields, each with its values, as posted


class Unknown(Exception):
    """No post is held for this ticket: never issued, altered, expired or already sent."""


@dataclass(frozen=True)
class Held:
    form: Form
    not_before: float  # when the post may be sent on


def hold(cache: Cache, slug: str, form: Form, not_before: float, now: float) -> str:
    """Keep `form` to `slug`, sealed, until `not_before` and minutes more; return its ticket."""
    key = secrets.token_bytes(SecretBox.KEY_SIZE)
    ident = secrets.token_bytes(ID_BYTES)
    sealed = SecretBox(key).encrypt(json.dumps({"slug": slug, "form": form}).encode())
    kept = {"not_before": not_before, "sealed": base64.b64encode(bytes(sealed)).decode()}
    ttl = math.ceil(max(not_before - now, 0)) + KEPT_SECONDS
    cache.set(_cache_key(ident), json.dumps(kept), ttl)
    return base64.urlsafe_b64encode(ident + key).decode().rstrip("=")


def peek(cache: Cache, slug: str, ticket: str) -> Held:
    """Return the post to `slug` held for `ticket`, still held; raise Unknown if there is none."""
    ident, key = _parts(ticket)
    return _opened(cache.get(_cache_key(ident)), key, slug)


def take(cache: Cache, slug: str, ticket: str) -> Held:
    """Return the post to `slug` held for `ticket` and let it go; raise Unknown if none is.

    Atomic (cache.take): of two requests racing with one ticket, one gets the post, so
    a signature held once is sent once.
    """
    ident, key = _parts(ticket)
    return _opened(cache.take(_cache_key(ident)), key, slug)


def _cache_key(ident: bytes) -> str:
    return f"timelock:{ident.hex()}"


def _parts(ticket: str) -> tuple[bytes, bytes]:
    try:
        raw = base64.urlsafe_b64decode(ticket + "=" * (-len(ticket) % 4))
    except (binascii.Error, ValueError):
        raise Unknown from None
    if len(raw) != TICKET_BYTES:
        raise Unknown
    return raw[:ID_BYTES], raw[ID_BYTES:]


def _opened(kept: str | None, key: bytes, slug: str) -> Held:
    if kept is None:
        raise Unknown
    stored = json.loads(kept)
    try:
        opened = json.loads(SecretBox(key).decrypt(base64.b64decode(stored["sealed"])))
    except CryptoError:  # not the key it was sealed with: an altered ticket
        raise Unknown from None
    # A ticket signs the petition whose form was posted, not one named in another address.
    if opened["slug"] != slug:
        raise Unknown
    return Held(form=opened["form"], not_before=float(stored["not_before"]))
