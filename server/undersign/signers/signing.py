"""Sign, verify, withdraw: the rules, with no Flask request in sight."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from weakref import WeakKeyDictionary

import psycopg
from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Integer,
    Row,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from undersign.campaigns.petitions import PetitionNotFound
from undersign.core import counting, identity, outbox, privacy, tokens
from undersign.core.cache import Cache
from undersign.core.config import Settings
from undersign.core.models import (
    CommentStatus,
    OutboxKind,
    OutboxMessage,
    Partner,
    Petition,
    PetitionStatus,
    Signature,
    SignatureStatus,
    UTCDateTime,
    takes_signatures,
    utcnow,
)
from undersign.core.validation import SignatureInput
from undersign.organisers import webhooks

# Signing again re-sends the email (or tells a verified signer so), but not so
# often that the form becomes a way to flood someone's inbox.
RESEND_INTERVAL = timedelta(minutes=10)
MAX_EMAILS_PER_SIGNATURE = 5
SHARED_ADDRESS_WINDOW = timedelta(hours=24)
# Spellings of one mailbox with a +tag are endless (victim+1@, victim+2@, ...): so many
# of them get a first email per window, and no more. A spelling without a tag is
# never held back by the others, so no one can use them to keep a signer's own
# address from its email.
TAGGED_SPELLINGS_PER_WINDOW = 3
SPELLING_WINDOW = timedelta(hours=24)


class PetitionClosed(Exception):
    pass


class SignatureWithdrawn(Exception):
    pass


class AlreadySigned(Exception):
    """Another spelling of this address was confirmed first: that signature is the person's."""


