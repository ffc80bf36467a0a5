"""One recipient's trouble is that recipient's alone: the others' emails go out at once.

A real SMTP server (aiosmtpd) refuses one address for good (550), puts another
off (450), closes the connection on a third (421), or offers no SMTPUTF8; the
people around them get their verification email in the same round, exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from undersign.core import outbox
from undersign.core.db import database
from undersign.core.models import OutboxMessage, utcnow
from undersign.mail import worker

from tests.admin.conftest import OrganiserAPI, make_token
from tests.conftest import Signer, SMTPServer, make_app


def waiting(app) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def received(smtp: SMTPServer) -> Counter[str]:
    """How many emails each recipient got, by the envelope the server was handed."""
    return Counter(to for envelope in smtp.mailbox.envelopes for to in envelope.rcpt_tos)


def failures_seen_by_organisers(signer: Signer) -> dict[str, tuple[str | None, str | None]]:
    """Each signature's email failure (when, why), as the organiser API shows it, by address."""
    organiser = OrganiserAPI(signer.client, make_token(signer.app, "campaign-office"))
    return {
        found["email"]: (found["email_failed_at"], found["email_failure"])
        for found in organiser.signatures(signer.slug)
    }


def test_a_recipient_put_off_waits_alone_while_the_others_are_sent(signer, smtp, app):
    smtp.mailbox.put_off.add("busy@example.org")
    signer.sign(email="busy@example.org")  # first in the batch, as it would lead the next one
    for n in range(4):
        signer.sign(email=f"s{n}@example.org")

    now = utcnow()
    assert worker.deliver_due(app, now) == 4
    assert received(smtp) == Counter({f"s{n}@example.org": 1 for n in range(4)})
    assert worker.deliver_due(app, now) == 0, "it waits its own backoff"

    smtp.mailbox.put_off.clear()
    assert worker.deliver_due(app, now + outbox.backoff(1)) == 1
    assert received(smtp)["busy@example.org"] == 1
    assert max(received(smtp).values()) == 1, "nobody got two"
    assert waiting(app) == 0


def test_a_recipient_refused_for_good_is_dropped_alone_and_shown_to_organisers(signer, smtp, app):
    smtp.mailbox.refuse.add("nobody@example.org")
    signer.sign(email="nobody@example.org")
    signer.sign(email="somebody@example.org")

    assert signer.deliver() == 1
    assert received(smtp) == Counter({"somebody@example.org": 1})
    assert waiting(app) == 0
    failures = failures_seen_by_organisers(signer)
    failed_at, reason = failures["nobody@example.org"]
    assert failed_at is not None and reason == "recipient refused (550)"
    assert failures["somebody@example.org"] == (None, None)


def test_a_recipient_that_keeps_putting_off_is_given_up_alone_at_last(signer, smtp, app):
    smtp.mailbox.put_off.add("busy@example.org")
    signer.sign(email="busy@example.org")
    rounds, later = 0, timedelta(0)
    while waiting(app):
        signer.sign(email=f"new{rounds}@example.org")  # someone signs between the retries
        now = utcnow() + later
        assert worker.deliver_due(app, now) == 1, "the newcomer's email goes out at once"
        later += timedelta(hours=1)
        rounds += 1

    assert rounds == outbox.MAX_ATTEMPTS
    assert "busy@example.org" not in received(smtp)
    assert sum(received(smtp).values()) == rounds
    failed_at, reason = failures_seen_by_organisers(signer)["busy@example.org"]
    assert failed_at is not None
    assert reason == "recipient refused (450); out of attempts"


def test_a_server_that_closes_mid_batch_holds_back_the_rest_and_sends_nothing_twice(
    signer, smtp, app
):
    for n in range(5):
        signer.sign(email=f"s{n}@example.org")
    smtp.mailbox.closing.add("s2@example.org")

    now = utcnow()
    assert worker.deliver_due(app, now) == 2
    assert worker.deliver_due(app, now) == 0, "the server is away: the rest back off together"

    smtp.mailbox.closing.clear()
    assert worker.deliver_due(app, now + outbox.backoff(1)) == 3
    assert received(smtp) == Counter({f"s{n}@example.org": 1 for n in range(5)})


def test_a_domain_in_another_script_goes_as_punycode_to_a_server_without_smtputf8(
    signer, smtp, app
):
    signer.sign(email="aigerim@bücher.de")
    signer.sign(email="plain@example.org")

    assert signer.deliver() == 2
    assert received(smtp) == Counter({"aigerim@xn--bcher-kva.de": 1, "plain@example.org": 1})
    assert not any(envelope.smtp_utf8 for envelope in smtp.mailbox.envelopes)
    (message,) = signer.inbox("aigerim@xn--bcher-kva.de")
    assert "/verify/" in message.get_body(preferencelist=("plain",)).get_content()


def test_a_local_part_in_another_script_fails_alone_where_the_server_lacks_smtputf8(
    signer, smtp, app
):
    signer.sign(email="алия@example.org")
    signer.sign(email="plain@example.org")

    assert signer.deliver() == 1
    assert received(smtp) == Counter({"plain@example.org": 1})
    assert waiting(app) == 0, "refused for good: not tried again"
    failed_at, reason = failures_seen_by_organisers(signer)["алия@example.org"]
    assert failed_at is not None and "SMTPUTF8" in (reason or "")


@pytest.fixture
def utf8_server() -> Iterator[SMTPServer]:
    server = SMTPServer(smtputf8=True).start()
    yield server
    server.stop()


def test_smtputf8_is_used_for_the_address_that_needs_it_only(
    utf8_server, database_url, tmp_path, petition
):
    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=utf8_server.port)
    signer = Signer(app, app.test_client(), utf8_server, petition)
    signer.sign(email="алия@example.org")
    signer.sign(email="plain@example.org")

    assert signer.deliver() == 2
    used = {e.rcpt_tos[0]: e.smtp_utf8 for e in utf8_server.mailbox.envelopes}
    assert used == {"алия@example.org": True, "plain@example.org": False}
    assert signer.confirm("алия@example.org").status_code == 200
    database(app).engine.dispose()
