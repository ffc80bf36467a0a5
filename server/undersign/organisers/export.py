"""Streamed CSV, XLSX and JSONL of a petition's signatures: one code path for the API and the CLI.

Each row carries its `channel`: `online` (signed and confirmed by email) or
`paper` (a signer typed in from the sheets, see paper.py; a count without names
has no row to export). CSV and XLSX are for people: yes/no, country names,
times to the second; JSONL is for programs: raw typed values. On PostgreSQL
the CSV's cells are written by the database (COPY, see export_copy.py), byte
for byte as Python writes them everywhere else.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

import openpyxl
import xlsxwriter
from nacl.public import PrivateKey
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from undersign.campaigns import paper, petitions
from undersign.core import audit, i18n, sealing
from undersign.core.auth import CLI, Rights
from undersign.core.models import PaperSignature, Petition, Signature, SignatureStatus
from undersign.core.privacy import PERSONAL_FIELDS
from undersign.organisers import export_copy

FORMATS = ("csv", "xlsx", "jsonl")
# What each format is, for the answer's Content-Type (Flask adds the charset to text/*).
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/jsonl",
}
# Plain strings: Click reads an enum choice by its member names.
STATUSES = (SignatureStatus.VERIFIED.value, SignatureStatus.PENDING.value, "all")
COLUMNS = (
    "name",
    "email",
    "postcode",
    "city",
    "country",
    "country_name",
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
    "channel",
)
ONLINE, PAPER = "online", "paper"
# Read as columns, not as ORM objects: an export of a million rows must not
# build a million objects. country_name and channel are added on the way out.
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
COUNTRY = COLUMNS.index("country")
# Cells a signer could have typed; the others are ours (codes, flags, timestamps).
TYPED = (*PERSONAL, SOURCE)
# A spreadsheet runs a cell starting with one of these as a formula (the import
# of typed-in paper lists refuses such names by the same rule).
FORMULA_STARTS = paper.FORMULA_STARTS
BATCH = 1000
# What spreadsheets show for a yes-or-no; JSONL keeps true and false.
YES_NO = {True: "yes", False: "no"}
XLSX_CHUNK = 64 * 1024
# Excel reads a CSV as UTF-8 (Cyrillic and all) only when it starts with one.
BOM = "\ufeff".encode()


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

    def with_paper(self, rights: Rights) -> bool:
        """Do typed-in paper signers belong in this export?

        They count like verified signatures, have no partner, and are the
        organisers' own: never a partner's, never pending.
        """
        return (
            rights.is_organiser and self.status != SignatureStatus.PENDING and self.source is None
        )


@dataclass(frozen=True)
class Layout:
    """How an export is written: the format, a byte-order mark, the country names' language."""

    fmt: str = "csv"
    # Excel reads a CSV as UTF-8 (Cyrillic and all) only when it starts with one.
    bom: bool = False
    locale: str | None = None  # None: the petition's own language


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

    def stream(self, layout: Layout) -> Iterator[bytes]:
        """Yield the export's bytes, ending the read as soon as the last row is out."""
        return self._closing(stream(self.session, self.petition, self.filters, layout, self.rights))

    def records(self, named_only: bool = False) -> Iterator[dict[str, Any]]:
        """Yield each row as a dict of COLUMNS, ending the read after the last."""
        found = rows(self.session, self.petition, self.filters, self.rights, named_only)
        return self._closing(record(values) for values in found)

    def unnamed_by_country(self) -> list[tuple[str, int]]:
        """Count, per country, the signers here who did not agree to be named.

        Paper signatures join in: every one of a count, and the typed-in signers
        whose sheet did not say they may be named.
        """
        chosen = query(self.petition, self.filters, self.rights).where(Signature.named.is_(False))
        counted = (
            chosen.order_by(None)
            .with_only_columns(Signature.country, func.count())
            .group_by(Signature.country)
        )
        online = [(code, int(number)) for code, number in self.session.execute(counted)]
        on_paper: list[tuple[str, int]] = []
        if self.filters.with_paper(self.rights):
            unnamed = paper.by_country(self.session, self.petition.id, unnamed_only=True)
            on_paper = list(unnamed.items())
        return list(paper.merged(online, on_paper).items())

    def counted(self) -> int:
        """Return how many signatures count here: every exported row, and paper counts too."""
        if not self.filters.with_paper(self.rights):
            return self.total
        people = paper.count_people(self.session, _paper_query(self.petition, self.filters))
        return self.total - people + paper.total(self.session, self.petition.id)

    def named_on_paper(self) -> int:
        """Return how many typed-in paper signers here may be named to the addressee."""
        if not self.filters.with_paper(self.rights):
            return 0
        chosen = _paper_query(self.petition, self.filters, named_only=True)
        return paper.count_people(self.session, chosen)

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
    """Select the online signatures an export holds, oldest first, within `rights`."""
    if filters.status == SignatureStatus.VERIFIED:
        chosen = Signature.counted(petition.id)
    else:
        chosen = select(Signature).where(Signature.petition_id == petition.id)
        if filters.status == SignatureStatus.PENDING:
            chosen = chosen.where(Signature.status == SignatureStatus.PENDING)
    chosen = Signature.narrowed(chosen, filters.source, filters.since, filters.until)
    return rights.scope(chosen).order_by(Signature.id)


