"""What organisers do to signatures: find, invalidate and restore, review, moderate comments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from undersign.core import audit, counting, identity, outbox
from undersign.core.auth import Rights
from undersign.core.cache import Cache
from undersign.core.models import CommentStatus, Petition, Signature, SignatureStatus, utcnow
from undersign.core.privacy import PERSONAL_FIELDS

# A signature's state as organisers filter by it: invalidation overrides status.
STATES = (*(status.value for status in SignatureStatus), "invalidated", "all")
COMMENT_DECISIONS = (CommentStatus.APPROVED, CommentStatus.REJECTED)
MAX_REASON = 200


class SignatureNotFound(LookupError):
    pass


class InvalidAction(ValueError):
    pass


@dataclass(frozen=True)
class Search:
    """What an organiser is looking for; every field narrows the list."""

    text: str | None = None  # part of a name, or a whole email address
    state: str = "all"
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    flagged: bool = False  # only the review queue
    comments: str | None = None  # only comments in this moderation state

    def described(self) -> dict[str, Any]:
        """Return the search for the audit log: what was filtered, never the words looked for."""
        kind = None if not self.text else ("address" if "@" in self.text else "name")
        return {
            "by": kind,
            "state": self.state,
            "source": self.source,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "flagged": self.flagged or None,
            "comments": self.comments,
        }


# The signature's state as an organiser sees it: invalidation overrides status.
signature_state = case(
    (Signature.invalidated_at.is_not(None), "invalidated"), else_=Signature.status
)


def matching(
    petition: Petition, search: Search, rights: Rights, identity_key: bytes
) -> Select[Any]:
    """Select the signatures of `petition` that `search` finds within `rights`, newest first."""
    query = rights.scope(select(Signature).where(Signature.petition_id == petition.id))
    if search.text and "@" in search.text:
        # Addresses are only comparable through their keyed hash: an exact match
        # on the same person (case, +tag and Gmail dots included), using the index.
        query = query.where(Signature.email_key == identity.email_key(identity_key, search.text))
    elif search.text:
        pattern = "%" + search.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Signature.name.ilike(pattern + "%", escape="\\"))
    if search.state != "all":
        query = query.where(signature_state == search.state)
    query = Signature.narrowed(query, search.source, search.since, search.until)
    if search.flagged:
        query = query.where(Signature.flagged.is_(True), Signature.invalidated_at.is_(None))
    if search.comments:  # wall entries: only signers who asked to be on the wall have one
        query = query.where(Signature.comment_status == search.comments, Signature.public.is_(True))
    return query.order_by(Signature.created_at.desc(), Signature.id.desc())


def browse(
    session: Session,
    petition: Petition,
    search: Search,
    rights: Rights,
    identity_key: bytes,
    page: tuple[int, int],
) -> tuple[list[Signature], int]:
    """Return one page of what `search` finds and how many in all; log who looked, and for what.

    Every list of signers an organiser or a partner reads is in the audit log.
    """
    query = matching(petition, search, rights, identity_key)
    number, size = page
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    found = list(session.scalars(query.offset((number - 1) * size).limit(size)))
    audit.record(session, rights, "signature.search", petition.slug, total, **search.described())
    session.commit()
    return found, int(total or 0)


def describe(signature: Signature, rights: Rights) -> dict[str, Any]:
    """Return a signature as `rights` may see it: personal data only where allowed."""
    personal = rights.may_see_personal(signature.source, signature.contact_consent)
    described: dict[str, Any] = {
        "id": signature.id,
        "country": signature.country,
        "source": signature.source,
        "locale": signature.locale,
        "public": signature.public,
        "contact_consent": signature.contact_consent,
        "state": "invalidated" if signature.invalidated_at else signature.status,
        "flagged": signature.flagged,
        "comment_status": signature.comment_status,
        "signed_at": signature.created_at.isoformat(),
        "verified_at": signature.verified_at.isoformat() if signature.verified_at else None,
        "invalidation_reason": signature.invalidation_reason,
        # The verification email could not be delivered: unless a later one is
        # (the signer signs again), this signature cannot be confirmed.
        "email_failed_at": failed.isoformat() if (failed := signature.email_failed_at) else None,
        "email_failure": signature.email_failure,
        "personal_data": personal,
    }
    for field in PERSONAL_FIELDS:
        described[field] = getattr(signature, field) if personal else None
    return described


def change(
    session: Session,
    cache: Cache,
    signature_id: int,
    rights: Rights,
    action: str,
    apply: Callable[[Signature], object],
    **detail: Any,
) -> Signature:
    """Apply one organiser action to a signature under its row lock, log it, and commit."""
    signature = find(session, signature_id, rights)
    slug = signature.petition.slug
    try:
        apply(signature)
    except InvalidAction:
        session.rollback()
        raise
    audit.record(session, rights, action, f"{slug}#{signature_id}", 1, **detail)
    session.commit()
    counting.forget(cache, slug)
    return signature


def find(session: Session, signature_id: int, rights: Rights) -> Signature:
    """Return a signature locked for change, if `rights` reach it."""
    # The row lock makes an organiser's change and a signer's verify or
    # withdraw take turns, so the count moves exactly once for each.
    signature = session.get(Signature, signature_id, with_for_update=True)
    if signature is None or not rights.is_organiser:  # partners change nothing
        raise SignatureNotFound(signature_id)
    if not rights.covers(signature.petition.slug):  # as if it were not there, like its petition
        raise SignatureNotFound(signature_id)
    return signature


def invalidate(signature: Signature, reason: str, now: datetime | None = None) -> bool:
    """Take a signature out of the count for `reason`; return whether anything changed."""
    reason = _reason(reason)
    if signature.invalidated_at is not None:
        return False
    if signature.counts:
        counting.add(_session_of(signature), signature.petition_id, -1)
    signature.invalidated_at = now or utcnow()
    signature.invalidation_reason = reason
    signature.flagged = False  # reviewed: out of the queue
    return True


def restore(signature: Signature) -> bool:
    """Undo an invalidation; return whether anything changed."""
    if signature.invalidated_at is None:
        return False
    signature.invalidated_at = None
    signature.invalidation_reason = None
    if signature.counts:
        counting.add(_session_of(signature), signature.petition_id, +1)
    return True


def clear_flag(signature: Signature) -> bool:
    """Keep a signature the shared-address rule flagged: reviewed, it leaves the queue."""
    changed = signature.flagged
    signature.flagged = False
    return changed


def moderate_comment(signature: Signature, decision: str) -> None:
    """Approve a signer's wall entry (name, city, message together), or keep it off."""
    if decision not in COMMENT_DECISIONS:
        raise InvalidAction("the decision must be approved or rejected")
    if signature.comment_status is None or not signature.public:
        raise InvalidAction("this signature has no entry for the wall")
    signature.comment_status = decision


