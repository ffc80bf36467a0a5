"""The mailer: plain loops that claim due messages, deliver them, and record each outcome.

Emails and webhooks have a loop each (webhooks in a thread of their own), so an
endpoint that never answers cannot hold back anyone's verification email.
Each message's outcome is recorded as soon as it is known: a mailer that dies
mid-batch sends at most the message in hand twice, and one message's failure
is that message's alone. Emails go over one SMTP connection: a second one, taking
turns with the first, was worth 9% against a server 5 ms away (bench/README.md, "Is
each fast path still worth its code?"), not its code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from undersign.core import config, outbox, privacy
from undersign.core.cache import get_cache
from undersign.core.config import Settings
from undersign.core.db import database
from undersign.core.metrics import MAIL_FAILURES, MAIL_SENT
from undersign.core.models import OutboxKind, Signature, SignatureStatus, utcnow
from undersign.mail import ceiling, messages, reminders
from undersign.mail.delivery import (
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    Transport,
    transport_for,
)
from undersign.mail.mime import Email
from undersign.organisers import mailings, webhooks
from undersign.signers import transparency

log = logging.getLogger(__name__)

BATCH = 100
# Each webhook may take its whole timeout: a smaller batch keeps a round short.
WEBHOOK_BATCH = 20
IDLE_SECONDS = 1.0
# How long what a mailer said of its lag holds: it says it again every round, a second or so.
LAG_SECONDS = 5
EMAILS = (OutboxKind.VERIFY, OutboxKind.ALREADY_SIGNED)
# Each email is for a signature in one state, and needs sending no more once it left it.
_EMAIL_FOR = {
    OutboxKind.VERIFY: (SignatureStatus.PENDING, messages.verification),
    OutboxKind.ALREADY_SIGNED: (SignatureStatus.VERIFIED, messages.already_signed),
}
WEBHOOKS = (OutboxKind.WEBHOOK,)
UPDATES = (OutboxKind.UPDATE,)


def deliver_due(app: Flask, now: datetime | None = None, transport: Transport | None = None) -> int:
    """Send one batch of due emails, then one of due webhooks; return how many went out."""
    return deliver_emails(app, now, transport) + deliver_webhooks(app, now)


def deliver_emails(
    app: Flask,
    now: datetime | None = None,
    transport: Transport | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Send one batch of due emails; return how many went out."""
    now = now or utcnow()
    sessions = database(app).sessions
    transparency.log_due(sessions, config.settings(app))  # the signature log, every few seconds
    reminders.run_due(app, now)  # retention: erase what is due, remind before; once a minute
    mailings.expand_next(sessions, now)
    # Before claiming: what a flood nobody confirms brought waits, and what may go, goes.
    watch = ceiling.before_claim(sessions, config.settings(app), now)
    claims = outbox.claim(sessions, now, BATCH, EMAILS)
    _tell_lag(app, claims, now)
    # Updates fill what room is left: a million of them never hold back a
    # signer's verification email, which is claimed first.
    if len(claims) < BATCH:
        claims += outbox.claim(sessions, now, BATCH - len(claims), UPDATES)
    if not claims:
        return 0
    return _send_emails(app, claims, now, transport, stop or threading.Event(), watch)


def _tell_lag(app: Flask, claims: list[outbox.Claim], now: datetime) -> None:
    """Tell the web workers how long the longest-waiting email claimed now had waited (0: none).

    While it is too long, they answer new signatures 503 (web/overload.py): at a viral
    moment a signer is asked to try again in a few seconds rather than promised an email
    that comes a minute later. It lasts LAG_SECONDS: a mailer that stopped holds no one back.
    """
    waited = max((claim.waited(now) for claim in claims), default=0.0)
    get_cache(app).set(outbox.LAG_KEY, f"{waited:.1f}", LAG_SECONDS)


def deliver_webhooks(
    app: Flask, now: datetime | None = None, stop: threading.Event | None = None
) -> int:
    """POST one batch of due webhook deliveries; return how many were taken."""
    now = now or utcnow()
    sessions = database(app).sessions
    claims = outbox.claim(sessions, now, WEBHOOK_BATCH, WEBHOOKS)
    if not claims:
        return 0
    internal = config.settings(app).webhook_internal_hosts
    return webhooks.deliver(sessions, claims, now, stop or threading.Event(), internal)


