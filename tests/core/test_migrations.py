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
