"""The outbox and the mailer: nothing lost while the server is down, nothing sent twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from undersign.core import outbox
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature, utcnow
from undersign.mail import worker
from undersign.mail.delivery import ConsoleTransport

from tests.conftest import SMTPServer, create_petition, free_port, make_app


def waiting(app) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


@pytest.fixture
def down_then_up(database_url, tmp_path):
    """An app whose SMTP port has no server yet; `.start()` brings one up there."""
    port = free_port()
    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    server = SMTPServer(port)
    yield app, server
    if server.controller.server is not None:
        server.stop()
    database(app).engine.dispose()


def test_a_message_waits_while_the_server_is_down_and_arrives_once_it_is_up(down_then_up):
    app, server = down_then_up
    client = app.test_client()
    slug = create_petition(app)
    for n in range(3):
        body = {"name": f"Signer {n}", "email": f"s{n}@example.org", "country": "KZ"}
        assert client.post(f"/api/v1/petitions/{slug}/signatures", json=body).status_code == 202

    now = utcnow()
    assert worker.deliver_due(app, now) == 0
    assert waiting(app) == 3, "a refused connection loses nothing"
    assert worker.deliver_due(app, now) == 0, "and nothing is retried before its backoff"

    server.start()
    later = now + outbox.backoff(1)
    assert worker.deliver_due(app, later) == 3
    assert worker.deliver_due(app, later + timedelta(hours=1)) == 0
    assert sorted(m["To"] for m in server.mailbox.messages) == [
        "s0@example.org",
        "s1@example.org",
        "s2@example.org",
    ]
    assert waiting(app) == 0


def test_the_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(30) == timedelta(hours=1)


def test_a_batch_shares_one_smtp_connection(signer, smtp):
    for n in range(5):
        signer.sign(email=f"batch{n}@example.org")
    assert signer.deliver() == 5
    assert len(smtp.mailbox.messages) == 5
    assert smtp.mailbox.connections == 1


def test_a_permanently_refused_recipient_is_dropped_not_retried_forever(signer, smtp, app):
    smtp.mailbox.refuse.add("nobody@example.org")
    signer.sign(email="nobody@example.org")
    signer.sign(email="somebody@example.org")
    assert signer.deliver() == 1
    assert [m["To"] for m in smtp.mailbox.messages] == ["somebody@example.org"]
    assert waiting(app) == 0


def test_a_withdrawn_signature_gets_no_email(signer, app):
    signer.sign(email="changed@example.org")
    with database(app).sessions.begin() as session:
        session.execute(update(Signature).values(status="withdrawn"))
    assert signer.deliver() == 0
    assert waiting(app) == 0


def test_without_smtp_messages_are_printed_to_the_console(signer, app, capsys):
    signer.sign(email="console@example.org", locale="ru")
    assert worker.deliver_due(app, transport=ConsoleTransport()) == 1
    printed = capsys.readouterr().out
    assert "Подтвердите подпись" in printed
    assert "http://localhost/verify/" in printed


def test_two_mailers_never_send_the_same_message(signer, smtp, app):
    for n in range(60):
        signer.sign(email=f"many{n}@example.org")
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def mailer():
        barrier.wait()
        while (n := worker.deliver_due(app)) > 0:
            sent.append(n)

    threads = [threading.Thread(target=mailer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = smtp.mailbox.wait_for(60)
    addresses = [m["To"] for m in received]
    assert len(addresses) == 60
    assert len(set(addresses)) == 60, "no address got two emails"
    assert sum(sent) == 60
