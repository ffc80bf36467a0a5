"""Streamed CSV and JSONL of a petition's signatures: one code path for the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from undersign.models import Petition, Signature

FORMATS = ("csv", "jsonl")
STATUSES = ("verified", "pending", "all")
COLUMNS = (
    "name", "email", "postcode", "city", "country", "comment", "public", "contact_consent",
    "source", "locale", "status", "flagged", "signed_at", "verified_at",
)
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


@dataclass(frozen=True)
class Filters:
    status: str = "verified"
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def query(petition: Petition, filters: Filters) -> Select[tuple[Signature]]:
    """Select the signatures an export holds, oldest first."""
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
    return chosen.order_by(Signature.id)


def record(signature: Signature) -> dict[str, Any]:
    return {
        "name": signature.name,
        "email": signature.email,
        "postcode": signature.postcode,
        "city": signature.city,
        "country": signature.country,
        "comment": signature.comment,
        "public": signature.public,
        "contact_consent": signature.contact_consent,
        "source": signature.source,
        "locale": signature.locale,
        "status": signature.status,
        "flagged": signature.flagged,
        "signed_at": signature.created_at.isoformat(),
        "verified_at": signature.verified_at.isoformat() if signature.verified_at else None,
    }


def stream(session: Session, petition: Petition, filters: Filters, fmt: str) -> Iterator[str]:
    """Yield the export in chunks, reading the rows through a server-side cursor."""
    rows = session.scalars(query(petition, filters).execution_options(yield_per=BATCH))
    records = (record(signature) for signature in rows)
    yield from (_csv(records) if fmt == "csv" else _jsonl(records))


def _csv(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for n, item in enumerate(records, 1):
        writer.writerow([_cell(item[column]) for column in COLUMNS])
        if n % BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _jsonl(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for item in records:
        yield json.dumps(item, ensure_ascii=False) + "\n"
