"""The flood defence at the door: challenges (or, for the plain form, a time-lock) for this
request's network and petition."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Response, jsonify, request

from undersign.core import i18n
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.signers import flood, timelock

# The time the windows and expiries are read at; tests move it instead of waiting.
clock = time.time


def challenge(slug: str) -> dict[str, Any]:
    """Return a challenge for signing `slug` from here, as hard as the traffic is now."""
    now = clock()
    traffic = flood.traffic(get_cache(), settings(), slug, request.remote_addr, now)
    return flood.challenge(settings(), slug, traffic, now)


def admit(slug: str, solution: Any) -> None:
    """Count a sign post from here and let it through, or raise flood.ChallengeRequired."""
    flood.admit(get_cache(), settings(), slug, request.remote_addr, solution, clock())


def refusal(asked: flood.ChallengeRequired, locale: str) -> tuple[Response, int]:
    """Answer 428 with the challenge to solve and a sentence in the signer's language."""
    message = i18n.messages(locale)["sign"]["challenge_required"]
    error = {"code": "challenge_required", "message": message, "challenge": asked.challenge}
    return jsonify(error=error), 428


def hold(slug: str, form: timelock.Form, asked: flood.ChallengeRequired) -> tuple[str, int]:
    """Keep a form post that could not solve `asked` until its wait is over.

    Return its ticket and the seconds it waits.
    """
    now, cache = clock(), get_cache()
    until = flood.held_until(cache, settings(), slug, request.remote_addr, asked.wait, now)
    return timelock.hold(cache, slug, form, until, now), math.ceil(until - now)


def held(slug: str, ticket: str) -> timelock.Held:
    """Return the post held for `ticket`, still held; raise timelock.Unknown if none is."""
    return timelock.peek(get_cache(), slug, ticket)


def release(slug: str, ticket: str) -> timelock.Held:
    """Take the post held for `ticket`, and count it as let through; raise timelock.Unknown."""
    taken = timelock.take(get_cache(), slug, ticket)
    flood.count_waited(get_cache(), settings(), slug, request.remote_addr, clock())
    return taken


def seconds_left(held: timelock.Held) -> int:
    """Return the whole seconds until `held` may be sent on (0: now)."""
    return max(math.ceil(held.not_before - clock()), 0)