def _paper_query(petition: Petition, filters: Filters, named_only: bool = False) -> Select[Any]:
    return paper.listed_people(petition.id, filters.since, filters.until, named_only)


def count(session: Session, petition: Petition, filters: Filters, rights: Rights = CLI) -> int:
    """Return how many rows the export holds (in a consistent session: exactly as many)."""
    chosen = query(petition, filters, rights).order_by(None).subquery()
    online = int(session.scalar(select(func.count()).select_from(chosen)) or 0)
    if not filters.with_paper(rights):
        return online
    return online + paper.count_people(session, _paper_query(petition, filters))


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
    The online signatures come first, then the typed-in paper ones.
    `named_only` keeps the signers who agreed to be named to the addressee.
    Values keep their types (bool, datetime, date): each format writes its own.
    """
    chosen = query(petition, filters, rights).with_only_columns(*EXPORTED)
    if named_only:
        chosen = chosen.where(Signature.named.is_(True))
    result = session.execute(chosen.execution_options(yield_per=BATCH))
    for partition in result.partitions():
        yield [_values(row, rights) for row in partition]
    if filters.with_paper(rights):
        on_paper = paper.people_rows(session, _paper_query(petition, filters, named_only))
        while chunk := [_paper_values(row) for row in itertools.islice(on_paper, BATCH)]:
            yield chunk


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
    # First into COLUMNS' order (the indices below are COLUMNS'): country_name,
    # written in the layout's language on the way out, and the channel.
    values.insert(COUNTRY + 1, None)
    values.append(ONLINE)
    if rights.partner is not None and not rights.may_see_personal(values[SOURCE], values[CONSENT]):
        for index in PERSONAL:
            values[index] = None
    return values


def _paper_values(row: Sequence[Any]) -> list[Any]:
    name, city, country, signed_on, named = row
    found: dict[str, Any] = dict.fromkeys(COLUMNS)
    found |= {"name": name, "city": city, "country": country, "named": named}
    found |= {"public": False, "contact_consent": False, "flagged": False}
    found |= {"signed_at": signed_on, "channel": PAPER}
    return list(found.values())


def record(values: list[Any]) -> dict[str, Any]:
    return dict(zip(COLUMNS, values, strict=True))


def stream(
    session: Session,
    petition: Petition,
    filters: Filters,
    layout: Layout,
    rights: Rights = CLI,
) -> Iterator[bytes]:
    """Yield the export a batch of rows at a time, reading them through a server-side cursor.

    A CSV on PostgreSQL is written by the database (`csv_by_copy`): the bytes
    `csv_in_python` writes, four to five times faster (bench/export.py).
    """
    if layout.fmt == "csv":
        by_copy = export_copy.available(session)
        yield from (csv_by_copy if by_copy else csv_in_python)(
            session, petition, filters, layout, rights
        )
        return
    exported = _named(batches(session, petition, filters, rights), _country_names(petition, layout))
    if layout.fmt == "xlsx":
        yield from _xlsx(exported)
        return
    for chunk in _jsonl(exported):
        yield chunk.encode("utf-8")


def csv_in_python(
    session: Session,
    petition: Petition,
    filters: Filters,
    layout: Layout,
    rights: Rights = CLI,
) -> Iterator[bytes]:
    """Yield the CSV as Python's csv module writes it, a batch of rows at a time."""
    exported = _named(batches(session, petition, filters, rights), _country_names(petition, layout))
    if layout.bom:
        yield BOM
    for chunk in _csv(exported):
        yield chunk.encode("utf-8")