@dataclass(frozen=True)
class Client:
    """Where a signature came from: the network address, the page (Origin) it was sent on,
    and whether it came through the onion service."""

    ip: str | None
    origin: str | None = None
    onion: bool = False


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

    Every email goes to the address this post typed: each spelling of an
    address has a row of its own until one of them is confirmed (see verify),
    so a post with another spelling of someone's address cannot take their
    signature or their email.
    """
    with _connection_for_signing(session) as connection:
        _sign(connection, slug, data, settings, client, now or utcnow())


def _sign(
    connection: Connection,
    slug: str,
    data: SignatureInput,
    settings: Settings,
    client: Client,
    now: datetime,
) -> None:
    seal_keys = _seal_keys(connection.engine)
    if slug not in seal_keys or data.is_bot:
        _check_open(connection, slug, now, seal_keys)
        if data.is_bot:
            return
    if not _may_claim(
        connection, data.source, client.origin, (settings.origin, settings.onion_url)
    ):
        data = data.model_copy(update={"source": None})  # counted, but as no partner's
    identity_key = settings.identity_key
    ip_key = identity.address_key(identity_key, client.ip) if client.ip else None
    values = {
        "slug": slug,
        "now": now,
        # Many real signers share an address (a plant's network, a carrier's NAT),
        # so a crowded address flags signatures for review instead of refusing them.
        "since": now - SHARED_ADDRESS_WINDOW,
        "threshold": settings.shared_address_threshold,
        # Only for a signer already here (see _signing): may this one have an email now?
        "resend_before": now - RESEND_INTERVAL,
        "spelling_since": now - SPELLING_WINDOW,
        "spellings": TAGGED_SPELLINGS_PER_WINDOW,
        "untagged": "+" not in data.email.rpartition("@")[0],
    }
    run = _SIGN[connection.dialect.name][ip_key is not None]
    # The petition's seal key is remembered, not read, so that signing is one
    # statement; the statement writes nothing if the key changed meanwhile, and
    # the signature is sealed again to the new one.
    person = {
        "email_key": identity.email_key(identity_key, data.email),
        "spelling_key": identity.spelling_key(identity_key, data.email),
        "ip_key": ip_key,
        "by_onion": client.onion,
    }
    for _ in range(2):
        seal_key = seal_keys[slug]
        form = _signer_values(data, seal_key) | person
        given = values | {"seal_key": seal_key} | {f"v_{name}": v for name, v in form.items()}
        row = run(connection, given)
        if row is not None:
            break
        _check_open(connection, slug, now, seal_keys)
    else:
        raise RuntimeError(f"the seal key of {slug!r} changed twice while signing")
    if connection.dialect.name == "sqlite":  # no INSERT inside a WITH: the outbox row apart
        signature_id, status, last_email_at = row
        kind = OutboxKind.VERIFY if status == SignatureStatus.PENDING else OutboxKind.ALREADY_SIGNED
        outbox.enqueue_if(connection, last_email_at == now, kind, signature_id, now)


@contextmanager
def _connection_for_signing(session: Session) -> Iterator[Connection]:
    """Lend signing a connection: on PostgreSQL, while the session has opened nothing (the
    API), one of its own, autocommitting; else the session's, committed after.

    Signing is one statement on PostgreSQL (see _SIGN), atomic on its own: a transaction
    around it would only add two round trips, and lending the session's connection cost
    every signature the session's own bookkeeping besides (bench/README.md). A session that
    has opened a transaction (a page reads the petition first) holds a connection already,
    and on SQLite the one write lock: signing joins it rather than take a second connection
    or wait for the lock. SQLite's signing is two statements, in that transaction.
    """
    bind = session.get_bind()
    if (
        isinstance(bind, Engine)
        and bind.dialect.name == "postgresql"
        and not session.in_transaction()
    ):
        with bind.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
    else:
        yield session.connection()
        session.commit()


# The seal key of each petition signed in this process, by engine (a process may
# serve several databases: the tests do). Only a hint: see sign().
_SEAL_KEYS: WeakKeyDictionary[Engine, dict[str, str | None]] = WeakKeyDictionary()


def _seal_keys(engine: Engine) -> dict[str, str | None]:
    return _SEAL_KEYS.setdefault(engine, {})


def _check_open(
    connection: Connection, slug: str, now: datetime, seal_keys: dict[str, str | None]
) -> None:
    """Raise PetitionNotFound or PetitionClosed, unless the petition takes signatures now.

    Remembers its seal key on the way.
    """
    row = connection.execute(_PETITION, {"slug": slug}).first()
    if row is None:
        seal_keys.pop(slug, None)
        raise PetitionNotFound(slug)
    status, closes_at, seal_keys[slug] = row
    if not takes_signatures(status, closes_at, now):
        raise PetitionClosed(slug)


def _may_claim(
    connection: Connection,
    source: str | None,
    origin: str | None,
    our_origins: tuple[str, str | None],
) -> bool:
    """Tell whether a browser on `origin` may say a partner collected this signature.

    A partner that named its sites may have signatures counted as its own only
    from them (or from our own pages, where its embed lives); without this any
    site could use a partner's code. No Origin (a script, not a browser): nothing
    to judge by.
    """
    if source is None or origin is None or origin in our_origins:
        return True
    allowed = connection.scalar(select(Partner.allowed_origins).where(Partner.code == source))
    return not allowed or origin.rstrip("/") in allowed


def _signer_values(data: SignatureInput, seal_key: str | None) -> dict[str, Any]:
    """Return what a (new or renewed) signature holds from its form, pending its first email.

    A sealed petition keeps what the signer typed only sealed to its organisers' key;
    `seal_key` must be the one the statement finds on the petition.
    """
    values = {
        "name": data.name,
        "email": data.email,
        "postcode": data.postcode,
        "city": data.city,
        "comment": data.comment,
        "comment_status": CommentStatus.PENDING if data.public or data.comment else None,
        "country": data.country,
        "public": data.public,
        "contact_consent": data.contact_consent,
        "named": data.named,  # None: the petition's default (see _signing)
        "source": data.source,
        "locale": data.locale,
        "shown": None,
        # A sealed petition's verified signer has no readable address left: the one
        # just typed stands in until the email to it is sent (see mail/worker.py).
        "reopen_address": seal_key is not None,
    }
    return privacy.sealed(values, seal_key)


_PETITION = select(Petition.status, Petition.closes_at, Petition.seal_key).where(
    Petition.slug == bindparam("slug")
)
# What the form gives, column by column; the rest of a new row is the statement's.
_FROM_FORM = (
    "name", "email", "postcode", "city", "comment", "comment_status", "country", "public",
    "contact_consent", "source", "locale", "shown", "email_key", "spelling_key", "ip_key",
    "by_onion",
)  # fmt: skip


def _inline(value: str | int) -> Any:
    """Return a constant written into the statement's text, not sent as one more parameter."""
    if isinstance(value, int):
        return literal_column(str(value), Integer)
    return literal_column("'" + value.replace("'", "''") + "'", String)


