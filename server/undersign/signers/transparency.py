"""The signature log: each petition's public, append-only record of what moved its count.

Every change to the count becomes an entry: a signature confirmed (`signed`), withdrawn,
invalidated or restored by an organiser, paper signatures added (`paper`) or their batch
deleted (`paper_removed`). Entries are the leaves of a Merkle tree (RFC 9162, core/merkle.py);
after each batch of them the server signs a checkpoint (C2SP tlog-checkpoint, core/notes.py)
naming the tree's size, root and the count the entries imply. Witnesses (partners abroad)
check that each checkpoint extends the last and cosign it.

An entry names no one. A signature's entry carries a *commitment*: the SHA-256 of a receipt
only its signer was shown. The receipt is derived, not stored (`receipt`): the server keeps
the commitment, in the log, and nothing that leads from it back to the signature. A
cancellation names the commitment it cancels, recomputed the same way.

Appending is batched: the mailer calls `log_due` every round, and at most every
`INTERVAL` seconds it finds what changed (`signatures.logged` differs from what counts now;
a paper batch is new or gone), appends it and signs a checkpoint, per petition in one
transaction under the petition's row lock, so two mailers never append the same change.

The leaf is canonical: the entry's public fields as compact JSON with sorted keys, ASCII,
every key present (null where it does not apply):
``{"cancels":…,"channel":…,"commitment":…,"country":…,"delta":…,"kind":…,"minute":…}``.
Anyone can rebuild it from the JSON the API serves (`leaf`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from nacl.signing import SigningKey
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from undersign.campaigns import petitions
from undersign.core import merkle, notes, tokens
from undersign.core.config import Settings
from undersign.core.models import (
    LogCheckpoint,
    LogCosignature,
    LogEntry,
    LogWitness,
    PaperBatch,
    PaperSignature,
    Partner,
    Petition,
    Signature,
    SignatureStatus,
    utcnow,
)
from undersign.signers import signing

log = logging.getLogger(__name__)

# How often the mailer looks for changes: a change is in a signed checkpoint well inside a minute.
INTERVAL = 10.0
# Changes appended to one petition's log in one transaction; the rest wait for the next round.
BATCH = 5000
# Signatures one UPDATE marks logged.
UPDATE_ROWS = 1000
# Entries one request may read.
PAGE_MOST = 1000
# How many of the newest checkpoints a cosignature without a size is tried against.
RECENT = 20

ONLINE, PAPER = "online", "paper"
SIGNED, WITHDRAWN, INVALIDATED, RESTORED = "signed", "withdrawn", "invalidated", "restored"
PAPER_ADDED, PAPER_REMOVED = "paper", "paper_removed"
KINDS = (SIGNED, WITHDRAWN, INVALIDATED, RESTORED, PAPER_ADDED, PAPER_REMOVED)
# What `signatures.logged` holds: its last entry put it in the count, or took it out.
IN, OUT = "in", "out"

# A signature whose log entries lag what counts now. The same text is the partial index's
# predicate (migration 0012), so the planner finds the few due rows without a scan.
DUE_SQL = (
    "logged IS NULL AND status = 'verified' AND invalidated_at IS NULL"
    " OR logged = 'in' AND NOT (status = 'verified' AND invalidated_at IS NULL)"
    " OR logged = 'out' AND status = 'verified' AND invalidated_at IS NULL"
)

RECEIPT_LENGTH = 20  # base32 characters: 100 bits, in five groups of four
RECEIPT = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){4}")
COMMITMENT = re.compile(r"[0-9a-f]{64}")


class LogError(LookupError):
    """What a log request asks for is not there, or cannot be; `status` says how to answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --- receipts ----------------------------------------------------------------------------


