"""The typed tables; query helpers return select() so callers decide how to read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Select,
    String,
    UniqueConstraint,
    false,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from undersign.core.i18n import LOCALES
from undersign.core.privacy import PersonalText


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in UTC, aware in Python on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # PostgreSQL returns aware values, in UTC since every connection sets its
        # time zone to UTC (db.make_engine): nothing to do for each row.
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PetitionStatus(StrEnum):
    """Whether a petition takes signatures (its closing time may end that sooner)."""

    OPEN = "open"
    CLOSED = "closed"


class SignatureStatus(StrEnum):
    """Where a signature is on its way: only verified ones can count."""

    PENDING = "pending"
    VERIFIED = "verified"
    WITHDRAWN = "withdrawn"


class CommentStatus(StrEnum):
    """An organiser's decision on a signer's message for the public wall."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class WallMode(StrEnum):
    """When a signer's entry (first name, city, country, message) reaches the public wall."""

    APPROVE = "approve"  # only once an organiser approved it
    SHOW = "show"  # at once, until an organiser hides it: for low-risk campaigns


class OutboxKind(StrEnum):
    """What an outbox row asks the mailer to deliver."""

    VERIFY = "verify"  # the verification email
    ALREADY_SIGNED = "already_signed"  # to a verified signer who signed again: "you have"
    WEBHOOK = "webhook"  # a verified signature, POSTed to an endpoint
    UPDATE = "update"  # an organisers' update (a Mailing) to one consenting signer


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class Petition(Base):
    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # {"en": {"title": ..., "summary": ..., "body": ..., "target": ...}, "ru": {...}}
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    default_locale: Mapped[str] = mapped_column(String(2), default="en")
    goal: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=PetitionStatus.OPEN)
    closes_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whether a signer who does not choose is named on the list handed to the addressee.
    named_default: Mapped[bool] = mapped_column(default=False, server_default=false())
    wall_mode: Mapped[str] = mapped_column(
        String(10), default=WallMode.APPROVE, server_default=WallMode.APPROVE.value
    )
    # Who holds the signers' data, for the privacy notice.
    organiser_name: Mapped[str | None] = mapped_column(String(120))
    organiser_contact: Mapped[str | None] = mapped_column(String(200))
    # The organisers' public key (base64) when signers' data is sealed to it (sealing.py).
    seal_key: Mapped[str | None] = mapped_column(String(44))
    # Where the confirmation page sends a signer on (https only; thanks.py), unless
    # their partner set one of its own.
    thanks_url: Mapped[str | None] = mapped_column(String(500))
    # Retention (signers/retention.py): personal fields are erased this many days after the
    # petition closes (`closing`). `closed_at` is when an organiser closed it (status closed);
    # `erased_at` when its erasure last ran to the end; `reminded_for` the erase date the last
    # reminder to the organisers was about, `reminded_days` how many days before it that was.
    retention_days: Mapped[int] = mapped_column(default=90, server_default=text("90"))
    closed_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    reminded_for: Mapped[datetime | None]
    reminded_days: Mapped[int | None]

    def text(self, locale: str) -> dict[str, str]:
        """Return the petition's text in `locale`, field by field falling back."""
        chain = [locale, self.default_locale, *LOCALES]
        fields = ("title", "summary", "body", "target")
        return {
            field: next(
                (self.texts[lc][field] for lc in chain if self.texts.get(lc, {}).get(field)), ""
            )
            for field in fields
        }

    def is_open(self, now: datetime) -> bool:
        return takes_signatures(self.status, self.closes_at, now)

    @property
    def closing(self) -> datetime | None:
        """When it stops (or stopped) taking signatures; None while open with no closing time.

        The earlier of its closing time and the moment an organiser closed it: a petition
        closed by hand after its closing time had passed closed at that time.
        """
        moments = [self.closes_at] if self.closes_at else []
        if self.status == PetitionStatus.CLOSED and self.closed_at:
            moments.append(self.closed_at)
        return min(moments, default=None)

    @property
    def erases_at(self) -> datetime | None:
        """When its signers' personal fields are erased (retention.erase_due); None while open."""
        closing = self.closing
        return closing + timedelta(days=self.retention_days) if closing else None