def _signing(dialect_insert: Any, count_address: bool) -> Any:
    """Build the one statement that takes a signature, whoever's it is.

    The row is written only while the petition takes signatures and still has
    the seal key the values were sealed with; otherwise nothing is written and
    nothing returned. A new spelling is inserted, with its first email unless
    it has a +tag and the person's other spellings had their share of first
    emails this SPELLING_WINDOW. A spelling already here (the unique index on
    petition and keyed spelling) keeps its row as it was, except that it
    records one more email when one may go: not invalidated, fewer than the
    most an address may get, and none within the last RESEND_INTERVAL, so the
    form cannot flood an inbox. The row comes back either way; its
    `last_email_at` equals this request's time exactly when an email is due.
    The conflict takes the row's lock (PostgreSQL; SQLite writes one at a
    time), so concurrent posts of one address count one email.
    """
    table = cast(Table, Signature.__table__)
    petitions = cast(Table, Petition.__table__)
    now = bindparam("now", type_=UTCDateTime)
    given = [bindparam(f"v_{name}", type_=table.c[name].type) for name in _FROM_FORM]

    def recent(key: str, since: str, most: str) -> Any:
        """Count this petition's rows with the post's `key` made after `since`, up to `most`.

        The count stops there: a busy network's thousandth signer costs no more than its tenth.
        """
        rows = (
            select(_inline(1))
            .where(
                table.c.petition_id == petitions.c.id,
                table.c[key] == bindparam(f"v_{key}"),
                table.c.created_at > bindparam(since, type_=UTCDateTime),
            )
            .correlate(petitions)  # the petition row the signature goes to, found once
            .limit(bindparam(most, type_=Integer))
            .subquery()
        )
        return select(func.count()).select_from(rows).scalar_subquery()

    first_email = or_(
        bindparam("untagged", type_=Boolean),
        recent("email_key", "spelling_since", "spellings") < bindparam("spellings", type_=Integer),
    )
    flagged: Any = false()
    if count_address:
        flagged = recent("ip_key", "since", "threshold") >= bindparam("threshold", type_=Integer)
    # The petition with what it decides for this signature, each worked out once.
    petition = (
        select(
            petitions.c.id,
            petitions.c.named_default,
            flagged.label("flagged"),
            first_email.label("first_email"),
        )
        .where(
            petitions.c.slug == bindparam("slug"),
            petitions.c.status == _inline(PetitionStatus.OPEN.value),
            or_(petitions.c.closes_at.is_(None), petitions.c.closes_at > now),
            petitions.c.seal_key.is_not_distinct_from(bindparam("seal_key", type_=String)),
        )
        .subquery("petition")
    )
    named = func.coalesce(bindparam("v_named", type_=Boolean), petition.c.named_default)
    # SQLite would read the ON of ON CONFLICT right after a FROM as a join's: a WHERE goes between.
    taken = select(
        petition.c.id, *given, named, petition.c.flagged, now,
        _inline(SignatureStatus.PENDING.value),
        case((petition.c.first_email, _inline(1)), else_=_inline(0)),
        case((petition.c.first_email, now), else_=None),
    ).where(true())  # fmt: skip
    columns = [
        "petition_id", *_FROM_FORM, "named", "flagged", "created_at", "status", "emails_sent",
        "last_email_at",
    ]  # fmt: skip
    statement = dialect_insert(table).from_select(columns, taken)
    row, new = table.c, statement.excluded
    email_due = and_(
        # An organiser judged an invalidated signature not to be this person's: no more mail.
        row.invalidated_at.is_(None),
        row.emails_sent < _inline(MAX_EMAILS_PER_SIGNATURE),
        or_(
            row.last_email_at.is_(None),
            row.last_email_at <= bindparam("resend_before", type_=UTCDateTime),
        ),
    )
    reopen = and_(
        email_due,
        row.status == _inline(SignatureStatus.VERIFIED.value),
        bindparam("v_reopen_address", type_=Boolean),
    )
    return statement.on_conflict_do_update(
        index_elements=[row.petition_id, row.spelling_key],
        set_={
            "emails_sent": case((email_due, row.emails_sent + _inline(1)), else_=row.emails_sent),
            "last_email_at": case((email_due, now), else_=row.last_email_at),
            "email": case((reopen, new.email), else_=row.email),
            # The next email's links lead to where this post was made.
            "by_onion": case((email_due, new.by_onion), else_=row.by_onion),
        },
    ).returning(row.id, row.status, row.last_email_at)


def _with_its_email(signing: Any) -> Any:
    """Wrap the signing statement so that it also queues the email due, as one statement.

    PostgreSQL runs an INSERT inside a WITH, atomically with the rest: the
    signature and its outbox row exist together or not at all.
    """
    signed = signing.cte("signed")
    messages = cast(Table, OutboxMessage.__table__)
    kind = case(
        (
            signed.c.status == _inline(SignatureStatus.PENDING.value),
            _inline(OutboxKind.VERIFY.value),
        ),
        else_=_inline(OutboxKind.ALREADY_SIGNED.value),
    )
    due = bindparam("now", type_=UTCDateTime)
    # Every column given: a default computed in Python would not reach a statement in a WITH.
    queued = insert(messages).from_select(
        ["kind", "signature_id", "due_at", "created_at", "attempts"],
        select(kind, signed.c.id, due, due, _inline(0)).where(signed.c.last_email_at == due),
    )
    return select(signed.c.id, signed.c.status, signed.c.last_email_at).add_cte(
        queued.cte("queued")
    )


# Runs the signing statement; returns the signature's id, status and last_email_at, or None.
Run = Callable[[Connection, dict[str, Any]], Row[int, str, datetime | None] | None]


