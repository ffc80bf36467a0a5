"""Streamed CSV and JSONL of a petition's signatures: one code path for the API and the CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nacl.public import PrivateKey
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from undersign import audit, petitions, sealing
from undersign.auth import CLI, Rights
from undersign.models import Petition, Signature, SignatureStatus
from undersign.privacy import PERSONAL_FIELDS

FORMATS = ("csv", "jsonl")
# Plain strings: Click reads an enum choice by its member names.
STATUSES = (SignatureStatus.VERIFIED.value, SignatureStatus.PENDING.value, "all")
COLUMNS = (
    "name",
    "email",
    "postcode",
    "city",
    "country",
    "comment",
    "public",
    "contact_consent",
    "named",
    "source",
    "locale",
    "status",
    "flagged",
    "signed_at",
    "verified_at",
)
# Read as columns, not as ORM objects: an export of a million rows must not
# build a million objects.
EXPORTED = (
    Signature.name,
    Signature.email,
    Signature.postcode,
    Signature.city,
    Signature.country,
    Signature.comment,
    Signature.public,
    Signature.contact_consent,
    Signature.named,
    Signature.source,
    Signature.locale,
    Signature.status,
    Signature.flagged,
    Signature.created_at,
    Signature.verified_at,
)
PERSONAL = tuple(COLUMNS.index(field) for field in PERSONAL_FIELDS)
SOURCE, CONSENT = COLUMNS.index("source"), COLUMNS.index("contact_consent")
SIGNED, VERIFIED = COLUMNS.index("signed_at"), COLUMNS.index("verified_at")
# Cells a signer could have typed; the others are ours (codes, flags, timestamps).
TYPED = (*PERSONAL, SOURCE)
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


@dataclass(frozen=True)
class Filters:
    status: str = SignatureStatus.VERIFIED
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def described(self) -> dict[str, str | None]:
        """Return the filters as text, for the audit log."""
        return {
            "status": self.status,
            "source": self.source,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def consistent_session(sessions: sessionmaker[Session]) -> Session:
    """Open a session whose reads all see one moment, for exports; the caller closes it.

    On PostgreSQL a REPEATABLE READ, read-only transaction: a count taken first
    and the rows streamed after agree, however many signers verify meanwhile.
    SQLite in WAL mode gives a reader one snapshot anyway; db.py then begins
    without the write lock, so signing goes on while the export streams.
    """
    session = sessions()
    options: dict[str, Any] = {"undersign_readonly": True}
    if session.get_bind().dialect.name == "postgresql":
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    session.connection(execution_options=options)
    return session


@dataclass
class Snapshot:
    """One consistent read of a petition's signatures, counted and logged before it streams."""

    session: Session
    petition: Petition
    filters: Filters
    rights: Rights
    total: int

    def stream(self, fmt: str) -> Iterator[str]:
        """Yield the export as text, ending the read as soon as the last row is out."""
        return self._closing(stream(self.session, self.petition, self.filters, fmt, self.rights))

    def records(self, named_only: bool = False) -> Iterator[dict[str, Any]]:
        """Yield each row as a dict of COLUMNS, ending the read after the last."""
        found = rows(self.session, self.petition, self.filters, self.rights, named_only)
        return self._closing(record(values) for values in found)

    def unnamed_by_country(self) -> list[tuple[str, int]]:
        """Count, per country, the signers here who did not agree to be named."""
        chosen = query(self.petition, self.filters, self.rights).where(Signature.named.is_(False))
        counted = (
            chosen.order_by(None)
            .with_only_columns(Signature.country, func.count())
            .group_by(Signature.country)
            .order_by(Signature.country)
        )
        return [(country, int(number)) for country, number in self.session.execute(counted)]

    def close(self) -> None:
        self.session.close()

    def _closing(self, items: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from items
        finally:
            self.close()


def open_snapshot(
    sessions: sessionmaker[Session],
    log: Session,
    slug: str,
    filters: Filters,
    rights: Rights,
    action: str,
    **detail: Any,
) -> Snapshot:
    """Open a consistent read of a petition's export, count it, and log it through `log`.

    The audit entry is committed before the first row leaves: no export goes
    unrecorded. `log` is the caller's own session: on SQLite a second writer
    would wait for the caller's. The caller closes the snapshot (reading it to
    the end does too).
    """
    session = consistent_session(sessions)
    try:
        petition = petitions.find(session, slug)
        total = count(session, petition, filters, rights)
        audit.record(log, rights, action, slug, total, **detail, **filters.described())
        log.commit()
    except BaseException:
        session.close()
        raise
    return Snapshot(session, petition, filters, rights, total)


def query(petition: Petition, filters: Filters, rights: Rights = CLI) -> Select[Signature]:
    """Select the signatures an export holds, oldest first, within `rights`."""
    if filters.status == SignatureStatus.VERIFIED:
        chosen = Signature.counted(petition.id)
    else:
        chosen = select(Signature).where(Signature.petition_id == petition.id)
        if filters.status == SignatureStatus.PENDING:
            chosen = chosen.where(Signature.status == SignatureStatus.PENDING)
    chosen = Signature.narrowed(chosen, filters.source, filters.since, filters.until)
    return rights.scope(chosen).order_by(Signature.id)


def count(session: Session, petition: Petition, filters: Filters, rights: Rights = CLI) -> int:
    """Return how many rows the export holds (in a consistent session: exactly as many)."""
    chosen = query(petition, filters, rights).order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(chosen)) or 0)