def _send_emails(
    app: Flask,
    claims: list[outbox.Claim],
    now: datetime,
    transport: Transport | None,
    stop: threading.Event,
    watch: ceiling.Watch | None = None,
) -> int:
    """Send the claimed emails over one connection, recording each outcome as soon as it is known.

    Only the server going away (refused connection, disconnect, timeout, 421)
    stops the batch: then the message in hand and all that wait back off together.
    """
    settings = config.settings(app)
    sessions = database(app).sessions
    waiting = deque(claims)
    stop_at = time.monotonic() + outbox.WORK_SECONDS
    in_hand: outbox.Claim | None = None
    sent = 0
    verifications: list[tuple[outbox.Claim, Signature]] = []  # sent, for the mail ceiling
    try:
        signatures = _signatures_of(sessions, claims)
        held = ceiling.screen(sessions, settings, watch, claims, signatures, now)
        if held:
            waiting = deque(claim for claim in waiting if claim.id not in held)
            if not waiting:
                return 0
        with (
            app.app_context(),
            outbox.Ledger(database(app).engine) as ledger,
            transport or transport_for(settings) as connection,
        ):
            while waiting and time.monotonic() < stop_at and not stop.is_set():
                in_hand = waiting.popleft()
                if in_hand.kind == OutboxKind.UPDATE:
                    sent += _send_update(sessions, connection, in_hand, settings, now)
                else:
                    signature = signatures.get(in_hand.signature_id or 0)
                    went = _send_one(
                        sessions, ledger, connection, in_hand, signature, settings, now
                    )
                    if went and signature and in_hand.kind == OutboxKind.VERIFY:
                        verifications.append((in_hand, signature))
                    sent += went
                in_hand = None
    except ServerUnavailable as away:
        backing_off = [*([in_hand] if in_hand else []), *waiting]
        waiting.clear()
        _server_away(sessions, backing_off, str(away), now)
        return sent
    except Exception:
        if in_hand is not None:
            # Unforeseen, with a message in hand (or the database gone after it was
            # sent): that one waits its backoff, so that a message that breaks the
            # mailer cannot hold the others back for ever.
            _retry_quietly(sessions, in_hand, "unexpected error", now)
        raise
    finally:
        # Time up, told to stop, or broken off: what was not tried is due again at
        # once, for this mailer or another, instead of after the lease.
        if waiting:
            _give_back(sessions, list(waiting), now)
        if watch is not None:
            _record_quietly(sessions, settings, watch, verifications, now)
    return sent


def _record_quietly(
    sessions: sessionmaker[Session],
    settings: Settings,
    watch: ceiling.Watch,
    sent: list[tuple[outbox.Claim, Signature]],
    now: datetime,
) -> None:
    """Keep which verification emails went, for the mail ceiling, if the database lets us."""
    try:
        ceiling.record(sessions, settings, watch, sent, now)
    except SQLAlchemyError:
        # Only the ceiling's judgement misses them: it errs towards sending.
        log.warning("mail ceiling: %d sent emails could not be recorded", len(sent))


def _signatures_of(
    sessions: sessionmaker[Session], claims: list[outbox.Claim]
) -> dict[int, Signature]:
    with sessions() as session:
        found = session.scalars(
            select(Signature)
            .where(Signature.id.in_([claim.signature_id for claim in claims]))
            .options(selectinload(Signature.petition))
        )
        return {signature.id: signature for signature in found}


def _send_one(
    sessions: sessionmaker[Session],
    ledger: outbox.Ledger,
    connection: Transport,
    claim: outbox.Claim,
    signature: Signature | None,
    settings: Settings,
    now: datetime,
) -> int:
    """Send one email to a signer and record how it went; return 1 if the server took it."""
    status, build = _EMAIL_FOR[OutboxKind(claim.kind)]
    # A signature confirmed, withdrawn or purged meanwhile needs no email.
    if signature is None or signature.status != status:
        ledger.done(claim.id)
        return 0
    try:
        message = build(signature, settings)
    except Exception as error:
        # Whatever keeps this message from being made (a line break in an address
        # stored before addresses were checked, say) will keep it so: it fails
        # alone, for good.
        reason = f"the message cannot be built ({type(error).__name__})"
        _give_up(sessions, claim, reason, now, "unbuildable")
        return 0
    if not _delivered(sessions, connection, claim, [message], now):
        return 0
    _sent(sessions, ledger, claim, signature)
    return 1


def _delivered(
    sessions: sessionmaker[Session],
    connection: Transport,
    claim: outbox.Claim,
    built: list[Email],
    now: datetime,
) -> bool:
    """Hand a claim's messages to the server; on a refusal, record it and answer False."""
    try:
        for message in built:
            connection.send(message)
    except TemporaryFailure as failure:
        _failed_for_now(sessions, claim, str(failure), now)
        return False
    except PermanentFailure as failure:
        _give_up(sessions, claim, str(failure), now, "refused")
        return False
    return True


def _sent(
    sessions: sessionmaker[Session],
    ledger: outbox.Ledger,
    claim: outbox.Claim,
    signature: Signature,
) -> None:
    # Done the moment the server took it: were the mailer to die now, this
    # message is not sent again, nor are those before it.
    ledger.done(claim.id)
    _seal_again(sessions, claim)
    MAIL_SENT.inc()
    if signature.email_failed_at is not None:
        with sessions.begin() as session:
            session.execute(
                update(Signature)
                .where(Signature.id == signature.id)
                .values(email_failed_at=None, email_failure=None)
            )


