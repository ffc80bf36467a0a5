"""A CSV export on PostgreSQL is written by COPY, and is byte for byte the one Python writes.

Both paths export the same petition in the same snapshot: awkward text (Cyrillic,
quotes, commas, line breaks, formula-like starts, empty strings and NULLs), sealed
values, typed-in paper signers, every filter, a partner's rights, a byte-order mark
and each language's country names.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from undersign.campaigns import paper, petitions
from undersign.core import sealing
from undersign.core.auth import CLI, Rights
from undersign.core.cache import get_cache
from undersign.core.db import database
from undersign.core.models import Signature
from undersign.organisers import export

from tests.conftest import create_petition

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SLUG = "test-petition"
VERIFIED, PLAIN = export.Filters(), export.Layout()
KZ_UNION = Rights(name="partner-kz-union", partner="kz-union")
MOMENT = datetime(2026, 11, 28, 23, 59, 59, 999999, tzinfo=UTC)
# What signers typed, and what was made of it: every case a CSV writer can get wrong.
AWKWARD: list[dict[str, Any]] = [
    {
        "name": "Ольга Ким",
        "city": "Қарағанды",
        "comment": 'Мы с вами, "товарищи"!',
        "public": True,
        "contact_consent": True,
        "named": True,
        "source": "kz-union",
    },
    {
        "name": "=cmd|' /C calc'!A0",
        "email": "+tag@example.org",
        "postcode": "-100600",
        "city": "@Almaty",
        "comment": "line one\nline two, with a comma",
        "source": "-dash",
        "flagged": True,
    },
    {"name": "\tTabbed", "city": "\rReturn", "comment": "windows\r\nline", "contact_consent": True},
    {"name": "", "email": "", "postcode": "", "city": "", "comment": "", "source": ""},
    {"name": "No extras", "postcode": None, "city": None, "comment": None, "source": None},
    {"name": 'He said "no"', "city": ",", "comment": '"', "country": "XK"},  # a code with no name
    {"name": " spaced ", "comment": "\\.", "postcode": "a\rb", "country": "RU", "locale": "ru"},
    {"name": "Partner, consenting", "source": "kz-union", "contact_consent": True},
    {"name": "Partner, silent", "source": "kz-union"},
    {"name": "Waiting", "status": "pending", "verified_at": None, "source": "kz-union"},
    {"name": "Gone", "status": "withdrawn", "withdrawn_at": MOMENT},
    {"name": "Fake", "invalidated_at": MOMENT, "invalidation_reason": "duplicate"},
]
PAPER = [
    paper.Entry("Бекова Айгерим", "Жезказган", "KZ", date(2026, 11, 28), True),
    paper.Entry("=1+1", "+city", "KZ", date(2026, 11, 29), False),
    paper.Entry('Quote "me", please', None, "RU", date(2026, 11, 30), True),
]


def signature(petition_id: int, number: int, **fields: Any) -> dict[str, Any]:
    """A stored signature: verified by default, signed `number` days and a few µs ago."""
    signed = MOMENT - timedelta(days=number, microseconds=number)
    return {
        "petition_id": petition_id,
        "email_key": f"key-{number}",
        "spelling_key": f"key-{number}",
        "name": f"Signer {number}",
        "email": f"signer{number}@example.org",
        "postcode": "100600",
        "city": "Zhezkazgan",
        "country": "KZ",
        "status": "verified",
        "created_at": signed,
        "verified_at": signed + timedelta(minutes=5),
        **fields,
    }


def store(app: Flask, slug: str, rows: list[dict[str, Any]], entries: list[paper.Entry]) -> None:
    """Write signatures as they are (sealed on a sealed petition), and a paper list and count."""
    with database(app).sessions() as session:
        petition = petitions.find(session, slug)
        key = petition.seal_key
        sealed = [
            {k: sealing.seal_value(key, v) if key and k in SEALED else v for k, v in row.items()}
            for row in rows
        ]
        numbered = [signature(petition.id, n, **row) for n, row in enumerate(sealed)]
        session.execute(insert(Signature), numbered)
        session.commit()
        cache = get_cache(app)
        paper.add_list(session, cache, petition, entries, note=None, by=CLI)
        day = date(2026, 11, 28)
        paper.add_count(
            session, cache, petition, count=120, country_code="KZ", signed_on=day, note=None, by=CLI
        )


SEALED = ("name", "email", "postcode", "city", "comment")


def both(
    app: Flask,
    slug: str,
    filters: export.Filters = VERIFIED,
    layout: export.Layout = PLAIN,
    rights: Rights = CLI,
) -> tuple[bytes, bytes]:
    """Export through Python's csv writer and through COPY, in one snapshot."""
    with export.consistent_session(database(app).sessions) as session:
        petition = petitions.find(session, slug)
        args = (session, petition, filters, layout, rights)
        return b"".join(export.csv_in_python(*args)), b"".join(export.csv_by_copy(*args))


@pytest.fixture
def awkward(app: Flask) -> Flask:
    create_petition(app)
    store(app, SLUG, AWKWARD, PAPER)
    return app


