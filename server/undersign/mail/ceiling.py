"""The mail ceiling: floods of verification emails nobody confirms wait; viral moments never do.

Anyone can type anyone's address into a petition, and any website can make its
visitors' browsers do it: each post sends a verification email to a stranger.
People who sign confirm, most within minutes; invented or harvested addresses
do not. So the mailer keeps, for a window, which verification emails it sent
(`MailSent`), and asks before each round whether a petition's, or a recipient
domain's, were mostly left unconfirmed. Where they were, its emails beyond a
rate a minute wait in the outbox: held back, counted, shown to organisers. What
waits goes out in turns across networks (the signatures' `ip_key`), the quietest
network first, not first come first served: a real signer's email from another
network still leaves within a minute of a flood of thousands.

A viral moment is never slowed. Emails younger than the grace are not judged
unless they were confirmed, so the start of one, before confirmations arrive,
holds nothing; while confirmations keep up, nothing is held; and below the rate
nothing is held at all. What waits goes as confirmations recover, or when the
window has passed over the flood.

Nothing here runs when a signature is taken: the decision is the mailer's, when
it claims the outbox's rows.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from undersign.core import outbox
from undersign.core.config import Settings
from undersign.core.identity import keyed_hash
from undersign.core.metrics import MAIL_HELD
from undersign.core.models import (
    MailSent,
    OutboxKind,
    OutboxMessage,
    Signature,
    SignatureStatus,
)

log = logging.getLogger(__name__)

MINUTE = timedelta(minutes=1)
# The rate a minute is spread over it: at most a sixth of it in any ten seconds, so that
# a real signer who comes after a first burst of let-go emails waits seconds, not the minute.
SLICES = 6
# Once judged calm, a mailer's rounds go unjudged this long: a flood waits at most this more.
CALM_FOR = timedelta(seconds=5)
# When each database (its sessions) was last judged calm by this process.
_calm: WeakKeyDictionary[sessionmaker[Session], datetime] = WeakKeyDictionary()
# The held emails one round weighs to choose which go: far more than a minute's budgets.
WEIGHED = 1000
HELD = and_(OutboxMessage.held_at.is_not(None), OutboxMessage.released_at.is_(None))
NO_SYNC = {"synchronize_session": False}


@dataclass
class Watch:
    """The petitions and recipient domains held this round, each with what it may still send.

    A budget is the rate a minute less what was sent under the ceiling, or let go, in the
    last minute; and at most a sixth of the rate in any ten seconds.
    """

    petitions: dict[int, int] = field(default_factory=dict)
    domains: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.petitions or self.domains)

    def lets_go(self, petition_id: int, domain: str | None) -> bool:
        """May an email of this petition to this domain go now? If so, it takes from the budgets."""
        left_petition = self.petitions.get(petition_id)
        left_domain = self.domains.get(domain) if domain is not None else None
        if (left_petition is not None and left_petition <= 0) or (
            left_domain is not None and left_domain <= 0
        ):
            return False
        if left_petition is not None:
            self.petitions[petition_id] = left_petition - 1
        if left_domain is not None and domain is not None:
            self.domains[domain] = left_domain - 1
        return True


def domain_key(settings: Settings, address: str) -> str:
    """Return the keyed hash of an address's domain: what the ceiling keeps instead of it."""
    return keyed_hash(settings.identity_key, "domain", address.rpartition("@")[2].strip().lower())


def before_claim(
    sessions: sessionmaker[Session], settings: Settings, now: datetime
) -> Watch | None:
    """Judge the window's emails, hold what a flood brings, let go what may go; None when off.

    Holding first and letting go second makes the turns fair in the same round: a
    real signer's email, new this round, goes ahead of a crowded network's backlog.
    """
    if not settings.mail_ceiling:
        release_all(sessions, now)
        return None
    calm_since = _calm.get(sessions)
    if calm_since is not None and calm_since <= now < calm_since + CALM_FOR:
        return Watch()  # judged calm a moment ago: a viral moment's rounds skip the judging
    window = timedelta(seconds=settings.mail_ceiling_window)
    with sessions.begin() as session:
        session.execute(delete(MailSent).where(MailSent.sent_at < now - window))
        watch = _judge(session, settings, now)
        if not watch:
            _let_go(session, HELD, now)  # the flood has passed, or confirmations recovered
            _calm[sessions] = now
            return watch
        _calm.pop(sessions, None)
        held = _hold_petitions(session, watch.petitions, now, now + window)
        if held:
            MAIL_HELD.labels("petition").inc(held)
            log.info("mail ceiling: %d verification emails held back (mostly unconfirmed)", held)
        _release(session, watch, now)
    return watch


