"""The flood defence: an ALTCHA proof of work, asked only when signing runs faster than people do.

Many real signers share an address (a plant's shift, a carrier's NAT, a Tor exit), and a
botnet has thousands of addresses, so neither a per-address limit nor silence can tell a
crowd from a flood. Instead each network key (an IPv4 address, an IPv6 /64) and each
petition count the sign posts let through in a short fixed window; above a threshold a sign
post must carry a solved challenge, whose cost rises with the rate. A person waits a second
or a few; a script pays that for every signature. Calm petitions ask nothing.

Only posts let through are counted: a refused post stores nothing, so a script that does
not solve cannot make the petition dearer for everyone else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qs, urlencode

from altcha import v1 as altcha  # the ALTCHA format our widget and the spec's widget solve

from undersign.core import identity
from undersign.core.cache import Cache
from undersign.core.config import Settings

ALGORITHM = altcha.SHA256
# How long a challenge may be solved and sent: the slowest phone's 15 s, with room to spare.
CHALLENGE_SECONDS = 300
# The cost at most, as a multiple of the cost at the threshold: on a cheap phone about 7 s on
# average and 15 s at worst (docs/production.md has the measured hash rates).
MOST_FACTOR = 12
MAX_PAYLOAD = 2000  # characters: a genuine solution is about 400
# How late a worker may learn of the sign posts the others let through. Its own it counts
# at once, everyone's it sends and reads once this often at most: one Redis round trip for
# all the posts of this long, not one a post (bench/README.md, "Results (issue 21, fourth
# round)"). A flood split across workers gains no more than this much time.
SHARED_WITHIN = 0.05  # seconds


class ChallengeRequired(Exception):
    """This post must carry a solution of `challenge` (a fresh one), or wait `wait` seconds."""

    def __init__(self, challenge: dict[str, Any], wait: int) -> None:
        super().__init__("challenge_required")
        self.challenge = challenge
        self.wait = wait  # what the no-JavaScript form's time-lock holds it instead


def network(ip: str | None) -> str:
    """Return the network one person's devices share: the IPv4 address, the IPv6 /64."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # A home or phone gets a /64 and picks addresses in it at will: one key for all.
        # (Its first address, as IPv6Network would name it, at a third of the cost.)
        return f"{ipaddress.IPv6Address(int(address) >> 64 << 64)}/64"
    return str(address)


def challenge_key(secret_key: str) -> str:
    """Return the HMAC key of challenges: derived from a secret key for this purpose only."""
    derived = hashlib.blake2b(secret_key.encode(), digest_size=32, person=b"undersign-altcha")
    return derived.hexdigest()


@dataclass(frozen=True)
class Traffic:
    """What signing through one network to one petition looks like now."""

    counters: tuple[str, str]  # the cache keys of this window's two counts
    factor: float  # the rate over its threshold, the larger of the two; below 1: calm
    window: int  # seconds

    @property
    def calm(self) -> bool:
        return self.factor < 1


def _traffic(
    settings: Settings,
    slug: str,
    ip: str | None,
    now: float,
    counts: Callable[[tuple[str, str], int], list[int]],
) -> Traffic:
    """Return the traffic in the current window, its two counts given by `counts(keys, ttl)`."""
    window = max(settings.challenge_window, 1)
    start = int(now // window)
    counters = (f"flood:net:{_net(settings, ip)}:{start}", f"flood:petition:{slug}:{start}")
    rates = (settings.challenge_network_rate, settings.challenge_petition_rate)
    found = counts(counters, window * 2)
    factor = max(_over(count, rate) for count, rate in zip(found, rates, strict=True))
    return Traffic(counters, factor, window)


def _net(settings: Settings, ip: str | None) -> str:
    """Return the network's name in the cache: a keyed hash, not an address, so it names no one."""
    return identity.keyed_hash(settings.identity_key, "network", network(ip))[:32]


def _over(count: int, threshold: int) -> float:
    if threshold <= 0:  # 0: every post is asked
        return 1 + count
    return count / threshold


def traffic(cache: Cache, settings: Settings, slug: str, ip: str | None, now: float) -> Traffic:
    """Read how fast this network and this petition are signing, in the current window."""

    def read(keys: tuple[str, str], _ttl: int) -> list[int]:
        return [int(cache.get(key) or 0) for key in keys]

    return _traffic(settings, slug, ip, now, read)


def challenge(settings: Settings, slug: str, traffic: Traffic, now: float) -> dict[str, Any]:
    """Return a challenge for `slug`, as hard as the traffic asks, in ALTCHA's format."""
    factor = min(max(traffic.factor, 1), MOST_FACTOR)
    made = altcha.create_challenge(
        altcha.ChallengeOptions(
            algorithm=ALGORITHM,
            max_number=math.ceil(settings.challenge_cost * factor),
            hmac_key=challenge_key(settings.secret_key),
            salt=f"{secrets.token_hex(12)}?{urlencode({'petition': slug})}",
            expires=datetime.fromtimestamp(now + CHALLENGE_SECONDS, UTC),
        )
    )
    return {
        "algorithm": made.algorithm,
        "challenge": made.challenge,
        "maxnumber": made.max_number,
        "salt": made.salt,
        "signature": made.signature,
    }


def wait(settings: Settings, traffic: Traffic) -> int:
    """Return the seconds a post without JavaScript waits instead, risen as a challenge's cost.

    A browser without JavaScript cannot solve a challenge, so its signature waits instead:
    `challenge_wait` seconds at the threshold, up to MOST_FACTOR times that.
    """
    factor = min(max(traffic.factor, 1), MOST_FACTOR)
    return math.ceil(settings.challenge_wait * factor)


def held_until(
    cache: Cache, settings: Settings, slug: str, ip: str | None, wait: int, now: float
) -> float:
    """Return when a post held from this network may be sent on: after its own wait, and
    `wait` seconds after the one held before it.

    Waiting costs a script nothing if it waits for a thousand posts at once, so the posts a
    network holds for a petition are sent on one at a time. A person behind a busy address
    seldom queues: the others there sign with JavaScript, solving instead.
    """
    key = f"flood:held:{_net(settings, ip)}:{slug}"
    return cache.queue(key, now, wait, max(settings.challenge_window, 1))


def count_waited(cache: Cache, settings: Settings, slug: str, ip: str | None, now: float) -> None:
    """Count a post that waited out its time-lock as let through, as a solved one is."""
    _traffic(settings, slug, ip, now, lambda keys, ttl: cache.count_near(keys, ttl, SHARED_WITHIN))


def admit(
    cache: Cache, settings: Settings, slug: str, ip: str | None, solution: Any, now: float
) -> None:
    """Count a sign post, and let it through if signing is calm or it carries a fresh solution.

    Raise ChallengeRequired otherwise, and take the post off the count. Counting first
    makes the calm path at most one cache round trip (SHARED_WITHIN). A solution is spent
    here, once: the cache remembers its signature until the challenge expires, so it
    cannot be sent again.
    """

    def before_this_post(keys: tuple[str, str], ttl: int) -> list[int]:
        return [count - 1 for count in cache.count_near(keys, ttl, SHARED_WITHIN)]

    traffic = _traffic(settings, slug, ip, now, before_this_post)
    if traffic.calm:
        return
    if not _spent_now(cache, settings, slug, solution, now):
        cache.count_near(traffic.counters, traffic.window * 2, SHARED_WITHIN, by=-1)
        raise ChallengeRequired(challenge(settings, slug, traffic, now), wait(settings, traffic))


def _spent_now(cache: Cache, settings: Settings, slug: str, solution: Any, now: float) -> bool:
    """Spend a genuine solution; tell whether it was genuine and not spent before."""
    payload = _payload(solution)
    if payload is None or not _genuine(payload, settings, slug, now):
        return False
    expires = float(parse_qs(payload["salt"].partition("?")[2])["expires"][0])
    # Atomic: of two posts racing with one solution, one wins.
    spent = cache.count([f"flood:spent:{payload['signature']}"], math.ceil(expires - now) + 1)
    return spent == [1]


def _payload(solution: Any) -> dict[str, Any] | None:
    """Return the solution ALTCHA's widget sends (base64 JSON), if that is what it is."""
    if not isinstance(solution, str) or len(solution) > MAX_PAYLOAD:
        return None
    try:
        payload = json.loads(base64.b64decode(solution, validate=True))
    except (binascii.Error, ValueError):
        return None
    shape = {"algorithm": str, "challenge": str, "number": int, "salt": str, "signature": str}
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(name), kind) and not isinstance(payload.get(name), bool)
        for name, kind in shape.items()
    ):
        return None
    return payload


def _genuine(payload: dict[str, Any], settings: Settings, slug: str, now: float) -> bool:
    """Tell whether we made this challenge, for this petition, unexpired, and it is solved."""
    salt_params = parse_qs(payload["salt"].partition("?")[2])
    if salt_params.get("petition") != [slug] or payload["algorithm"] != ALGORITHM:
        return False
    try:
        (expires,) = map(float, salt_params.get("expires", []))
    except ValueError:
        return False
    if not now <= expires <= now + CHALLENGE_SECONDS:
        return False
    # Challenges made with an older key stay good for the few minutes they live.
    solution = altcha.Payload.from_dict(cast(altcha.PayloadType, payload))
    return any(
        altcha.verify_solution(solution, challenge_key(key), check_expires=False)[0]
        for key in reversed(settings.signing_keys)
    )
