"""Rate limits: a flood is refused, a shared network is not, Redis shares and may fail."""

from __future__ import annotations

import pytest

from tests.conftest import create_petition, make_app, post_form


def sign(client, n, slug="test-petition", **headers):
    body = {"name": f"Signer {n}", "email": f"signer{n}@example.org", "country": "KZ"}
    return client.post(f"/api/v1/petitions/{slug}/signatures", json=body, headers=headers)


@pytest.fixture
def limited(database_url, tmp_path):
    """Build an app with a low signing limit, optionally on Redis and behind proxies."""
    apps = []

    def build(limit="5 per minute", **config):
        app = make_app(database_url, tmp_path, SIGN_RATE_LIMIT=limit, **config)
        apps.append(app)
        return app

    return build


def test_a_flood_from_one_address_gets_429_in_the_error_shape(limited):
    app = limited()
    create_petition(app)
    client = app.test_client()
    answers = [sign(client, n) for n in range(7)]
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 2
    refused = answers[-1]
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_the_default_limit_lets_a_shared_network_sign_at_a_human_pace(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    create_petition(app)
    client = app.test_client()
    # Fifty colleagues behind one plant address, all in the same minute.
    assert all(sign(client, n).status_code == 202 for n in range(50))


def test_the_default_limit_refuses_what_only_a_machine_sends(database_url, tmp_path):
    # Shared addresses are spared by the flood defence's challenge; the limit stops machines.
    app = make_app(database_url, tmp_path)
    create_petition(app)
    client = app.test_client()
    statuses = [sign(client, n).status_code for n in range(650)]
    assert statuses.count(429) >= 50


def test_limits_are_per_address(limited):
    app = limited(limit="2 per minute")
    create_petition(app)
    client = app.test_client()
    here = [sign(client, n, environ_base={"REMOTE_ADDR": "10.0.0.1"}) for n in range(3)]
    there = client.post(
        "/api/v1/petitions/test-petition/signatures",
        json={"name": "B", "email": "b@example.org", "country": "KZ"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert [a.status_code for a in here][-1] == 429
    assert there.status_code == 202


def sign_from(client, n, remote, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        "/api/v1/petitions/test-petition/signatures",
        json={"name": "A", "email": f"f{n}@example.org", "country": "KZ"},
        headers=headers,
        environ_base={"REMOTE_ADDR": remote},
    )


def test_x_forwarded_for_is_ignored_without_trusted_proxies(limited):
    app = limited(limit="2 per minute")
    create_petition(app)
    client = app.test_client()
    statuses = [sign_from(client, n, "10.0.0.9", f"203.0.113.{n}").status_code for n in range(3)]
    assert statuses == [202, 202, 429], "a client cannot dodge the limit with a header"


def test_x_forwarded_for_is_trusted_behind_one_proxy(limited):
    app = limited(limit="2 per minute", TRUSTED_PROXIES=1)
    create_petition(app)
    client = app.test_client()
    statuses = [sign_from(client, n, "10.0.0.9", f"203.0.113.{n}").status_code for n in range(3)]
    assert statuses == [202, 202, 202], "each real client has its own limit behind the proxy"


def test_two_instances_share_limits_through_redis(limited, redis_url):
    first = limited(limit="4 per minute", REDIS_URL=redis_url)
    second = limited(limit="4 per minute", REDIS_URL=redis_url)
    create_petition(first)
    clients = [first.test_client(), second.test_client()]
    statuses = [sign(clients[n % 2], n).status_code for n in range(6)]
    assert statuses == [202] * 4 + [429] * 2


def test_signing_goes_on_while_redis_is_unreachable(limited):
    app = limited(limit="3 per minute", REDIS_URL="redis://127.0.0.1:1/0")
    create_petition(app)
    client = app.test_client()
    statuses = [sign(client, n).status_code for n in range(4)]
    assert statuses[:3] == [202] * 3, "signatures are taken with Redis away"
    assert statuses[3] == 429, "and limits still hold, counted in memory meanwhile"
    count = client.get("/api/v1/petitions/test-petition/count")
    assert count.status_code == 200
    # Still ready: signing goes on; Redis is reported as degraded, not as a dead instance.
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["redis"] == "degraded"


def test_a_browser_form_that_is_refused_gets_a_page_in_its_language_not_json(limited):
    app = limited("2 per minute")
    create_petition(app)
    client = app.test_client()
    form = {"name": "Ана", "email": "ana@example.org", "country": "KZ", "locale": "ru"}
    # The page's form and a form cached with the API's address share one limit.
    assert post_form(client, "/p/test-petition?lang=ru", form).status_code == 202
    assert (
        client.post("/api/v1/petitions/test-petition/signatures?lang=ru", data=form).status_code
        == 307
    )
    refused = client.post("/p/test-petition?lang=ru", data=form)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Слишком много запросов" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    old_target = client.post("/api/v1/petitions/test-petition/signatures?lang=kk", data=form)
    assert old_target.status_code == 429 and old_target.mimetype == "text/html"
    assert "Сұраулар тым көп" in old_target.text


def test_a_form_too_large_gets_a_page_in_its_language(limited):
    app = limited()
    create_petition(app)
    client = app.test_client()
    form = {"name": "Ана", "email": "ana@example.org", "country": "KZ", "comment": "ж" * 20_000}
    refused = client.post("/p/test-petition?lang=kk", data=form)
    assert refused.status_code == 413
    assert refused.mimetype == "text/html"
    assert "Жіберілген мәтін тым ұзын" in refused.text
    # The old target sends the browser on before it reads the body: the page then refuses it.
    old_target = client.post("/api/v1/petitions/test-petition/signatures?lang=kk", data=form)
    assert old_target.status_code == 307
