"""The no-JavaScript form under a flood: a waiting page, then the signature, once.

A script that posts the plain form cannot skip the proof of work the JSON route asks for:
when signing runs fast, its post is held, sealed, and sent on only when the browser comes
back after a wait that rises with the rate. A person sees a short waiting page that moves on
by itself. Counted on this process's memory and on a real Redis; the clock is moved, never
waited for.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select
from undersign.core.cache import MemoryCache, RedisCache, get_cache
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature

from tests.conftest import create_petition, make_app, post_form

PERSON = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}
WAIT = 5  # seconds at the threshold (UNDERSIGN_CHALLENGE_WAIT)
REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+);url=(/p/[^"]+)">')
CHECK_YOUR_EMAIL = {
    "en": "Almost done: check your email",
    "ru": "Почти готово: проверьте почту",
    "kk": "Аз қалды: поштаңызды тексеріңіз",
}
WAITING = {
    "en": "Many people are signing right now.",
    "ru": "Сейчас подписывают очень многие.",
    "kk": "Дәл қазір көп адам қол қойып жатыр.",
}


@pytest.fixture
def defended(database_url, tmp_path, cache_config, clock):
    """Build an app whose defence asks above `network` signatures a minute from one address."""

    def build(network: int = 0, **config: Any):
        settings = {"CHALLENGE_NETWORK_RATE": network, "CHALLENGE_WAIT": WAIT, **config}
        app = make_app(database_url, tmp_path, **settings, **cache_config)
        create_petition(app)
        return app

    yield build


def post(client, lang: str = "en", person: dict[str, str] = PERSON):
    return post_form(client, f"/p/test-petition?lang={lang}", {**person, "locale": lang})


def waiting(answer) -> tuple[int, str]:
    """Return the seconds a waiting page waits and the address it then goes to."""
    assert answer.status_code == 200
    refresh = REFRESH.search(answer.text)
    assert refresh, "not a waiting page"
    seconds, then = int(refresh.group(1)), refresh.group(2)
    assert f'href="{then}"' in answer.text  # for browsers that ignore a meta refresh
    assert answer.headers["Cache-Control"] == "no-store"
    return seconds, then


def stored(app) -> tuple[int, int]:
    """Count the signatures and the emails waiting to go out."""
    with database(app).sessions() as session:
        signatures = session.scalar(select(func.count()).select_from(Signature))
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    return signatures or 0, outbox or 0


def held_values(app) -> list[str]:
    """Every value the cache holds for held posts, in Redis and in this process's memory."""
    cache = get_cache(app)
    memories = [cache]
    values = []
    if isinstance(cache, RedisCache):
        memories = [cache._local]
        values = [cache._redis.get(key).decode() for key in cache._redis.keys("timelock:*")]
    for memory in memories:
        assert isinstance(memory, MemoryCache)
        values += [
            value for key, (_, value) in memory._entries.items() if key.startswith("timelock")
        ]
    return values


def test_a_calm_petition_signs_the_form_at_once(defended):
    app = defended(network=10)
    answer = post(app.test_client())
    assert answer.status_code == 202
    assert CHECK_YOUR_EMAIL["en"] in answer.text
    assert not REFRESH.search(answer.text)
    assert stored(app) == (1, 1)


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_fast_petition_holds_the_form_and_signs_it_once_after_the_wait(defended, clock, lang):
    app = defended()
    client = app.test_client()
    seconds, then = waiting(post(client, lang))
    assert WAITING[lang] in post(client, lang).text  # each post waits, in its language
    assert seconds == WAIT
    assert then.startswith("/p/test-petition/wait/")
    assert stored(app) == (0, 0)

    clock.now += seconds - 1  # too early: the same page, with what is left
    early = client.get(then)
    assert waiting(early) == (1, then)
    assert f'<html lang="{lang}"' in early.text
    assert early.headers["Referrer-Policy"] == "no-referrer"
    assert stored(app) == (0, 0)

    clock.now += 1
    signed = client.get(then)
    assert signed.status_code == 202
    assert CHECK_YOUR_EMAIL[lang] in signed.text
    assert f'<html lang="{lang}"' in signed.text
    assert signed.headers["Referrer-Policy"] == "no-referrer"
    assert signed.headers["Cache-Control"] == "no-store"
    assert stored(app) == (1, 1)

    again = client.get(then)  # a second follow, a reload, a script replaying it
    assert again.status_code == 410
    assert again.headers["Cache-Control"] == "no-store"
    assert f'<html lang="{lang}"' in again.text
    assert 'href="/p/test-petition?lang=' in again.text  # the way to sign again
    assert stored(app) == (1, 1)


