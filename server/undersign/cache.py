"""A small shared cache: Redis when configured, this process's memory otherwise."""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...
    def get_near(self, key: str, seconds: float) -> str | None: ...
    def set(self, key: str, value: str, ttl: int) -> None: ...
    def delete(self, key: str) -> None: ...


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


class RedisCache:
    """Redis, shared by every process; this process's memory while Redis is away.

    A cache must never be why a page fails, so every Redis error degrades to the
    local cache instead of reaching the caller.
    """

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._local = MemoryCache()
        self._near = MemoryCache()

    def get(self, key: str) -> str | None:
        try:
            value = self._redis.get(key)
        except redis.RedisError as error:
            log.warning("cache read fell back to memory: %s", type(error).__name__)
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
        try:
            self._redis.set(key, value, ex=ttl)
        except redis.RedisError as error:
            log.warning("cache write fell back to memory: %s", type(error).__name__)

    def delete(self, key: str) -> None:
        self._local.delete(key)
        self._near.delete(key)
        try:
            self._redis.delete(key)
        except redis.RedisError as error:
            log.warning("cache delete failed: %s", type(error).__name__)

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False


def init_app(app: Flask, redis_url: str | None) -> None:
    app.extensions["undersign.cache"] = RedisCache(redis_url) if redis_url else MemoryCache()


def get_cache(app: Flask | None = None) -> Cache:
    return (app or current_app).extensions["undersign.cache"]
