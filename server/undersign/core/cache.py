"""A small shared cache: Redis when configured, this process's memory otherwise."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from typing import Protocol, cast

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...
    def get_near(self, key: str, seconds: float) -> str | None: ...
    def set(self, key: str, value: str, ttl: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def take(self, key: str) -> str | None: ...
    def queue(self, key: str, now: float, step: float, ttl: int) -> float: ...
    def count(self, keys: Sequence[str], ttl: int, by: int = 1) -> list[int]: ...
    def count_near(self, keys: Sequence[str], ttl: int, seconds: float, by: int = 1
                   ) -> list[int]: ...  # fmt: skip


class MemoryCache:
    """Entries that expire, kept in this process only."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._entries.pop(key, None)
                return None
            return entry[1]

    def get_near(self, key: str, seconds: float) -> str | None:
        return self.get(key)  # this memory is as near as it gets

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def take(self, key: str) -> str | None:
        """Return the entry and delete it, at once: of two racing takers, one gets it."""
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def queue(self, key: str, now: float, step: float, ttl: int) -> float:
        """Return the next place in a queue served one per `step`: no earlier than now + step.

        The queue (its next free time) is kept until `ttl` seconds after its last place.
        """
        with self._lock:
            expires, value = self._entries.get(key, (0.0, "0"))
            ahead = float(value) if expires >= time.monotonic() else 0.0
            place = max(ahead, now) + step
            self._entries[key] = (time.monotonic() + place - now + ttl, repr(place))
        return place

    def count(self, keys: Sequence[str], ttl: float, by: int = 1) -> list[int]:
        """Add `by` to each count and return them; a new count expires after `ttl`."""
        counts = []
        with self._lock:
            for key in keys:
                expires, value = self._entries.get(key, (0.0, "0"))
                if expires < time.monotonic():
                    expires, value = time.monotonic() + ttl, "0"
                counts.append(int(value) + by)
                self._entries[key] = (expires, str(counts[-1]))
        return counts

    def count_near(self, keys: Sequence[str], ttl: float, seconds: float, by: int = 1
                   ) -> list[int]:  # fmt: skip
        return self.count(keys, ttl, by)  # this memory is as near as it gets


