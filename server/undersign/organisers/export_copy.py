"""CSV written by PostgreSQL's COPY, byte for byte as Python's csv module writes it.

Formatting cells is most of an export's work; `COPY ... TO STDOUT` does it in the
database while the rows are read (bench/README.md, "Export", has the figures).
export.py says which rule applies to which column; the rules themselves are here,
each the SQL twin of one that export.py applies in Python:

- a cell a signer typed that starts like a formula gets a leading `'`;
- booleans are words, moments are ISO to the second in UTC, days are ISO;
- a code is shown by its name (a JSON object of names, looked up per row);
- NULL and the empty string are both an empty cell (COPY would quote the empty
  string to tell them apart; Python's csv does not);
- lines end with CRLF, as csv.writer ends them (COPY ends them with LF).

Quoting needs no rule: COPY and csv.writer both quote a cell holding a comma, a
quote, CR or LF, and nothing else, and double the quotes inside. Sealed values
are text like any other: they stream as stored, never opened here.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import ColumnElement, Select, Text, case, cast, func, literal, not_, null
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import QueryableAttribute, Session

# A column of a table, or an expression made of columns.
Cell = ColumnElement[Any] | QueryableAttribute[Any]
# Rows per chunk: about 80 kB of a typical export, a socket write's worth.
ROWS = 512
# How the transaction writes moments as text: 2026-11-30 18:05:09+00 (`moment` builds on it).
SESSION = "SET LOCAL DateStyle = 'ISO'; SET LOCAL TimeZone = 'UTC'"
# Each row but its last byte, the LF COPY ends it with.
_LINE = operator.itemgetter(slice(None, -1))


def available(session: Session) -> bool:
    """Can COPY write this session's export? On PostgreSQL, talking UTF-8."""
    if session.connection().dialect.name != "postgresql":
        return False
    return _driver(session).info.encoding == "utf-8"


def typed(column: Cell, formula_starts: Sequence[str]) -> ColumnElement[Any]:
    """A cell someone typed: empty when empty, behind a `'` when it starts like a formula."""
    # Every formula start sorts before this: a cell from here on (one bytewise
    # comparison, true for most: any letter, Latin or Cyrillic) passes as it is.
    beyond = chr(ord(max(formula_starts)) + 1)
    codes = [literal(ord(start)) for start in formula_starts]
    return case(
        (column.collate("C") >= beyond, column),
        (column == "", null()),
        (func.ascii(column).in_(codes), literal("'", Text) + column),
        else_=column,
    )


def plain(column: Cell) -> ColumnElement[Any]:
    """A cell of ours (a code, a status): empty when empty."""
    return func.nullif(column, "")


def words(column: Cell, yes_no: Mapping[bool, str]) -> ColumnElement[Any]:
    """A yes-or-no as the words people read; empty when unknown."""
    return case((column, yes_no[True]), (not_(column), yes_no[False]))


def moment(column: Cell) -> ColumnElement[Any]:
    """A moment to the second, as isoformat writes it: 2026-11-30T18:05:09+00:00.

    The session's own text for a moment (ISO, in UTC: see SESSION) cut to the
    second, with a T: cheaper than to_char, which a million rows feel.
    """
    whole_seconds = func.date_trunc("second", column)
    return func.replace(cast(whole_seconds, Text), " ", "T") + ":00"


def day(column: Cell) -> ColumnElement[Any]:
    """A day as ISO (2026-11-30)."""
    return func.to_char(column, "YYYY-MM-DD")


def named(column: Cell, names: Mapping[str, str]) -> ColumnElement[Any]:
    """A code's name from `names`, or the code itself when it has none.

    The names travel as one JSON object, bound once per export: looking a key up
    in it is a binary search, and the rows keep their order (a join would not).
    """
    table = cast(literal(json.dumps(names, ensure_ascii=False), Text), JSONB)
    return func.coalesce(table.op("->>", return_type=Text)(column), plain(column))


def constant(value: str | None) -> ColumnElement[Any]:
    return null() if value is None else literal(value, Text)


def chunks(session: Session, statement: Select[Any]) -> Iterator[bytes]:
    """Yield the rows of `statement` as CSV lines ending in CRLF, ROWS lines at a time.

    The rows come through the session's own connection, inside its transaction
    (an export's consistent snapshot). Memory stays flat: COPY sends one row a
    message, and a chunk leaves before the next is read. Leaving early (a client
    that hangs up) cancels the COPY; the session's rollback then ends the read.
    """
    connection = session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    with _driver(session).cursor() as cursor:
        cursor.execute(SESSION)
        query = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
        with cursor.copy(query, compiled.params) as copy:
            rows = iter(copy)
            while batch := list(itertools.islice(rows, ROWS)):
                # COPY sends each row in a message of its own, ending in LF (a line
                # break inside a quoted cell stays as it is, as csv.writer leaves it).
                yield b"\r\n".join([*map(_LINE, batch), b""])


def _driver(session: Session) -> psycopg.Connection[Any]:
    """Return psycopg's own connection under the session's (in its transaction)."""
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver
