"""The one place that knows a petition's count, and its cache."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from undersign.core.cache import Cache
from undersign.core.models import CountShard, Petition

# Enough rows that concurrent verifications rarely wait on the same one,
# few enough that summing them is a trivial index read.
SHARDS = 8
# Each process reuses what it last read from the shared cache for this long, so
# widget polls cost no round trip to Redis. A count is then at most the cache's
# ttl plus this old: well inside the five seconds the API promises.
NEAR_SECONDS = 1.0


def create_shards(session: Session, petition_id: int) -> None:
    session.execute(
        insert(CountShard), [{"petition_id": petition_id, "shard": n} for n in range(SHARDS)]
    )


def add(session: Session, petition_id: int, delta: int) -> None:
    """Move the count by `delta` inside the caller's transaction."""
    session.execute(
        update(CountShard)
        .where(CountShard.petition_id == petition_id, CountShard.shard == random.randrange(SHARDS))
        .values(count=CountShard.count + delta)
    )


def exact(session: Session, petition_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CountShard.count), 0)).where(
            CountShard.petition_id == petition_id
        )
    )
    return int(total or 0)


def _key(slug: str) -> str:
    return f"undersign:count:{slug}"


def public_count(session: Session, cache: Cache, slug: str, ttl: int) -> dict[str, Any] | None:
    """Return {"slug", "signature_count", "goal"}, at most `ttl` seconds old; None if unknown."""
    found: dict[str, Any] | None = json.loads(public_count_json(lambda: session, cache, slug, ttl))
    return found


def public_count_json(
    open_session: Callable[[], Session], cache: Cache, slug: str, ttl: int
) -> str:
    """Return the count as the API answers it: JSON text at most `ttl` seconds old, "null" if none.

    Reads are served from the cache, so a count polled by thousands of widgets
    costs one query per petition every `ttl` seconds, not one per request; and
    as the text the answer carries, so a poll costs no encoding either. The
    session is opened only when the cache has nothing.
    """
    cached = cached_count_json(cache, slug)
    if cached is not None:
        return cached
    session = open_session()
    row = session.execute(select(Petition.id, Petition.goal).where(Petition.slug == slug)).first()
    payload = None
    if row is not None:
        payload = {"slug": slug, "signature_count": exact(session, row.id), "goal": row.goal}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    cache.set(_key(slug), text, ttl)
    return text


def cached_count_json(cache: Cache, slug: str) -> str | None:
    """Return the count's JSON text if the cache holds it; None: ask public_count_json."""
    return cache.get_near(_key(slug), NEAR_SECONDS)


def forget(cache: Cache, slug: str) -> None:
    """Drop the cached count so the next read is exact (after a change we made)."""
    cache.delete(_key(slug))
