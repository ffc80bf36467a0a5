"""Paper signatures: counts and typed-in lists join the count and the stats; never emailed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from undersign.campaigns import paper
from undersign.core.db import database
from undersign.core.models import AuditEntry, OutboxMessage, PaperSignature

from tests.admin.conftest import OrganiserAPI, make_token

PAPER = "/petitions/test-petition/paper"
LIST = """name,city,country,date,named
Ержан Сапаров,Жезказган,KZ,2026-11-28,yes
Ольга Ким,Сатпаев,Казахстан,28.11.2026,
Bolat Nurlan,,kz,2026-11-29,no
"""


@pytest.fixture
def organiser(app, client):
    return OrganiserAPI(client, make_token(app, "campaign-office"))


@pytest.fixture
def as_partner(app, client):
    return lambda source: OrganiserAPI(client, make_token(app, f"partner-{source}", source))


def add(organiser, count=120, country="KZ", day="2026-11-28", note="plant gate"):
    return organiser.post(PAPER, {"count": count, "country": country, "date": day, "note": note})


def test_a_count_from_the_sheets_joins_the_public_count_and_the_stats(signer, organiser):
    signer.sign_and_confirm("a@example.org", country="KZ")
    assert signer.count() == 1  # now cached: adding must refresh it
    added = add(organiser)
    assert added.status_code == 201, added.json
    assert added.json["total"] == 120 and added.json["note"] == "plant gate"
    assert added.json["first_date"] == added.json["last_date"] == "2026-11-28"
    assert signer.count() == 121
    assert signer.client.get("/api/v1/petitions/test-petition").json["signature_count"] == 121
    stats = signer.client.get("/api/v1/petitions/test-petition/stats").json
    assert stats["by_country"] == {"KZ": 121}
    assert {"date": "2026-11-28", "count": 120} in stats["by_day"]
    assert "paper" not in stats  # the organisers' figure
    dashboard = organiser.get("/petitions/test-petition/dashboard").json
    assert dashboard["paper"] == 120 and dashboard["by_country"] == {"KZ": 121}


def test_removing_a_count_takes_it_out_of_the_count_and_is_logged(signer, organiser, app):
    batch = add(organiser, count=40).json["id"]
    add(organiser, count=2, country="RU", day="2026-11-29")
    assert signer.count() == 42
    assert organiser.delete(f"{PAPER}/{batch}").status_code == 204
    assert signer.count() == 2
    assert organiser.delete(f"{PAPER}/{batch}").status_code == 404
    listed = organiser.get(PAPER).json
    assert listed["total"] == 2 and [b["by_country"] for b in listed["batches"]] == [{"RU": 2}]
    with database(app).sessions() as session:
        actions = session.execute(
            select(AuditEntry.action, AuditEntry.rows).order_by(AuditEntry.id)
        ).all()
    assert [a for a in actions if a[0].startswith("paper.")] == [
        ("paper.add", 40),
        ("paper.add", 2),
        ("paper.delete", 40),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0, "country": "KZ", "date": "2026-11-28"}, "count"),
        ({"count": 100_001, "country": "KZ", "date": "2026-11-28"}, "count"),
        ({"count": "12", "country": "KZ", "date": "2026-11-28"}, "count"),
        ({"count": True, "country": "KZ", "date": "2026-11-28"}, "count"),
        ({"count": 5, "country": "XX", "date": "2026-11-28"}, "country"),
        ({"count": 5, "date": "2026-11-28"}, "country"),
        ({"count": 5, "country": "KZ", "date": "28/11/2026"}, "date"),
        ({"count": 5, "country": "KZ", "date": "2999-01-01"}, "date"),
        ({"count": 5, "country": "KZ", "date": "2026-11-28", "note": "x" * 201}, "note"),
        ({"count": 5, "country": "KZ", "date": "2026-11-28", "note": "a\x07b"}, "note"),
    ],
)
def test_a_wrong_count_is_422_naming_the_field_and_changes_nothing(signer, organiser, body, field):
    answer = organiser.post(PAPER, body)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"]
    assert signer.count() == 0 and organiser.get(PAPER).json["batches"] == []


def test_partner_tokens_cannot_add_or_see_paper(signer, organiser, as_partner):
    partner = as_partner("kz-union")
    assert (
        partner.post(PAPER, {"count": 5, "country": "KZ", "date": "2026-11-28"}).status_code == 403
    )
    assert partner.get(PAPER).status_code == 403
    assert partner.post(f"{PAPER}/import", {"csv": LIST}).status_code == 403
    batch = add(organiser).json["id"]
    assert partner.delete(f"{PAPER}/{batch}").status_code == 403
    # A partner's stats are its own share: paper is nobody's partner.
    assert "KZ" not in partner.get("/petitions/test-petition/dashboard").json["by_country"]


def test_the_dry_run_shows_what_would_be_added_and_stores_nothing(signer, organiser):
    answer = organiser.post(f"{PAPER}/import", {"csv": LIST})
    assert answer.status_code == 200, answer.json
    assert answer.json["dry_run"] is True and answer.json["errors"] == []
    assert answer.json["valid"] == 3 and answer.json["named"] == 1
    assert answer.json["by_country"] == {"KZ": 3}
    assert answer.json["sample"][1] == {
        "name": "Ольга Ким",
        "city": "Сатпаев",
        "country": "KZ",
        "date": "2026-11-28",
        "named": False,
    }
    assert signer.count() == 0 and organiser.get(PAPER).json["batches"] == []


def test_every_error_is_shown_by_line_before_anything_is_stored(signer, organiser):
    wrong = (
        "name;city;country;date\n"  # Excel in Russian writes semicolons
        "Ержан Сапаров;Жезказган;KZ;2026-11-28\n"
        ";Сатпаев;KZ;2026-11-28\n"
        '=HYPERLINK("http://evil");+7 city;ZZ;2026-13-01\n'
        "\n"
        "Ok Person;@home;Qazaqstan;yesterday\n"
    )
    answer = organiser.post(f"{PAPER}/import", {"csv": wrong})
    assert answer.status_code == 200
    assert [(e["line"], e["field"]) for e in answer.json["errors"]] == [
        (3, "name"),
        (4, "name"),
        (4, "city"),
        (4, "country"),
        (4, "date"),
        (6, "city"),
        (6, "country"),
        (6, "date"),
    ]
    assert "formula" in answer.json["errors"][1]["message"]
    assert all("evil" not in e["message"] for e in answer.json["errors"])  # no data echoed
    stored = organiser.post(f"{PAPER}/import", {"csv": wrong, "dry_run": False})
    assert stored.status_code == 422 and "3 lines" in stored.json["error"]["fields"]["csv"]
    assert signer.count() == 0 and organiser.get(PAPER).json["batches"] == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("first,last\nA,B\n", "columns"),
        ("name,country,date\n" + "A,KZ,2026-11-28\n" * (paper.MAX_CSV_ROWS + 1), "rows"),
        ("x" * (paper.MAX_CSV_CHARS + 1), "characters"),
        ("name,country,date\nA\ufffdB,KZ,2026-11-28\n", "UTF-8"),
    ],
)
def test_a_list_that_cannot_be_read_is_422(organiser, petition, text, problem):
    answer = organiser.post(f"{PAPER}/import", {"csv": text})
    assert answer.status_code == 422 and problem in answer.json["error"]["fields"]["csv"]


def test_a_stored_list_counts_and_names_only_whom_the_list_says(signer, organiser, app):
    stored = organiser.post(
        f"{PAPER}/import", {"csv": "\ufeff" + LIST, "note": "gate, day 1", "dry_run": False}
    )
    assert stored.status_code == 201, stored.json
    assert stored.json["batch"]["total"] == 3 and stored.json["batch"]["note"] == "gate, day 1"
    assert (stored.json["batch"]["first_date"], stored.json["batch"]["last_date"]) == (
        "2026-11-28",
        "2026-11-29",
    )
    assert signer.count() == 3
    [batch] = organiser.get(PAPER).json["batches"]
    assert batch["kind"] == "list" and batch["named"] == 1
    assert (batch["first_date"], batch["last_date"]) == ("2026-11-28", "2026-11-29")
    stats = signer.client.get("/api/v1/petitions/test-petition/stats").json
    assert stats["by_country"] == {"KZ": 3}
    assert organiser.delete(f"{PAPER}/{batch['id']}").status_code == 204
    assert signer.count() == 0
    with database(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(PaperSignature)) == 0


def test_paper_signatures_never_reach_the_outbox(signer, organiser, app):
    add(organiser)
    organiser.post(f"{PAPER}/import", {"csv": LIST, "dry_run": False})
    with database(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert signer.deliver() == 0 and signer.smtp.mailbox.messages == []


def test_bad_bodies_get_one_answer_each(organiser, petition):
    assert (
        organiser.client.post(
            f"/api/v1/admin{PAPER}", data="x", headers=organiser.headers()
        ).status_code
        == 415
    )
    assert organiser.post(f"{PAPER}/import", {"csv": 5}).status_code == 422
    assert organiser.post(f"{PAPER}/import", {"csv": LIST, "dry_run": "no"}).status_code == 422
    count = {"count": 1, "country": "KZ", "date": "2026-11-28"}  # valid: only the petition is wrong
    unknown = organiser.post("/petitions/nope/paper", count)
    assert unknown.status_code == 404
    assert unknown.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_quoted_cells_are_read_as_rfc_4180_writes_them_whatever_the_separator(sep):
    """A doubled quote is one quote, a quoted separator or line break stays in its cell."""
    rows = [
        ["name", "city", "country", "date", "named"],
        ['"O""Brien"', '"Жезказган, Ulytau"', "KZ", "2026-11-28", "yes"],
        ['"Ольга ""Оля"" Ким"', "Сатпаев", "KZ", "2026-11-28", "no"],
    ]
    text = "\r\n".join(sep.join(row) for row in rows) + "\r\n"
    found = paper.read_csv(text, today=date(2026, 11, 30))
    assert found.problems == []
    assert [(e.name, e.city) for e in found.entries] == [
        ('O"Brien', "Жезказган, Ulytau"),
        ('Ольга "Оля" Ким', "Сатпаев"),
    ]


def test_days_and_countries_are_read_as_organisers_write_them():
    today = date(2026, 11, 30)
    assert paper.day("28.11.2026", today) == date(2026, 11, 28)
    assert paper.day("2026-12-01", today) == date(2026, 12, 1)  # UTC+5 is a day ahead at night
    with pytest.raises(ValueError):
        paper.day("2026-12-02", today)
    assert paper.country("Казахстан") == paper.country("Қазақстан") == paper.country("kz") == "KZ"
    with pytest.raises(ValueError):
        paper.country("Atlantis")


def test_the_command_line_adds_a_count_and_checks_then_stores_a_list(app, signer, tmp_path):
    from click.testing import CliRunner
    from undersign import cli

    def run(*args):
        return CliRunner().invoke(cli.main, list(args), obj=app)

    added = run(
        "paper",
        "add",
        "test-petition",
        "--count",
        "120",
        "--country",
        "Казахстан",
        "--date",
        "2026-11-28",
        "--note",
        "plant gate",
    )
    assert added.exit_code == 0, added.output
    assert "added 120 signatures on paper (KZ, 2026-11-28)" in added.stdout
    assert signer.count() == 120
    refused = run(
        "paper", "add", "test-petition", "--count", "5", "--country", "ZZ", "--date", "2026-11-28"
    )
    assert refused.exit_code == 2 and "country" in refused.output
    assert (
        run(
            "paper", "add", "nope", "--count", "5", "--country", "KZ", "--date", "2026-11-28"
        ).exit_code
        == 1
    )

    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,country,date\nA,ZZ,2026-11-28\n", "utf-8")
    checked = run("paper", "import", "test-petition", str(wrong), "--commit")
    assert checked.exit_code == 1 and "line 2: country" in checked.stderr
    right = tmp_path / "right.csv"
    right.write_text(LIST, "utf-8")
    dry = run("paper", "import", "test-petition", str(right))
    assert dry.exit_code == 0 and "3 signers read, 0 problems" in dry.stdout
    assert signer.count() == 120
    stored = run("paper", "import", "test-petition", str(right), "--commit")
    assert stored.exit_code == 0 and "stored as batch" in stored.stdout
    assert signer.count() == 123


# --- the problems, in the organiser's language ------------------------------------------------


def check_list(organiser, text, lang=None, dry_run=True):
    """Send a list as /admin/ does: in the language its page shows (Accept-Language)."""
    headers = {**organiser.headers(), **({"Accept-Language": lang} if lang else {})}
    return organiser.client.post(
        f"/api/v1/admin{PAPER}/import", json={"csv": text, "dry_run": dry_run}, headers=headers
    )


WRONG = "name,city,country,date\n" + "Ержан Сапаров,Жезказган,Атлантида,2026-13-01\n"


@pytest.mark.parametrize(
    ("lang", "country", "day"),
    [
        (None, "country is not a country code (KZ) or a country's name", "date must be a date"),
        ("kk", "country: бұл ел коды (KZ) да, ел атауы да емес", "date: күн 2026-11-28 немесе"),
        ("ru-RU,ru;q=0.9", "country: это не код страны (KZ) и не её название", "date: дата должна"),
    ],
)
def test_a_lists_problems_reach_the_organiser_in_the_language_of_their_page(
    organiser, petition, lang, country, day
):
    answer = check_list(organiser, WRONG, lang)
    assert answer.status_code == 200
    assert [(e["line"], e["field"], e["code"]) for e in answer.json["errors"]] == [
        (2, "country", "not_country"),
        (2, "date", "date_format"),
    ]
    assert answer.json["errors"][0]["message"] == country
    assert answer.json["errors"][1]["message"].startswith(day)


def test_a_list_that_cannot_be_read_or_stored_is_refused_in_the_organisers_language(
    organiser, petition
):
    empty = check_list(organiser, "", "ru")
    assert empty.status_code == 422
    assert empty.json["error"]["fields"]["csv"] == (
        "список пуст: в первой строке должны быть названия столбцов"
    )
    big = check_list(organiser, "x" * (paper.MAX_CSV_CHARS + 1), "kk")
    assert (
        big.json["error"]["fields"]["csv"] == "тізім тым үлкен: ең көбі 2\u00a0000\u00a0000 таңба"
    )
    stored = check_list(organiser, WRONG, "ru", dry_run=False)
    assert stored.status_code == 422
    assert stored.json["error"]["fields"]["csv"].startswith("ошибки в 1 строке")
    long_name = check_list(organiser, "name,country,date\n" + "Я" * 121 + ",KZ,2026-11-28\n", "ru")
    assert long_name.json["errors"][0]["message"] == "name: слишком длинно: не больше 120 символов"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("США", "US"),  # the name the picker shows now
        ("Соединенные Штаты", "US"),  # CLDR's, which sheets typed before say
        ("Соединённые Штаты", "US"),
        ("Киргизия", "KG"),
        ("Кыргызстан", "KG"),
        ("Аустрия", "AT"),
        ("Австрия", "AT"),
        ("о-в Св. Елены", "SH"),
        ("Остров Святой Елены", "SH"),
        ("Конго - Киншаса", "CD"),
        ("ДР Конго", "CD"),
        ("Сянган АӘА", "HK"),
        ("Гонконг", "HK"),
    ],
)
def test_countries_read_by_the_names_pickers_show_and_by_the_names_they_replaced(written, code):
    assert paper.country(written) == code


def test_a_list_typed_with_old_country_names_is_stored(signer, organiser):
    typed = "name,country,date\nA,Соединенные Штаты,2026-11-28\nB,Аустрия,2026-11-28\n"
    stored = organiser.post(f"{PAPER}/import", {"csv": typed, "dry_run": False})
    assert stored.status_code == 201, stored.json
    assert stored.json["by_country"] == {"AT": 1, "US": 1}