def receipt(settings: Settings, signature_id: int, created_at: datetime) -> str:
    """Return the receipt of a signature: derived from the log key, so never stored.

    It is a MAC of the signature's id and creation time: only the server can make it,
    the same every time, and nothing in the log leads back from its hash to the row.
    """
    moment = created_at.astimezone(UTC).isoformat()
    message = f"undersign receipt\n{signature_id}\n{moment}".encode()
    mac = hmac.digest(settings.log_key.encode(), message, "sha256")
    letters = base64.b32encode(mac).decode()[:RECEIPT_LENGTH]
    return "-".join(letters[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def commitment(receipt_text: str) -> str:
    """Return the commitment of a receipt as printed: hex SHA-256 of its text."""
    return hashlib.sha256(receipt_text.encode()).hexdigest()


def receipt_of(settings: Settings, signature: Signature) -> str:
    return receipt(settings, signature.id, signature.created_at)


# --- entries -----------------------------------------------------------------------------


def minute(moment: datetime) -> str:
    """Return a moment to the minute, UTC: 2026-12-06T23:50Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def leaf(
    kind: str,
    minute: str,
    country: str,
    channel: str,
    delta: int,
    commitment: str | None,
    cancels: str | None,
) -> bytes:
    """Return an entry's leaf: its public fields as canonical JSON (sorted keys, no spaces)."""
    fields = {
        "cancels": cancels,
        "channel": channel,
        "commitment": commitment,
        "country": country,
        "delta": delta,
        "kind": kind,
        "minute": minute,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def described(entry: LogEntry) -> dict[str, Any]:
    """Return an entry as the API serves it: its fields, its index and its leaf (base64)."""
    return {
        "index": entry.index,
        "kind": entry.kind,
        "minute": entry.minute,
        "country": entry.country,
        "channel": entry.channel,
        "delta": entry.delta,
        "commitment": entry.commitment,
        "cancels": entry.cancels,
        "leaf": base64.b64encode(entry.leaf).decode(),
    }


@dataclass
class _Change:
    """One entry to append, before it has an index."""

    kind: str
    at: datetime
    country: str
    channel: str
    delta: int
    commitment: str | None = None
    cancels: str | None = None
    paper_key: str | None = None

    def leaf(self) -> bytes:
        return leaf(
            self.kind,
            minute(self.at),
            self.country,
            self.channel,
            self.delta,
            self.commitment,
            self.cancels,
        )


# --- the Merkle tree's right edge --------------------------------------------------------
# A checkpoint keeps the roots of the perfect subtrees its size decomposes into (at most
# 64 hashes): appending a leaf and computing the root then cost O(log n), never a pass
# over every entry. merkle.root over all leaves gives the same root (the tests compare).


def _unpack(frontier: bytes) -> list[bytes]:
    return [frontier[i : i + merkle.HASH_SIZE] for i in range(0, len(frontier), merkle.HASH_SIZE)]


def _extend(frontier: list[bytes], size: int, leaf_hash: bytes) -> list[bytes]:
    """Append one leaf to a tree of `size` leaves, given by its subtrees' roots."""
    frontier = [*frontier, leaf_hash]
    while size & 1:  # each trailing 1 in the old size closes a subtree
        right, left = frontier.pop(), frontier.pop()
        frontier.append(merkle.node_hash(left, right))
        size >>= 1
    return frontier


def _root(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return merkle.EMPTY_ROOT
    found = frontier[-1]
    for left in reversed(frontier[:-1]):
        found = merkle.node_hash(left, found)
    return found


# --- appending ---------------------------------------------------------------------------


def log_due(sessions: sessionmaker[Session], settings: Settings) -> int:
    """Append what changed, at most every INTERVAL seconds; return how many entries.

    The mailer calls it every round. A failure is logged, never raised: emails come first.
    """
    now = time.monotonic()
    if now < _next_look.get(sessions, 0.0):
        return 0
    _next_look[sessions] = now + INTERVAL
    try:
        return append(sessions, settings)
    except Exception:
        log.exception("the signature log could not be appended to; it tries again")
        return 0


# When each database's appender (one sessionmaker a process) looks next, by monotonic clock.
_next_look: weakref.WeakKeyDictionary[sessionmaker[Session], float] = weakref.WeakKeyDictionary()


def append(sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None) -> int:
    """Append every change not yet in the logs and sign their checkpoints; return the entries."""
    with sessions() as session:
        due = set(session.scalars(select(Signature.petition_id).where(text(DUE_SQL)).distinct()))
        papers = _paper_changes(session)
    appended = 0
    for petition_id in sorted(due | set(papers)):
        while True:
            with sessions.begin() as session:
                added, more = _append_petition(
                    session, settings, petition_id, papers.pop(petition_id, None), now
                )
            appended += added
            if not more:
                break
    return appended


def _append_petition(
    session: Session,
    settings: Settings,
    petition_id: int,
    papers: list[_Change] | None,
    now: datetime | None,
) -> tuple[int, bool]:
    """Append one petition's changes (up to BATCH) and sign a checkpoint; return (n, more?)."""
    # The row lock makes two appenders (two mailers) take turns: each reads what is due
    # only once it holds the lock, so no change is appended twice.
    petition = session.get(Petition, petition_id, with_for_update=True)
    if petition is None:
        return 0, False
    now = now or utcnow()
    rows = session.execute(
        select(
            Signature.id,
            Signature.created_at,
            Signature.status,
            Signature.invalidated_at,
            Signature.verified_at,
            Signature.withdrawn_at,
            Signature.country,
            Signature.logged,
        )
        .where(Signature.petition_id == petition_id, text(DUE_SQL))
        .order_by(Signature.id)
        .limit(BATCH + 1)
    ).all()
    more = len(rows) > BATCH
    changes: list[tuple[_Change, int | None, str]] = []
    for row in rows[:BATCH]:
        made = _signature_change(settings, row, now)
        changes.append((made, row.id, IN if made.delta > 0 else OUT))
    # Paper changes are read again under the lock: another appender may have written them.
    if papers is not None:
        found = _paper_changes(session, petition_id).get(petition_id, [])
        changes += [(change, None, "") for change in found]
    if not changes:
        return 0, more
    changes.sort(key=lambda found: found[0].at)
    _write(session, settings, petition, [change for change, _, _ in changes], now)
    for state in (IN, OUT):
        ids = [sid for _, sid, logged in changes if sid is not None and logged == state]
        for start in range(0, len(ids), UPDATE_ROWS):
            session.execute(
                update(Signature)
                .where(Signature.id.in_(ids[start : start + UPDATE_ROWS]))
                .values(logged=state)
                .execution_options(synchronize_session=False)
            )
    return len(changes), more


def _signature_change(settings: Settings, row: Any, now: datetime) -> _Change:
    made = commitment(receipt(settings, row.id, row.created_at))
    counts = row.status == SignatureStatus.VERIFIED and row.invalidated_at is None
    if counts and row.logged is None:
        return _Change(SIGNED, row.verified_at or now, row.country, ONLINE, +1, commitment=made)
    if counts:
        return _Change(RESTORED, now, row.country, ONLINE, +1, commitment=made)
    if row.status == SignatureStatus.WITHDRAWN:
        return _Change(WITHDRAWN, row.withdrawn_at or now, row.country, ONLINE, -1, cancels=made)
    return _Change(INVALIDATED, row.invalidated_at or now, row.country, ONLINE, -1, cancels=made)


def _paper_key(batch_id: int, created_at: datetime) -> str:
    # With its creation time: SQLite may give a deleted batch's id to the next one.
    return f"{batch_id}@{created_at.astimezone(UTC).isoformat()}"


def _paper_changes(session: Session, petition_id: int | None = None) -> dict[int, list[_Change]]:
    """Return the paper changes not yet logged, by petition (of one petition, if named)."""
    batches = select(PaperBatch.id, PaperBatch.petition_id, PaperBatch.created_at)
    logged = select(LogEntry.petition_id, LogEntry.paper_key, LogEntry.kind).where(
        LogEntry.paper_key.is_not(None)
    )
    entries = select(LogEntry).where(LogEntry.paper_key.is_not(None), LogEntry.kind == PAPER_ADDED)
    if petition_id is not None:
        batches = batches.where(PaperBatch.petition_id == petition_id)
        logged = logged.where(LogEntry.petition_id == petition_id)
        entries = entries.where(LogEntry.petition_id == petition_id)
    present = {_paper_key(row.id, row.created_at): row for row in session.execute(batches)}
    seen: dict[str, set[str]] = defaultdict(set)
    for row in session.execute(logged):
        seen[row.paper_key].add(row.kind)
    found: dict[int, list[_Change]] = defaultdict(list)
    now = utcnow()
    for key, batch in present.items():
        if key in seen:
            continue
        by_country = session.execute(
            select(PaperSignature.country, func.sum(PaperSignature.number))
            .where(PaperSignature.batch_id == batch.id)
            .group_by(PaperSignature.country)
            .order_by(PaperSignature.country)
        ).all()
        for country, number in by_country:
            found[batch.petition_id].append(
                _Change(
                    PAPER_ADDED,
                    batch.created_at,
                    country,
                    PAPER,
                    int(number),
                    commitment=secrets.token_hex(32),
                    paper_key=key,
                )
            )
    gone = {key for key, kinds in seen.items() if key not in present and PAPER_REMOVED not in kinds}
    if gone:
        for entry in session.scalars(entries.where(LogEntry.paper_key.in_(gone))):
            found[entry.petition_id].append(
                _Change(
                    PAPER_REMOVED,
                    now,
                    entry.country,
                    PAPER,
                    -entry.delta,
                    cancels=entry.commitment,
                    paper_key=entry.paper_key,
                )
            )
    return dict(found)


def _write(
    session: Session,
    settings: Settings,
    petition: Petition,
    changes: list[_Change],
    now: datetime,
) -> LogCheckpoint:
    """Append `changes` to a petition's log and sign the checkpoint that follows them."""
    last = session.scalar(LogCheckpoint.latest(petition.id))
    size = last.size if last else 0
    count = last.count if last else 0
    frontier = _unpack(last.frontier) if last else []
    rows = []
    for change in changes:
        data = change.leaf()
        hashed = merkle.leaf_hash(data)
        rows.append(
            {
                "petition_id": petition.id,
                "index": size,
                "leaf": data,
                "leaf_hash": hashed,
                "kind": change.kind,
                "minute": minute(change.at),
                "country": change.country,
                "channel": change.channel,
                "delta": change.delta,
                "commitment": change.commitment,
                "cancels": change.cancels,
                "paper_key": change.paper_key,
                "created_at": now,
            }
        )
        frontier = _extend(frontier, size, hashed)
        size += 1
        count += change.delta
    session.execute(insert(LogEntry), rows)  # one executemany (psycopg: pipelined)
    checkpoint = LogCheckpoint(
        petition_id=petition.id,
        size=size,
        count=count,
        root=_root(frontier),
        frontier=b"".join(frontier),
        created_at=now,
    )
    checkpoint.note = _signed_note(settings, petition.slug, checkpoint)
    session.add(checkpoint)
    return checkpoint


def origin(settings: Settings, slug: str) -> str:
    """Return a petition log's origin line: <host>/p/<slug>."""
    return f"{urlsplit(settings.base_url).netloc}/p/{slug}"


@lru_cache(maxsize=256)
def _signer(log_key: str, name: str) -> notes.Signer:
    seed64 = log_key.split("+", 4)[4]
    public = bytes(SigningKey(base64.b64decode(seed64)[1:]).verify_key)
    key_id = notes.key_id(name, notes.ED25519, public).hex()
    return notes.Signer(f"PRIVATE+KEY+{name}+{key_id}+{seed64}")


def signer(settings: Settings, slug: str) -> notes.Signer:
    """Return the petition log's signer: the log key's, named as tlog-checkpoint asks, by origin.

    Every petition's log is signed with the one UNDERSIGN_LOG_KEY; only its name differs.
    """
    return _signer(settings.log_key, origin(settings, slug))


def _signed_note(settings: Settings, slug: str, checkpoint: LogCheckpoint) -> str:
    body = notes.Checkpoint(
        origin(settings, slug), checkpoint.size, checkpoint.root, (f"count {checkpoint.count}",)
    ).body()
    return notes.sign(body, [signer(settings, slug)])


# --- reading -----------------------------------------------------------------------------


def _petition(session: Session, slug: str) -> Petition:
    return petitions.find(session, slug)


def _latest(session: Session, petition: Petition) -> LogCheckpoint:
    found = session.scalar(LogCheckpoint.latest(petition.id))
    if found is None:
        raise LogError(404, "no_checkpoint", "This petition's log has no entries yet.")
    return found


def checkpoint_note(session: Session, slug: str, size: int | None = None) -> str:
    """Return the latest signed checkpoint (or the one of `size`), with its cosignatures."""
    petition = _petition(session, slug)
    found: LogCheckpoint | None = _latest(session, petition)
    if size is not None:
        found = session.scalar(
            select(LogCheckpoint).where(
                LogCheckpoint.petition_id == petition.id, LogCheckpoint.size == size
            )
        )
    if found is None:
        raise LogError(404, "no_checkpoint", f"No checkpoint has size {size}.")
    lines = session.scalars(
        select(LogCosignature.line)
        .where(LogCosignature.checkpoint_id == found.id)
        .order_by(LogCosignature.id)
    ).all()
    return found.note + "".join(f"{line}\n" for line in lines)


def checkpoints(session: Session, slug: str, start: int) -> dict[str, Any]:
    """List the kept checkpoints, oldest first, from the `start`th: PAGE_MOST at most."""
    petition = _petition(session, slug)
    rows = session.execute(
        select(LogCheckpoint.size, LogCheckpoint.count, LogCheckpoint.created_at)
        .where(LogCheckpoint.petition_id == petition.id)
        .order_by(LogCheckpoint.size)
        .offset(start)
        .limit(PAGE_MOST + 1)
    ).all()
    listed = [
        {"size": size, "count": count, "signed_at": at.astimezone(UTC).isoformat()}
        for size, count, at in rows[:PAGE_MOST]
    ]
    return {"checkpoints": listed, "has_more": len(rows) > PAGE_MOST}


def verifier_key(session: Session, settings: Settings, slug: str) -> str:
    """Return a petition log's verifier key (signed-note vkey)."""
    return signer(settings, _petition(session, slug).slug).vkey


def entries(session: Session, slug: str, start: int, end: int | None) -> dict[str, Any]:
    """Return entries [start, end) of a petition's log, at most PAGE_MOST of them."""
    petition = _petition(session, slug)
    size = _latest(session, petition).size
    end = min(size, start + PAGE_MOST) if end is None else end
    if start >= size:
        raise LogError(416, "out_of_range", f"start must be below the tree size, {size}.")
    if end <= start or end > size:
        raise LogError(416, "out_of_range", f"end must be above start and at most {size}.")
    if end - start > PAGE_MOST:
        raise LogError(416, "out_of_range", f"At most {PAGE_MOST} entries a request.")
    found = session.scalars(
        select(LogEntry)
        .where(LogEntry.petition_id == petition.id, LogEntry.index >= start, LogEntry.index < end)
        .order_by(LogEntry.index)
    )
    return {"tree_size": size, "entries": [described(entry) for entry in found]}


def _leaf_hashes(session: Session, petition_id: int, size: int) -> list[bytes]:
    return list(
        session.scalars(
            select(LogEntry.leaf_hash)
            .where(LogEntry.petition_id == petition_id, LogEntry.index < size)
            .order_by(LogEntry.index)
        )
    )


def _size(session: Session, petition: Petition, size: int | None) -> int:
    latest = _latest(session, petition).size
    if size is None:
        return latest
    if not 1 <= size <= latest:
        raise LogError(416, "out_of_range", f"size must be from 1 to the tree size, {latest}.")
    return size


def inclusion(session: Session, slug: str, commitment_hex: str, size: int | None) -> dict[str, Any]:
    """Prove the newest entry naming a commitment (its signature, or what cancelled it)."""
    petition = _petition(session, slug)
    size = _size(session, petition, size)
    names = (LogEntry.commitment == commitment_hex) | (LogEntry.cancels == commitment_hex)
    entry = session.scalar(
        select(LogEntry)
        .where(LogEntry.petition_id == petition.id, LogEntry.index < size, names)
        .order_by(LogEntry.index.desc())
        .limit(1)
    )
    if entry is None:
        raise LogError(404, "not_in_log", "No entry of this log names that commitment.")
    hashes = merkle.inclusion_proof(entry.index, _leaf_hashes(session, petition.id, size))
    return {
        "leaf_index": entry.index,
        "tree_size": size,
        "hashes": [base64.b64encode(h).decode() for h in hashes],
        "entry": described(entry),
    }


def consistency(session: Session, slug: str, old: int, new: int | None) -> dict[str, Any]:
    """Prove that the tree of `old` leaves is the start of the tree of `new` leaves."""
    petition = _petition(session, slug)
    new = _size(session, petition, new)
    if not 0 <= old <= new:
        raise LogError(416, "out_of_range", f"from must be from 0 to `to`, {new}.")
    hashes = merkle.consistency_proof(old, _leaf_hashes(session, petition.id, new))
    return {
        "from": old,
        "to": new,
        "hashes": [base64.b64encode(h).decode() for h in hashes],
    }


# --- witnesses ---------------------------------------------------------------------------


def cosign(
    session: Session,
    slug: str,
    partner: str,
    line: str,
    key: str | None,
    size: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record a witness's cosignature of a checkpoint (of `size`, else a recent one); commit.

    A partner's first cosignature brings its witness key, which is then pinned: later ones
    are checked against it, and another key is refused (docs/transparency.md: replacing one).
    """
    try:
        return _cosign(session, slug, partner, line, key, size, now or utcnow())
    except LogError:
        session.rollback()  # nothing of a refused cosignature stays, not even its key
        raise


def _cosign(
    session: Session,
    slug: str,
    partner: str,
    line: str,
    key: str | None,
    size: int | None,
    now: datetime,
) -> dict[str, Any]:
    petition = _petition(session, slug)
    pinned = session.get(LogWitness, partner)
    if pinned is None:
        if not key:
            raise LogError(422, "key_required", "The first cosignature must bring its key.")
        try:
            witness = notes.Verifier(key.strip())
        except notes.NoteError as wrong:
            raise LogError(422, "invalid_key", f"key is not a verifier key: {wrong}.") from None
        if witness.alg != notes.COSIGNATURE_V1:
            raise LogError(422, "invalid_key", "key is not a witness key (type 0x04).")
        pinned = LogWitness(partner=partner, key=witness.vkey, created_at=now)
        session.add(pinned)
    elif key and key.strip() != pinned.key:
        raise LogError(409, "key_differs", "This partner's witness key is another one.")
    verifier = notes.Verifier(pinned.key)
    query = select(LogCheckpoint).where(LogCheckpoint.petition_id == petition.id)
    if size is not None:
        query = query.where(LogCheckpoint.size == size)
    # Without a size, the witness cosigned what it fetched: one of the newest checkpoints.
    candidates = session.scalars(query.order_by(LogCheckpoint.size.desc()).limit(RECENT)).all()
    if not candidates:
        raise LogError(404, "no_checkpoint", "No checkpoint of this log has that size.")
    checkpoint, problem = None, "no checkpoint matches"
    for candidate in candidates:
        try:
            notes.verify_cosignature(_body(candidate.note), line, verifier)
        except notes.NoteError as wrong:
            problem = str(wrong)
            continue
        checkpoint = candidate
        break
    if checkpoint is None:
        raise LogError(422, "invalid_cosignature", f"The cosignature does not verify: {problem}.")
    name = session.scalar(select(Partner.name).where(Partner.code == partner)) or partner
    existing = session.scalar(
        select(LogCosignature).where(
            LogCosignature.checkpoint_id == checkpoint.id, LogCosignature.partner == partner
        )
    )
    if existing is None:
        session.add(
            LogCosignature(
                checkpoint_id=checkpoint.id,
                partner=partner,
                witness=name,
                line=line.strip(),
                created_at=now,
            )
        )
    else:  # the witness checked again, nothing having changed: its newest word stands
        existing.line, existing.witness, existing.created_at = line.strip(), name, now
    session.commit()
    return {"status": "cosigned", "size": checkpoint.size, "witness": name}


def _body(note: str) -> str:
    """Return a signed note's text: what was signed, up to the blank line."""
    return note.split("\n\n", 1)[0] + "\n"


def witnessed(session: Session, petition_id: int) -> list[tuple[str, datetime]]:
    """Return who cosigned one of the newest checkpoints, and when last, newest first.

    Only the newest RECENT checkpoints count: a witness that stopped checking drops off.
    """
    recent = (
        select(LogCheckpoint.id)
        .where(LogCheckpoint.petition_id == petition_id)
        .order_by(LogCheckpoint.size.desc())
        .limit(RECENT)
    )
    latest = func.max(LogCosignature.created_at)
    rows = session.execute(
        select(LogCosignature.witness, latest)
        .where(LogCosignature.checkpoint_id.in_(recent.scalar_subquery()))
        .group_by(LogCosignature.witness)
        .order_by(latest.desc())
    ).all()
    return [(name, at.replace(tzinfo=UTC) if at.tzinfo is None else at) for name, at in rows]


def witness_keys(session: Session, slug: str) -> list[dict[str, str]]:
    """Return the pinned keys of the witnesses who cosigned this log lately, by name."""
    petition = _petition(session, slug)
    recent = (
        select(LogCheckpoint.id)
        .where(LogCheckpoint.petition_id == petition.id)
        .order_by(LogCheckpoint.size.desc())
        .limit(RECENT)
    )
    rows = session.execute(
        select(LogCosignature.witness, LogWitness.key)
        .join(LogWitness, LogWitness.partner == LogCosignature.partner)
        .where(LogCosignature.checkpoint_id.in_(recent.scalar_subquery()))
        .distinct()
        .order_by(LogCosignature.witness)
    ).all()
    return [{"name": name, "key": key} for name, key in rows]


def implied_count(session: Session, petition_id: int) -> int:
    """Return the count a petition's log implies: the sum of its entries' deltas."""
    total = session.scalar(
        select(func.coalesce(func.sum(LogEntry.delta), 0)).where(
            LogEntry.petition_id == petition_id
        )
    )
    return int(total or 0)


def normalised(typed: str) -> str | None:
    """Return a receipt as printed from what was typed (any case, spaces, dashes); or None."""
    # Base32 has no 0, 1 or 8: someone who typed one meant O, I or B.
    letters = re.sub(r"[\s\-]", "", typed).upper().translate(str.maketrans("018", "OIB"))
    if len(letters) != RECEIPT_LENGTH:
        return None
    printed = "-".join(letters[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))
    return printed if RECEIPT.fullmatch(printed) else None


def receipt_for_link(session: Session, settings: Settings, token: str) -> str | None:
    """Return the receipt of the confirmed signature a verify link names; None otherwise."""
    found = signing.link_owner(session, token, settings.signing_keys, tokens.VERIFY)
    if found is None or found.status != SignatureStatus.VERIFIED:
        return None
    return receipt_of(settings, found)


def awaits_confirmation(session: Session, settings: Settings, token: str) -> bool:
    """Tell whether a verify link names a signature not confirmed yet (its receipt is news)."""
    found = signing.link_owner(session, token, settings.signing_keys, tokens.VERIFY)
    return found is not None and found.status == SignatureStatus.PENDING