def test_the_wait_rises_with_the_rate_as_posts_that_waited_are_counted(defended, clock):
    # The petition's threshold this time: two networks, one count, a queue each.
    app = defended(network=1_000_000, CHALLENGE_PETITION_RATE=0)
    client = app.test_client()
    first, then = waiting(post(client))
    clock.now += first
    assert client.get(then).status_code == 202  # let through: counted, as a solved post is
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    second, _ = waiting(post(other, person={**PERSON, "email": "dana@example.org"}))
    assert (first, second) == (WAIT, 2 * WAIT)


def test_a_burst_from_one_address_is_sent_on_one_post_per_wait(defended, clock):
    """Waiting costs a script nothing if it waits for all its posts at once: it may not."""
    app = defended()
    client = app.test_client()
    held = [
        waiting(post(client, person={**PERSON, "email": f"w{n}@example.org"})) for n in range(5)
    ]
    assert [seconds for seconds, _ in held] == [WAIT, 2 * WAIT, 3 * WAIT, 4 * WAIT, 5 * WAIT]
    clock.now += WAIT
    assert [client.get(then).status_code for _, then in held] == [202, 200, 200, 200, 200]
    assert stored(app) == (1, 1)


def test_an_invalid_form_is_answered_at_once_not_held(defended):
    app = defended()
    answer = post(app.test_client(), person={**PERSON, "email": "not an address"})
    assert answer.status_code == 422
    assert not REFRESH.search(answer.text)
    assert held_values(app) == []


@pytest.mark.parametrize(
    "alter",
    [
        lambda ticket: ticket[:-4] + ("AAAA" if not ticket.endswith("AAAA") else "BBBB"),  # key
        lambda ticket: ("B" if ticket[0] != "B" else "C") + ticket[1:],  # which post
        lambda ticket: ticket[:20],
        lambda ticket: "not a ticket!",
    ],
    ids=["key", "id", "short", "garbage"],
)
def test_an_altered_ticket_is_a_page_in_the_language_and_signs_nothing(defended, clock, alter):
    app = defended()
    client = app.test_client()
    seconds, then = waiting(post(client, "ru"))
    clock.now += seconds
    path, _, query = then.partition("?")
    ticket = path.rsplit("/", 1)[1]
    answer = client.get(f"/p/test-petition/wait/{alter(ticket)}?{query}")
    assert 400 <= answer.status_code < 500
    assert '<html lang="ru"' in answer.text
    assert stored(app) == (0, 0)


def test_a_ticket_signs_only_the_petition_it_was_posted_to(defended, clock):
    app = defended()
    create_petition(app, "other-petition")
    client = app.test_client()
    seconds, then = waiting(post(client))
    clock.now += seconds
    assert client.get(then.replace("/test-petition/", "/other-petition/")).status_code == 410
    assert stored(app) == (0, 0)


def test_the_cache_holds_no_readable_name_or_email(defended):
    app = defended()
    waiting(post(app.test_client()))
    values = held_values(app)
    assert values, "nothing held"
    for value in values:
        for personal in ("Aigerim", "Bekova", "aigerim@example.org"):
            assert personal not in value