class RedisCache:
    """Redis, shared by every process; this process's memory while Redis is away.

    A cache must never be why a page fails, so every Redis error degrades to the
    local cache instead of reaching the caller.
    """

    # After a Redis error, leave Redis alone this long. A Redis that is down
    # answers at once (connection refused), but one that hangs would cost every
    # count read its socket timeout twice (read, then write) and tie up the
    # server's threads. Skipping it is safe: whatever a skipped write or delete
    # left behind in Redis expires with its ttl, a few seconds.
    RETRY_SECONDS = 5.0

    def __init__(self, url: str) -> None:
        self._url = url
        self._clients = threading.local()
        self._local = MemoryCache()
        self._near = MemoryCache()
        self._away_until = 0.0  # time.monotonic() before which Redis is not asked
        # Sent by its hash (EVALSHA); a Redis that forgot it (restarted) is sent it again.
        # Registered on a client that connects only when asked (none is, here): Redis may be
        # away when the app starts. Each call runs it on the calling thread's own client.
        self._count_script = redis.Redis.from_url(url).register_script(self.COUNT)
        self._tally_of: tuple[int, _Tally] = (os.getpid(), _Tally())

    @property
    def _redis(self) -> redis.Redis:
        """Return this thread's client, which keeps one connection of its own.

        One client for every thread checks a connection out of its pool and back in for
        each command, asking the socket each time whether it holds stale data: about a
        fifth of the CPU of every signature's flood count (bench/README.md).
        """
        clients = self._clients
        # None yet, or forked since. The client connects as it is made, so a Redis that is
        # away raises here, inside the caller's handling of Redis errors.
        if getattr(clients, "pid", None) != os.getpid():
            clients.client = redis.Redis.from_url(
                self._url,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
                single_connection_client=True,
            )
            clients.pid = os.getpid()
        return cast(redis.Redis, clients.client)

    def _away(self) -> bool:
        return time.monotonic() < self._away_until

    def _failed(self, what: str, error: redis.RedisError) -> None:
        if not self._away():
            log.warning(
                "cache %s failed, memory only for %g s: %s",
                what,
                self.RETRY_SECONDS,
                type(error).__name__,
            )
        self._away_until = time.monotonic() + self.RETRY_SECONDS

    def get(self, key: str) -> str | None:
        if self._away():
            return self._local.get(key)
        try:
            value = self._redis.get(key)
        except redis.RedisError as error:
            self._failed("read", error)
            return self._local.get(key)
        return value.decode() if isinstance(value, bytes) else None

    def get_near(self, key: str, seconds: float) -> str | None:
        """Return what this process read from Redis less than `seconds` ago, else read it.

        For values polled far more often than they change (a petition's count):
        most reads then cost no round trip, at the price of `seconds` more staleness.
        """
        value = self._near.get(key)
        if value is None:
            value = self.get(key)
            if value is not None:
                self._near.set(key, value, seconds)
        return value

    def set(self, key: str, value: str, ttl: int) -> None:
        self._local.set(key, value, ttl)
        if self._away():
            return
        try:
            self._redis.set(key, value, ex=ttl)
        except redis.RedisError as error:
            self._failed("write", error)

    def delete(self, key: str) -> None:
        self._local.delete(key)
        self._near.delete(key)
        if self._away():
            return
        try:
            self._redis.delete(key)
        except redis.RedisError as error:
            self._failed("delete", error)

    def take(self, key: str) -> str | None:
        """Return the entry and delete it, in one command (GETDEL): one racing taker gets it."""
        local = self._local.take(key)
        self._near.delete(key)
        if self._away():
            return local
        try:
            value = self._redis.getdel(key)
        except redis.RedisError as error:
            self._failed("take", error)
            return local
        return value.decode() if isinstance(value, bytes) else None

    # MemoryCache.queue in one step that no other process can split (Redis runs a script whole).
    QUEUE = """
    local ahead = tonumber(redis.call('GET', KEYS[1]) or '0')
    local place = math.max(ahead, tonumber(ARGV[1])) + tonumber(ARGV[2])
    local kept = math.ceil(place - tonumber(ARGV[1])) + tonumber(ARGV[3])
    redis.call('SET', KEYS[1], string.format('%.3f', place), 'EX', kept)
    return string.format('%.3f', place)
    """

    def queue(self, key: str, now: float, step: float, ttl: int) -> float:
        """Return the next place in a queue every process shares (see MemoryCache.queue)."""
        if self._away():
            return self._local.queue(key, now, step, ttl)
        try:
            place = self._redis.eval(self.QUEUE, 1, key, repr(now), repr(step), ttl)
        except redis.RedisError as error:
            self._failed("queue", error)
            return self._local.queue(key, now, step, ttl)
        return float(cast(bytes, place))

    # MemoryCache.count in one command with one reply, run whole: no expiry falls between a
    # count's SET NX, which gives a new count its expiry, and its INCRBY, which keeps it.
    # Each key's addition and ttl are its pair of arguments.
    COUNT = """
    local counts = {}
    for i, key in ipairs(KEYS) do
        redis.call('SET', key, 0, 'EX', ARGV[2 * i], 'NX')
        counts[i] = redis.call('INCRBY', key, ARGV[2 * i - 1])
    end
    return counts
    """

    def count(self, keys: Sequence[str], ttl: int, by: int = 1) -> list[int]:
        """Add `by` to each count every process shares and return them, in one round trip.

        A new count expires after `ttl`; one already there keeps its expiry.
        """
        counts = self._added({key: (by, ttl) for key in keys})
        return self._local.count(keys, ttl, by) if counts is None else counts

    def _added(self, additions: dict[str, tuple[int, int]]) -> list[int] | None:
        """Add to counts in Redis (key: its addition and ttl) and return them; None if away."""
        if self._away():
            return None
        args = [number for pair in additions.values() for number in pair]
        try:
            counts = self._count_script(keys=list(additions), args=args, client=self._redis)
        except redis.RedisError as error:
            self._failed("count", error)
            return None
        return [int(count) for count in counts]

    def count_near(self, keys: Sequence[str], ttl: int, seconds: float, by: int = 1) -> list[int]:
        """Add `by` to each count and return them: this process's additions, all of them, and
        every other process's as Redis had them at most `seconds` ago.

        For counts added to on every request (the flood defence's, at each sign post): the
        additions of `seconds` go to Redis together, one round trip instead of one each. A
        process that has sent nothing for `seconds` sends at once, as `count` does.
        """
        if self._away():
            return self._local.count(keys, ttl, by)
        tally = self._tally()
        with tally.lock:
            tally.add(keys, ttl, by)
            if tally.sending or time.monotonic() - tally.sent_at < seconds:
                return tally.seen(keys)
            additions = tally.sending = tally.pending
            tally.pending = {}
        counts = None
        try:
            counts = self._added(additions)
        finally:
            with tally.lock:
                tally.sent(counts)
        if counts is None:  # Redis away: what was being sent is lost, as count's would be
            return self._local.count(keys, ttl, by)
        # As count answers: the counts just after this addition, not the posts added since.
        answered = dict(zip(additions, counts, strict=True))
        return [answered[key] for key in keys]

    def ping(self) -> bool:
        """Ask Redis now, whatever came before; an answer ends the wait for it."""
        try:
            answered = bool(self._redis.ping())
        except redis.RedisError as error:
            self._failed("ping", error)
            return False
        self._away_until = 0.0
        return answered

    def _tally(self) -> _Tally:
        """Return this process's tally: a forked one starts its own, adding nothing twice."""
        if self._tally_of[0] != os.getpid():
            self._tally_of = (os.getpid(), _Tally())
        return self._tally_of[1]