def takes_signatures(status: str, closes_at: datetime | None, now: datetime) -> bool:
    """Does a petition with this status and closing time take signatures at `now`?"""
    return status == PetitionStatus.OPEN and (closes_at is None or now < closes_at)


class CountShard(Base):
    """One of several rows whose sum is a petition's verified count.

    Verifications land on a random shard, so a viral petition's count is not a
    single hot row that every verifying transaction queues on.
    """

    __tablename__ = "count_shards"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)


class Signature(Base):
    __tablename__ = "signatures"
    __table_args__ = (
        # One row per spelling of an address: concurrent posts of one typed address
        # leave one row, and each spelling's email goes to that spelling alone.
        UniqueConstraint("petition_id", "spelling_key", name="uq_signature_spelling"),
        # One confirmed signature per person: the first spelling confirmed owns it.
        Index(
            "uq_signature_person",
            "petition_id",
            "email_key",
            unique=True,
            sqlite_where=text("status = 'verified'"),
            postgresql_where=text("status = 'verified'"),
        ),
        # A person's spellings, for the cap on how many a window may email (signing.py).
        Index("ix_signature_spellings", "petition_id", "email_key", "created_at"),
        Index("ix_signature_shared_address", "petition_id", "ip_key", "created_at"),
        Index("ix_signature_wall", "petition_id", "status", "verified_at"),
        Index("ix_signature_pending_age", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    # Keyed hashes of the address: the person's (canonical) and the spelling typed (identity.py).
    email_key: Mapped[str] = mapped_column(String(64))
    spelling_key: Mapped[str] = mapped_column(String(64))
    # Signed on the onion service (UNDERSIGN_ONION_URL): its emails' links lead back there.
    by_onion: Mapped[bool] = mapped_column(default=False, server_default=false())
    name: Mapped[str] = mapped_column(PersonalText)
    email: Mapped[str] = mapped_column(PersonalText)
    postcode: Mapped[str | None] = mapped_column(PersonalText)
    city: Mapped[str | None] = mapped_column(PersonalText)
    comment: Mapped[str | None] = mapped_column(PersonalText)
    # On a sealed petition, the wall entry a public signer chose to publish (first
    # name, city, message): the only words of theirs kept in clear (privacy.sealed).
    shown: Mapped[dict[str, str | None] | None] = mapped_column(JSON(none_as_null=True))
    country: Mapped[str] = mapped_column(String(2))
    public: Mapped[bool] = mapped_column(default=False)
    contact_consent: Mapped[bool] = mapped_column(default=False)
    # May the list handed to the addressee carry this signer's name and city?
    named: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str | None] = mapped_column(String(40), index=True)
    locale: Mapped[str] = mapped_column(String(2), default="en")
    status: Mapped[str] = mapped_column(String(10), default=SignatureStatus.PENDING)
    # The wall entry's moderation (name, city and message together; the name is
    # historical): set for every public signature, and for any with a message.
    comment_status: Mapped[str | None] = mapped_column(String(10))
    # Set when many signatures came from one network address: kept, but for review.
    flagged: Mapped[bool] = mapped_column(default=False)
    ip_key: Mapped[str | None] = mapped_column(String(64))
    emails_sent: Mapped[int] = mapped_column(default=0)
    last_email_at: Mapped[datetime | None]
    # Set when the verification email could not be delivered (refused for good,
    # unbuildable, or out of attempts), for organisers to see; cleared once one is.
    email_failed_at: Mapped[datetime | None]
    email_failure: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    invalidated_at: Mapped[datetime | None]
    invalidation_reason: Mapped[str | None] = mapped_column(String(200))
    # What the signature log last recorded of it: "in" the count, "out" of it, or nothing yet
    # (signers/transparency.py appends whatever differs from what counts now). Deferred:
    # only the log's appender reads it.
    logged: Mapped[str | None] = mapped_column(String(3), deferred=True)

    petition: Mapped[Petition] = relationship()

    @property
    def counts(self) -> bool:
        """Is this signature part of the petition's count?"""
        return self.status == SignatureStatus.VERIFIED and self.invalidated_at is None

    @staticmethod
    def counted(petition_id: int) -> Select[Signature]:
        return select(Signature).where(
            Signature.petition_id == petition_id,
            Signature.status == SignatureStatus.VERIFIED,
            Signature.invalidated_at.is_(None),
        )

    @staticmethod
    def narrowed(
        query: Select[Any],
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Select[Any]:
        """Narrow a query of signatures to one partner's, signed from `since` to before `until`."""
        if source:
            query = query.where(Signature.source == source)
        if since:
            query = query.where(Signature.created_at >= since)
        if until:
            query = query.where(Signature.created_at < until)
        return query

    @staticmethod
    def wall(petition: Petition) -> Select[Signature]:
        """Verified signers who chose to be shown and whose entry may be, newest first.

        An entry (first name, city, country, message) waits for an organiser's
        approval, unless the petition shows entries at once until one is hidden.
        """
        shown = [CommentStatus.APPROVED.value]
        if petition.wall_mode == WallMode.SHOW:
            shown.append(CommentStatus.PENDING.value)
        query = Signature.counted(petition.id).where(
            Signature.public.is_(True), Signature.comment_status.in_(shown)
        )
        if petition.seal_key:
            # Sealed: only an entry its signer published in clear has anything to show.
            query = query.where(Signature.shown.is_not(None))
        return query.order_by(Signature.verified_at.desc(), Signature.id.desc())


class OutboxMessage(Base):
    """An email still to send, written in the transaction that made it necessary.

    The row names what to send, not the message itself: the mailer renders it
    when it sends, so neither the address nor a live token is copied here.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), index=True
    )
    # Set for OutboxKind.WEBHOOK: which endpoint the signature goes to.
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    # Set for OutboxKind.UPDATE: which update goes to the signature's signer (none: a test send).
    mailing_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailings.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # The mail ceiling (mail/ceiling.py): when it held this verification email back, when it
    # let it go (then it is not held again), and the keyed hash of its recipient's domain.
    held_at: Mapped[datetime | None] = mapped_column(index=True)
    released_at: Mapped[datetime | None]
    domain_key: Mapped[str | None] = mapped_column(String(64))

    @staticmethod
    def due(now: datetime) -> Select[OutboxMessage]:
        return select(OutboxMessage).where(OutboxMessage.due_at <= now).order_by(OutboxMessage.id)


class OrganiserToken(Base):
    """A named key to the organiser API; only its hash is kept.

    A token with a `partner` sees what that partner collected and, of that,
    only the personal data of signers who agreed to be contacted. Any other token
    may do what its `role` allows (auth.ACTIONS), on the `petitions` it names
    (a list of slugs; None: every petition).
    """

    __tablename__ = "organiser_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    partner: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20), default="owner", server_default="owner")
    petitions: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Partner(Base):
    """An organisation whose site collects signatures under its own `source` code."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the confirmation page sends the partner's signers on (https only; thanks.py).
    thanks_url: Mapped[str | None] = mapped_column(String(500))


class Webhook(Base):
    """Where each newly verified signature is POSTed: for one partner, or one petition."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    # The HMAC key; kept in clear because every delivery is signed with it.
    secret: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner | None] = relationship()
    petition: Mapped[Petition | None] = relationship()


class PetitionImage(Base):
    """A petition's picture as the service re-encoded it: no metadata survives (images.py).

    The bytes live in the database so that every worker on every host serves the
    same picture without a shared disk; they are small (a JPEG of 1200 px or less).
    """

    __tablename__ = "petition_images"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    picture: Mapped[bytes] = mapped_column(LargeBinary)  # the page's, at most 1200 px wide
    social: Mapped[bytes] = mapped_column(LargeBinary)  # 1200x630, for link previews
    width: Mapped[int]
    height: Mapped[int]
    # SHA-256 of both encodings: the ETag, and the version in the picture's address.
    digest: Mapped[str] = mapped_column(String(64))
    # {"en": "Workers at the plant gate", "ru": ...}: what the picture shows, per language.
    alt: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class NewsPost(Base):
    """An organisers' update on the petition page ("we delivered the signatures")."""

    __tablename__ = "news_posts"
    __table_args__ = (Index("ix_news_petition", "petition_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    # {"en": {"title": ..., "body": ... (Markdown)}, "ru": {...}}
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    @staticmethod
    def newest(petition_id: int) -> Select[NewsPost]:
        return (
            select(NewsPost)
            .where(NewsPost.petition_id == petition_id)
            .order_by(NewsPost.published_at.desc(), NewsPost.id.desc())
        )


class Mailing(Base):
    """An update organisers (or one partner) emailed to consenting signers of a petition.

    The request writes this row only; the mailer writes one outbox row per
    recipient in chunks, walking signatures by id from `cursor` up to `last_id`
    (the newest signature when it was sent), so a million recipients never sit
    in one transaction.
    """

    __tablename__ = "mailings"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), index=True
    )
    # {"en": "...", "ru": "..."}: the subject and the Markdown body, per language.
    subjects: Mapped[dict[str, str]] = mapped_column(JSON)
    bodies: Mapped[dict[str, str]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(40))  # a partner's update: its signers only
    # A test send goes to this address alone (the organiser's own), never to signers.
    test_to: Mapped[str | None] = mapped_column(PersonalText)
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_id: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[int] = mapped_column(default=0)
    expanded_at: Mapped[datetime | None]  # every recipient's outbox row is written
    # How many it goes to: counted when sent, then set to `queued` once every row is written
    # (a signer who withdrew or unsubscribed meanwhile is left out). The rows sent or
    # failed are counted here; those still waiting are the outbox's (mailings.progress).
    recipients: Mapped[int] = mapped_column(default=0)
    queued: Mapped[int] = mapped_column(default=0)  # outbox rows written so far
    sent: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)

    petition: Mapped[Petition] = relationship()

    @staticmethod
    def unexpanded() -> Select[Mailing]:
        return select(Mailing).where(Mailing.expanded_at.is_(None)).order_by(Mailing.id)


class Unsubscribe(Base):
    """A signer who wants no more updates about this petition (one signature, one petition)."""

    __tablename__ = "unsubscribes"

    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True
    )
    # The update whose link was used, for its count; None once that update is deleted.
    mailing_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailings.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One change or export: who, when, what, and how many rows it touched."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rows: Mapped[int | None]

    @staticmethod
    def newest() -> Select[AuditEntry]:
        return select(AuditEntry).order_by(AuditEntry.id.desc())


