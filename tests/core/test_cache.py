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


def replies_counted(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every reply Redis sends this process from now on."""
    replies: list[object] = []
    read_response = redis.connection.Connection.read_response

    def counted(connection, *args, **kwargs):
        replies.append(read_response(connection, *args, **kwargs))
        return replies[-1]

    monkeypatch.setattr(redis.connection.Connection, "read_response", counted)
    return replies


def test_counts_near_send_a_processs_posts_together_and_miss_none_of_its_own(cache, monkeypatch):
    # A worker signing at a viral moment: one round trip for all the posts of SECONDS.
    cache.count(["warm"], ttl=60)  # Redis learns the script
    replies = replies_counted(monkeypatch)
    seen = [cache.count_near(["net", "petition"], ttl=60, seconds=60) for _ in range(100)]
    assert seen == [[n, n] for n in range(1, 101)], "this process's own posts, each counted"
    assert len(replies) == 1, "the first post sends at once, the others wait for SECONDS"
    assert int(cache._redis.get("petition")) == 1

    assert cache.count_near(["petition"], ttl=60, seconds=0) == [101]  # SECONDS are over
    assert len(replies) == 3, "one more round trip (and the read above)"
    assert int(cache._redis.get("petition")) == 101, "nothing lost, nothing sent twice"
    shared = redis.Redis.from_url(cache._url)
    assert 0 < shared.ttl("net") <= 60 and 0 < shared.ttl("petition") <= 60


def test_counts_near_see_another_processs_posts_once_either_has_sent(redis_url):
    one, other = RedisCache(redis_url), RedisCache(redis_url)  # two workers, one Redis
    assert [one.count_near(["petition"], 60, seconds=60)[0] for _ in range(5)] == [1, 2, 3, 4, 5]
    assert other.count_near(["petition"], 60, seconds=60) == [2], "one's first was sent"
    assert one.count_near(["petition"], 60, seconds=0) == [7], "one sent its 4 and learnt 1"
    assert other.count_near(["petition"], 60, seconds=0) == [8]


def test_counts_near_from_many_threads_at_once_add_up_exactly(cache):
    barrier = threading.Barrier(8)

    def count_fifty() -> list[int]:
        barrier.wait()
        return [cache.count_near(["crowd"], 60, seconds=0.001)[0] for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        seen = [n for counts in pool.map(lambda _: count_fifty(), range(8)) for n in counts]
    assert sorted(seen) == list(range(1, 401))  # each count answered once, none lost
    assert cache.count_near(["crowd"], 60, seconds=0) == [401]
    assert int(cache._redis.get("crowd")) == 401


def test_a_forked_process_counts_near_on_its_own_and_sends_nothing_twice(cache):
    cache.count_near(["before"], ttl=60, seconds=0)
    cache.count_near(["before"], ttl=60, seconds=60)  # one added, not sent yet
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        ok = cache.count_near(["before"], ttl=60, seconds=0) == [2]  # Redis's 1 and its own
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1) == b"1"
    assert cache.count_near(["before"], ttl=60, seconds=0) == [4]  # its 1 pending, the child's
