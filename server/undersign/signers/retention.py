"""Retention: delete personal data as soon as it has served its purpose.

Two kinds of it. `purge` deletes what never served (unconfirmed signatures whose link
expired) or served its turn (the keyed hash of a network address). `erase` ends a
petition's personal data on the day its retention says (Petition.erases_at: its
`retention_days` after it closed): every signer's name, address, postcode, city and
message, sealed or not, their wall entry and keyed hashes, and the names and cities typed
in from paper lists. What the count, the statistics and the signature log need stays: the
row, its status and times, its country and channel, and what it was last logged as
(signers/transparency.py derives a receipt from the id and the creation time alone, so
every entry and checkpoint stays valid and nothing looks changed to the log's appender).

The organisers hear of it first: `reminders_due` names the petitions whose erase date is
14 or 2 days away, and `claim_reminder` marks one sent, once, however many mailers ask
(mail/reminders.py sends it). Every step is idempotent: run twice, it does nothing more.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, String, delete, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from undersign.core import audit, tokens
from undersign.core.auth import CLI
from undersign.core.models import (
    OutboxMessage,
    PaperSignature,
    Petition,
    PetitionStatus,
    Signature,
    SignatureStatus,
    utcnow,
)
from undersign.signers.signing import SHARED_ADDRESS_WINDOW

# Days before the erase date that the organisers are reminded: each once.
REMINDERS = (14, 2)
# Signatures erased in one transaction: a million never sit in one.
ERASE_ROWS = 2000
# Transactions one run may take: the mailer's round erases 100 000 signatures at most, then
# sends what waits; the next look, a minute later, goes on.
ERASE_BATCHES = 50
# What stands in an erased signature's keyed hashes: unique (the indexes on them ask it),
# and no one's hash (those are 64 hex digits), as signing.forgotten_key does for withdrawn ones.
ERASED = "erased:"


def purge(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Delete unconfirmed signatures whose link has expired, forget old address hashes; commit."""
    now = now or utcnow()
    unconfirmed = session.execute(
        delete(Signature).where(
            Signature.status == SignatureStatus.PENDING,
            Signature.last_email_at < now - tokens.VERIFY.max_age,
        )
    )
    # The address hash only serves the shared-address rule, which looks back one window.
    forgotten = session.execute(
        update(Signature)
        .where(Signature.ip_key.is_not(None), Signature.created_at < now - SHARED_ADDRESS_WINDOW)
        .values(ip_key=None)
    )
    session.commit()
    return {
        "unconfirmed signatures deleted": cast(CursorResult[Any], unconfirmed).rowcount,
        "address hashes forgotten": cast(CursorResult[Any], forgotten).rowcount,
    }


def erased_key(signature_id: int) -> str:
    return f"{ERASED}{signature_id}"


def _ending(session: Session) -> list[Petition]:
    """Return the petitions that have (or will have) an erase date: closed, or closing."""
    return list(
        session.scalars(
            select(Petition)
            .where(or_(Petition.status == PetitionStatus.CLOSED, Petition.closes_at.is_not(None)))
            .order_by(Petition.id)
        )
    )


def record_closings(session: Session, now: datetime) -> int:
    """Note when a petition closed by hand closed, if nothing noted it yet (campaigns.set_open
    does); commit. Noticed late, the data is kept longer, never shorter."""
    noted = session.execute(
        update(Petition)
        .where(Petition.status == PetitionStatus.CLOSED, Petition.closed_at.is_(None))
        .values(closed_at=now)
    )
    session.commit()
    return cast(CursorResult[Any], noted).rowcount


