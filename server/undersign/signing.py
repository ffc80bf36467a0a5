"""Sign, verify, withdraw: the rules, with no Flask request in sight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from undersign import counting, identity, privacy, tokens, webhooks
from undersign.cache import Cache
from undersign.mail import outbox
from undersign.models import OutboxMessage, Petition, Signature, utcnow
from undersign.validation import SignatureInput

# Signing again while pending re-sends the email, but not so often that the
# form becomes a way to flood someone's inbox.
RESEND_INTERVAL = timedelta(minutes=10)
MAX_EMAILS_PER_SIGNATURE = 5
SHARED_ADDRESS_WINDOW = timedelta(hours=24)


class PetitionNotFound(Exception):
    pass


class PetitionClosed(Exception):
    pass


class SignatureWithdrawn(Exception):
    pass


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


def find_petition(session: Session, slug: str) -> Petition:
    petition = session.scalar(select(Petition).where(Petition.slug == slug))
    if petition is None:
        raise PetitionNotFound(slug)
    return petition


def sign(
    session: Session,
    slug: str,
    data: SignatureInput,
    *,
    identity_key: bytes,
    ip: str | None,
    shared_address_threshold: int,
    now: datetime | None = None,
) -> None:
    """Take a signature and queue its verification email, or re-send to one already pending.

    Says nothing about which happened: whether an address has signed is not
    for the person at the form to learn.
    """
    now = now or utcnow()
    petition = find_petition(session, slug)
    if not petition.is_open(now):
        raise PetitionClosed(slug)
    if data.is_bot:
        return
    petition_id = petition.id
    email_key = identity.email_key(identity_key, data.email)
    ip_key = identity.address_key(identity_key, ip) if ip else None
    signature = Signature(
        petition_id=petition_id,
        email_key=email_key,
        ip_key=ip_key,
        flagged=_crowded_address(session, petition_id, ip_key, shared_address_threshold, now),
        created_at=now,
    )
    _fill(signature, data, now)
    session.add(signature)
    try:
        session.flush()
    except IntegrityError:
        # The unique index saw this person already: start over on their row.
        session.rollback()
        _sign_again(session, petition_id, email_key, data, now)
        return
    outbox.enqueue(session, "verify", signature.id, now)
    session.commit()


def _fill(signature: Signature, data: SignatureInput, now: datetime) -> None:
    signature.name = data.name
    signature.email = data.email
    signature.postcode = data.postcode
    signature.city = data.city
    signature.comment = data.comment
    signature.comment_status = "pending" if data.comment else None
    signature.country = data.country
    signature.public = data.public
    signature.contact_consent = data.contact_consent
    signature.source = data.source
    signature.locale = data.locale
    signature.status = "pending"
    signature.emails_sent = 1
    signature.last_email_at = now


def _crowded_address(
    session: Session, petition_id: int, ip_key: str | None, threshold: int, now: datetime
) -> bool:
    """Has this network address already signed this petition many times today?

    Many real signers share an address (a plant's network, a carrier's NAT), so
    crowding flags signatures for an organiser's review instead of refusing them.
    """
    if ip_key is None:
        return False
    recent = session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(
            Signature.petition_id == petition_id,
            Signature.ip_key == ip_key,
            Signature.created_at > now - SHARED_ADDRESS_WINDOW,
        )
    )
    return (recent or 0) >= threshold


def _sign_again(
    session: Session, petition_id: int, email_key: str, data: SignatureInput, now: datetime
) -> None:
    signature = session.scalar(
        select(Signature)
        .where(Signature.petition_id == petition_id, Signature.email_key == email_key)
        .with_for_update()
    )
    if signature is None:  # withdrawn and purged between our insert and this read
        session.rollback()
        return
    if signature.status == "withdrawn":
        _fill(signature, data, now)
        signature.withdrawn_at = None
        outbox.enqueue(session, "verify", signature.id, now)
    elif signature.status == "pending" and _may_resend(signature, now):
        signature.emails_sent += 1
        signature.last_email_at = now
        outbox.enqueue(session, "verify", signature.id, now)
    session.commit()


def _may_resend(signature: Signature, now: datetime) -> bool:
    if signature.emails_sent >= MAX_EMAILS_PER_SIGNATURE:
        return False
    return signature.last_email_at is None or now - signature.last_email_at >= RESEND_INTERVAL


def verify(
    session: Session, cache: Cache, token: str, keys: list[str], now: datetime | None = None
) -> Verified:
    """Confirm a signature; confirming again answers the same."""
    now = now or utcnow()
    signature = signature_for_link(session, token, keys, tokens.VERIFY, done="verified")
    if signature.status == "withdrawn":
        raise SignatureWithdrawn
    if signature.status == "pending":
        signature.status = "verified"
        signature.verified_at = now
        if signature.counts:
            counting.add(session, signature.petition_id, +1)
        webhooks.enqueue_for(session, signature, now)
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
    signature = signature_for_link(session, token, keys, tokens.WITHDRAW, done="withdrawn")
    if signature.status != "withdrawn":
        if signature.counts:
            counting.add(session, signature.petition_id, -1)
        signature.status = "withdrawn"
        signature.withdrawn_at = now
        privacy.erase(signature)
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

    def find(signature_id: int) -> Signature | None:
        return _locked(session, signature_id) if lock else session.get(Signature, signature_id)

    try:
        signature = find(tokens.read(keys, purpose, token))
    except tokens.ExpiredToken as expired:
        signature = find(expired.signature_id)
        if signature is None or signature.status != done:
            raise
    if signature is None:  # purged since the link was sent
        raise tokens.InvalidToken
    return signature


def _locked(session: Session, signature_id: int) -> Signature | None:
    # The row lock makes a verify and a withdraw of one signature take turns,
    # so the count moves exactly once for each.
    return session.get(Signature, signature_id, with_for_update=True)
