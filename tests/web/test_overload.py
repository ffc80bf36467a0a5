"""Overload is answered, not queued (web/overload.py): a request that waited too long gets a 503.

The worker (cli/gunicorn.py) tells the app when each request was queued; here the test
plays the worker on the test client's thread, or the proxy with `X-Request-Start`.
tests/production/test_overload_served.py runs the real `undersign serve`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.i18n import messages, plural
from undersign.core.models import Signature, utcnow
from undersign.mail import worker
from undersign.web import overload, request_log

from tests.conftest import FORM_TOKEN, SMTPServer, create_petition, make_app

SIGN = "/api/v1/petitions/test-petition/signatures"
BODY = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}


@pytest.fixture(autouse=True)
def _no_worker_stamp() -> Iterator[None]:
    yield
    overload.arrived(None)


def stored(app: Flask) -> int:
    with database(app).sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Signature)) or 0)


def waited(seconds: float) -> None:
    """As the worker does: the request on this thread was queued `seconds` ago."""
    overload.arrived(time.monotonic() - seconds)


def test_a_signature_that_waited_too_long_is_answered_503_and_not_taken(
    app: Flask, client: FlaskClient, petition: str
) -> None:
    waited(1.5)
    answer = client.post(SIGN, json=BODY)
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "overloaded"
    assert 2 <= int(answer.headers["Retry-After"]) <= 5
    assert f"{answer.headers['Retry-After']} s" in answer.json["error"]["message"]
    # The widget on a partner's page must be able to read the status and the delay.
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in answer.headers["Access-Control-Expose-Headers"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert stored(app) == 0

    waited(0.05)  # the same person again, once the queue is short: taken, once
    assert client.post(SIGN, json=BODY).status_code == 202
    assert client.post(SIGN, json=BODY).status_code == 202
    assert stored(app) == 1


def test_a_request_the_worker_chose_to_shed_is_answered_at_once(
    app: Flask, client: FlaskClient, petition: str
) -> None:
    overload.arrived(time.monotonic(), shed=True)  # queued just now, behind too many
    answer = client.post(SIGN, json=BODY)
    assert answer.status_code == 503 and answer.json["error"]["code"] == "overloaded"
    assert stored(app) == 0


@pytest.mark.parametrize("unit", [1, 1000, 1_000_000])
def test_the_proxys_request_start_counts_too(
    app: Flask, client: FlaskClient, petition: str, unit: int
) -> None:
    long_ago = f"t={int((time.time() - 3) * unit)}"
    answer = client.post(SIGN, json=BODY, headers={"X-Request-Start": long_ago})
    assert answer.status_code == 503
    # In whole seconds a stamp may be up to a second old already: seconds come with a fraction.
    just_now = f"t={time.time():.3f}" if unit == 1 else f"t={int(time.time() * unit)}"
    assert client.post(SIGN, json=BODY, headers={"X-Request-Start": just_now}).status_code == 202
    # Nonsense is no stamp at all.
    assert client.post(SIGN, json=BODY, headers={"X-Request-Start": "t=soon"}).status_code == 202
    assert stored(app) == 1


def test_probes_metrics_and_preflights_are_never_shed(client: FlaskClient, petition: str) -> None:
    for path in ("/healthz", "/readyz", "/static/css/site.css", "/widget.js"):
        waited(10)
        assert client.get(path).status_code == 200
    waited(10)
    preflight = client.options(
        SIGN,
        headers={"Origin": "https://partner.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code in (200, 204)


def test_a_request_that_did_not_wait_is_served(client: FlaskClient, petition: str) -> None:
    waited(0.2)
    assert client.get("/api/v1/petitions/test-petition/count").status_code == 200
    waited(0.2)
    assert client.get("/p/test-petition").status_code == 200


def test_the_plain_form_shed_gets_a_page_in_its_language_that_sends_the_same_again(
    app: Flask, client: FlaskClient, petition: str
) -> None:
    t = messages("ru")["overload"]
    page = client.get("/p/test-petition?lang=ru")
    token = FORM_TOKEN.search(page.text)
    assert token
    fields = {**BODY, "locale": "ru", "form_token": token.group(1), "city": "Сатпаев"}

    waited(2)
    shed = client.post("/p/test-petition?lang=ru", data=fields)
    assert shed.status_code == 503
    seconds = int(shed.headers["Retry-After"])
    text = unescape(shed.text)
    assert t["heading"] in text and t["not_sent"] in text
    assert plural("ru", t["again_in"], seconds) in text  # "Попробуем ещё раз через 3 секунды."
    assert "js/retry.js" in text and f'data-retry-after="{seconds}"' in text
    assert shed.headers["Cache-Control"] == "no-store"
    assert stored(app) == 0

    # What the page's form would send again: the very fields, to the very address.
    form = re.search(r'<form method="post" action="([^"]+)"', shed.text)
    assert form and unescape(form.group(1)) == "/p/test-petition?lang=ru"
    again = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', shed.text))
    assert {k: unescape(v) for k, v in again.items()} == fields
    overload.arrived(None)
    signed = client.post(form.group(1), data={k: unescape(v) for k, v in again.items()})
    assert signed.status_code == 202
    assert stored(app) == 1


def test_a_page_shed_loads_itself_again(client: FlaskClient, petition: str) -> None:
    waited(2)
    shed = client.get("/p/test-petition?lang=kk")
    assert shed.status_code == 503
    text = unescape(shed.text)
    assert messages("kk")["overload"]["reloading"] in text
    assert re.search(r'http-equiv="refresh" content="\d;url=/p/test-petition\?lang=kk"', text)


def test_the_gate_sheds_what_it_could_not_serve_within_the_wait() -> None:
    gate = overload.Gate(max_wait=1.0, threads=8)
    for _ in range(200):
        gate.served(0.016)  # 8 threads, 16 ms each: 500 requests a second
    assert gate.expected_wait(400) == pytest.approx(0.8, rel=0.05)
    assert not gate.overloaded(400)
    assert gate.overloaded(600)
    assert {gate.seconds_to_ask() for _ in range(200)} <= {2, 3, 4, 5}


def test_while_the_queue_does_not_drain_new_arrivals_are_refused_at_once() -> None:
    gate = overload.Gate(max_wait=0.5, threads=8)
    gate.last_wait = 0.9  # the last request a thread took had waited 0.9 s
    assert gate.overloaded(20)  # a queue behind the threads: refuse
    assert not gate.overloaded(8)  # the threads are free enough: take it
    gate.last_wait = 0.1
    assert not gate.overloaded(20)


# --- signing waits for the mailers -------------------------------------------------------


@pytest.fixture
def mailed_app(
    database_url: str, smtp: SMTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app with the mailers' lag heeded, as served (5 s), and read afresh by every post
    (served, a worker reads it again after half a second)."""
    monkeypatch.setattr(overload, "LAG_NEAR_SECONDS", 0)
    app = make_app(
        database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, OVERLOAD_MAIL_SECONDS=5
    )
    create_petition(app)
    yield app
    database(app).engine.dispose()