def csv_by_copy(
    session: Session,
    petition: Petition,
    filters: Filters,
    layout: Layout,
    rights: Rights = CLI,
) -> Iterator[bytes]:
    """Yield the same CSV as `csv_in_python`, byte for byte, written by PostgreSQL's COPY.

    Every rule of `_csv`, `_text` and `_values` is applied in the query instead
    (export_copy.py), in the same transaction, the online rows first, then the
    typed-in paper ones. PostgreSQL only.
    """
    names = _country_names(petition, layout)
    yield (BOM if layout.bom else b"") + _line(COLUMNS).encode("utf-8")
    yield from export_copy.chunks(session, _copied_online(petition, filters, rights, names))
    if filters.with_paper(rights):
        yield from export_copy.chunks(session, _copied_paper(petition, filters, names))


def _copied_online(
    petition: Petition, filters: Filters, rights: Rights, names: dict[str, str]
) -> Select[Any]:
    """Select the online rows as `_csv` writes them: COLUMNS, each cell already text."""
    cells = {
        "name": _typed(Signature.name),
        "email": _typed(Signature.email),
        "postcode": _typed(Signature.postcode),
        "city": _typed(Signature.city),
        "country": export_copy.plain(Signature.country),
        "country_name": export_copy.named(Signature.country, names),
        "comment": _typed(Signature.comment),
        "public": export_copy.words(Signature.public, YES_NO),
        "contact_consent": export_copy.words(Signature.contact_consent, YES_NO),
        "named": export_copy.words(Signature.named, YES_NO),
        "source": _typed(Signature.source),
        "locale": export_copy.plain(Signature.locale),
        "status": export_copy.plain(Signature.status),
        "flagged": export_copy.words(Signature.flagged, YES_NO),
        "signed_at": export_copy.moment(Signature.created_at),
        "verified_at": export_copy.moment(Signature.verified_at),
        "channel": export_copy.constant(ONLINE),
    }
    if rights.partner is not None:  # as in _values: personal data only with the signer's consent
        seen = and_(Signature.source == rights.partner, Signature.contact_consent)
        for field in PERSONAL_FIELDS:
            cells[field] = case((seen, cells[field]))
    chosen = query(petition, filters, rights)
    return chosen.with_only_columns(*(cells[column] for column in COLUMNS))


def _copied_paper(petition: Petition, filters: Filters, names: dict[str, str]) -> Select[Any]:
    """Select the typed-in paper rows as `_paper_values` and `_csv` write them."""
    cells = {column: export_copy.constant(None) for column in COLUMNS}
    cells |= {
        "name": _typed(PaperSignature.name),
        "city": _typed(PaperSignature.city),
        "country": export_copy.plain(PaperSignature.country),
        "country_name": export_copy.named(PaperSignature.country, names),
        "public": export_copy.constant(YES_NO[False]),
        "contact_consent": export_copy.constant(YES_NO[False]),
        "named": export_copy.words(PaperSignature.named, YES_NO),
        "flagged": export_copy.constant(YES_NO[False]),
        "signed_at": export_copy.day(PaperSignature.signed_on),
        "channel": export_copy.constant(PAPER),
    }
    chosen = _paper_query(petition, filters)
    return chosen.with_only_columns(*(cells[column] for column in COLUMNS))


