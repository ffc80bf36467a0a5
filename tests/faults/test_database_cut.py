"""PostgreSQL's connections cut (a restart, a failover, a kill): 503 at worst, never 500.

A connection cut while it waits in the pool goes unnoticed; one cut while a request
uses it fails that request with a 503 the client can retry, and the next request gets
a fresh connection, without restarting anything.
"""

from __future__ import annotations

import pytest
from flask import Flask
from undersign.core.db import database, get_session

from tests.conftest import Signer, SMTPServer, create_petition, make_app

from .conftest import backend_pid, cut_at, terminate

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SIGN = "/api/v1/petitions/test-petition/signatures"
FORM = {"name": "Ана Бекова", "email": "ana@example.org", "country": "KZ"}


def assert_unavailable_json(answer) -> None:
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "unavailable"
    assert int(answer.headers["Retry-After"]) > 0


def test_connections_cut_while_idle_go_unnoticed(signer: Signer, client, database_url: str):
    assert signer.sign(email="before@example.org").status_code == 202
    assert client.get("/p/test-petition").status_code == 200
    assert terminate(database_url) >= 1, "the pool held a connection to cut"

    assert signer.sign(email="after@example.org").status_code == 202
    assert client.get("/p/test-petition").status_code == 200
    signer.deliver()
    assert signer.confirm("after@example.org").status_code == 200
    assert signer.count() == 1


def test_a_signature_cut_mid_request_is_a_503_to_retry_and_the_retry_counts(
    signer: Signer, app: Flask, client, database_url: str
):
    assert client.get("/p/test-petition").status_code == 200  # the pool holds a connection
    with cut_at(database(app).engine, database_url, "INSERT INTO signatures") as cut:
        refused = signer.sign(email="retry@example.org")
    assert cut, "the request reached the insert"
    assert_unavailable_json(refused)
    assert refused.headers["Access-Control-Allow-Origin"] == "*", "a partner's widget can read it"

    assert signer.sign(email="retry@example.org").status_code == 202, "the retry is taken"
    signer.deliver()
    assert len(signer.inbox("retry@example.org")) == 1, "nothing of the cut attempt was kept"
    assert signer.confirm("retry@example.org").status_code == 200
    assert signer.count() == 1


@pytest.mark.parametrize(
    ("method", "lang", "words", "after"),
    [
        ("GET", "ru", "Сервис временно недоступен", "Спасите завод"),
        ("GET", "kk", "Қызмет уақытша қолжетімсіз", "Зауытты сақтаңыз"),
        ("POST", "kk", "Қызмет уақытша қолжетімсіз", "Зауытты сақтаңыз"),
        ("GET", "en", "The service is briefly unavailable", "Save the plant"),
    ],
)
def test_a_page_cut_mid_request_is_a_503_page_in_the_readers_language(
    app: Flask, client, petition: str, database_url: str, method, lang, words, after
):
    assert client.get(f"/p/{petition}").status_code == 200
    path = f"/p/{petition}?lang={lang}"
    with cut_at(database(app).engine, database_url) as cut:
        refused = client.open(path, method=method, data=FORM if method == "POST" else None)
    assert cut
    assert refused.status_code == 503
    assert refused.mimetype == "text/html"
    assert words in refused.text
    assert int(refused.headers["Retry-After"]) > 0

    page = client.get(path)
    assert page.status_code == 200, "the next request gets a fresh connection"
    assert after in page.text


def test_a_connection_lost_after_the_answer_leaves_the_answer_as_it_was(
    database_url: str, smtp: SMTPServer, tmp_path
):
    app = make_app(database_url, tmp_path)
    create_petition(app)
    cut: list[int] = []

    @app.after_request
    def _cut_before_the_session_closes(response):
        # The page is rendered; its session still holds a transaction to roll back.
        if not cut and response.status_code == 200:
            cut.append(backend_pid(get_session().connection()))
            terminate(database_url, cut)
        return response

    client = app.test_client()
    try:
        page = client.get("/p/test-petition?lang=ru")
        assert cut
        assert page.status_code == 200
        assert "Спасите завод" in page.text
        signer = Signer(app, client, smtp, "test-petition")
        assert signer.sign(email="next@example.org").status_code == 202
    finally:
        database(app).engine.dispose()