def screen(
    sessions: sessionmaker[Session],
    settings: Settings,
    watch: Watch | None,
    claims: Collection[outbox.Claim],
    signatures: Mapping[int, Signature],
    now: datetime,
) -> set[int]:
    """Hold the claimed verification emails that their petition's or domain's budget cannot send.

    Return the ids held. Those the ceiling let go already pass, as do all while nothing is watched.
    """
    if not watch:
        return set()
    held: list[outbox.Claim] = []
    domains: dict[int, str] = {}
    by_domain = 0
    for claim in claims:
        if claim.kind != OutboxKind.VERIFY or claim.released:
            continue
        signature = signatures.get(claim.signature_id or 0)
        if signature is None or signature.status != SignatureStatus.PENDING:
            continue  # the mailer drops it
        domain = domain_key(settings, signature.email)
        if watch.lets_go(signature.petition_id, domain):
            continue
        held.append(claim)
        domains[claim.id] = domain
        by_domain += signature.petition_id not in watch.petitions
    if held:
        window = timedelta(seconds=settings.mail_ceiling_window)
        with sessions.begin() as session:
            outbox.hold(session, held, now, now + window, domains)
        MAIL_HELD.labels("domain").inc(by_domain)
        MAIL_HELD.labels("petition").inc(len(held) - by_domain)
        log.info("mail ceiling: %d verification emails held back (mostly unconfirmed)", len(held))
    return {claim.id for claim in held}


def record(
    sessions: sessionmaker[Session],
    settings: Settings,
    watch: Watch,
    sent: Collection[tuple[outbox.Claim, Signature]],
    now: datetime,
) -> None:
    """Keep, for the window, which verification emails went: to judge whether they are confirmed.

    Those sent while their petition or domain was held take from its rate a minute; those
    sent before (a burst within the grace) do not, or they would starve its real signers.
    """
    if not sent:
        return
    rows = []
    for claim, signature in sent:
        domain = domain_key(settings, signature.email)
        under = claim.released or signature.petition_id in watch.petitions
        rows.append(
            {
                "petition_id": signature.petition_id,
                "signature_id": signature.id,
                "domain_key": domain,
                "sent_at": now,
                "under_ceiling": under or domain in watch.domains,
            }
        )
    with sessions.begin() as session:
        session.execute(insert(MailSent), rows)


def release_all(sessions: sessionmaker[Session], now: datetime) -> None:
    """Let every held email go (the ceiling is turned off)."""
    with sessions.begin() as session:
        _let_go(session, HELD, now)