def decide_many(
    session: Session,
    petition: Petition,
    ids: list[int],
    decision: str,
    rights: Rights,
) -> int:
    """Approve or reject many pending wall entries of one petition at once; return how many."""
    if decision not in COMMENT_DECISIONS:
        raise InvalidAction("the decision must be approved or rejected")
    chosen = session.scalars(
        select(Signature)
        .where(
            Signature.petition_id == petition.id,
            Signature.id.in_(ids),
            Signature.comment_status == CommentStatus.PENDING,
            Signature.public.is_(True),
        )
        .with_for_update()
    ).all()
    for signature in chosen:
        signature.comment_status = decision
    audit.record(session, rights, f"comment.{decision}", petition.slug, len(chosen))
    session.commit()
    return len(chosen)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise InvalidAction(f"a reason of 1-{MAX_REASON} characters is required")
    return reason


def _session_of(signature: Signature) -> Session:
    session = Session.object_session(signature)
    assert session is not None
    return session


def tallies(session: Session, rights: Rights) -> dict[int, dict[str, int]]:
    """Return, per petition id, how many signatures are in each state (within `rights`)."""
    query = rights.share(select(Signature.petition_id, signature_state, func.count()))
    counts: dict[int, dict[str, int]] = {}
    for petition_id, state, n in session.execute(
        query.group_by(Signature.petition_id, signature_state)
    ):
        counts.setdefault(petition_id, dict.fromkeys(STATES[:-1], 0))[state] = n
    return counts


def queues(session: Session, petition: Petition, rights: Rights) -> dict[str, int]:
    """Return what waits: flagged signatures, pending comments, emails the mail ceiling holds."""
    base = rights.share(select(func.count()).where(Signature.petition_id == petition.id))
    flagged = base.where(Signature.flagged.is_(True), Signature.invalidated_at.is_(None))
    # A message for the organisers alone waits for no one: only wall entries are moderated.
    comments = base.where(
        Signature.comment_status == CommentStatus.PENDING,
        Signature.public.is_(True),
        Signature.status == SignatureStatus.VERIFIED,
    )
    held_mail = base.where(Signature.id.in_(outbox.held_signatures()))
    return {
        "review": session.scalar(flagged) or 0,
        "comments": session.scalar(comments) or 0,
        "held_mail": session.scalar(held_mail) or 0,
    }
