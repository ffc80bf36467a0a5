"""The flood defence at the API's door: challenges for this request's network and petition."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, jsonify, request

from undersign.core import i18n
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.signers import flood

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
