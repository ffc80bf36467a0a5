"""Retention's turn in the mailer: erase what is due, and remind organisers before it goes.

The mailer calls `run_due` every round; it works at most every INTERVAL seconds. Each
reminder (signers/retention.REMINDERS: 14 and 2 days before the erase date) goes once to
the petition's organiser contact, in the petition's first language, with a link to the
export. It is marked sent in the transaction that is open while the server takes it:
two mailers never both send it (the second waits on the petition's row, then finds it
marked); a server that refuses it leaves it unmarked, for the next round.
"""

from __future__ import annotations

import logging
import time
import weakref
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from undersign.core import config, i18n
from undersign.core.config import Settings
from undersign.core.db import database
from undersign.core.models import Petition, utcnow
from undersign.mail.delivery import (
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    Transport,
    transport_for,
)
from undersign.mail.mime import Email, Sender
from undersign.signers import notice, retention

log = logging.getLogger(__name__)

# Erase dates are days apart: a look a minute is plenty, and costs one small query.
INTERVAL = 60.0
DEFAULT_SENDER_NAME = "Undersign"
_next_look: weakref.WeakKeyDictionary[sessionmaker[Session], float] = weakref.WeakKeyDictionary()


def run_due(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Erase and remind at most every INTERVAL seconds; never raise (emails come first)."""
    sessions = database(app).sessions
    moment = time.monotonic()
    if moment < _next_look.get(sessions, 0.0):
        return {}
    _next_look[sessions] = moment + INTERVAL
    try:
        return run(app, now)
    except Exception:
        log.exception("retention could not run; it tries again")
        return {}


def run(
    app: Flask, now: datetime | None = None, transport: Transport | None = None, whole: bool = False
) -> dict[str, int]:
    """Erase the personal data due (all of it if `whole`, else a round's share), then send
    the reminders due; return what was done."""
    now = now or utcnow()
    sessions = database(app).sessions
    with sessions() as session:
        done = retention.erase(session, now, whole)
        due = retention.reminders_due(session, now)
    sent = 0
    for reminder in due:
        try:
            sent += _remind(app, sessions, reminder, transport)
        except ServerUnavailable as away:
            log.warning("retention reminder put off, the mail server is away: %s", away)
            break
        except (TemporaryFailure, PermanentFailure) as refused:
            # Left unmarked: tried again at the next look, until its date.
            log.warning(
                "retention reminder for petition %s refused: %s", reminder.petition_id, refused
            )
    return done | {"erasure reminders sent": sent}


def _remind(
    app: Flask,
    sessions: sessionmaker[Session],
    reminder: retention.Reminder,
    transport: Transport | None,
) -> int:
    settings = config.settings(app)
    with sessions() as session:
        petition = session.get_one(Petition, reminder.petition_id)
        to = (petition.organiser_contact or "").strip()
        if not notice.EMAIL.fullmatch(to):
            return 0  # no address to remind: /admin/ warns of a petition without one
        if not retention.claim_reminder(session, reminder):
            return 0  # sent already, by this mailer or another
        with app.app_context():
            message = reminder_email(petition, reminder, settings, to)
        with transport or transport_for(settings) as connection:
            connection.send(message)
        session.commit()
    log.info("retention reminder sent for petition %s (%d days)", petition.slug, reminder.days)
    return 1


def reminder_email(
    petition: Petition, reminder: retention.Reminder, settings: Settings, to: str
) -> Email:
    """Build the reminder, in the petition's first language, to its organiser contact."""
    locale = petition.default_locale
    words = i18n.messages(locale)
    title = i18n.inner_quotes(locale, petition.text(locale)["title"])
    date = notice.day(locale, reminder.erases_at)
    context: dict[str, Any] = {
        "t": words,
        "locale": locale,
        "body": words["retention"]["mail_body"].format(date=date, title=title),
        "setting": words["retention"]["mail_setting"].format(
            period=notice.duration(locale, timedelta(days=petition.retention_days))
        ),
        "export_url": f"{settings.base_url}/admin/#/p/{petition.slug}",
        "privacy_url": settings.base_url + notice.path(petition.slug, locale),
    }
    subject = words["retention"]["mail_subject"].format(title=" ".join(title.split()), date=date)
    name, address = parseaddr(settings.mail_from)
    sender = Sender.of(name or DEFAULT_SENDER_NAME, address)
    jinja = current_app.jinja_env
    return Email(
        sender=sender,
        to=to,
        subject=subject,
        date=utcnow(),
        message_id=make_msgid(domain=sender.domain),
        locale=locale,
        text=jinja.get_template("mail/retention.txt").render(context),
        html=jinja.get_template("mail/retention.html").render(context),
    )
