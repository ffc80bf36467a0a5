"""Webhooks: each verified signature POSTed as JSON, HMAC-signed, within the partner's rights."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from sqlalchemy import select
from undersign.core import outbox
from undersign.core.db import database
from undersign.core.models import OutboxKind, OutboxMessage, utcnow
from undersign.mail import worker
from undersign.mail.worker import deliver_due

from tests.conftest import make_app
from tests.production.test_scale import wait_until


class Receiver:
    """A partner's CRM: a real HTTP server on loopback that records what it is sent."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.requests = 0  # every POST, answered or not
        self.failures_left = 0  # answer 503 this many times first
        # Take each request and never answer it (until `wake` is set), like a server that hangs.
        self.hanging = False
        self.wake = threading.Event()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.arrived:
                    receiver.requests += 1
                    receiver.arrived.notify_all()
                    hanging = receiver.hanging
                if hanging:
                    receiver.wake.wait(30)
                    return  # no answer, ever: the connection just closes
                with receiver.arrived:
                    if receiver.failures_left:
                        receiver.failures_left -= 1
                        self.send_response(503)
                    else:
                        receiver.deliveries.append((dict(self.headers), body))
                        self.send_response(204)
                    receiver.arrived.notify_all()
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/undersign"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def payloads(self, secret: str) -> list[dict]:
        """Return the bodies, each checked against its HMAC header as a receiver must."""
        checked = []
        for headers, body in self.deliveries:
            timestamp = headers["X-Undersign-Timestamp"]
            mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
            assert hmac.compare_digest(
                headers["X-Undersign-Signature"], "sha256=" + mac.hexdigest()
            )
            assert headers["Content-Type"] == "application/json"
            checked.append(json.loads(body))
        return checked

    def wait_for_requests(self, count: int, timeout: float) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: self.requests >= count, timeout)


@contextmanager
def receiving() -> Iterator[Receiver]:
    made = Receiver()
    made.thread.start()
    try:
        yield made
    finally:
        made.wake.set()
        made.server.shutdown()
        made.server.server_close()


@pytest.fixture
def app(database_url, smtp, tmp_path) -> Iterator[Flask]:
    """The app, allowed to deliver to this machine: every receiver here listens on loopback."""
    app = make_app(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        WEBHOOK_INTERNAL_HOSTS="127.0.0.1",
    )
    yield app
    database(app).engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as made:
        yield made


def hook(organiser, receiver, **owner):
    created = organiser.post("/webhooks", {"url": receiver.url, **owner})
    assert created.status_code == 201, created.json
    return created.json["secret"]


def test_a_petition_webhook_receives_each_verified_signature_signed(signer, organiser, receiver):
    secret = hook(organiser, receiver, petition="test-petition")
    signer.sign_and_confirm("ana@example.org", name="Ana Lee", city="Almaty")
    signer.sign(email="never@example.org")  # pending: not sent
    signer.deliver()
    (payload,) = receiver.payloads(secret)
    assert payload["event"] == "signature.verified" and payload["petition"] == "test-petition"
    assert payload["signature"]["name"] == "Ana Lee"
    assert payload["signature"]["email"] == "ana@example.org"
    assert signer.deliver() == 0  # delivered once, not again


def test_a_partner_webhook_hears_only_of_its_signers_who_consented(signer, organiser, receiver):
    organiser.post("/partners", {"code": "kz-union", "name": "Union"})
    secret = hook(organiser, receiver, partner="kz-union")
    signer.sign_and_confirm(
        "ally@example.org", name="Ally", source="kz-union", contact_consent=True
    )
    signer.sign_and_confirm("bek@example.org", name="Bek", source="kz-union")
    signer.sign_and_confirm(
        "cora@example.org", name="Cora", source="other-org", contact_consent=True
    )
    signer.deliver()
    signatures = [p["signature"] for p in receiver.payloads(secret)]
    # Bek did not agree to be contacted: the partner's endpoint does not hear of him at all.
    assert [(s["source"], s["email"]) for s in signatures] == [("kz-union", "ally@example.org")]


def test_a_failed_delivery_is_retried_through_the_outbox(app, signer, organiser, receiver):
    secret = hook(organiser, receiver, petition="test-petition")
    signer.sign_and_confirm("ana@example.org")
    receiver.failures_left = 1
    assert signer.deliver() == 0
    assert receiver.deliveries == []
    assert deliver_due(app) == 0  # waiting out its backoff
    assert deliver_due(app, now=utcnow() + timedelta(seconds=31)) == 1
    assert [p["signature"]["email"] for p in receiver.payloads(secret)] == ["ana@example.org"]


