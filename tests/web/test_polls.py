"""The count poll answered below Flask (polls.py): the very answer Flask's route gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from undersign.core.db import database

from tests.conftest import create_petition, make_app

COUNT = "/api/v1/petitions/test-petition/count"


@pytest.fixture
def proxied(database_url: str, tmp_path: Path):
    """An app behind one trusted proxy, as in production; and how often Flask answered."""
    app = make_app(database_url, tmp_path, TRUSTED_PROXIES=1)
    create_petition(app)
    answered_by_flask: list[str] = []
    app.before_request(lambda: answered_by_flask.append("flask") and None)
    yield app, answered_by_flask
    database(app).engine.dispose()


def asked(app: Flask, path: str = COUNT, **headers: str):
    headers = {"X-Request-ID": "poll-1", "X-Forwarded-For": "203.0.113.7", **headers}
    return app.test_client().get(path, headers=headers)


def same(first, second) -> None:
    assert first.status == second.status
    assert first.data == second.data
    assert sorted(first.headers.items()) == sorted(second.headers.items())


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_poll_of_a_cached_count_gets_flasks_answer_without_flask(proxied, scheme):
    app, answered_by_flask = proxied
    cold = asked(app, **{"X-Forwarded-Proto": scheme})  # reads the database, fills the cache
    assert answered_by_flask == ["flask"]
    warm = asked(app, **{"X-Forwarded-Proto": scheme})
    assert answered_by_flask == ["flask"], "the second poll was answered below Flask"
    same(cold, warm)
    assert warm.status_code == 200 and warm.json["signature_count"] == 0
    assert ("Strict-Transport-Security" in warm.headers) == (scheme == "https")
    assert warm.headers["Access-Control-Allow-Origin"] == "*"
    assert warm.headers["X-Request-ID"] == "poll-1"


def test_a_poll_with_the_tag_it_holds_gets_304_alike(proxied):
    app, answered_by_flask = proxied
    tag = asked(app).headers["ETag"]
    through_flask = asked(app, COUNT + "?lang=en", **{"If-None-Match": tag})
    assert len(answered_by_flask) == 2
    below_flask = asked(app, **{"If-None-Match": tag})
    assert len(answered_by_flask) == 2
    assert below_flask.status_code == 304 and below_flask.data == b""
    same(through_flask, below_flask)


def test_what_the_cache_does_not_hold_goes_to_flask(proxied):
    app, answered_by_flask = proxied
    assert asked(app, "/api/v1/petitions/no-such-petition/count").status_code == 404
    assert asked(app, "/api/v1/petitions/no-such-petition/count").status_code == 404
    assert len(answered_by_flask) == 2, "an unknown petition is Flask's to refuse, each time"
    assert asked(app, "/api/v1/petitions/Test-Petition/count").status_code == 404
    assert len(answered_by_flask) == 3
