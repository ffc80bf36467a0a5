"""The mailer: a plain loop that claims due messages, sends them, and records the outcome."""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from undersign import webhooks
from undersign.config import Settings
from undersign.db import database
from undersign.mail import messages, outbox
from undersign.mail.delivery import PermanentFailure, Transport, transport_for
from undersign.metrics import MAIL_FAILURES, MAIL_SENT
from undersign.models import Signature, utcnow

log = logging.getLogger(__name__)

BATCH = 100
IDLE_SECONDS = 1.0


def deliver_due(app: Flask, now: datetime | None = None, transport: Transport | None = None) -> int:
    """Send one batch of due messages; return how many were sent."""
    now = now or utcnow()
    settings: Settings = app.extensions["undersign.settings"]
    sessions = database(app).sessions
    claims = outbox.claim(sessions, now, BATCH)
    hooks = [claim for claim in claims if claim.kind == webhooks.KIND]
    delivered = webhooks.deliver(sessions, hooks, now) if hooks else 0
    claims = [claim for claim in claims if claim.kind != webhooks.KIND]
    if not claims:
        return delivered
    with sessions() as session:
        signatures = {
            s.id: s
            for s in session.scalars(
                select(Signature)
                .where(Signature.id.in_([c.signature_id for c in claims]))
                .options(selectinload(Signature.petition))
            )
        }
    sent: list[int] = []
    finished: list[int] = []  # sent, refused for good, or no longer needed
    pending = list(claims)
    try:
        with app.app_context(), transport or transport_for(settings) as connection:
            while pending:
                claim = pending[0]
                signature = signatures.get(claim.signature_id or 0)
                if signature is not None and signature.status == "pending":
                    try:
                        connection.send(messages.verification(signature, settings))
                        sent.append(claim.id)
                        MAIL_SENT.inc()
                    except PermanentFailure as refusal:
                        log.warning("outbox %s dropped: %s", claim.id, refusal)
                        MAIL_FAILURES.labels("refused").inc()
                finished.append(claim.id)
                pending.pop(0)
    except (smtplib.SMTPException, OSError) as error:
        # The server is away or broke off: what was not sent waits and is tried again.
        reason = type(error).__name__
        log.warning("mail server unavailable (%s); %d messages wait", reason, len(pending))
        MAIL_FAILURES.labels("temporary").inc(len(pending))
        for claim in outbox.retry_later(sessions, pending, reason, now):
            log.error("outbox %s given up after %d attempts", claim.id, claim.attempts)
            MAIL_FAILURES.labels("given_up").inc()
    finally:
        outbox.done(sessions, finished)
    return len(sent) + delivered


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