def _typed(column: export_copy.Cell) -> Any:
    return export_copy.typed(column, FORMULA_STARTS)


def _country_names(petition: Petition, layout: Layout) -> dict[str, str]:
    return i18n.country_names(layout.locale or petition.default_locale)


def _named(exported: Iterator[list[list[Any]]], names: dict[str, str]) -> Iterator[list[list[Any]]]:
    for batch in exported:
        for values in batch:
            values[COUNTRY + 1] = names.get(values[COUNTRY], values[COUNTRY])
        yield batch


def _text(value: Any) -> Any:
    """Write a value for a person reading a spreadsheet: yes/no, times to the second."""
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


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
        writer.writerows([_text(value) for value in values] for values in batch)
        yield _drain(buffer)
    yield _drain(buffer)


def _line(values: Sequence[Any]) -> str:
    """Write one row as csv.writer writes it (the line ends in CRLF)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _xlsx(exported: Iterator[Iterable[list[Any]]]) -> Iterator[bytes]:
    """Write the rows to an XLSX workbook a row at a time, then yield the file in chunks.

    A workbook is a zip whose parts are complete only at its end, so nothing
    can leave before the last row is written. XlsxWriter's constant_memory
    mode writes each row to a temporary file as soon as the next begins: memory
    stays flat however many rows there are, and the finished file is read back
    from disk. Strings are always written as strings, never as formulas,
    numbers or links: the XLSX form of the CSV's formula rule.
    """
    with tempfile.TemporaryFile() as file:
        workbook = xlsxwriter.Workbook(
            file,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        _fill(workbook, exported)
        workbook.close()
        file.seek(0)
        while chunk := file.read(XLSX_CHUNK):
            yield chunk


def _fill(workbook: Any, exported: Iterator[Iterable[list[Any]]]) -> None:
    sheet = workbook.add_worksheet("signatures")
    bold = workbook.add_format({"bold": True})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.freeze_panes(1, 0)
    for column, name in enumerate(COLUMNS):
        sheet.write_string(0, column, name, bold)
        sheet.set_column(column, column, 28 if name in ("name", "email", "comment") else 14)
    line = 0
    for batch in exported:
        for values in batch:
            line += 1
            for column, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_string(line, column, YES_NO[value])
                elif isinstance(value, datetime):  # in UTC, as every time here
                    sheet.write_datetime(line, column, value.replace(tzinfo=None), moment)
                elif isinstance(value, date):
                    sheet.write_datetime(line, column, value, day)
                else:
                    sheet.write_string(line, column, str(value))
    sheet.autofilter(0, 0, line, len(COLUMNS) - 1)


def _jsonl(exported: Iterator[list[list[Any]]]) -> Iterator[str]:
    for batch in exported:
        yield "".join(
            json.dumps(record(values), ensure_ascii=False, default=_raw) + "\n" for values in batch
        )


def _raw(value: Any) -> str:
    """Write a time or a day for a program: ISO, in UTC, to the second."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


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


def opened_xlsx(workbook_file: BinaryIO, keys: Sequence[PrivateKey]) -> Iterator[bytes]:
    """Yield a sealed petition's XLSX export as an XLSX file with every sealed value opened.

    Read a row at a time and written back by the export's own writer, so the
    opened workbook has the same columns, formats and formula guard.
    """
    workbook = openpyxl.load_workbook(workbook_file, read_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(min_row=2, values_only=True)
        opened = (
            [sealing.open_value(keys, v) if sealing.is_sealed(v) else v for v in row]
            for row in rows
        )
        yield from _xlsx(iter([opened]))
    finally:
        workbook.close()


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
