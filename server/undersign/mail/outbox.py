"""The outbox: messages written with the change that needs them, claimed by mailers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, insert, update
from sqlalchemy.orm import Session, sessionmaker

from undersign.models import OutboxMessage, utcnow

# A claimed message is someone's for this long; if its mailer dies meanwhile,
# another takes it over once the lease runs out.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 20  # with the backoff below, a bit more than half a day of trying


# Compiled once, values passed beside it: enqueueing is on the signing hot path.
NEW_MESSAGE = insert(cast(Table, OutboxMessage.__table__))


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    signature_id: int | None
    attempts: int
    webhook_id: int | None = None


def enqueue(
    session: Session,
    kind: str,
    signature_id: int,
    now: datetime | None = None,
    webhook_id: int | None = None,
) -> None:
    """Add a message to the caller's transaction: it exists exactly if the change commits."""
    values = {"kind": kind, "signature_id": signature_id, "webhook_id": webhook_id}
    session.execute(NEW_MESSAGE, {**values, "due_at": now or utcnow()})


def claim(sessions: sessionmaker[Session], now: datetime, limit: int) -> list[Claim]:
    """Lease up to `limit` due messages to this mailer.

    SKIP LOCKED lets several mailers claim at once on PostgreSQL without ever
    taking the same row; SQLite runs one writer at a time, which serialises them.
    """
    with sessions.begin() as session:
        rows = session.scalars(
            OutboxMessage.due(now).limit(limit).with_for_update(skip_locked=True)
        ).all()
        claims = [
            Claim(row.id, row.kind, row.signature_id, row.attempts + 1, row.webhook_id)
            for row in rows
        ]
        if claims:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([c.id for c in claims]))
                .values(due_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
            )
    return claims


def done(sessions: sessionmaker[Session], ids: Iterable[int]) -> None:
    """Forget messages that were sent (or need sending no more)."""
    ids = list(ids)
    if ids:
        with sessions.begin() as session:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))


def retry_later(
    sessions: sessionmaker[Session], claims: Iterable[Claim], error: str, now: datetime
) -> list[Claim]:
    """Put failed messages back with exponential backoff; return those given up on."""
    given_up = []
    with sessions.begin() as session:
        for claim in claims:
            if claim.attempts >= MAX_ATTEMPTS:
                given_up.append(claim)
                session.execute(delete(OutboxMessage).where(OutboxMessage.id == claim.id))
                continue
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claim.id)
                .values(due_at=now + backoff(claim.attempts), last_error=error[:200])
            )
    return given_up


def backoff(attempts: int) -> timedelta:
    """Wait 30 s after the first failure, doubling up to an hour."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))
