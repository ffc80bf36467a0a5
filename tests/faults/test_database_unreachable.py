"""The database away: what needs it answers 503 to retry, and all resumes when it returns."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from undersign.core.db import CONNECT_TIMEOUT, database
from undersign.web.errors import RETRY_AFTER_SECONDS

from tests.conftest import create_petition, free_port, make_app

from .conftest import Gate, sample

SIGN = "/api/v1/petitions/test-petition/signatures"
BODY = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}
FORM = {"name": "Ана Бекова", "email": "ana@example.org", "country": "KZ"}
PAGE_WORDS = {
    "en": "The service is briefly unavailable",
    "ru": "Сервис временно недоступен",
    "kk": "Қызмет уақытша қолжетімсіз",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database is not there: nothing listens on its port, or its folder is gone."""
    url = {
        "sqlite": f"sqlite:///{tmp_path}/gone/undersign.sqlite",
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/test",
    }[request.param]
    app = make_app(url, tmp_path)
    yield app
    database(app).engine.dispose()


def assert_unavailable_json(answer) -> None:
    assert answer.status_code == 503
    assert answer.mimetype == "application/json"
    assert answer.json["error"]["code"] == "unavailable"
    assert answer.json["error"]["message"]
    # At least ours: on a rate-limited route Flask-Limiter may raise it to its window's end.
    assert int(answer.headers["Retry-After"]) >= RETRY_AFTER_SECONDS


def assert_unavailable_page(answer, lang: str) -> None:
    assert answer.status_code == 503
    assert answer.mimetype == "text/html"
    assert PAGE_WORDS[lang] in answer.text
    assert f'lang="{lang}"' in answer.text
    assert int(answer.headers["Retry-After"]) >= RETRY_AFTER_SECONDS


def test_without_a_database_every_answer_that_needs_it_is_a_503(unreachable_app: Flask):
    client = unreachable_app.test_client()
    assert_unavailable_json(client.post(SIGN, json=BODY))
    assert_unavailable_json(client.get("/api/v1/petitions/test-petition/count"))
    assert_unavailable_json(client.get("/api/v1/petitions/test-petition"))
    assert_unavailable_page(client.get("/p/test-petition?lang=kk"), "kk")
    assert_unavailable_page(client.post("/p/test-petition?lang=ru", data=FORM), "ru")
    assert_unavailable_page(client.get("/", headers={"Accept-Language": "ru-RU"}), "ru")

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json == {"status": "unavailable", "checks": {"database": "unavailable"}}
    assert int(ready.headers["Retry-After"]) >= RETRY_AFTER_SECONDS
    assert client.get("/healthz").status_code == 200, "the process itself lives"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_outage_is_503s_and_all_resumes_when_the_database_returns(
    database_url: str, gate: Gate, tmp_path: Path
):
    app = make_app(gate.url(database_url), tmp_path)
    client = app.test_client()
    try:
        create_petition(app)
        assert client.post(SIGN, json=BODY).status_code == 202
        assert client.get("/p/test-petition").status_code == 200

        gate.shut()  # every connection cut, and no new one taken
        assert_unavailable_json(client.post(SIGN, json={**BODY, "email": "two@example.org"}))
        assert_unavailable_page(client.get("/p/test-petition?lang=ru"), "ru")
        assert client.get("/readyz").status_code == 503
        # The scrape still answers, with this process's counters and the database marked down.
        scraped = client.get("/metrics")
        assert scraped.status_code == 200
        assert sample(scraped.get_data(as_text=True), "undersign_database_up") == 0

        gate.open()  # the database is back; the app was not restarted
        assert client.get("/readyz").json == {"status": "ready", "checks": {"database": "ok"}}
        assert client.post(SIGN, json={**BODY, "email": "two@example.org"}).status_code == 202
        page = client.get("/p/test-petition?lang=ru")
        assert page.status_code == 200 and "Спасите завод" in page.text

        metrics = client.get("/metrics").get_data(as_text=True)
        refused = sample(
            metrics,
            "undersign_http_requests_total",
            route="/api/v1/petitions/<slug>/signatures",
            status="503",
        )
        assert refused >= 1, "the operator sees the 503s once the database is back"
        assert sample(metrics, "undersign_signatures", state="pending") == 2
        assert sample(metrics, "undersign_database_up") == 1
    finally:
        database(app).engine.dispose()


@pytest.mark.slow
def test_a_database_that_never_answers_is_a_503_within_the_connect_timeout(tmp_path: Path):
    # Something listens (the kernel completes the handshake) but never speaks: a host
    # that hangs. Without a timeout the request would wait for as long as TCP does.
    port = free_port()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", port))
        silent.listen(8)
        app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", tmp_path)
        try:
            started = time.monotonic()
            answer = app.test_client().post(SIGN, json=BODY)
            waited = time.monotonic() - started
        finally:
            database(app).engine.dispose()
    assert_unavailable_json(answer)
    assert waited < CONNECT_TIMEOUT + 3


def test_the_api_description_warns_of_the_503_on_every_route(client):
    document = client.get("/api/openapi.json").json
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "503" in operation["responses"], f"{method.upper()} {path}"
