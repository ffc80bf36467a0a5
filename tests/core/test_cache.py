"""The shared cache on a real Redis: what a count costs it and how long a count lasts."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

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


def test_counts_from_many_threads_at_once_add_up_exactly(cache):
    # Each thread talks to Redis over a connection of its own (RedisCache._redis): the
    # threads of a worker signing at once must neither lose a count nor share a socket.
    barrier = threading.Barrier(8)

    def count_fifty() -> list[int]:
        barrier.wait()
        return [cache.count(["crowd"], ttl=60)[0] for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        seen = [n for counts in pool.map(lambda _: count_fifty(), range(8)) for n in counts]
    assert sorted(seen) == list(range(1, 401))  # each count answered once, none lost


def test_a_forked_process_talks_to_redis_over_connections_of_its_own(cache):
    cache.count(["before"], ttl=60)
    parent = cache._redis.connection
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        ok = cache._redis.connection is not parent and cache.count(["before"], ttl=60) == [2]
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1) == b"1"
    assert cache.count(["before"], ttl=60) == [3]  # and the parent's still answers in turn
