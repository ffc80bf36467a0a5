"""Signatures collected on paper: counts per country and day, and typed-in lists (CSV).

Paper signatures have no email address. They are kept apart from online ones
(models.PaperBatch, models.PaperSignature), so the outbox, mailings and
webhooks, which read `signatures`, can never reach them. They join the public
count (through the count's shards, like a verification), the stats, the exports
and the hand-over list.

A typed-in signer is named on the hand-over list only when the list's `named`
column says so: a sheet that did not ask gives no one's agreement.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pycountry
from sqlalchemy import Integer, Select, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from undersign.core import audit, counting, i18n, sealing
from undersign.core.auth import Rights
from undersign.core.cache import Cache
from undersign.core.models import (
    PaperBatch,
    PaperKind,
    PaperSignature,
    Petition,
    Signature,
    SignatureStatus,
)
from undersign.core.validation import FALSE_WORDS, MAX_LENGTH, TRUE_WORDS, check_characters

# One count is one day's sheets from one place; a typo of three extra zeros is refused.
MAX_COUNT = 100_000
MAX_NOTE = 200
# A typed-in list: a few megabytes of text, some tens of thousands of lines.
MAX_CSV_CHARS = 2_000_000
MAX_CSV_ROWS = 20_000
COLUMNS = ("name", "city", "country", "date", "named")
REQUIRED = ("name", "country", "date")
# Paper signatures cannot predate this; and may be dated a day ahead of UTC (Kazakhstan is UTC+5).
EARLIEST = date(2000, 1, 1)
# How many valid rows a preview shows back, so the organiser sees the columns were understood.
SAMPLE = 5
# A spreadsheet runs a cell that starts so; such a name or city is a mistake, not a signer.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Unreadable(ValueError):
    """What is wrong with a value from the sheets, in words the organiser reads.

    `key` names the words in the locale files' "paper_problems" block and `values` fill
    them, so the admin page can say it in the organiser's language; str() is the English,
    for the command line and for the count's field errors.
    """

    def __init__(self, key: str, **values: Any) -> None:
        self.key, self.values = key, values
        super().__init__(self.text(i18n.DEFAULT_LOCALE))

    def text(self, locale: str) -> str:
        return problem_text(locale, self.key, self.values)


class InvalidPaper(Unreadable):
    """A field of a paper count or list is wrong as a whole; `field` names it."""

    def __init__(self, field: str, key: str, **values: Any) -> None:
        super().__init__(key, **values)
        self.field = field


def problem_text(locale: str, key: str, values: dict[str, Any]) -> str:
    """Return a paper problem's words in `locale`, numbers in its digit grouping."""
    words = i18n.messages(locale)["paper_problems"][key]
    if "max" in values:  # a limit: the words agree with the number ("1 символа", "5 символов")
        return i18n.plural(locale, words, values["max"], "max")
    if "n" in values:
        return i18n.plural(locale, words, values["n"], "n")
    return str(words).format(**values)


class BatchNotFound(LookupError):
    pass


# --- reading what organisers send --------------------------------------------------------


@cache
def _country_names() -> dict[str, str]:
    """Map every country's code and name (in each language we speak), folded, to its code.

    Both the names the pickers show and CLDR's own, which they override: a sheet typed
    before an override ("Соединенные Штаты", "Киргизия", "Аустрия") still reads.
    """
    found: dict[str, str] = {}
    for locale in i18n.LOCALES:  # CLDR's first: where a name is also another's, theirs wins
        cldr = i18n.cldr(locale).territories
        for code, _ in i18n.countries(locale):
            if code in cldr:
                found[_folded(cldr[code])] = code
    for locale in i18n.LOCALES:
        for code, name in i18n.countries(locale):
            found[_folded(name)] = code
    for country in pycountry.countries:
        found[_folded(country.alpha_2)] = country.alpha_2
        found[_folded(country.name)] = country.alpha_2
    return found


