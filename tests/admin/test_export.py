"""Exports through the API: CSV, JSONL, every filter, neutralised formulas, the printable list."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from undersign import cli, export, petitions
from undersign.db import database
from undersign.models import Signature


def rows(answer):
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


@pytest.fixture
def signed(signer):
    signer.sign_and_confirm(
        "a@example.org",
        name="=cmd|' /C calc'!A0",
        comment="+1 from us",
        city="@Almaty",
        source="kz-union",
        named=True,
    )
    signer.sign_and_confirm("b@example.org", name="-Minus Person", comment="=SUM(A1:A9)")
    signer.sign_and_confirm("c@example.org", name="Ольга Ким", city="Қарағанды", named=True)
    signer.sign(email="d@example.org", name="Pending Person")
    return signer


def test_csv_has_one_header_row_is_utf8_and_streams_as_an_attachment(signed, organiser):
    answer = organiser.get("/petitions/test-petition/export", format="csv")
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="test-petition-')
    assert answer.is_streamed
    text = answer.get_data().decode("utf-8")
    assert text.splitlines()[0].startswith("name,email,postcode,city,country,comment")
    assert "contact_consent,named,source" in text.splitlines()[0]
    found = {row["email"]: row for row in rows(answer)}
    assert found["c@example.org"]["city"] == "Қарағанды"
    assert found["c@example.org"]["named"] == "True" and found["b@example.org"]["named"] == "False"
    assert len(found) == 3 and answer.headers["X-Total-Rows"] == "3"


def test_formula_like_cells_are_neutralised_in_csv(signed, organiser):
    found = {r["email"]: r for r in rows(organiser.get("/petitions/test-petition/export"))}
    assert found["a@example.org"]["name"] == "'=cmd|' /C calc'!A0"
    assert found["a@example.org"]["comment"] == "'+1 from us"
    assert found["a@example.org"]["city"] == "'@Almaty"
    assert found["b@example.org"]["name"] == "'-Minus Person"
    assert found["b@example.org"]["comment"] == "'=SUM(A1:A9)"
    assert found["c@example.org"]["name"] == "Ольга Ким"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    # The sign form trims whitespace, so TAB and CR are proven on the cell itself.
    assert export._cell(f"{start}x") == f"'{start}x"
    assert export._cell("plain") == "plain" and export._cell(None) is None


def test_jsonl_is_raw(signed, organiser):
    answer = organiser.get("/petitions/test-petition/export", format="jsonl")
    assert answer.mimetype == "application/jsonl"
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert lines[0]["name"] == "=cmd|' /C calc'!A0" and lines[0]["public"] is False
    assert [line["named"] for line in lines] == [True, False, True]
    assert [line["email"] for line in lines] == ["a@example.org", "b@example.org", "c@example.org"]


@pytest.mark.parametrize(
    ("query", "emails"),
    [
        ({}, {"a@example.org", "b@example.org", "c@example.org"}),
        ({"status": "pending"}, {"d@example.org"}),
        ({"status": "all"}, {"a@example.org", "b@example.org", "c@example.org", "d@example.org"}),
        ({"source": "kz-union"}, {"a@example.org"}),
        ({"since": "2026-03-01"}, {"b@example.org", "c@example.org"}),
        ({"until": "2026-02-28"}, {"a@example.org"}),
        ({"since": "2026-03-01", "until": "2026-03-01"}, {"b@example.org"}),
        ({"since": "2026-03-01T12:00:00+00:00"}, {"c@example.org"}),
    ],
)
def test_every_filter(app, signed, organiser, query, emails):
    _date_signatures(app)
    answer = organiser.get("/petitions/test-petition/export", **query)
    assert {row["email"] for row in rows(answer)} == emails


def _date_signatures(app):
    """Put the signers on known days: a in February, b on 1 March, c and d in April."""
    days = {
        "a@example.org": datetime(2026, 2, 10, tzinfo=UTC),
        "b@example.org": datetime(2026, 3, 1, 9, tzinfo=UTC),
        "c@example.org": datetime(2026, 4, 2, tzinfo=UTC),
        "d@example.org": datetime(2026, 4, 3, tzinfo=UTC),
    }
    with database(app).sessions.begin() as session:
        for email, day in days.items():
            session.execute(
                update(Signature).where(Signature.email == email).values(created_at=day)
            )


def test_invalidated_and_withdrawn_signatures_are_not_exported_as_verified(signed, organiser):
    b = organiser.signature_id("test-petition", "b@example.org")
    organiser.post(f"/signatures/{b}/invalidate", {"reason": "fake"})
    emails = {row["email"] for row in rows(organiser.get("/petitions/test-petition/export"))}
    assert emails == {"a@example.org", "c@example.org"}


def test_bad_filters_are_422_and_unknown_petitions_404(signed, organiser):
    export = "/petitions/test-petition/export"
    assert organiser.get(export, format="xlsx").status_code == 422
    assert organiser.get(export, status="maybe").status_code == 422
    assert organiser.get(export, since="yesterday").status_code == 422
    assert organiser.get("/petitions/nope/export").status_code == 404


def test_the_cli_and_the_api_give_the_same_export(app, signed, organiser):
    through_api = organiser.get("/petitions/test-petition/export").get_data(as_text=True)
    result = CliRunner().invoke(cli.main, ["export", "test-petition"], obj=app)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == through_api.splitlines()
    since = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    later = CliRunner().invoke(cli.main, ["export", "test-petition", "--since", since], obj=app)
    assert later.stdout.splitlines() == [through_api.splitlines()[0]]
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    through = CliRunner().invoke(cli.main, ["export", "test-petition", "--until", today], obj=app)
    assert through.stdout.splitlines() == through_api.splitlines()  # the day itself included
    bad = CliRunner().invoke(cli.main, ["export", "test-petition", "--since", "soon"], obj=app)
    assert bad.exit_code != 0 and "ISO date" in bad.output


def test_the_printable_list_is_numbered_with_name_city_country_date_and_a_print_header(
    signed, organiser
):
    answer = organiser.get("/petitions/test-petition/handover")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    page = answer.get_data(as_text=True)
    assert "<title>Save the plant: 3 signatures</title>" in page
    assert "Save the plant — 3 verified signatures" in page  # repeated on each printed page
    assert "admin/handover.css" in page
    assert '<td class="n">2</td><td>Ольга Ким</td><td>Қарағанды</td>' in page
    assert "=cmd|&#39; /C calc&#39;!A0" in page  # escaped, not markup
    assert "Minus Person" not in page  # b did not agree to be named: counted only
    assert '<tr><td class="country">KZ</td><td class="n">1</td></tr>' in page
    assert "a@example.org" not in page  # the authorities get no email addresses
    assert "Pending Person" not in page


def test_an_export_reads_one_moment_while_signers_keep_verifying(app, signed):
    # The count written to the audit log and the rows streamed come from one
    # snapshot; on SQLite the export's read must not hold up the signer's write.
    sessions = database(app).sessions
    with export.consistent_session(sessions) as snapshot:
        petition = petitions.find(snapshot, "test-petition")
        total = export.count(snapshot, petition, export.Filters())
        signed.sign_and_confirm("late@example.org", name="Late Signer")
        streamed = list(export.rows(snapshot, petition, export.Filters()))
    assert total == len(streamed) == 3
    assert "late@example.org" not in {export.record(values)["email"] for values in streamed}
    assert signed.count() == 4