def erase(session: Session, now: datetime | None = None, whole: bool = False) -> dict[str, int]:
    """Erase the personal data of every petition whose erase date has come; commit.

    Idempotent: a petition erased for its current erase date is not read again, and a
    signature already erased (or withdrawn) is not touched again. Unless `whole`, stops
    after ERASE_BATCHES transactions, for the next run to go on.
    """
    now = now or utcnow()
    record_closings(session, now)
    erased = paper = 0
    for petition in _ending(session):
        erases_at = petition.erases_at
        if erases_at is None or now < erases_at:
            continue
        # Paper lists may be typed in after the date: their names go at the next run.
        paper += _erase_paper(session, petition.id)
        if petition.erased_at is not None and petition.erased_at >= erases_at:
            session.commit()
            continue
        done, finished = _erase_signatures(session, petition.id, None if whole else ERASE_BATCHES)
        erased += done
        if not finished:
            break  # the rest at the next run
        petition = session.get_one(Petition, petition.id)
        petition.erased_at = now
        audit.record(
            session,
            CLI,
            "petition.erase",
            petition.slug,
            rows=done,
            erases_at=erases_at.isoformat(),
        )
        session.commit()
    return {"signatures erased": erased, "paper names erased": paper}


def _erase_signatures(session: Session, petition_id: int, batches: int | None) -> tuple[int, bool]:
    """Erase the signatures of a petition that still hold personal data, in batches.

    Return how many, and whether none is left (else `batches` ran out).
    """
    done = 0
    kept = Signature.email_key.not_like("%:%")  # keyed hashes only; erased and withdrawn: "x:id"
    for _ in itertools.count() if batches is None else range(batches):
        ids = list(
            session.scalars(
                select(Signature.id)
                .where(Signature.petition_id == petition_id, kept)
                .order_by(Signature.id)
                .limit(ERASE_ROWS)
            )
        )
        if not ids:
            return done, True
        placeholder = literal(ERASED, String) + sql_cast(Signature.id, String)
        session.execute(
            update(Signature)
            .where(Signature.id.in_(ids))
            .values(
                # privacy.erase's blanks, as one statement (sealed values are these columns too).
                name="",
                email="",
                postcode=None,
                city=None,
                comment=None,
                shown=None,
                email_key=placeholder,
                spelling_key=placeholder,
                ip_key=None,
                # Nothing is left to show, hand over by name, or write to.
                public=False,
                named=False,
                contact_consent=False,
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(OutboxMessage).where(OutboxMessage.signature_id.in_(ids)))
        session.commit()
        done += len(ids)
    return done, False


def _erase_paper(session: Session, petition_id: int) -> int:
    """Erase the names and cities typed in from a petition's paper lists; keep the numbers."""
    result = session.execute(
        update(PaperSignature)
        .where(
            PaperSignature.petition_id == petition_id,
            or_(PaperSignature.name.is_not(None), PaperSignature.city.is_not(None)),
        )
        .values(name=None, city=None, named=False)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


@dataclass(frozen=True)
class Reminder:
    """The organisers of a petition are to hear that its data is erased at `erases_at`."""

    petition_id: int
    days: int  # the reminder: 14 or 2 days before
    erases_at: datetime


def reminders_due(session: Session, now: datetime | None = None) -> list[Reminder]:
    """Return the reminders due now and not yet sent.

    A reminder is due from its day before the erase date on. Only the nearest is sent:
    a mailer away for a fortnight (or a retention shortened) does not send both at once.
    An erase date that moved (reopened, a new closing time, another retention) starts
    its reminders afresh.
    """
    now = now or utcnow()
    due = []
    for petition in _ending(session):
        erases_at = petition.erases_at
        if erases_at is None or now >= erases_at:
            continue
        stages = [days for days in REMINDERS if erases_at - now <= timedelta(days=days)]
        if not stages:
            continue
        days = min(stages)
        if (
            petition.reminded_for == erases_at
            and petition.reminded_days is not None
            and petition.reminded_days <= days
        ):
            continue
        due.append(Reminder(petition.id, days, erases_at))
    return due


def claim_reminder(session: Session, reminder: Reminder) -> bool:
    """Mark a reminder sent unless someone did; True if this caller is to send it.

    The UPDATE holds the petition's row until the caller commits (after sending) or rolls
    back (the server refused): a second mailer waits, then finds it sent.
    """
    claimed = session.execute(
        update(Petition)
        .where(
            Petition.id == reminder.petition_id,
            or_(
                Petition.reminded_for.is_(None),
                Petition.reminded_for != reminder.erases_at,
                Petition.reminded_days.is_(None),
                Petition.reminded_days > reminder.days,
            ),
        )
        .values(reminded_for=reminder.erases_at, reminded_days=reminder.days)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], claimed).rowcount == 1
