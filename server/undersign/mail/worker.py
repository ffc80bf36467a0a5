"""The mailer: a plain loop that claims due messages, sends them, and records the outcome."""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from undersign import config, webhooks
from undersign.config import Settings
from undersign.db import database
from undersign.mail import messages, outbox
from undersign.mail.delivery import PermanentFailure, Transport, transport_for
from undersign.metrics import MAIL_FAILURES, MAIL_SENT
from undersign.models import OutboxKind, Signature, SignatureStatus, utcnow

log = logging.getLogger(__name__)

BATCH = 100
IDLE_SECONDS = 1.0


def deliver_due(app: Flask, now: datetime | None = None, transport: Transport | None = None) -> int:
    """Send one batch of due messages (emails and webhooks); return how many went out."""
    now = now or utcnow()
    sessions = database(app).sessions
    claims = outbox.claim(sessions, now, BATCH)
    hooks = [claim for claim in claims if claim.kind == OutboxKind.WEBHOOK]
    emails = [claim for claim in claims if claim.kind != OutboxKind.WEBHOOK]
    delivered = webhooks.deliver(sessions, hooks, now) if hooks else 0
    if emails:
        delivered += _send_emails(app, emails, now, transport)
    return delivered


def _send_emails(
    app: Flask, claims: list[outbox.Claim], now: datetime, transport: Transport | None
) -> int:
    """Send the claimed emails over one connection; put back what the server did not take."""
    settings = config.settings(app)
    sessions = database(app).sessions
    signatures = _signatures_of(sessions, claims)
    finished: list[int] = []  # sent, refused for good, or no longer needed
    sent = 0
    try:
        with app.app_context(), transport or transport_for(settings) as connection:
            for claim in claims:
                signature = signatures.get(claim.signature_id or 0)
                # A signature confirmed, withdrawn or purged meanwhile needs no email.
                if signature is not None and signature.status == SignatureStatus.PENDING:
                    sent += _send_one(connection, claim, signature, settings)
                finished.append(claim.id)
    except (smtplib.SMTPException, OSError) as error:
        # The server is away or broke off: what was not sent waits and is tried again.
        handled = set(finished)
        waiting = [claim for claim in claims if claim.id not in handled]
        _retry_later(sessions, waiting, type(error).__name__, now)
    finally:
        outbox.done(sessions, finished)
    return sent


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
    connection: Transport, claim: outbox.Claim, signature: Signature, settings: Settings
) -> int:
    """Send one verification email; return 1 if it went, 0 if refused for good."""
    try:
        connection.send(messages.verification(signature, settings))
    except PermanentFailure as refusal:
        log.warning("outbox %s dropped: %s", claim.id, refusal)
        MAIL_FAILURES.labels("refused").inc()
        return 0
    MAIL_SENT.inc()
    return 1


def _retry_later(
    sessions: sessionmaker[Session], waiting: list[outbox.Claim], reason: str, now: datetime
) -> None:
    log.warning("mail server unavailable (%s); %d messages wait", reason, len(waiting))
    MAIL_FAILURES.labels("temporary").inc(len(waiting))
    for claim in outbox.retry_later(sessions, waiting, reason, now):
        log.error("outbox %s given up after %d attempts", claim.id, claim.attempts)
        MAIL_FAILURES.labels("given_up").inc()


def run(app: Flask, stop: threading.Event) -> None:
    """Deliver until `stop` is set, resting while there is nothing due."""
    log.info("mailer started")
    while not stop.is_set():
        try:
            if deliver_due(app) == 0:
                stop.wait(IDLE_SECONDS)
        except Exception:
            # A database hiccup must not end the mailer; the outbox keeps the work.
            log.exception("mailer round failed")
            stop.wait(IDLE_SECONDS * 5)
    log.info("mailer stopped")