def _on_postgresql(statement: Any) -> Run:
    """Return a runner of `statement` on PostgreSQL, compiled once to the driver's own SQL.

    The values go to psycopg as they are (aware UTC times, the wall entry as JSON
    text), on psycopg's own cursor: SQLAlchemy's per-execution work for a statement
    of thirty values (its parameters, types, events and the result it builds from
    the cursor's description) cost a signature more CPU than psycopg's own
    (bench/README.md). A failure is still SQLAlchemy's to judge and name (_translated).
    The statement stays within psycopg's cache of parsed queries (4096 bytes, 50
    values): past either, psycopg parses it anew for every signature.
    """
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())  # type: ignore[no-untyped-call]
    sql, constants = compiled.string, compiled.params

    def run(connection: Connection, values: dict[str, Any]) -> Any:
        shown = values["v_shown"]
        values = values | {"v_shown": None if shown is None else json.dumps(shown)}
        driver = cast(psycopg.Connection[Any], connection.connection.driver_connection)
        with _translated(connection, driver, sql), driver.cursor() as cursor:
            cursor.execute(sql, constants | values)
            return cursor.fetchone()

    return run


@contextmanager
def _translated(connection: Connection, driver: Any, sql: str) -> Iterator[None]:
    """Raise psycopg's failures as SQLAlchemy raises them for its own statements.

    The app answers SQLAlchemy's exceptions (web/errors.py: a value the database
    refuses is a 400, a connection cut a 503), and a connection found cut is dropped
    from the pool, not lent to the next signer. The values stay out of the exception:
    they are a signer's.
    """
    try:
        yield
    except psycopg.Error as error:
        cut = connection.dialect.is_disconnect(cast(Any, error), driver, None)  # a DB-API error
        if cut:
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql,
            None,
            error,
            psycopg.Error,
            hide_parameters=True,
            connection_invalidated=cut,
            dialect=connection.dialect,
        ) from error


def _on_sqlite(statement: Any) -> Run:
    return lambda connection, values: connection.execute(statement, values).first()


# Built once per dialect and per kind of client (with a network address or
# without): building and keying a statement afresh costs as much as running it.
_SIGN = {
    "postgresql": {
        counted: _on_postgresql(_with_its_email(_signing(postgresql.insert, counted)))
        for counted in (False, True)
    },
    "sqlite": {counted: _on_sqlite(_signing(sqlite.insert, counted)) for counted in (False, True)},
}


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
        _claim(session, signature)
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


def _claim(session: Session, signature: Signature) -> None:
    """Make `signature` its person's confirmed one, or raise AlreadySigned.

    Whoever confirms first, from a link sent to the spelling they typed, owns
    the signature; the unique index on confirmed persons settles a race between
    two spellings confirmed at once. The other spelling's row stays pending.
    """
    signature.status = SignatureStatus.VERIFIED
    try:
        session.flush()
    except IntegrityError:  # another spelling of the address was confirmed first
        session.rollback()  # refused: let go of the row at once
        raise AlreadySigned from None


def withdraw(
    session: Session, cache: Cache, token: str, keys: list[str], now: datetime | None = None
) -> Withdrawn:
    """Remove a signature from the count and erase what its signer told us."""
    now = now or utcnow()
    signature = signature_for_link(
        session, token, keys, tokens.WITHDRAW, done=SignatureStatus.WITHDRAWN, now=now
    )
    if signature.status != SignatureStatus.WITHDRAWN:
        if signature.counts:
            counting.add(session, signature.petition_id, -1)
        signature.status = SignatureStatus.WITHDRAWN
        signature.withdrawn_at = now
        privacy.erase(signature)
        # Nothing left finds this row by address or network: the keyed hashes go too, and
        # signing again later starts a new signature.
        signature.email_key = signature.spelling_key = forgotten_key(signature.id)
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
    now: datetime | None = None,
) -> Signature:
    """Return the signature a link's token names; raise InvalidToken or ExpiredToken.

    An expired link still answers when its action was done already: reusing a
    link after success shows the success again, however late. A link that lasts as
    long as the data (`until_erased`: withdrawing) expires when its petition's
    retention erases it (Petition.erases_at), known only once the row is found.
    """

    def find(link: tokens.Link) -> Signature | None:
        found = (
            _locked(session, link.signature_id)
            if lock
            else session.get(Signature, link.signature_id)
        )
        return found if found is not None and link.names(found.created_at) else None

    try:
        link = tokens.read(keys, purpose, token)
        signature = find(link)
        if signature is not None and purpose.until_erased:
            erases_at = signature.petition.erases_at
            if erases_at is not None and (now or utcnow()) >= erases_at:
                raise tokens.ExpiredToken(link)
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