def test_a_signature_withdrawn_before_delivery_is_never_sent(signer, organiser, receiver):
    hook(organiser, receiver, petition="test-petition")
    signer.sign_and_confirm("ana@example.org")
    token = signer.token("ana@example.org", "withdraw")
    assert (
        signer.client.post("/api/v1/signatures/withdraw", json={"token": token}).status_code == 200
    )
    assert signer.deliver() == 0
    assert receiver.deliveries == []


def test_webhooks_are_listed_without_their_secret_and_can_be_removed(organiser, receiver, petition):
    hook(organiser, receiver, petition=petition)
    (listed,) = organiser.get("/webhooks").json["webhooks"]
    assert listed["url"] == receiver.url and "secret" not in listed
    assert organiser.delete(f"/webhooks/{listed['id']}").status_code == 204
    assert organiser.get("/webhooks").json["webhooks"] == []


def test_a_webhook_needs_a_web_address_and_one_owner(organiser, petition):
    bad = organiser.post("/webhooks", {"url": "file:///etc/passwd", "petition": petition})
    assert bad.status_code == 422
    ownerless = organiser.post("/webhooks", {"url": "https://crm.example.org/in"})
    assert ownerless.status_code == 422
    unknown = organiser.post("/webhooks", {"url": "https://crm.example.org/in", "partner": "nope"})
    assert unknown.status_code == 422


def test_a_failing_endpoint_costs_one_try_a_round_and_holds_back_no_other(
    app, signer, organiser, receiver
):
    with receiving() as healthy:
        hook(organiser, receiver, petition="test-petition")
        hook(organiser, healthy, petition="test-petition")
        receiver.failures_left = 99
        people = ["ana@example.org", "bek@example.org", "cora@example.org"]
        for address in people:
            signer.sign(email=address)
        signer.deliver()
        for address in people:
            signer.confirm(address)

        now = utcnow()
        assert deliver_due(app, now) == 3, "the healthy endpoint gets all three"
        assert receiver.requests == 1, "the failing one is tried once; its others wait with it"
        assert deliver_due(app, now) == 0
        receiver.failures_left = 0
        assert deliver_due(app, now + outbox.backoff(1)) == 3
        assert len(receiver.deliveries) == len(healthy.deliveries) == 3


def webhook_deliveries(app) -> list:
    """The deliveries still waiting: when each is due, and why the last try failed."""
    with database(app).sessions() as session:
        query = select(OutboxMessage.due_at, OutboxMessage.last_error).where(
            OutboxMessage.kind == OutboxKind.WEBHOOK
        )
        return [tuple(row) for row in session.execute(query.order_by(OutboxMessage.id))]


@pytest.mark.slow  # waits out one webhook timeout
def test_an_endpoint_that_never_answers_delays_no_verification_email(
    app, signer, smtp, organiser, receiver
):
    secret = hook(organiser, receiver, petition="test-petition")
    for address in ("ana@example.org", "bek@example.org"):
        signer.sign(email=address)
    signer.deliver()
    for address in ("ana@example.org", "bek@example.org"):
        signer.confirm(address)  # each verified signature waits for the endpoint
    receiver.hanging = True
    stop = threading.Event()
    mailer = threading.Thread(target=worker.run, args=(app, stop))
    mailer.start()
    try:
        assert receiver.wait_for_requests(1, timeout=5), "the mailer is stuck on the endpoint"
        started = time.monotonic()
        signer.sign(email="cora@example.org")
        assert len(smtp.mailbox.wait_for(3, timeout=3)) == 3, "cora's email came at once"
        assert time.monotonic() - started < 3

        # Once the POST times out, it waits its backoff, and the other delivery with it.
        wait_until(lambda: webhook_deliveries(app)[0][1], 10, "the delivery to time out")
        (first, error), (second, untried) = webhook_deliveries(app)
        # Stored without the endpoint's answer: a status, or timeout against refusal, would
        # tell whoever chose the URL what listens where only the server can reach.
        assert error == "unreachable" and untried is None
        assert first == second > utcnow() + outbox.backoff(1) - timedelta(seconds=10)
    finally:
        stop.set()
        receiver.wake.set()
        mailer.join(15)
    assert not mailer.is_alive()
    assert receiver.requests == 1 and receiver.deliveries == []

    receiver.hanging = False
    assert deliver_due(app, utcnow() + outbox.backoff(1)) == 2
    emails = [p["signature"]["email"] for p in receiver.payloads(secret)]
    assert emails == ["ana@example.org", "bek@example.org"]