def test_while_emails_wait_for_the_mailers_new_signatures_are_shed_until_they_catch_up(
    mailed_app: Flask, smtp: SMTPServer
) -> None:
    client = mailed_app.test_client()
    assert client.post(SIGN, json=BODY).status_code == 202
    # The mailer reaches that email 8 s after it was queued: the queue is 8 s deep.
    assert worker.deliver_due(mailed_app, utcnow() + timedelta(seconds=8)) == 1
    assert smtp.mailbox.to("aigerim@example.org")

    late = {**BODY, "email": "dana@example.org"}
    shed = client.post(SIGN, json=late)
    assert shed.status_code == 503 and shed.json["error"]["code"] == "overloaded"
    assert 2 <= int(shed.headers["Retry-After"]) <= 5
    page = client.get("/p/test-petition?lang=kk")
    assert page.status_code == 200, "only signing waits for the mailers; reading does not"
    token = FORM_TOKEN.search(page.text)
    assert token
    form = client.post("/p/test-petition", data={**late, "form_token": token.group(1)})
    assert form.status_code == 503 and "js/retry.js" in form.text
    assert stored(mailed_app) == 1

    # The mailer finds nothing waiting: it says so, and the next signature is taken.
    assert worker.deliver_due(mailed_app) == 0
    assert client.post(SIGN, json=late).status_code == 202
    assert worker.deliver_due(mailed_app) == 1
    assert smtp.mailbox.to("dana@example.org")
    assert stored(mailed_app) == 2


def test_a_mailer_within_the_limit_holds_no_one_back(mailed_app: Flask) -> None:
    client = mailed_app.test_client()
    assert client.post(SIGN, json=BODY).status_code == 202
    assert worker.deliver_due(mailed_app, utcnow() + timedelta(seconds=4)) == 1
    assert client.post(SIGN, json={**BODY, "email": "dana@example.org"}).status_code == 202


# --- what a shed request leaves in the log -----------------------------------------------


def test_shed_requests_share_a_log_line_instead_of_one_each(
    client: FlaskClient,
    petition: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A line each made overload worse (the workers queued on the log's lock): a process says
    # how many it shed every 10 s, and each one's own line is debug.
    monkeypatch.setattr(request_log, "_SHED", request_log._Tally())
    caplog.set_level(logging.INFO, logger="undersign.requests")
    for _ in range(30):
        waited(1.5)
        assert client.post(SIGN, json=BODY).status_code == 503
    page = client.get("/p/test-petition")
    assert page.status_code == 503
    lines = [r for r in caplog.records if r.name == "undersign.requests"]
    assert [(r.levelno, r.getMessage()) for r in lines] == [
        (logging.WARNING, "overloaded: 1 requests answered 503 since the last such line")
    ]


def test_the_tally_says_how_many_were_shed_since_its_last_line() -> None:
    tally = request_log._Tally()
    assert tally.count(100.0) == 1  # the first of an overload is said at once
    assert [tally.count(100.0 + s) for s in range(1, 10)] == [0] * 9
    assert tally.count(110.0) == 10  # then every SHED_TALLY_SECONDS, with how many
    assert tally.count(111.0) == 0