class _Tally:
    """A process's part of RedisCache.count_near: the counts it last learnt from Redis, and
    what it has added since (`pending`) or is sending now (`sending`), each with its ttl."""

    # Counts whose time is over are forgotten this often, not at every send: at a viral
    # moment a process knows the counts of thousands of networks and sends twenty times a
    # second.
    PRUNE_SECONDS = 10.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.known: dict[str, tuple[int, float]] = {}  # key: its count in Redis, until when
        self.pending: dict[str, tuple[int, int]] = {}  # key: added since, its ttl
        self.sending: dict[str, tuple[int, int]] = {}
        self.sent_at = -math.inf  # time.monotonic()
        self.pruned_at = time.monotonic()

    def add(self, keys: Sequence[str], ttl: int, by: int) -> None:
        for key in keys:
            self.pending[key] = (self.pending.get(key, (0, ttl))[0] + by, ttl)

    def seen(self, keys: Sequence[str]) -> list[int]:
        now = time.monotonic()
        counts = []
        for key in keys:
            known = self.known.get(key)
            base = known[0] if known is not None and known[1] > now else 0
            counts.append(base + self.sending.get(key, (0, 0))[0] + self.pending[key][0])
        return counts

    def sent(self, counts: list[int] | None) -> None:
        """Keep what Redis answered for the counts sent; forget those whose time is over."""
        now = time.monotonic()
        if now - self.pruned_at > self.PRUNE_SECONDS:
            self.known = {key: kept for key, kept in self.known.items() if kept[1] > now}
            self.pruned_at = now
        if counts is not None:
            for (key, (_, ttl)), count in zip(self.sending.items(), counts, strict=True):
                self.known[key] = (count, now + ttl)
        self.sending = {}
        self.sent_at = now


def init_app(app: Flask, redis_url: str | None) -> None:
    app.extensions["undersign.core.cache"] = RedisCache(redis_url) if redis_url else MemoryCache()


def get_cache(app: Flask | None = None) -> Cache:
    return (app or current_app).extensions["undersign.core.cache"]
