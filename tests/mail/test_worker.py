"""The mailer records each message as it goes: a crash or a broken message costs the others nothing.

Sent means done at once, so a mailer killed mid-batch sends again at most the
message it had in hand; a round broken off gives back what it had not reached,
due at once; a message that cannot be built fails alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from undersign.campaigns import petitions
from undersign.core import outbox
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature, utcnow
from undersign.mail import worker
from undersign.organisers import mailings
from undersign.organisers.mailings import Draft

from tests.conftest import SECRET, SMTPServer

BIN = os.path.join(os.path.dirname(sys.executable), "undersign")


def waiting(app) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def received(smtp: SMTPServer) -> Counter[str]:
    return Counter(to for envelope in smtp.mailbox.envelopes for to in envelope.rcpt_tos)


def test_a_message_that_cannot_be_built_fails_alone_and_the_others_go(signer, smtp, app):
    signer.sign(email="first@example.org")
    signer.sign(email="second@example.org")
    with database(app).sessions.begin() as session:
        # Old data, from before addresses were checked: a line break no header can hold.
        session.execute(
            update(Signature)
            .where(Signature.email == "first@example.org")
            .values(email="first@example.org\nBcc: everyone@example.org")
        )

    assert worker.deliver_due(app) == 1
    assert received(smtp) == Counter({"second@example.org": 1})
    assert waiting(app) == 0, "not tried again"
    with database(app).sessions() as session:
        failures = sorted(session.scalars(select(Signature.email_failure)), key=str)
    assert failures == [None, "the message cannot be built (ValueError)"]


def test_a_database_error_mid_batch_sends_the_rest_at_once_and_one_twice_at_most(
    signer, smtp, app, monkeypatch
):
    for n in range(6):
        signer.sign(email=f"s{n}@example.org")
    done = outbox.Ledger.done
    recorded = []

    def connection_drops_on_the_third(ledger, message_id):
        recorded.append(message_id)
        if len(recorded) == 3:
            raise OperationalError("DELETE", {}, ConnectionResetError("server closed"))
        done(ledger, message_id)

    monkeypatch.setattr(outbox.Ledger, "done", connection_drops_on_the_third)
    now = utcnow()
    with pytest.raises(OperationalError):
        worker.deliver_due(app, now)
    assert sum(received(smtp).values()) == 3
    monkeypatch.setattr(outbox.Ledger, "done", done)

    # What the broken round had not reached is due now, not after the lease.
    assert worker.deliver_due(app, now) == 3
    assert received(smtp) == Counter({f"s{n}@example.org": 1 for n in range(6)})
    # The one sent but not recorded goes again after its backoff: one duplicate at most.
    assert worker.deliver_due(app, now + outbox.backoff(1)) == 1
    assert received(smtp)["s2@example.org"] == 2
    assert waiting(app) == 0


def test_a_queue_goes_over_one_connection_and_arrives_in_the_order_claimed(signer, smtp, app):
    addresses = [f"q{n:02}@example.org" for n in range(24)]
    for address in addresses:
        signer.sign(email=address)

    assert worker.deliver_due(app) == len(addresses)
    assert smtp.mailbox.connections == 1
    assert [to for envelope in smtp.mailbox.envelopes for to in envelope.rcpt_tos] == addresses


@pytest.mark.slow  # a mailer of its own, in a process, killed
@pytest.mark.parametrize("queued", [8, 24], ids=["a few", "a queue"])
def test_a_mailer_killed_mid_batch_sends_again_at_most_the_message_in_hand(
    signer, smtp, app, database_url, queued
):
    addresses = [f"s{n}@example.org" for n in range(queued)]
    for address in addresses:
        signer.sign(email=address)
    smtp.mailbox.stall.add("s3@example.org")  # the server holds the fourth after DATA
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")},
        "UNDERSIGN_DATABASE_URL": database_url,
        "UNDERSIGN_SECRET_KEY": SECRET,
        "UNDERSIGN_BASE_URL": "http://localhost",
        "UNDERSIGN_SMTP_HOST": "127.0.0.1",
        "UNDERSIGN_SMTP_PORT": str(smtp.port),
    }
    mailer = subprocess.Popen([BIN, "mailer"], env=env, stderr=subprocess.DEVNULL)
    try:
        assert smtp.mailbox.stalled.wait(30), "the mailer reached the fourth message"
    finally:
        mailer.kill()
        mailer.wait(10)
    smtp.mailbox.release.set()
    assert received(smtp) == Counter(addresses[:3])

    # The rest were leased to the dead mailer; once the lease is out, another sends them.
    assert worker.deliver_due(app) == 0
    assert worker.deliver_due(app, utcnow() + outbox.LEASE) == queued - 3
    got = received(smtp)
    assert set(got) == set(addresses)
    # Only the message in hand can go twice (had the server kept it); none sent before it.
    assert [address for address, n in got.items() if n > 1] in ([], ["s3@example.org"])


def test_a_confirmed_signature_that_once_failed_is_marked_no_more(signer, smtp, app):
    smtp.mailbox.refuse.add("late@example.org")
    signer.sign(email="late@example.org")
    signer.deliver()
    with database(app).sessions.begin() as session:
        # Signing again later re-sends; this time the server takes it.
        session.execute(update(Signature).values(last_email_at=utcnow().replace(year=2000)))
    smtp.mailbox.refuse.clear()
    assert signer.sign(email="late@example.org").status_code == 202
    assert signer.deliver() == 1
    with database(app).sessions() as session:
        assert session.scalar(select(Signature.email_failed_at)) is None


def test_a_signers_verification_goes_before_an_update_mailing_already_queued(
    signer, smtp, app, monkeypatch
):
    for n in range(4):
        signer.sign_and_confirm(f"old{n}@example.org", contact_consent=True)
    with database(app).sessions() as session:
        petition = petitions.find(session, "test-petition")
        draft = Draft(subjects={"en": "News"}, bodies={"en": "We delivered them."})
        mailings.send(session, petition, draft, by=CLI)
    while mailings.expand_next(database(app).sessions, utcnow()):
        pass  # written out: four updates queued, due before anyone signs now
    before = len(smtp.mailbox.messages)
    signer.sign(email="new@example.org")
    monkeypatch.setattr(worker, "BATCH", 3)  # a round takes less than the queue

    assert worker.deliver_emails(app) == 3
    arrived = [to for envelope in smtp.mailbox.envelopes[before:] for to in envelope.rcpt_tos]
    assert arrived == ["new@example.org", "old0@example.org", "old1@example.org"]
    assert "confirm" in signer.inbox("new@example.org")[0]["Subject"].lower()


@pytest.mark.slow  # two mailers of their own, in processes
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_mailers_share_a_queue_and_never_send_one_email_twice(signer, smtp, app, database_url):
    addresses = [f"s{n:03}@example.org" for n in range(150)]
    for address in addresses:
        signer.sign(email=address)
    # Whichever mailer claims first takes the first hundred and is held on the first
    # of them: the other must take the rest meanwhile, from the same outbox.
    smtp.mailbox.stall.add(addresses[0])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")},
        "UNDERSIGN_DATABASE_URL": database_url,
        "UNDERSIGN_SECRET_KEY": SECRET,
        "UNDERSIGN_BASE_URL": "http://localhost",
        "UNDERSIGN_SMTP_HOST": "127.0.0.1",
        "UNDERSIGN_SMTP_PORT": str(smtp.port),
    }
    mailers = [
        subprocess.Popen([BIN, "mailer"], env=env, stderr=subprocess.DEVNULL) for _ in range(2)
    ]
    try:
        assert smtp.mailbox.stalled.wait(60), "a mailer reached the first message"
        smtp.mailbox.wait_for(50, timeout=60)
        assert set(received(smtp)) == set(addresses[100:]), "the other mailer sent the rest"
        smtp.mailbox.release.set()
        smtp.mailbox.wait_for(len(addresses), timeout=60)
    finally:
        smtp.mailbox.release.set()
        for mailer in mailers:
            mailer.terminate()
        for mailer in mailers:
            mailer.wait(30)

    assert received(smtp) == Counter(addresses), "every email once"
    senders = {message["Message-ID"].split(".")[1] for message in smtp.mailbox.messages}
    assert senders == {str(mailer.pid) for mailer in mailers}, "each mailer sent some"
    assert waiting(app) == 0
