"""The outbox: messages written with the change that needs them, claimed by mailers."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self, cast

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from undersign.core.models import OutboxKind, OutboxMessage, UTCDateTime, utcnow

# A claimed message is someone's for this long; if its mailer dies meanwhile,
# another takes it over once the lease runs out. Short, so that a killed mailer
# holds its unsent messages back for a minute at most: a mailer works on one
# claim for half of it (WORK_SECONDS) and gives back what it has not reached.
LEASE = timedelta(minutes=1)
WORK_SECONDS = LEASE.total_seconds() / 2
# Where the mailers tell the web workers how long signers' emails wait for them now
# (mail/worker.py tells it each round; web/overload.py sheds signing while it is too long).
LAG_KEY = "mail:lag"
MAX_ATTEMPTS = 20  # with the backoff below, a bit more than half a day of trying


# Compiled once, values passed beside it: enqueueing is on the signing hot path.
NEW_MESSAGE = insert(cast(Table, OutboxMessage.__table__))
NEW_MESSAGE_IF_WANTED = insert(cast(Table, OutboxMessage.__table__)).from_select(
    ["kind", "signature_id", "due_at"],
    select(
        bindparam("kind", type_=String),
        bindparam("signature_id", type_=Integer),
        bindparam("due_at", type_=UTCDateTime),
    ).where(bindparam("wanted", type_=Boolean)),
)


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    signature_id: int | None
    attempts: int  # this one included
    leased_until: datetime
    webhook_id: int | None = None
    mailing_id: int | None = None
    # The mail ceiling let this one go after holding it back: it is not judged again.
    released: bool = False
    due_at: datetime | None = None  # since when it has been waiting for a mailer

    def waited(self, now: datetime) -> float:
        """Seconds this message had been due when it was claimed."""
        return max(0.0, (now - self.due_at).total_seconds()) if self.due_at else 0.0

    @property
    def last_try(self) -> bool:
        """Is this the last attempt: if it fails, the message is given up?"""
        return self.attempts >= MAX_ATTEMPTS


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


def enqueue_if(
    session: Session | Connection, wanted: bool, kind: str, signature_id: int, now: datetime
) -> None:
    """Add a message when `wanted`, in one statement either way.

    Signing calls this for every signer: whether an email goes (a new signer)
    or not (one who signed a minute ago) must cost the database the same.
    """
    values = {"kind": kind, "signature_id": signature_id, "due_at": now, "wanted": wanted}
    session.execute(NEW_MESSAGE_IF_WANTED, values)


def claim(
    sessions: sessionmaker[Session], now: datetime, limit: int, kinds: Collection[str]
) -> list[Claim]:
    """Lease up to `limit` due messages of `kinds` to this mailer.

    Emails and webhooks are claimed apart, so that a slow endpoint never holds
    an email back. SKIP LOCKED lets several mailers claim at once on PostgreSQL
    without ever taking the same row; SQLite runs one writer at a time, which
    serialises them.
    """
    leased_until = now + LEASE
    with sessions.begin() as session:
        query = OutboxMessage.due(now).where(OutboxMessage.kind.in_(kinds))
        rows = session.scalars(query.limit(limit).with_for_update(skip_locked=True)).all()
        claims = [
            Claim(
                row.id,
                row.kind,
                row.signature_id,
                row.attempts + 1,
                leased_until,
                row.webhook_id,
                row.mailing_id,
                row.released_at is not None,
                row.due_at,
            )
            for row in rows
        ]
        if claims:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([c.id for c in claims]))
                .values(due_at=leased_until, attempts=OutboxMessage.attempts + 1)
            )
    return claims


def done(sessions: sessionmaker[Session], ids: Iterable[int]) -> None:
    """Forget messages that were sent (or need sending no more)."""
    ids = list(ids)
    if ids:
        with sessions.begin() as session:
            drop(session, ids)


# One statement a message sent: compiled once, the id passed beside it.
FORGET_ONE = delete(OutboxMessage).where(OutboxMessage.id == bindparam("id"))


class Ledger:
    """One connection, held for a sender's round, that forgets each message the moment it is sent.

    Each message is recorded alone, before the next one is handed to the server:
    a mailer that dies sends again at most the message in hand. On PostgreSQL
    the record is one statement in autocommit, one round trip, instead of a
    session's checkout, BEGIN, DELETE and COMMIT.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def __enter__(self) -> Self:
        connection = self.engine.connect()
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        self.connection = connection
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def done(self, message_id: int) -> None:
        """Forget a message that was sent (or needs sending no more), durably, now."""
        assert self.connection is not None
        # Autocommit makes this BEGIN and COMMIT nothing on PostgreSQL; SQLite needs them.
        with self.connection.begin():
            self.connection.execute(FORGET_ONE, {"id": message_id})