def batches(
    session: Session,
    petition: Petition,
    filters: Filters,
    rights: Rights = CLI,
    named_only: bool = False,
) -> Iterator[list[list[Any]]]:
    """Yield the exported rows BATCH at a time, each as values in COLUMNS order.

    The rows come through a server-side cursor BATCH at a time, so memory
    stays flat whether the petition has a hundred signatures or a million.
    `named_only` keeps the signers who agreed to be named to the addressee.
    """
    chosen = query(petition, filters, rights).with_only_columns(*EXPORTED)
    if named_only:
        chosen = chosen.where(Signature.named.is_(True))
    result = session.execute(chosen.execution_options(yield_per=BATCH))
    for partition in result.partitions():
        yield [_values(row, rights) for row in partition]


def rows(
    session: Session,
    petition: Petition,
    filters: Filters,
    rights: Rights = CLI,
    named_only: bool = False,
) -> Iterator[list[Any]]:
    """Yield each exported row as values in COLUMNS order."""
    for batch in batches(session, petition, filters, rights, named_only):
        yield from batch


def _values(row: Sequence[Any], rights: Rights) -> list[Any]:
    values = list(row)
    if rights.partner is not None and not rights.may_see_personal(values[SOURCE], values[CONSENT]):
        for index in PERSONAL:
            values[index] = None
    values[SIGNED] = values[SIGNED].isoformat()
    verified = values[VERIFIED]
    if verified is not None:
        values[VERIFIED] = verified.isoformat()
    return values


def record(values: list[Any]) -> dict[str, Any]:
    return dict(zip(COLUMNS, values, strict=True))


def stream(
    session: Session, petition: Petition, filters: Filters, fmt: str, rights: Rights = CLI
) -> Iterator[str]:
    """Yield the export a batch of rows at a time, reading them through a server-side cursor."""
    exported = batches(session, petition, filters, rights)
    yield from (_csv(exported) if fmt == "csv" else _jsonl(exported))


def _csv(exported: Iterator[list[list[Any]]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for batch in exported:
        for values in batch:
            for index in TYPED:
                value = values[index]
                if value and value[0] in FORMULA_STARTS:  # the cheap test first: most cells pass
                    values[index] = _cell(value)
        writer.writerows(batch)
        yield _drain(buffer)
    yield _drain(buffer)


def _cell(value: Any) -> Any:
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _jsonl(exported: Iterator[list[list[Any]]]) -> Iterator[str]:
    for batch in exported:
        yield "".join(json.dumps(record(values), ensure_ascii=False) + "\n" for values in batch)


def opened(lines: Iterable[str], keys: Sequence[PrivateKey]) -> Iterator[str]:
    """Yield a sealed petition's export (CSV or JSONL) with every sealed value opened.

    Offline, with the organisers' private keys (`undersign decrypt`): each value
    opens with whichever key it was sealed to, so an export spanning a key
    rotation opens whole. A line at a time, like the export itself.
    """
    lines = iter(lines)
    first = next(lines, "")
    if first.startswith("{"):
        yield from _opened_jsonl(itertools.chain([first], lines), keys)
    elif first:
        yield from _opened_csv(itertools.chain([first], lines), keys)


def _opened_jsonl(lines: Iterable[str], keys: Sequence[PrivateKey]) -> Iterator[str]:
    for line in lines:
        if line.strip():
            found = json.loads(line)
            plain = {
                k: sealing.open_value(keys, v) if sealing.is_sealed(v) else v
                for k, v in found.items()
            }
            yield json.dumps(plain, ensure_ascii=False) + "\n"


def _opened_csv(lines: Iterable[str], keys: Sequence[PrivateKey]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(csv.reader(lines)):
        if number:  # the header row passes as it is
            # An opened value is what the signer typed: guarded against formulas like any.
            row = [_cell(sealing.open_value(keys, v)) if sealing.is_sealed(v) else v for v in row]
        writer.writerow(row)
        yield _drain(buffer)