def _seal_again(sessions: sessionmaker[Session], claim: outbox.Claim) -> None:
    """Seal again the address a verified signer of a sealed petition typed to be told so.

    Signing again opened it for this one email (signing.sign); sent or given up,
    nothing else needs it.
    """
    if claim.kind != OutboxKind.ALREADY_SIGNED:
        return
    with sessions.begin() as session:
        signature = session.get(Signature, claim.signature_id, with_for_update=True)
        if signature is not None and signature.status == SignatureStatus.VERIFIED:
            privacy.settle(signature, signature.petition.seal_key)


def _failed_for_now(
    sessions: sessionmaker[Session], claim: outbox.Claim, reason: str, now: datetime
) -> None:
    """This message alone was put off: it waits its own backoff, or is given up at last."""
    if claim.last_try:
        _give_up(sessions, claim, f"{reason}; out of attempts", now, "given_up")
        return
    log.info("outbox %s put off: %s", claim.id, reason)
    MAIL_FAILURES.labels("temporary").inc()
    outbox.retry_later(sessions, [claim], reason, now)


def _send_update(
    sessions: sessionmaker[Session],
    connection: Transport,
    claim: outbox.Claim,
    settings: Settings,
    now: datetime,
) -> int:
    """Send one organisers' update and count how it went; return how many the server took."""
    assert claim.mailing_id is not None
    letter = mailings.letter(sessions, settings.signing_keys, claim.mailing_id, claim.signature_id)
    if letter is None:  # withdrew or unsubscribed since it was written: counted as skipped
        outbox.done(sessions, [claim.id])
        return 0
    try:
        built = [messages.update(letter, locale, settings) for locale in letter.locales]
    except Exception as error:
        reason = f"the message cannot be built ({type(error).__name__})"
        _give_up(sessions, claim, reason, now, "unbuildable")
        return 0
    # A test send is one message a language.
    if not _delivered(sessions, connection, claim, built, now):
        return 0
    with sessions.begin() as session:
        outbox.drop(session, [claim.id])
        mailings.tally(session, claim.mailing_id, "sent", len(built))
    MAIL_SENT.inc(len(built))
    return len(built)


def _give_up(
    sessions: sessionmaker[Session], claim: outbox.Claim, reason: str, now: datetime, label: str
) -> None:
    """Drop one message and mark its signature, so organisers see why it was not confirmed.

    An update marks no signature (that mark is about confirming): its update counts it failed.
    """
    with sessions.begin() as session:
        outbox.drop(session, [claim.id])
        if claim.mailing_id is not None:
            mailings.tally(session, claim.mailing_id, "failed")
        else:
            session.execute(
                update(Signature)
                .where(Signature.id == claim.signature_id)
                .values(email_failed_at=now, email_failure=reason[:200])
            )
    _seal_again(sessions, claim)
    # Only our own words and the server's code: its text may quote the address.
    log.warning("outbox %s dropped at attempt %d: %s", claim.id, claim.attempts, reason)
    MAIL_FAILURES.labels(label).inc()


def _server_away(
    sessions: sessionmaker[Session], waiting: list[outbox.Claim], reason: str, now: datetime
) -> None:
    """The server is away: every message not yet sent tries again after its backoff."""
    log.warning("mail server unavailable (%s); %d messages wait", reason, len(waiting))
    later = [claim for claim in waiting if not claim.last_try]
    MAIL_FAILURES.labels("temporary").inc(len(later))
    outbox.retry_later(sessions, later, reason, now)
    for claim in (claim for claim in waiting if claim.last_try):
        _give_up(sessions, claim, f"{reason}; out of attempts", now, "given_up")


def _retry_quietly(
    sessions: sessionmaker[Session], claim: outbox.Claim, reason: str, now: datetime
) -> None:
    """Put one message back with its backoff, if the database lets us."""
    try:
        _failed_for_now(sessions, claim, reason, now)
    except SQLAlchemyError:
        log.warning("outbox %s could not be put back; it waits for its lease", claim.id)


def _give_back(sessions: sessionmaker[Session], waiting: list[outbox.Claim], now: datetime) -> None:
    """Make the messages not tried due at once, if the database lets us."""
    try:
        outbox.give_back(sessions, waiting, now)
    except SQLAlchemyError:
        # The database is gone too: the lease brings them back, a minute at most.
        log.warning("%d messages could not be given back; they wait for their lease", len(waiting))


def run(app: Flask, stop: threading.Event) -> None:
    """Deliver until `stop` is set: emails in this thread, webhooks in another."""
    log.info("mailer started")
    hooks = threading.Thread(
        target=_keep_delivering, args=(app, stop, deliver_webhooks), name="webhooks", daemon=True
    )
    hooks.start()
    _keep_delivering(app, stop, deliver_emails)
    hooks.join()
    log.info("mailer stopped")


def _keep_delivering(app: Flask, stop: threading.Event, deliver: Callable[..., int]) -> None:
    """Run `deliver` round after round, resting while nothing goes out."""
    while not stop.is_set():
        try:
            if deliver(app, stop=stop) == 0:
                stop.wait(IDLE_SECONDS)
        except Exception:
            # A database hiccup must not end the mailer; the outbox keeps the work.
            log.exception("mailer round failed")
            stop.wait(IDLE_SECONDS * 5)
