"""The migrations build exactly the schema the models describe, and undo it, on both databases."""

from __future__ import annotations

import os
import pprint
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, DefaultClause, Index, Integer, MetaData, String, Table, inspect
from sqlalchemy import text as sql
from undersign.core.db import Database, alembic_config
from undersign.core.models import Base

from tests.conftest import fresh_postgres_database

ROOT = Path(__file__).parents[2]
ALEMBIC = os.path.join(os.path.dirname(sys.executable), "alembic")


def schema_diff(url: str, metadata: MetaData) -> list[Any]:
    """What `alembic revision --autogenerate` would write to go from the database to `metadata`."""
    engine = Database(url).engine
    try:
        with engine.connect() as connection:
            # The options env.py gives autogenerate, so that this test and
            # `alembic revision --autogenerate` see the same differences.
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Run the migrations as `undersign db upgrade` does (Database.upgrade), to `revision`."""
    engine = Database(url).engine
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = Database(url).engine
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migrations_build_what_the_models_describe(database_url):
    # `database_url` is a database migrated to head (on SQLite, then PostgreSQL).
    # Nothing is ignored: neither database reports a difference that is not one.
    diff = schema_diff(database_url, Base.metadata)
    assert diff == [], (
        "the models and the migrations differ; write a migration "
        "(docs/developing.md: a new migration):\n" + pprint.pformat(diff)
    )


def drifted(metadata: MetaData) -> MetaData:
    """A copy of `metadata` with one of each change a forgotten migration could hide."""
    copy = MetaData()
    for table in metadata.sorted_tables:
        if table.name != "audit_log":  # a table the models dropped
            table.to_metadata(copy)
    Table("drifted", copy, Column("id", Integer, primary_key=True))
    petitions = copy.tables["petitions"]
    petitions.append_column(Column("drifted", String(20)))
    petitions.c.slug.type = String(120)
    petitions.c.goal.nullable = False
    Index("ix_petitions_status", petitions.c.status)
    petitions.c.status.server_default = DefaultClause("open")
    return copy


def kinds(diff: list[Any]) -> set[str]:
    """The names of the changes: ("add_table", ...), or [("modify_type", ...)] for a column."""
    return {(change[0] if isinstance(change, list) else change)[0] for change in diff}


def test_the_drift_check_sees_each_kind_of_drift(database_url):
    # The test above passes on an empty diff: this one shows it would not on a real one.
    diff = schema_diff(database_url, drifted(Base.metadata))
    assert kinds(diff) == {
        "add_table",
        "remove_table",
        "remove_index",  # audit_log's, with its table
        "add_column",
        "modify_type",
        "modify_nullable",
        "modify_default",
        "add_index",
    }, pprint.pformat(diff)
    whole = [c for c in diff if isinstance(c, tuple) and c[0] in {"add_table", "remove_table"}]
    assert {c[1].name for c in whole} == {"drifted", "audit_log"}


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A database at head for this test alone: downgrading a shared one would hurt others."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"
        migrate(url, "head")
        yield url
        return
    with fresh_postgres_database("undersign_migrations") as url:
        yield url


def test_every_migration_downgrades_and_upgrades_again(own_database):
    url = own_database
    migrate(url, "base", down=True)
    assert tables(url) <= {"alembic_version"}, "a downgrade left tables behind"
    migrate(url, "head")
    assert set(Base.metadata.tables) <= tables(url)
    diff = schema_diff(url, Base.metadata)
    assert diff == [], pprint.pformat(diff)


@pytest.mark.slow
def test_the_alembic_command_line_finds_the_scripts_the_models_and_the_database(tmp_path):
    # A real process: what is tested is the way docs/developing.md gives to write a
    # migration, `alembic` run from the repository's root (alembic.ini, env.py).
    url = f"sqlite:///{tmp_path / 'dev.sqlite'}"
    migrate(url, "head")
    outer = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")}
    done = subprocess.run(
        [ALEMBIC, "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**outer, "UNDERSIGN_DATABASE_URL": url, "UNDERSIGN_SECRET_KEY": "x"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "No new upgrade operations detected" in done.stdout


A = {"key": "k1", "email": "a@x.example", "status": "verified"}
B = {"key": "k2", "email": "b@x.example", "status": "pending"}
A_TAGGED = {"key": "k1", "email": "a+t@x.example", "status": "pending"}
B_TAGGED = {"key": "k2", "email": "b+t@x.example", "status": "pending"}


def test_address_spellings_keep_existing_signers_and_go_back_to_one_row_a_person(own_database):
    """0010: each row keeps its person under the canonical spelling; undoing it keeps the
    confirmed row of a person who has several (the one that counts), else the oldest."""
    url = own_database
    migrate(url, "0009", down=True)
    engine = Database(url).engine
    petition = "INSERT INTO petitions (id, slug, texts, default_locale, status, created_at, "
    petition += "named_default, wall_mode) VALUES (1, 'p', '{}', 'en', 'open', "
    petition += "CURRENT_TIMESTAMP, false, 'approve')"
    row = "INSERT INTO signatures (petition_id, email_key, name, email, country, public, "
    row += "contact_consent, named, locale, status, flagged, emails_sent, created_at) VALUES "
    row += "(1, :key, '', :email, 'KZ', false, false, false, 'en', :status, false, 1, "
    row += "CURRENT_TIMESTAMP)"
    try:
        with engine.begin() as connection:
            connection.execute(sql(petition))
            connection.execute(
                sql(row), {"key": "k1", "email": "a@x.example", "status": "verified"}
            )
            connection.execute(sql(row), B)
        migrate(url, "0010")
        with engine.begin() as connection:
            kept = connection.execute(sql("SELECT email_key, spelling_key FROM signatures"))
            assert sorted(kept) == [("k1", "k1"), ("k2", "k2")]
            # Another spelling of each person, as signing now writes them.
            more = sql(
                row.replace("email_key,", "email_key, spelling_key,").replace(
                    "(1, :key,", "(1, :key, :spelling,"
                )
            )
            connection.execute(more, {**A_TAGGED, "spelling": "k1+tag"})
            connection.execute(more, {**B_TAGGED, "spelling": "k2+tag"})
        migrate(url, "0009", down=True)
        with engine.begin() as connection:
            left = connection.execute(sql("SELECT email, status FROM signatures ORDER BY email"))
            assert list(left) == [("a@x.example", "verified"), ("b@x.example", "pending")]
    finally:
        engine.dispose()
