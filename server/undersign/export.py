"""Streamed CSV and JSONL of a petition's signatures: one code path for the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from undersign.auth import CLI, Rights
from undersign.models import Petition, Signature
from undersign.privacy import PERSONAL_FIELDS

FORMATS = ("csv", "jsonl")
STATUSES = ("verified", "pending", "all")
COLUMNS = (
    "name",
    "email",
    "postcode",
    "city",
    "country",
    "comment",
    "public",
    "contact_consent",
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
    status: str = "verified"
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


def query(petition: Petition, filters: Filters, rights: Rights = CLI) -> Select[Signature]:
    """Select the signatures an export holds, oldest first, within `rights`."""
    if filters.status == "verified":
        chosen = Signature.counted(petition.id)
    else:
        chosen = select(Signature).where(Signature.petition_id == petition.id)
        if filters.status == "pending":
            chosen = chosen.where(Signature.status == "pending")
    if filters.source:
        chosen = chosen.where(Signature.source == filters.source)
    if filters.since:
        chosen = chosen.where(Signature.created_at >= filters.since)
    if filters.until:
        chosen = chosen.where(Signature.created_at < filters.until)
    return rights.scope(chosen).order_by(Signature.id)


def count(session: Session, petition: Petition, filters: Filters, rights: Rights = CLI) -> int:
    """Return how many rows the export holds (in a consistent session: exactly as many)."""
    chosen = query(petition, filters, rights).order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(chosen)) or 0)


def rows(
    session: Session, petition: Petition, filters: Filters, rights: Rights = CLI
) -> Iterator[list[Any]]:
    """Yield each exported row as values in COLUMNS order, through a server-side cursor."""
    chosen = query(petition, filters, rights).with_only_columns(*EXPORTED)
    result = session.execute(chosen.execution_options(yield_per=BATCH))
    for row in result:
        yield _values(row, rights)


def _values(row: Sequence[Any], rights: Rights) -> list[Any]:
    values = list(row)
    if not rights.may_see_personal(values[SOURCE], values[CONSENT]):
        for index in PERSONAL:
            values[index] = None
    values[SIGNED] = values[SIGNED].isoformat()
    if values[VERIFIED] is not None:
        values[VERIFIED] = values[VERIFIED].isoformat()
    return values


def record(values: list[Any]) -> dict[str, Any]:
    return dict(zip(COLUMNS, values, strict=True))


def stream(
    session: Session, petition: Petition, filters: Filters, fmt: str, rights: Rights = CLI
) -> Iterator[str]:
    """Yield the export in chunks, reading the rows through a server-side cursor."""
    exported = rows(session, petition, filters, rights)
    yield from (_csv(exported) if fmt == "csv" else _jsonl(exported))


def _csv(exported: Iterator[list[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for n, values in enumerate(exported, 1):
        for index in TYPED:
            values[index] = _cell(values[index])
        writer.writerow(values)
        if n % BATCH == 0:
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


def _jsonl(exported: Iterator[list[Any]]) -> Iterator[str]:
    lines = []
    for values in exported:
        lines.append(json.dumps(record(values), ensure_ascii=False))
        if len(lines) == BATCH:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"
