"""The engine and the per-request session, wired by init_app; migrations."""

from __future__ import annotations

import logging
import select
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parents[1] / "migrations"
# Seconds to wait for PostgreSQL to accept a connection before the request is answered 503.
CONNECT_TIMEOUT = 5


def make_engine(url: str) -> Engine:
    """Create an engine that behaves the same on SQLite and PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _make_sqlite_transactional(engine)
        return engine
    # Sessions in UTC, so timestamps arrive ready to use (models.UTCDateTime).
    # No pool_pre_ping: it costs every request a round trip; see _drop_if_cut.
    # An unreachable host costs a request CONNECT_TIMEOUT at most, not TCP's two minutes.
    engine = create_engine(
        url,
        pool_recycle=1800,
        pool_size=10,
        max_overflow=10,
        connect_args={"options": "-c timezone=UTC", "connect_timeout": CONNECT_TIMEOUT},
    )
    event.listen(engine, "checkout", _drop_if_cut)
    return engine


def _drop_if_cut(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection that its server has cut, without a round trip to ask.

    A connection resting in the pool has nothing to read, unless its server ended
    it meanwhile (a restart, a failover, a kill): then the server's goodbye, or
    the end of the stream, is waiting on the socket. Looking costs one `select`
    (microseconds); the pre-ping it replaces cost each request a round trip to
    PostgreSQL (about 0.3 ms of CPU in all, on this hot path). The pool then
    replaces the connection, and no signer is refused for it. A connection cut
    while a request uses it still fails that request, with a 503
    (api/errors.py); the next gets a fresh one.
    """
    waiting = select.poll()
    try:
        waiting.register(dbapi_connection.fileno(), select.POLLIN)
    except (OSError, psycopg.Error) as error:  # closed on our side already
        raise DisconnectionError("this connection is closed") from error
    if waiting.poll(0):
        raise DisconnectionError("the server closed this connection while it was idle")


def _make_sqlite_transactional(engine: Engine) -> None:
    # pysqlite opens transactions lazily and DEFERRED, so two writers that both
    # read first can fail with "database is locked" instead of waiting their turn.
    # Taking the write lock at BEGIN makes concurrent signers queue on the busy
    # timeout, as they would on PostgreSQL's row locks.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only transaction (an export) takes no write lock: in WAL mode it
        # reads one snapshot while signers go on writing.
        readonly = connection.get_execution_options().get("undersign_readonly")
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


class Database:
    """The engine and its session factory for one app."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def answers(self) -> bool:
        """Tell whether the database answers a trivial query now."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means not ready; say which kind
            log.warning("database unavailable: %s", type(error).__name__)
            return False
        return True

    def upgrade(self) -> None:
        """Apply every Alembic migration up to head."""
        with self.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def init_app(app: Flask, url: str) -> None:
    app.extensions["undersign.core.db"] = Database(url)
    app.teardown_appcontext(_close_session)


def database(app: Flask | None = None) -> Database:
    """Return the app's database (the current app's by default)."""
    return (app or current_app).extensions["undersign.core.db"]


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def close_session() -> None:
    """Roll back and close this request's session, if it opened one."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except SQLAlchemyError as error:
        # The connection died after the request's last statement: its answer is
        # decided and must not turn into a 500. SQLAlchemy has seen the failure;
        # dropping the connections makes sure none goes back to the pool, and the
        # database rolls back what the lost connection left open.
        log.warning("closing a session failed: %s", type(error).__name__)
        session.invalidate()


def _close_session(_error: BaseException | None) -> None:
    close_session()
