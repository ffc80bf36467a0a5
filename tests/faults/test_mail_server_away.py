"""The mail server is away through a burst of signing, then returns: every signer gets one
email, nothing is lost or sent twice, every answer was 202, and the count ends exact."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature, utcnow
from undersign.mail.worker import deliver_due

from tests.conftest import LINK, SMTPServer, create_petition, free_port, make_app

BURST = 40


def waiting(app) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


@pytest.fixture
def away():
    """A mail server whose port is chosen but which does not answer yet."""
    server = SMTPServer(free_port())
    yield server
    server.stop()


def test_a_burst_signed_while_mail_is_away_is_mailed_once_when_it_returns(
    database_url, tmp_path, away
):
    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=away.port)
    create_petition(app)
    client = app.test_client()
    sign = "/api/v1/petitions/test-petition/signatures"
    statuses = [
        client.post(
            sign, json={"name": "A B", "email": f"p{n}@example.org", "country": "KZ"}
        ).status_code
        for n in range(BURST)
    ]
    assert statuses == [202] * BURST  # signing does not wait for mail
    assert [deliver_due(app) for _ in range(3)] == [0, 0, 0]  # away: nothing sent ...
    assert waiting(app) == BURST  # ... and nothing lost

    away.start()
    sent, moment = 0, utcnow()
    for _ in range(20):  # the rounds after the backoff, as the mailer's loop would run them
        moment += timedelta(minutes=5)
        sent += deliver_due(app, now=moment)
        if not waiting(app):
            break
    assert sent == BURST
    mailbox = Counter(to for envelope in away.mailbox.envelopes for to in envelope.rcpt_tos)
    assert mailbox == Counter({f"p{n}@example.org": 1 for n in range(BURST)})  # none twice

    for message in away.mailbox.messages:
        links = dict(LINK.findall(message.get_body(preferencelist=("plain",)).get_content()))
        verified = client.post("/api/v1/signatures/verify", json={"token": links["verify"]})
        assert verified.status_code == 200
    assert client.get("/api/v1/petitions/test-petition/count").json["signature_count"] == BURST
    with database(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(Signature)) == BURST
        assert (
            session.scalar(select(func.count()).where(Signature.email_failed_at.is_not(None))) == 0
        )