class PaperKind(StrEnum):
    """How paper signatures reached the service."""

    COUNT = "count"  # a number per country and day, as counted from the sheets
    LIST = "list"  # the sheets typed in, a row per signer (a CSV import)


class PaperBatch(Base):
    """One addition of signatures collected on paper: a count, or a typed-in list.

    Paper signatures have no address: they live here, not in `signatures`, so
    no email, mailing or webhook can ever reach them. They join the count (its
    shards), the stats, the exports and the hand-over list.
    """

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(200))
    # How many signatures the batch adds to the count: its rows' numbers summed.
    total: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaperSignature(Base):
    """Signatures on paper: `number` of them in a country on a day (a count), or one named signer.

    A typed-in signer has a name (and may have a city); a count has neither.
    """

    __tablename__ = "paper_signatures"
    __table_args__ = (Index("ix_paper_signature_day", "petition_id", "signed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("paper_batches.id", ondelete="CASCADE"), index=True
    )
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    signed_on: Mapped[date]
    number: Mapped[int] = mapped_column(default=1)
    name: Mapped[str | None] = mapped_column(PersonalText)
    city: Mapped[str | None] = mapped_column(PersonalText)
    # Whether the sheet says this signer may be named to the addressee.
    named: Mapped[bool] = mapped_column(default=False, server_default=false())


class MailSent(Base):
    """A verification email the mailer sent lately, for the mail ceiling to judge (mail/ceiling.py).

    Kept for the ceiling's window only: whether its signature was confirmed since
    tells a flood of invented addresses from people signing.
    """

    __tablename__ = "mail_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), index=True
    )
    # The keyed hash of the recipient's domain (identity.keyed_hash), never the domain.
    domain_key: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(index=True)
    # Sent while its petition or domain was held: what takes from the ceiling's rate a minute.
    under_ceiling: Mapped[bool] = mapped_column(default=False)


