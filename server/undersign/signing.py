"""Sign, verify, withdraw: the rules, with no Flask request in sight."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, load_only

from undersign import counting, identity, privacy, tokens, webhooks
from undersign.cache import Cache
from undersign.config import Settings
from undersign.mail import outbox
from undersign.models import (
    CommentStatus,
    OutboxKind,
    OutboxMessage,
    Partner,
    Petition,
    Signature,
    SignatureStatus,
    UTCDateTime,
    utcnow,
)
from undersign.petitions import PetitionNotFound
from undersign.validation import SignatureInput

# Signing again re-sends the email (or tells a verified signer so), but not so
# often that the form becomes a way to flood someone's inbox.
RESEND_INTERVAL = timedelta(minutes=10)
MAX_EMAILS_PER_SIGNATURE = 5
SHARED_ADDRESS_WINDOW = timedelta(hours=24)


class PetitionClosed(Exception):
    pass


class SignatureWithdrawn(Exception):
    pass


@dataclass(frozen=True)
class Client:
    """Where a signature came from: the network address, and the page (Origin) it was sent on."""

    ip: str | None
    origin: str | None = None


@dataclass(frozen=True)
class Verified:
    petition_slug: str
    signature_count: int
    locale: str
    withdraw_token: str


@dataclass(frozen=True)
class Withdrawn:
    petition_slug: str
    locale: str


def sign(
    session: Session,
    slug: str,
    data: SignatureInput,
    *,
    settings: Settings,
    client: Client,
    now: datetime | None = None,
) -> None:
    """Take a signature and queue the email its signer needs, if one may go.

    A new or pending signer gets the verification email (again, at most every
    RESEND_INTERVAL); one already verified is told so, with the withdraw link.
    Says nothing about which happened, in the answer or its timing: whether an
    address has signed is not for the person at the form to learn.
    """
    now = now or utcnow()
    identity_key = settings.identity_key
    ip = client.ip
    ip_key = identity.address_key(identity_key, ip) if ip else None
    threshold = settings.shared_address_threshold
    petition, crowded = _petition_and_crowding(session, slug, ip_key, threshold, now)
    if not petition.is_open(now):
        raise PetitionClosed(slug)
    if data.is_bot:
        return
    if not _may_claim(session, data.source, client.origin, settings.base_url):
        data = replace(data, source=None)  # counted, but as no partner's
    if data.named is None:
        data = replace(data, named=petition.named_default)
    values = {
        "petition_id": petition.id,
        "email_key": identity.email_key(identity_key, data.email),
        "ip_key": ip_key,
        # Many real signers share an address (a plant's network, a carrier's NAT),
        # so a crowded address flags signatures for review instead of refusing them.
        "flagged": crowded,
        "created_at": now,
        # A sealed petition keeps what the signer typed only sealed to its organisers' key.
        **privacy.sealed(_signer_values(data, now), petition.seal_key),
        # Only for a signer already here (see _SIGN): may this one have an email now?
        "resend_before": now - RESEND_INTERVAL,
        # A sealed petition's verified signer has no readable address left: the one
        # just typed stands in until the email to it is sent (see mail/worker.py).
        "reopen_address": petition.seal_key is not None,
    }
    # New, pending or verified: the same two statements, so that neither the
    # answer nor its timing says which (bench/timing.py measures it).
    signature_id, status, last_email_at = session.execute(_SIGN[_dialect(session)], values).one()
    kind = OutboxKind.VERIFY if status == SignatureStatus.PENDING else OutboxKind.ALREADY_SIGNED
    outbox.enqueue_if(session, last_email_at == now, kind, signature_id, now)
    session.commit()


def _may_claim(session: Session, source: str | None, origin: str | None, base_url: str) -> bool:
    """Tell whether a browser on `origin` may say a partner collected this signature.

    A partner that named its sites may have signatures counted as its own only
    from them (or from our own pages, where its embed lives); without this any
    site could use a partner's code. No Origin (a script, not a browser): nothing
    to judge by.
    """
    if source is None or origin is None or origin == _origin_of(base_url):
        return True
    allowed = session.scalar(select(Partner.allowed_origins).where(Partner.code == source))
    return not allowed or origin.rstrip("/") in allowed


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _signer_values(data: SignatureInput, now: datetime) -> dict[str, Any]:
    """Return what a (new or renewed) signature holds from its form, pending its first email."""
    return {
        "name": data.name,
        "email": data.email,
        "postcode": data.postcode,
        "city": data.city,
        "comment": data.comment,
        "comment_status": CommentStatus.PENDING if data.public or data.comment else None,
        "country": data.country,
        "public": data.public,
        "contact_consent": data.contact_consent,
        "named": bool(data.named),
        "source": data.source,
        "locale": data.locale,
        "status": SignatureStatus.PENDING,
        "emails_sent": 1,
        "last_email_at": now,
    }


def _crowding_read(count_address: bool) -> Select[Any]:
    """Build the read of a petition and of how often one address signed it lately."""
    crowd: Any = literal(0)
    if count_address:
        petition_id = select(Petition.id).where(Petition.slug == bindparam("slug"))
        recent = (
            select(literal(1))
            .where(
                Signature.petition_id == petition_id.scalar_subquery(),
                Signature.ip_key == bindparam("ip_key"),
                Signature.created_at > bindparam("since", type_=UTCDateTime),
            )
            .limit(bindparam("threshold", type_=Integer))
            .subquery()
        )
        crowd = select(func.count()).select_from(recent).scalar_subquery()
    return (
        select(Petition, crowd)
        .where(Petition.slug == bindparam("slug"))
        .options(
            load_only(
                Petition.id,
                Petition.status,
                Petition.closes_at,
                Petition.named_default,
                Petition.seal_key,
            )
        )
    )


# Built once: building and keying this statement afresh cost as much as running it.
READ_WITH_CROWD, READ_WITHOUT_ADDRESS = _crowding_read(True), _crowding_read(False)


def _petition_and_crowding(
    session: Session, slug: str, ip_key: str | None, threshold: int, now: datetime
) -> tuple[Petition, bool]:
    """Return the petition (what signing needs of it) and whether this address is crowded.

    One read instead of two, since signing is the hot path of a viral day; and
    the count stops at the threshold, so a busy network's thousandth signer
    costs no more than its tenth.
    """
    if ip_key is None:
        row = session.execute(READ_WITHOUT_ADDRESS, {"slug": slug}).first()
    else:
        since = now - SHARED_ADDRESS_WINDOW
        parameters = {"slug": slug, "ip_key": ip_key, "since": since, "threshold": threshold}
        row = session.execute(READ_WITH_CROWD, parameters).first()
    if row is None:
        raise PetitionNotFound(slug)
    return row[0], int(row[1]) >= threshold


def _signing(dialect_insert: Any) -> Any:
    """Build the one statement that takes a signature, whoever's it is.

    A new person is inserted. A person already here (the unique index on
    petition and keyed address) keeps their row as it was, except that it
    records one more email when one may go: not invalidated, fewer than the
    most an address may get, and none within the last RESEND_INTERVAL, so the
    form cannot flood an inbox. The row comes back either way; its `last_email_at` equals this
    request's time exactly when an email is due. The conflict takes the row's
    lock (PostgreSQL; SQLite writes one at a time), so concurrent posts of one
    address count one email.
    """
    table = cast(Table, Signature.__table__)
    statement = dialect_insert(table)
    row, new = table.c, statement.excluded
    email_due = and_(
        # An organiser judged an invalidated signature not to be this person's: no more mail.
        row.invalidated_at.is_(None),
        row.emails_sent < MAX_EMAILS_PER_SIGNATURE,
        or_(
            row.last_email_at.is_(None),
            row.last_email_at <= bindparam("resend_before", type_=UTCDateTime),
        ),
    )
    reopen = and_(
        email_due,
        row.status == SignatureStatus.VERIFIED.value,
        bindparam("reopen_address", type_=Boolean),
    )
    return statement.on_conflict_do_update(
        index_elements=[row.petition_id, row.email_key],
        set_={
            "emails_sent": case((email_due, row.emails_sent + 1), else_=row.emails_sent),
            "last_email_at": case((email_due, new.last_email_at), else_=row.last_email_at),
            "email": case((reopen, new.email), else_=row.email),
        },
    ).returning(row.id, row.status, row.last_email_at)


# Built once per dialect: the two spell the same upsert alike, but SQLAlchemy
# keeps their builders apart.
_SIGN = {"postgresql": _signing(postgresql.insert), "sqlite": _signing(sqlite.insert)}


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def forgotten_key(signature_id: int) -> str:
    """Return what stands in a withdrawn signature's email_key: unique, and no one's hash.

    Keyed hashes are 64 hex digits; this starts with "withdrawn", which none can.
    """
    return f"withdrawn:{signature_id}"


def verify(
    session: Session, cache: Cache, token: str, keys: list[str], now: datetime | None = None
) -> Verified:
    """Confirm a signature; confirming again answers the same."""
    now = now or utcnow()
    signature = signature_for_link(
        session, token, keys, tokens.VERIFY, done=SignatureStatus.VERIFIED
    )
    if signature.status == SignatureStatus.WITHDRAWN:
        session.rollback()  # refused: let go of the row at once
        raise SignatureWithdrawn
    if signature.status == SignatureStatus.PENDING:
        signature.status = SignatureStatus.VERIFIED
        signature.verified_at = now
        if signature.counts:
            counting.add(session, signature.petition_id, +1)
        webhooks.enqueue_for(session, signature, now)
        # No email goes to a verified signer: a sealed petition's plain address goes now.
        privacy.settle(signature, signature.petition.seal_key)
    result = Verified(
        petition_slug=signature.petition.slug,
        signature_count=counting.exact(session, signature.petition_id),
        locale=signature.locale,
        withdraw_token=tokens.make(keys, tokens.WITHDRAW, signature.id),
    )
    session.commit()
    counting.forget(cache, result.petition_slug)
    return result


def withdraw(
    session: Session, cache: Cache, token: str, keys: list[str], now: datetime | None = None
) -> Withdrawn:
    """Remove a signature from the count and erase what its signer told us."""
    now = now or utcnow()
    signature = signature_for_link(
        session, token, keys, tokens.WITHDRAW, done=SignatureStatus.WITHDRAWN
    )
    if signature.status != SignatureStatus.WITHDRAWN:
        if signature.counts:
            counting.add(session, signature.petition_id, -1)
        signature.status = SignatureStatus.WITHDRAWN
        signature.withdrawn_at = now
        privacy.erase(signature)
        # Nothing left finds this row by address or network: the keyed hashes go too, and
        # signing again later starts a new signature.
        signature.email_key = forgotten_key(signature.id)
        signature.ip_key = None
        session.execute(delete(OutboxMessage).where(OutboxMessage.signature_id == signature.id))
    result = Withdrawn(petition_slug=signature.petition.slug, locale=signature.locale)
    session.commit()
    counting.forget(cache, result.petition_slug)
    return result


def signature_for_link(
    session: Session,
    token: str,
    keys: list[str],
    purpose: tokens.Purpose,
    done: str,
    *,
    lock: bool = True,
) -> Signature:
    """Return the signature a link's token names; raise InvalidToken or ExpiredToken.

    An expired link still answers when its action was done already: reusing a
    link after success shows the success again, however late.
    """

    def find(link: tokens.Link) -> Signature | None:
        found = (
            _locked(session, link.signature_id)
            if lock
            else session.get(Signature, link.signature_id)
        )
        return found if found is not None and link.names(found.created_at) else None

    try:
        signature = find(tokens.read(keys, purpose, token))
    except tokens.ExpiredToken as expired:
        signature = find(expired.link)
        if signature is None or signature.status != done:
            session.rollback()  # refused: let go of the row at once
            raise
    if signature is None:  # purged since the link was sent, perhaps its id given to another
        session.rollback()
        raise tokens.InvalidToken
    return signature


def link_owner(
    session: Session, token: str, keys: list[str], purpose: tokens.Purpose
) -> Signature | None:
    """Return whose link this is, expired or not (for its page's language); None if broken."""
    try:
        link = tokens.read(keys, purpose, token)
    except tokens.ExpiredToken as expired:
        link = expired.link
    except tokens.InvalidToken:
        return None
    found = session.get(Signature, link.signature_id)
    return found if found is not None and link.names(found.created_at) else None


def _locked(session: Session, signature_id: int) -> Signature | None:
    # The row lock makes a verify and a withdraw of one signature take turns,
    # so the count moves exactly once for each.
    return session.get(Signature, signature_id, with_for_update=True)