def drop(session: Session, ids: Iterable[int]) -> None:
    """Forget messages in the caller's transaction (given up, with what records it)."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(list(ids))))


def retry_later(
    sessions: sessionmaker[Session], claims: Iterable[Claim], error: str, now: datetime
) -> list[Claim]:
    """Put failed messages back with exponential backoff; return those given up on."""
    given_up = []
    with sessions.begin() as session:
        for claim in claims:
            if claim.last_try:
                given_up.append(claim)
                drop(session, [claim.id])
                continue
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claim.id)
                .values(due_at=now + backoff(claim.attempts), last_error=error[:200])
            )
    return given_up


def give_back(sessions: sessionmaker[Session], claims: Collection[Claim], due: datetime) -> None:
    """Return claimed messages that were never tried: due at `due`, the claim's attempt undone.

    A mailer that stops early (its time is up, the database or a bug broke its
    round) gives back at once what it had not reached, instead of holding it
    for the rest of the lease.
    """
    if claims:
        with sessions.begin() as session:
            _give_back(session, claims, due)


def _give_back(session: Session, claims: Collection[Claim], due: datetime) -> None:
    for leased_until in {claim.leased_until for claim in claims}:
        ids = [claim.id for claim in claims if claim.leased_until == leased_until]
        session.execute(
            update(OutboxMessage)
            # Still ours only while the lease we took is on it: a row another
            # mailer has claimed since must not become due again under it.
            .where(OutboxMessage.id.in_(ids), OutboxMessage.due_at == leased_until)
            .values(due_at=due, attempts=OutboxMessage.attempts - 1)
        )


def hold_webhook(
    sessions: sessionmaker[Session], webhook_id: int, until: datetime, ours: Collection[Claim]
) -> None:
    """Keep every delivery to one endpoint back until `until`, untried: ours and those due.

    After one delivery to an endpoint failed, trying the others now would only
    wait out the same timeout for each; they follow the first one's backoff.
    """
    with sessions.begin() as session:
        _give_back(session, ours, until)
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.kind == OutboxKind.WEBHOOK,
                OutboxMessage.webhook_id == webhook_id,
                OutboxMessage.due_at < until,
            )
            .values(due_at=until)
        )


def held_back() -> Select[int]:
    """Count the verification emails the mail ceiling holds back now (narrow it with where())."""
    return select(func.count(OutboxMessage.id)).where(
        OutboxMessage.held_at.is_not(None), OutboxMessage.released_at.is_(None)
    )


def held_signatures() -> Select[int | None]:
    """Select the signatures whose verification email the mail ceiling holds back now."""
    return select(OutboxMessage.signature_id).where(
        OutboxMessage.held_at.is_not(None), OutboxMessage.released_at.is_(None)
    )


def hold(
    session: Session,
    claims: Collection[Claim],
    now: datetime,
    until: datetime,
    domains: dict[int, str],
) -> None:
    """Hold claimed emails back until `until` untried (the mail ceiling): their attempt is undone.

    `domains` names each one's recipient domain by its keyed hash, for the ceiling to release it by.
    """
    for claim in claims:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == claim.id, OutboxMessage.due_at == claim.leased_until)
            .values(
                due_at=until,
                attempts=OutboxMessage.attempts - 1,
                held_at=func.coalesce(OutboxMessage.held_at, now),
                domain_key=domains.get(claim.id),
            )
        )


def backoff(attempts: int) -> timedelta:
    """Wait 30 s after the first failure, doubling up to an hour."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))
