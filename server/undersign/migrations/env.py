"""Alembic environment.

`undersign db upgrade` (Database.upgrade) hands over its connection. From the
`alembic` command line (alembic.ini at the repository's root, for writing a new
migration) there is none: connect to the database the app would use,
UNDERSIGN_DATABASE_URL or the development SQLite file in the instance folder.
"""

from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection
from undersign.core.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # Autogenerate writes table changes as batch operations, whichever database
        # it compared with: SQLite needs them (it recreates the table), PostgreSQL
        # runs them as plain ALTER TABLE. Running migrations is not affected.
        render_as_batch=True,
        # What autogenerate compares; tests/test_migrations.py checks for drift with the same.
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_the_command_line() -> None:
    if context.config.config_file_name is not None:
        fileConfig(context.config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        raise CommandError("no offline (--sql) mode: run against a database")
    from undersign import create_app
    from undersign.core.db import database

    engine = database(create_app()).engine
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run_migrations(handed_over)
else:
    run_from_the_command_line()