class LogEntry(Base):
    """One entry of a petition's signature log (signers/transparency.py): public, and names no one.

    `leaf` is the entry as published (canonical JSON of the other public columns) and
    `leaf_hash` its RFC 9162 hash; `paper_key` (not published) ties a paper entry to its
    batch, so that deleting the batch can be logged as cancelling it.
    """

    __tablename__ = "log_entries"
    __table_args__ = (
        UniqueConstraint("petition_id", "index", name="uq_log_entry_index"),
        Index("ix_log_entry_commitment", "petition_id", "commitment"),
        Index("ix_log_entry_cancels", "petition_id", "cancels"),
        # Paper entries are a handful among many: the mailer looks them up every round.
        Index(
            "ix_log_entry_paper",
            "paper_key",
            sqlite_where=text("paper_key IS NOT NULL"),
            postgresql_where=text("paper_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column("index")  # from 0, the leaf's place in the tree
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    kind: Mapped[str] = mapped_column(String(20))
    minute: Mapped[str] = mapped_column(String(17))  # 2026-12-06T23:50Z
    country: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(6))  # online or paper
    delta: Mapped[int]  # what the entry does to the count: +1, -1, +N, -N
    commitment: Mapped[str | None] = mapped_column(String(64))
    cancels: Mapped[str | None] = mapped_column(String(64))
    paper_key: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogCheckpoint(Base):
    """A signed checkpoint of a petition's log: every one is kept, a witness may ask for any."""

    __tablename__ = "log_checkpoints"
    __table_args__ = (UniqueConstraint("petition_id", "size", name="uq_log_checkpoint_size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    size: Mapped[int]
    count: Mapped[int]  # the count the entries imply: the checkpoint's `count` line
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The roots of the perfect subtrees `size` decomposes into, largest first: the next
    # append starts from them, never from every entry.
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(String())  # the signed note, as served
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @staticmethod
    def latest(petition_id: int) -> Select[LogCheckpoint]:
        return (
            select(LogCheckpoint)
            .where(LogCheckpoint.petition_id == petition_id)
            .order_by(LogCheckpoint.size.desc())
            .limit(1)
        )


class LogWitness(Base):
    """A partner's witness key, pinned by its first cosignature."""

    __tablename__ = "log_witnesses"

    partner: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # signed-note verifier key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogCosignature(Base):
    """A witness's cosignature of a checkpoint (C2SP tlog-cosignature), served beneath it."""

    __tablename__ = "log_cosignatures"
    __table_args__ = (
        UniqueConstraint("checkpoint_id", "partner", name="uq_log_cosignature_partner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("log_checkpoints.id", ondelete="CASCADE"))
    partner: Mapped[str] = mapped_column(String(40))
    witness: Mapped[str] = mapped_column(String(120))  # the partner's name, as pages show it
    line: Mapped[str] = mapped_column(String(400))  # the signature line, "— name base64"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The signatures whose log entries lag what counts now (transparency.DUE_SQL, which migration
# 0012 writes as the index's text): a partial index, so the mailer's look for them every few
# seconds reads only those rows.
_COUNTS = (Signature.status == "verified") & Signature.invalidated_at.is_(None)
_LOG_DUE = (
    (Signature.logged.is_(None) & _COUNTS)
    | ((Signature.logged == "in") & ~_COUNTS)
    | ((Signature.logged == "out") & _COUNTS)
)
Index(
    "ix_signature_log_due", Signature.petition_id, sqlite_where=_LOG_DUE, postgresql_where=_LOG_DUE
)