def _folded(name: str) -> str:
    """Fold a name for matching: case, ё as е (often typed so), and runs of spaces."""
    return " ".join(name.casefold().replace("ё", "е").split())


def country(value: object) -> str:
    """Read a country as its ISO code (any case) or its name in English, Russian or Kazakh."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Unreadable("required")
    code = _country_names().get(_folded(text))
    if code is None:
        raise Unreadable("not_country")
    return code


def day(value: object, today: date | None = None) -> date:
    """Read a day written 2026-11-28 or 28.11.2026; not before 2000, nor after tomorrow."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Unreadable("required")
    try:
        if "." in text:
            parsed = datetime.strptime(text, "%d.%m.%Y").date()
        else:
            parsed = date.fromisoformat(text)
    except ValueError:
        raise Unreadable("date_format") from None
    latest = (today or datetime.now(UTC).date()) + timedelta(days=1)
    if not EARLIEST <= parsed <= latest:
        raise Unreadable("date_range")
    return parsed


def number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise ValueError(f"must be a whole number from 1 to {MAX_COUNT}")
    return value


def note(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_NOTE:
        raise ValueError(f"must be text of at most {MAX_NOTE} characters")
    check_characters(value.strip(), multiline=False)
    return value.strip() or None


def _person_text(value: str, most: int, required: bool) -> str | None:
    text = value.strip()
    if not text:
        if required:
            raise Unreadable("required")
        return None
    if len(text) > most:
        raise Unreadable("too_long", max=most)
    if text.startswith(FORMULA_STARTS):
        raise Unreadable("formula")
    try:
        check_characters(text, multiline=False)
    except ValueError:
        raise Unreadable("not_text") from None
    return text


def _yes_no(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS | {"да", "иә", "y", "x", "+"}:
        return True
    if word in FALSE_WORDS | {"нет", "жоқ", "n", "-"}:
        return False
    raise Unreadable("yes_no")


# --- the typed-in list -----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str
    city: str | None
    country: str
    signed_on: date
    named: bool


@dataclass
class Problem:
    line: int
    field: str
    problem: Unreadable

    @property
    def message(self) -> str:
        return self.text(i18n.DEFAULT_LOCALE)

    def text(self, locale: str) -> str:
        """Say it of the column, in `locale`: "country is not…", "country: не код страны…"."""
        line = i18n.messages(locale)["paper_problems"]["of_column"]
        return str(line).format(column=self.field, problem=self.problem.text(locale))

    def described(self, locale: str = i18n.DEFAULT_LOCALE) -> dict[str, Any]:
        return {
            "line": self.line,
            "field": self.field,
            "code": self.problem.key,
            "message": self.text(locale),
        }


@dataclass
class ReadList:
    """A typed-in list as read: its valid entries and every problem, by line."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def by_country(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for entry in self.entries:
            counted[entry.country] = counted.get(entry.country, 0) + 1
        return dict(sorted(counted.items()))

    def spread(self) -> dict[str, Any]:
        """Describe the entries as `describe` takes them: per country, first and last day."""
        days = [entry.signed_on for entry in self.entries]
        return {
            "by_country": self.by_country(),
            "first": min(days, default=None),
            "last": max(days, default=None),
            "named": sum(entry.named for entry in self.entries),
        }

    def preview(self, locale: str = i18n.DEFAULT_LOCALE) -> dict[str, Any]:
        """Describe the list for the organiser (problems in `locale`) before anything is stored."""
        return {
            "rows": len(self.entries) + len({p.line for p in self.problems}),
            "valid": len(self.entries),
            "named": sum(entry.named for entry in self.entries),
            "by_country": self.by_country(),
            "errors": [problem.described(locale) for problem in self.problems],
            "sample": [
                {
                    "name": e.name,
                    "city": e.city,
                    "country": e.country,
                    "date": e.signed_on.isoformat(),
                    "named": e.named,
                }
                for e in self.entries[:SAMPLE]
            ],
        }


def read_csv(text: str, today: date | None = None) -> ReadList:
    """Read a typed-in list: a header row (name, city, country, date, named), then a signer a line.

    Commas, semicolons (Excel's CSV in Russian) or tabs separate the cells; a
    byte-order mark is skipped. Every problem is collected with its line number,
    so the organiser can fix the file in one go. Raises InvalidPaper when the
    file as a whole cannot be read.
    """
    if len(text) > MAX_CSV_CHARS:
        raise InvalidPaper("csv", "too_big", max=MAX_CSV_CHARS)
    if "\ufffd" in text:
        raise InvalidPaper("csv", "not_utf8")
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        raise InvalidPaper("csv", "empty")
    reader = csv.reader(lines, dialect=_dialect(lines[0]))
    header = [cell.strip().lower().removeprefix("\ufeff") for cell in next(reader)]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise InvalidPaper("csv", "no_header", columns=", ".join(COLUMNS))
    found, read = ReadList(), 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank lines between sheets
        read += 1
        if read > MAX_CSV_ROWS:
            raise InvalidPaper("csv", "too_many_rows", max=MAX_CSV_ROWS)
        _read_row(found, reader.line_num, dict(zip(header, row, strict=False)), today)
    return found


def _dialect(first: str) -> type[csv.Dialect]:
    """Return RFC 4180 (Excel's CSV) with the separator the header line uses.

    Only the separator is sniffed: the sniffer, seeing no quotes in a header,
    would also turn off doubled quotes and read "O""Brien" wrong.
    """
    try:
        separator = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        separator = ","
    return type("TypedList", (csv.excel,), {"delimiter": separator})


def _read_row(found: ReadList, line: int, cells: dict[str, str], today: date | None) -> None:
    values: dict[str, Any] = {}
    checks: dict[str, Any] = {
        "name": lambda v: _person_text(v, MAX_LENGTH["name"], required=True),
        "city": lambda v: _person_text(v, MAX_LENGTH["city"], required=False),
        "country": country,
        "date": lambda v: day(v, today),
        "named": lambda v: _yes_no(v) if v.strip() else False,
    }
    problems = []
    for column, check in checks.items():
        try:
            values[column] = check(cells.get(column) or "")
        except Unreadable as problem:
            problems.append(Problem(line, column, problem))
    if problems:
        found.problems.extend(problems)
        return
    found.entries.append(
        Entry(values["name"], values["city"], values["country"], values["date"], values["named"])
    )


# --- storing, listing and removing -------------------------------------------------------------


def add_count(
    session: Session,
    cache: Cache,
    petition: Petition,
    *,
    count: int,
    country_code: str,
    signed_on: date,
    note: str | None,
    by: Rights,
) -> PaperBatch:
    """Add `count` paper signatures from a country on a day; log, commit, refresh the count."""
    batch = _batch(session, petition, PaperKind.COUNT, count, note, by)
    session.add(
        PaperSignature(
            batch_id=batch.id,
            petition_id=petition.id,
            country=country_code,
            signed_on=signed_on,
            number=count,
        )
    )
    detail = {"country": country_code, "date": signed_on.isoformat(), "note": note}
    return _done(session, cache, petition, batch, "paper.add", by, **detail)


def add_list(
    session: Session,
    cache: Cache,
    petition: Petition,
    entries: list[Entry],
    *,
    note: str | None,
    by: Rights,
) -> PaperBatch:
    """Store a typed-in list (checked: no problems) as one batch; log, commit, refresh the count.

    On a sealed petition names and cities are sealed to the organisers' key
    before they are written, like an online signer's.
    """
    batch = _batch(session, petition, PaperKind.LIST, len(entries), note, by)
    seal = petition.seal_key

    def kept(value: str | None) -> str | None:
        return sealing.seal_value(seal, value) if seal else value

    session.execute(
        insert(PaperSignature),
        [
            {
                "batch_id": batch.id,
                "petition_id": petition.id,
                "country": e.country,
                "signed_on": e.signed_on,
                "number": 1,
                "name": kept(e.name),
                "city": kept(e.city),
                "named": e.named,
            }
            for e in entries
        ],
    )
    return _done(session, cache, petition, batch, "paper.import", by, note=note)


def _batch(
    session: Session, petition: Petition, kind: str, total: int, note: str | None, by: Rights
) -> PaperBatch:
    batch = PaperBatch(
        petition_id=petition.id, kind=kind, note=note, total=total, created_by=by.name
    )
    session.add(batch)
    session.flush()  # its id, for the rows
    return batch


def _done(
    session: Session,
    cache: Cache,
    petition: Petition,
    batch: PaperBatch,
    action: str,
    by: Rights,
    **detail: Any,
) -> PaperBatch:
    # In the same transaction as the rows: the count never disagrees with them.
    counting.add(session, petition.id, batch.total)
    audit.record(session, by, action, petition.slug, batch.total, batch=batch.id, **detail)
    session.commit()
    _forget(cache, petition.slug)
    return batch


def remove(
    session: Session, cache: Cache, petition: Petition, batch_id: int, *, by: Rights
) -> None:
    """Remove a batch and its signatures from the count; log, commit."""
    batch = session.scalar(
        select(PaperBatch).where(PaperBatch.id == batch_id, PaperBatch.petition_id == petition.id)
    )
    if batch is None:
        raise BatchNotFound(batch_id)
    session.execute(delete(PaperSignature).where(PaperSignature.batch_id == batch.id))
    counting.add(session, petition.id, -batch.total)
    audit.record(
        session, by, "paper.delete", petition.slug, batch.total, batch=batch.id, kind=batch.kind
    )
    session.delete(batch)
    session.commit()
    _forget(cache, petition.slug)


def _forget(cache: Cache, slug: str) -> None:
    counting.forget(cache, slug)
    cache.delete(f"undersign:stats:{slug}")  # petitions.cached_stats


def listed(session: Session, petition: Petition) -> list[dict[str, Any]]:
    """Return every batch of a petition, newest first, with what it added where."""
    batches = session.scalars(
        select(PaperBatch)
        .where(PaperBatch.petition_id == petition.id)
        .order_by(PaperBatch.id.desc())
    ).all()
    spread = _spread(session, [b.id for b in batches])
    return [describe(batch, spread.get(batch.id, {})) for batch in batches]


def _spread(session: Session, batch_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Return, per batch: signatures per country, first and last day, how many named."""
    if not batch_ids:
        return {}
    rows = session.execute(
        select(
            PaperSignature.batch_id,
            PaperSignature.country,
            func.sum(PaperSignature.number),
            func.min(PaperSignature.signed_on),
            func.max(PaperSignature.signed_on),
            func.sum(cast(PaperSignature.named, Integer)),
        )
        .where(PaperSignature.batch_id.in_(batch_ids))
        .group_by(PaperSignature.batch_id, PaperSignature.country)
        .order_by(PaperSignature.country)
    )
    found: dict[int, dict[str, Any]] = {}
    for batch_id, code, total, first, last, named in rows:
        entry = found.setdefault(
            batch_id, {"by_country": {}, "first": first, "last": last, "named": 0}
        )
        entry["by_country"][code] = int(total)
        entry["first"], entry["last"] = min(entry["first"], first), max(entry["last"], last)
        entry["named"] += int(named or 0)
    return found


def describe(batch: PaperBatch, spread: dict[str, Any]) -> dict[str, Any]:
    first, last = spread.get("first"), spread.get("last")
    return {
        "id": batch.id,
        "kind": batch.kind,
        "total": batch.total,
        "note": batch.note,
        "by_country": spread.get("by_country", {}),
        "first_date": _iso(first),
        "last_date": _iso(last),
        "named": spread.get("named", 0),
        "created_by": batch.created_by,
        "created_at": batch.created_at.isoformat(timespec="seconds"),
    }


def _iso(value: date | str | None) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


# --- what the count, the stats, the exports and the hand-over list read ------------------------


def of(petition_id: int) -> Select[Any]:
    return select(PaperSignature).where(PaperSignature.petition_id == petition_id)


def total(session: Session, petition_id: int) -> int:
    found = session.scalar(
        select(func.coalesce(func.sum(PaperSignature.number), 0)).where(
            PaperSignature.petition_id == petition_id
        )
    )
    return int(found or 0)


def by_country(session: Session, petition_id: int, *, unnamed_only: bool = False) -> dict[str, int]:
    """Return paper signatures per country (only those not to be named, if asked)."""
    query = (
        select(PaperSignature.country, func.sum(PaperSignature.number))
        .where(PaperSignature.petition_id == petition_id)
        .group_by(PaperSignature.country)
    )
    if unnamed_only:
        query = query.where(PaperSignature.named.is_(False))
    return {code: int(n) for code, n in session.execute(query)}


def by_day(session: Session, petition_id: int) -> dict[str, int]:
    query = (
        select(PaperSignature.signed_on, func.sum(PaperSignature.number))
        .where(PaperSignature.petition_id == petition_id)
        .group_by(PaperSignature.signed_on)
    )
    return {_iso(signed_on) or "": int(n) for signed_on, n in session.execute(query)}


def first_day(moment: datetime) -> date:
    """Return the first whole day at or after `moment`: a paper signature is dated, not timed."""
    if moment.astimezone(UTC).time() == datetime.min.time():
        return moment.astimezone(UTC).date()
    return moment.astimezone(UTC).date() + timedelta(days=1)


def listed_people(
    petition_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    named_only: bool = False,
) -> Select[Any]:
    """Select the typed-in signers (a count has no one to list), in the order they were stored."""
    query = of(petition_id).where(PaperSignature.name.is_not(None))
    if since:
        query = query.where(PaperSignature.signed_on >= first_day(since))
    if until:
        query = query.where(PaperSignature.signed_on < first_day(until))
    if named_only:
        query = query.where(PaperSignature.named.is_(True))
    return query.order_by(PaperSignature.id)


def people_rows(session: Session, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """Yield (name, city, country, signed_on, named) of the selected typed-in signers, streamed."""
    columns = query.with_only_columns(
        PaperSignature.name,
        PaperSignature.city,
        PaperSignature.country,
        PaperSignature.signed_on,
        PaperSignature.named,
    )
    for row in session.execute(columns.execution_options(yield_per=1000)):
        yield tuple(row)


def count_people(session: Session, query: Select[Any]) -> int:
    return int(
        session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )


def merged(*parts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Add up figures keyed alike (a country, a day) from several sources."""
    found: dict[str, int] = {}
    for part in parts:
        for key, n in part:
            found[key] = found.get(key, 0) + n
    return dict(sorted(found.items()))


def usual_country(session: Session, petition_id: int) -> str | None:
    """Return the country most of a petition's counted signers gave (online and paper), or None.

    The paper form starts on it: sheets mostly come from where the campaign is. A tie goes to
    the code first in the alphabet, so that the form does not change from one visit to the next.
    """
    online = select(Signature.country, func.count()).where(
        Signature.petition_id == petition_id,
        Signature.status == SignatureStatus.VERIFIED,
        Signature.invalidated_at.is_(None),
        Signature.country.is_not(None),
    )
    counted = merged(
        ((code, n) for code, n in session.execute(online.group_by(Signature.country))),
        by_country(session, petition_id).items(),
    )
    if not counted:
        return None
    return min(counted.items(), key=lambda item: (-item[1], item[0]))[0]
