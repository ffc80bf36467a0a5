"""The shared cache on a real Redis: what a count costs it and how long a count lasts."""

from __future__ import annotations

import pytest
import redis
from undersign.core.cache import RedisCache


@pytest.fixture
def cache(redis_url: str) -> RedisCache:
    return RedisCache(redis_url)


def test_counting_two_keys_takes_one_reply_from_redis(cache, monkeypatch):
    # Every sign post counts its network and its petition (signers/flood.py): one reply for both.
    assert cache.count(["net", "petition"], ttl=60) == [1, 1]  # Redis learns the script
    replies = []
    read_response = redis.connection.Connection.read_response

    def counted(connection, *args, **kwargs):
        replies.append(read_response(connection, *args, **kwargs))
        return replies[-1]

    monkeypatch.setattr(redis.connection.Connection, "read_response", counted)
    assert cache.count(["net", "petition"], ttl=60) == [2, 2]
    assert len(replies) == 1


def test_a_new_count_expires_after_its_ttl_and_one_already_there_keeps_its_expiry(cache, redis_url):
    cache.count(["old"], ttl=100)
    assert cache.count(["old", "new"], ttl=1000, by=2) == [3, 2]
    shared = redis.Redis.from_url(redis_url)
    assert 0 < shared.ttl("old") <= 100 < shared.ttl("new") <= 1000