@pytest.mark.parametrize(
    ("filters", "layout", "rights"),
    [
        (export.Filters(), export.Layout(), CLI),
        (export.Filters(status="all"), export.Layout(bom=True), CLI),
        (export.Filters(status="pending"), export.Layout(locale="ru"), CLI),
        (export.Filters(source="kz-union"), export.Layout(locale="kk"), CLI),
        (export.Filters(since=MOMENT - timedelta(days=6)), export.Layout(), CLI),
        (export.Filters(until=MOMENT - timedelta(days=4), status="all"), export.Layout(), CLI),
        (export.Filters(since=datetime(2026, 11, 29, 12, tzinfo=UTC)), export.Layout(), CLI),
        (export.Filters(), export.Layout(), KZ_UNION),
        (export.Filters(status="all"), export.Layout(bom=True), KZ_UNION),
    ],
    ids=[
        "verified",
        "all-bom",
        "pending-ru",
        "source-kk",
        "since",
        "until",
        "paper-days",
        "partner",
        "partner-all",
    ],
)
def test_copy_writes_what_python_writes_byte_for_byte(awkward, filters, layout, rights):
    in_python, by_copy = both(awkward, SLUG, filters, layout, rights)
    assert by_copy == in_python
    assert by_copy.startswith(b"\xef\xbb\xbfname," if layout.bom else b"name,")


def test_the_awkward_rows_are_there_and_quoted_as_a_spreadsheet_reads_them(awkward):
    in_python, by_copy = both(awkward, SLUG)
    assert by_copy == in_python
    text = by_copy.decode("utf-8")
    assert text.count("\r\n") == 1 + 9 + 2 + 2  # header, 9 counted online, 2 typed in, 2 inside
    assert '"line one\nline two, with a comma"' in text and '"windows\r\nline"' in text
    assert "'=cmd|' /C calc'!A0,'+tag@example.org,'-100600,'@Almaty" in text
    assert "'\tTabbed" in text and "'-dash" in text and "'=1+1" in text and "'+city" in text
    assert '"He said ""no""",' in text and ',"""",' in text and "XK,XK," in text
    assert "Ольга Ким" in text and "Казахстан" not in text and ",Kazakhstan," in text
    assert ",2026-11-28T23:59:59+00:00," in text  # whole seconds, cut (not rounded)
    assert "Waiting" not in text and "Gone" not in text and "Fake" not in text
    assert "\r\n,,,,KZ,Kazakhstan,,no,no,no,,en,verified,no," in text  # "" is an empty cell


def test_a_partner_gets_only_its_consenting_signers_either_way(awkward):
    in_python, by_copy = both(awkward, SLUG, rights=KZ_UNION)
    assert by_copy == in_python
    lines = by_copy.decode("utf-8").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["Ольга Ким", '"Partner']
    assert "paper" not in by_copy.decode("utf-8")


def test_a_sealed_petition_streams_its_sealed_values_as_stored(app):
    key = sealing.generate()
    with database(app).sessions() as session:
        petitions.create(session, "sealed", {"en": {"title": "T"}}, by=CLI, seal_key=key.public)
    store(app, "sealed", AWKWARD[:3], PAPER)
    in_python, by_copy = both(app, "sealed")
    assert by_copy == in_python
    with database(app).sessions() as session:
        petition = petitions.find(session, "sealed")
        stored = session.scalars(Signature.counted(petition.id).order_by(Signature.id)).all()
    text = by_copy.decode("utf-8")
    assert "Ольга" not in text and "Бекова" not in text and "calc" not in text
    names = [line.split(",")[0] for line in text.splitlines()[1:]]
    assert names[:3] == [row.name for row in stored]  # the very text stored: never opened
    assert all(name.startswith("sealed:") for name in names)
    assert sealing.open_value([key.private], names[0]) == "Ольга Ким"


# --- any text a signer could type ----------------------------------------------------------

# PostgreSQL's text holds any character but NUL; surrogates are not UTF-8.
TYPED = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
STARTS = st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", '"', ",", "\n", " ", "'"])
CELL = st.builds(lambda start, rest: start + rest, STARTS, TYPED)
MOMENTS = st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC))
ROW = st.fixed_dictionaries(
    {
        "name": CELL,
        "email": CELL,
        "postcode": st.none() | CELL,
        "city": st.none() | CELL,
        "comment": st.none() | CELL,
        "source": st.none() | st.from_regex(r"-?[a-z0-9-]{0,5}", fullmatch=True),
        "country": st.sampled_from(["KZ", "RU", "XK", "DE", ""]),
        "public": st.booleans(),
        "contact_consent": st.booleans(),
        "named": st.booleans(),
        "flagged": st.booleans(),
        "status": st.sampled_from(["verified", "pending", "withdrawn"]),
        "created_at": MOMENTS,
        "verified_at": st.none() | MOMENTS,
    }
)
ENTRY = st.builds(
    paper.Entry,
    CELL.filter(bool),
    st.none() | CELL,
    st.sampled_from(["KZ", "RU", "XK"]),
    st.dates(date(1900, 1, 1), date(2200, 1, 1)),
    st.booleans(),
)
numbers = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same 60 cases every run: a failure here is a change, not luck
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(ROW, max_size=6),
    entries=st.lists(ENTRY, max_size=3),
    status=st.sampled_from(export.STATUSES),
    layout=st.builds(export.Layout, st.just("csv"), st.booleans(), st.sampled_from(["en", "ru"])),
)
def test_any_text_a_signer_could_type_comes_out_the_same(app, rows, entries, status, layout):
    slug = f"p{next(numbers)}"
    create_petition(app, slug)
    rows = [
        row | {"email_key": f"{slug}-{n}", "spelling_key": f"{slug}-{n}"}
        for n, row in enumerate(rows)
    ]
    with database(app).sessions() as session:
        petition = petitions.find(session, slug)
        if rows:
            session.execute(insert(Signature), [{"petition_id": petition.id, **r} for r in rows])
        session.commit()
        if entries:
            paper.add_list(session, get_cache(app), petition, entries, note=None, by=CLI)
    in_python, by_copy = both(app, slug, export.Filters(status=status), layout)
    assert by_copy == in_python
    with database(app).sessions.begin() as session:  # keep the next example's petition small
        session.execute(delete(Signature).where(Signature.petition_id == petition.id))
