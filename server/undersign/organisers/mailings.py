"""Emailing supporters: updates to consenting signers, written out in chunks, and unsubscribing.

Sending an update writes one row (a `Mailing`); the mailer then writes the outbox
rows for its recipients a chunk at a time (`expand_next`), so an update to a
million signers is never one transaction, and sends them like any other email.
Whether a signer still wants it is asked again when each message goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, Table, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from undersign.core import audit, sealing, tokens
from undersign.core.auth import Rights
from undersign.core.i18n import LOCALES
from undersign.core.models import (
    Mailing,
    OutboxKind,
    OutboxMessage,
    Petition,
    Signature,
    Unsubscribe,
    utcnow,
)

# Unsubscribe links must keep working as long as anyone might keep the email.
UNSUBSCRIBE = tokens.Purpose("undersign.unsubscribe", timedelta(days=3650))
# An unsubscribe token names the signature and the update whose link it was, packed
# in the one number a token carries (encrypted, so nothing of it is readable):
# signature ids stay below 2**40, a trillion.
SIGNATURE_BITS = 40
TEST_SIGNATURE = 0  # the signature "named" by a test send's link: there is nobody to unsubscribe

CHUNK = 500  # outbox rows the mailer writes in one transaction
SUBJECT_MOST = 200
BODY_MOST = 20_000
ADDRESS_MOST = 254
OUTBOX = cast(Table, OutboxMessage.__table__)


# A partner writes to its signers about a petition at most once in this long: its token,
# misused or stolen, cannot make the campaign's supporters' inboxes a channel.
PARTNER_UPDATE_INTERVAL = timedelta(days=1)


class TooSoon(Exception):
    """A partner's next update about this petition may go only from `allowed_at`."""

    def __init__(self, allowed_at: datetime) -> None:
        super().__init__(f"a partner may send one update a day; the next from {allowed_at}")
        self.allowed_at = allowed_at


class InvalidMailing(ValueError):
    """An update that cannot be sent; `field` names what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Draft:
    """An update as organisers wrote it: subject and Markdown body, per language."""

    subjects: dict[str, str]
    bodies: dict[str, str]


# --- who gets an update --------------------------------------------------------


def recipients(petition_id: int, source: str | None) -> Select[tuple[int]]:
    """Signers an update may go to: verified and counted, who agreed to be contacted and never
    unsubscribed (a partner's update: only those its site collected)."""
    query = (
        Signature.counted(petition_id)
        .with_only_columns(Signature.id)
        .where(
            Signature.contact_consent.is_(True),
            ~exists().where(Unsubscribe.signature_id == Signature.id),
        )
    )
    return Signature.narrowed(query, source=source)


# --- sending -------------------------------------------------------------------


def check_draft(petition: Petition, subjects: Any, bodies: Any) -> Draft:
    """Return the update's texts, or raise InvalidMailing naming the field."""
    subjects = _texts(subjects, "subject", SUBJECT_MOST, multiline=False)
    bodies = _texts(bodies, "body", BODY_MOST, multiline=True)
    if set(subjects) != set(bodies):
        raise InvalidMailing("body", "subject and body must be written in the same languages")
    if petition.default_locale not in subjects:
        raise InvalidMailing(
            "subject",
            f"write the update in the petition's default language ({petition.default_locale}): "
            "signers whose language is missing get that one",
        )
    return Draft(subjects, bodies)


def check_address(value: Any) -> str | None:
    """Return a test send's address (None: no test), or raise InvalidMailing."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > ADDRESS_MOST:
        raise InvalidMailing("test_to", "test_to must be an email address")
    try:
        return str(validate_email(value.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise InvalidMailing("test_to", "test_to must be an email address") from None


def _texts(value: Any, field: str, most: int, *, multiline: bool) -> dict[str, str]:
    example = f'{field} must look like {{"en": "…", "ru": "…"}}'
    if not isinstance(value, dict) or not value:
        raise InvalidMailing(field, example)
    texts = {}
    for locale, text in value.items():
        if locale not in LOCALES:
            raise InvalidMailing(field, f"{field} has a language we do not speak: {locale!r}")
        if not isinstance(text, str) or not text.strip():
            raise InvalidMailing(field, f"{field} in {locale} is empty")
        if len(text) > most:
            raise InvalidMailing(field, f"{field} in {locale} is longer than {most} characters")
        if any(ord(c) < 32 and not (multiline and c in "\n\r\t") for c in text):
            raise InvalidMailing(field, f"{field} in {locale} holds characters that are not text")
        texts[locale] = text.strip()
    return texts


def send(
    session: Session,
    petition: Petition,
    draft: Draft,
    *,
    by: Rights,
    test_to: str | None = None,
    now: datetime | None = None,
) -> Mailing:
    """Record an update for the mailer to send (to `test_to` alone, if given), log it, and commit.

    A sealed petition is refused: its signers' addresses are sealed to the
    organisers' key, and the server cannot read them to write to anyone. A partner's
    update comes PARTNER_UPDATE_INTERVAL after its last about the petition, or is TooSoon.
    """
    now = now or utcnow()
    if petition.seal_key:
        raise InvalidMailing(
            "petition",
            "this petition is sealed: signers' addresses are encrypted to the organisers' key "
            "and the server cannot read them, so it cannot email them; export the signatures, "
            "open them with the key file and write from your own mail system",
        )
    if by.partner is not None and test_to is None:
        last = session.scalar(
            select(func.max(Mailing.created_at)).where(
                Mailing.petition_id == petition.id,
                Mailing.source == by.partner,
                Mailing.test_to.is_(None),
            )
        )
        if last is not None and last > now - PARTNER_UPDATE_INTERVAL:
            raise TooSoon(last + PARTNER_UPDATE_INTERVAL)
    mailing = Mailing(
        petition_id=petition.id,
        subjects=draft.subjects,
        bodies=draft.bodies,
        source=by.partner,
        test_to=test_to,
        actor=by.name,
        created_at=now,
        cursor=0,
        queued=0,
        sent=0,
        failed=0,
    )
    if test_to is None:
        # Those who sign from now on did not sign before this update: they are left out.
        eligible = recipients(petition.id, by.partner).subquery()
        mailing.last_id = session.scalar(select(func.coalesce(func.max(eligible.c.id), 0))) or 0
        mailing.recipients = session.scalar(select(func.count()).select_from(eligible)) or 0
    else:
        mailing.last_id, mailing.recipients = 0, len(draft.subjects)
    session.add(mailing)
    session.flush()
    action = "mailing.test" if test_to else "mailing.send"
    audit.record(
        session,
        by,
        action,
        petition.slug,
        rows=mailing.recipients,
        mailing=mailing.id,
        languages=sorted(draft.subjects),
        subject=draft.subjects[petition.default_locale],
    )
    session.commit()
    return mailing


def listed(session: Session, petition: Petition, by: Rights) -> list[Mailing]:
    """Return the updates sent about a petition, newest first (a partner's: only its own)."""
    query = select(Mailing).where(Mailing.petition_id == petition.id)
    if by.partner is not None:
        query = query.where(Mailing.source == by.partner)
    return list(session.scalars(query.order_by(Mailing.id.desc())))


@dataclass(frozen=True)
class Progress:
    """What is not on an update's row: its messages still in the outbox, and who unsubscribed."""

    waiting: int = 0
    unsubscribed: int = 0


def progress(session: Session, mailings: list[Mailing]) -> dict[int, Progress]:
    """Return each update's messages waiting to be sent and the signers its link unsubscribed."""
    ids = [m.id for m in mailings]
    if not ids:
        return {}
    waiting = _counts(session, OutboxMessage.mailing_id, ids)
    unsubscribed = _counts(session, Unsubscribe.mailing_id, ids)
    return {i: Progress(waiting.get(i, 0), unsubscribed.get(i, 0)) for i in ids}


def _counts(session: Session, column: Any, ids: list[int]) -> dict[int, int]:
    """Count rows by the update they name, for the updates `ids`."""
    rows = session.execute(select(column, func.count()).where(column.in_(ids)).group_by(column))
    return {mailing_id: count for mailing_id, count in rows}


def describe(mailing: Mailing, progress: Progress) -> dict[str, Any]:
    """An update as organisers see it, with how far it has gone.

    A message that is neither sent nor failed nor waiting was skipped: its signer
    withdrew, unsubscribed or was erased after the update was written out.
    """
    unwritten = 0 if mailing.expanded_at else max(mailing.recipients - mailing.queued, 0)
    skipped = max(mailing.queued - mailing.sent - mailing.failed - progress.waiting, 0)
    finished = mailing.expanded_at is not None and progress.waiting == 0
    return {
        "id": mailing.id,
        "subject": mailing.subjects,
        "body": mailing.bodies,
        "source": mailing.source,
        "test": mailing.test_to is not None,
        "by": mailing.actor,
        "created_at": mailing.created_at.isoformat(),
        "status": "sent" if finished else "sending",
        "recipients": mailing.recipients,
        "sent": mailing.sent,
        "failed": mailing.failed,
        "skipped": skipped,
        "pending": progress.waiting + unwritten,
        "unsubscribed": progress.unsubscribed,
    }


# --- the mailer's side -----------------------------------------------------------


def expand_next(sessions: sessionmaker[Session], now: datetime, chunk: int = CHUNK) -> int:
    """Write the outbox rows of the next chunk of one update's recipients; return how many.

    The update's row is locked while its chunk is written (SKIP LOCKED: two
    mailers write different updates, never one twice); the cursor moves in the
    same transaction as the rows, so a mailer that dies writes nothing twice.
    """
    with sessions.begin() as session:
        mailing = session.scalar(Mailing.unexpanded().limit(1).with_for_update(skip_locked=True))
        if mailing is None:
            return 0
        if mailing.test_to is not None:
            ids: list[int | None] = [None]  # one message, in every language written
        else:
            ids = list(
                session.scalars(
                    recipients(mailing.petition_id, mailing.source)
                    .where(Signature.id > mailing.cursor, Signature.id <= mailing.last_id)
                    .order_by(Signature.id)
                    .limit(chunk)
                )
            )
        if ids:
            rows = [
                {
                    "kind": OutboxKind.UPDATE.value,
                    "signature_id": signature_id,
                    "webhook_id": None,
                    "mailing_id": mailing.id,
                    "due_at": now,
                }
                for signature_id in ids
            ]
            session.execute(insert(OUTBOX), rows)
            mailing.cursor = max((i for i in ids if i is not None), default=mailing.cursor)
            mailing.queued += len(ids)
        if mailing.test_to is not None or len(ids) < chunk:
            mailing.expanded_at = now
            if mailing.test_to is None:
                mailing.recipients = mailing.queued
        return len(ids)


@dataclass(frozen=True)
class Letter:
    """One update to one person: where it goes, in which languages, and the unsubscribe token."""

    mailing: Mailing
    petition: Petition
    to: str
    locales: list[str]
    unsubscribe_token: str


def letter(
    sessions: sessionmaker[Session], keys: list[str], mailing_id: int, signature_id: int | None
) -> Letter | None:
    """Return what to send for one outbox row; None if its signer wants it no more."""
    with sessions() as session:
        mailing = session.get(Mailing, mailing_id, options=[joinedload(Mailing.petition)])
        if mailing is None:
            return None
        petition = mailing.petition
        if signature_id is None:
            if not mailing.test_to:
                return None
            token = unsubscribe_token(keys, mailing.id, TEST_SIGNATURE)
            return Letter(mailing, petition, mailing.test_to, sorted(mailing.subjects), token)
        still = recipients(mailing.petition_id, mailing.source).where(Signature.id == signature_id)
        signature = session.get(Signature, signature_id)
        if signature is None or session.scalar(still) is None or sealing.is_sealed(signature.email):
            return None
        token = unsubscribe_token(keys, mailing.id, signature.id)
        return Letter(mailing, petition, signature.email, [_language(mailing, signature)], token)


def _language(mailing: Mailing, signature: Signature) -> str:
    """The signer's language if the update is written in it; else the petition's default."""
    for locale in (signature.locale, mailing.petition.default_locale):
        if locale in mailing.subjects:
            return locale
    return min(mailing.subjects)  # the default changed since it was written


def tally(session: Session, mailing_id: int, outcome: str, how_many: int = 1) -> None:
    """Count messages of an update as sent or failed, in the caller's transaction."""
    column = {"sent": Mailing.sent, "failed": Mailing.failed}[outcome]
    session.execute(
        update(Mailing).where(Mailing.id == mailing_id).values({column: column + how_many})
    )


# --- unsubscribing ---------------------------------------------------------------


def unsubscribe_token(keys: list[str], mailing_id: int, signature_id: int) -> str:
    return tokens.make(keys, UNSUBSCRIBE, (mailing_id << SIGNATURE_BITS) | signature_id)


@dataclass(frozen=True)
class Subscriber:
    """Whose unsubscribe link this is: a signer, or nobody (a test send's)."""

    signature: Signature | None
    mailing_id: int | None
    unsubscribed: bool

    @property
    def test(self) -> bool:
        return self.signature is None


def subscriber(session: Session, keys: list[str], token: str) -> Subscriber:
    """Return whose link this is; raise tokens.InvalidToken if it is not one of ours.

    An old link still unsubscribes: stopping mail is never refused for age.
    """
    try:
        link = tokens.read(keys, UNSUBSCRIBE, token)
    except tokens.ExpiredToken as expired:
        link = expired.link
    mailing_id = link.signature_id >> SIGNATURE_BITS
    signature_id = link.signature_id & ((1 << SIGNATURE_BITS) - 1)
    if signature_id == TEST_SIGNATURE:
        return Subscriber(None, mailing_id, False)
    signature = session.get(Signature, signature_id, options=[joinedload(Signature.petition)])
    if signature is None or not link.names(signature.created_at):
        raise tokens.InvalidToken  # erased since: nothing to stop
    done = session.get(Unsubscribe, signature_id) is not None
    return Subscriber(signature, mailing_id, done)


def unsubscribe(session: Session, keys: list[str], token: str) -> Subscriber:
    """Stop every later update to this link's signer about its petition, and commit."""
    found = subscriber(session, keys, token)
    if found.signature is None or found.unsubscribed:
        return found
    known = found.mailing_id and session.get(Mailing, found.mailing_id) is not None
    session.add(
        Unsubscribe(signature_id=found.signature.id, mailing_id=found.mailing_id if known else None)
    )
    try:
        session.commit()
    except IntegrityError:  # the same link pressed twice at once: one row, either way
        session.rollback()
    return Subscriber(found.signature, found.mailing_id, True)