def _judge(session: Session, settings: Settings, now: datetime) -> Watch:
    """Find the petitions and domains whose judged emails were mostly left unconfirmed."""
    since = now - timedelta(seconds=settings.mail_ceiling_window)
    young = now - timedelta(seconds=settings.mail_ceiling_grace)
    minute, slice_ = now - MINUTE, now - MINUTE / SLICES
    confirmed = Signature.status == SignatureStatus.VERIFIED

    def under_since(moment: datetime) -> Any:
        return func.sum(case((and_(MailSent.sent_at > moment, MailSent.under_ceiling), 1), else_=0))

    def mostly_unconfirmed(column: Any, rate: int) -> dict[int | str, int]:
        query = (
            select(
                column,
                func.sum(case((or_(MailSent.sent_at <= young, confirmed), 1), else_=0)),
                func.sum(case((confirmed, 1), else_=0)),
                under_since(minute),
                under_since(slice_),
            )
            .join(Signature, Signature.id == MailSent.signature_id)
            .where(MailSent.sent_at > since)
            .group_by(column)
        )
        return {
            key: min(rate - int(recent or 0), -(-rate // SLICES) - int(lately or 0))
            for key, judged, yes, recent, lately in session.execute(query)
            if (judged or 0) >= settings.mail_ceiling_min_sent
            and (yes or 0) * 100 < settings.mail_ceiling_confirmed * judged
        }

    petitions = mostly_unconfirmed(MailSent.petition_id, settings.mail_ceiling_petition_rate)
    domains = mostly_unconfirmed(MailSent.domain_key, settings.mail_ceiling_domain_rate)
    # What was let go in the last minute and is not sent yet takes from the budget too.
    if petitions:
        going = (
            select(Signature.petition_id, func.count())
            .select_from(OutboxMessage)
            .join(Signature, Signature.id == OutboxMessage.signature_id)
            .where(OutboxMessage.released_at > minute, Signature.petition_id.in_(list(petitions)))
            .group_by(Signature.petition_id)
        )
        for petition_id, n in session.execute(going):
            petitions[petition_id] -= n
    if domains:
        by_domain = (
            select(OutboxMessage.domain_key, func.count())
            .where(OutboxMessage.released_at > minute, OutboxMessage.domain_key.in_(list(domains)))
            .group_by(OutboxMessage.domain_key)
        )
        for domain, n in session.execute(by_domain):
            domains[str(domain)] -= n
    return Watch(
        {int(key): left for key, left in petitions.items()},
        {str(key): left for key, left in domains.items()},
    )


def _hold_petitions(
    session: Session, budgets: Mapping[int, int], now: datetime, until: datetime
) -> int:
    """Hold every due verification email of the watched petitions that bring more than budgets.

    A petition whose due emails fit its budget holds none: they go as they are claimed.
    Return how many were held.
    """
    due = and_(
        OutboxMessage.kind == OutboxKind.VERIFY,
        OutboxMessage.due_at <= now,
        OutboxMessage.released_at.is_(None),
    )
    counted = (
        select(Signature.petition_id, func.count())
        .select_from(OutboxMessage)
        .join(Signature, Signature.id == OutboxMessage.signature_id)
        .where(due, Signature.petition_id.in_(list(budgets)))
        .group_by(Signature.petition_id)
    )
    crowded = [p for p, n in session.execute(counted) if n > max(budgets[p], 0)]
    if not crowded:
        return 0
    theirs = select(Signature.id).where(Signature.petition_id.in_(crowded))
    held = session.execute(
        update(OutboxMessage)
        .where(due, OutboxMessage.signature_id.in_(theirs))
        .values(held_at=func.coalesce(OutboxMessage.held_at, now), due_at=until)
        .execution_options(**NO_SYNC)
    )
    return int(held.rowcount or 0)  # type: ignore[attr-defined]


def _release(session: Session, watch: Watch, now: datetime) -> None:
    """Let go what is no longer watched, and what the budgets allow in fair turns across networks.

    Each network's oldest held email first, then each one's second, and so on;
    within a turn, networks with the fewest waiting go first.
    """
    watched = select(Signature.id).where(Signature.petition_id.in_(list(watch.petitions)))
    _let_go(
        session,
        and_(
            HELD,
            OutboxMessage.signature_id.not_in(watched),
            or_(
                OutboxMessage.domain_key.is_(None),
                OutboxMessage.domain_key.not_in(list(watch.domains)),
            ),
        ),
        now,
    )
    petitions = [p for p, left in watch.petitions.items() if left > 0]
    domains = [d for d, left in watch.domains.items() if left > 0]
    if not petitions and not domains:
        return
    network = Signature.ip_key
    candidates = (
        select(
            OutboxMessage.id,
            Signature.petition_id,
            OutboxMessage.domain_key,
            func.row_number().over(partition_by=network, order_by=OutboxMessage.id).label("turn"),
            func.count().over(partition_by=network).label("crowd"),
        )
        .join(Signature, Signature.id == OutboxMessage.signature_id)
        .where(
            HELD,
            or_(Signature.petition_id.in_(petitions), OutboxMessage.domain_key.in_(domains)),
        )
        .subquery()
    )
    turns = (
        select(candidates.c.id, candidates.c.petition_id, candidates.c.domain_key)
        .order_by(candidates.c.turn, candidates.c.crowd, candidates.c.id)
        .limit(WEIGHED)
    )
    going = [
        message_id
        for message_id, petition_id, domain in session.execute(turns)
        if watch.lets_go(petition_id, domain)
    ]
    if going:
        _let_go(session, OutboxMessage.id.in_(going), now)


def _let_go(session: Session, which: object, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(which)  # type: ignore[arg-type]
        .values(due_at=now, released_at=now)
        .execution_options(**NO_SYNC)
    )
