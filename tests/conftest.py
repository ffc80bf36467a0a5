"""Fixtures: an app on a throwaway database, a real SMTP server, and a signer who reads mail."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, make_url, text, update
from undersign import create_app
from undersign.campaigns import petitions
from undersign.core.auth import CLI
from undersign.core.db import Database, database
from undersign.core.models import CommentStatus, Signature
from undersign.mail.worker import deliver_due
from werkzeug.datastructures import MultiDict
from werkzeug.serving import BaseWSGIServer, make_server

# Quiet flags: this machine has no network beyond loopback, and the tests want none.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
# CI sets this so that a missing PostgreSQL, Redis, browser or Caddy fails the run
# instead of quietly skipping the tests that need them.
REQUIRE_ALL = os.environ.get("UNDERSIGN_TEST_REQUIRE_ALL") == "1"
SECRET = "test-secret-key"


# --- services: PostgreSQL, Redis, Chromium, Caddy -----------------------------
# An UNDERSIGN_TEST_* variable names the service to use (set but empty: none). Unset, the usual
# local one is tried once per run, with a short timeout, and used if it answers. The tests that
# need a service that is absent skip, or fail under UNDERSIGN_TEST_REQUIRE_ALL=1.


def postgres_answers(url: str) -> None:
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        engine.connect().close()
    finally:
        engine.dispose()


def redis_answers(url: str) -> None:
    import redis

    with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
        client.ping()


def executable_answers(path: str) -> None:
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"no executable at {path}")


@dataclass(frozen=True)
class Found:
    """A service this run looked for: what the fixtures use (None: absent), or why not."""

    name: str
    where: str
    value: str | None
    problem: str

    def __str__(self) -> str:
        return f"{self.name} ({self.where}) " + (f"no: {self.problem}" if self.problem else "yes")


def find(name: str, variable: str, usual: str, answers: Callable[[str], Any]) -> Found:
    value = os.environ.get(variable, usual)
    parts = urlsplit(value or usual)
    where = parts.netloc.rpartition("@")[2] + parts.path  # no password in the summary
    problem = "" if value else f"{variable} is empty"
    try:
        if value:
            answers(value)
    except Exception as error:
        first = str(getattr(error, "orig", None) or error).strip().partition("\n")[0]
        problem = first[:120] or type(error).__name__
    return Found(name, where, None if problem else value, problem)


POSTGRES = find(
    "PostgreSQL",
    "UNDERSIGN_TEST_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    postgres_answers,
)
REDIS = find("Redis", "UNDERSIGN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15", redis_answers)
BROWSER = find(
    "Chromium",
    "UNDERSIGN_TEST_CHROMIUM",
    shutil.which("chromium") or "/usr/bin/chromium",
    executable_answers,
)
# The proxy production puts in front (deploy/Caddyfile), for tests/production/test_caddy_front.py.
PROXY = find(
    "Caddy",
    "UNDERSIGN_TEST_CADDY",
    shutil.which("caddy") or "/usr/bin/caddy",
    executable_answers,
)
SERVICES = (POSTGRES, REDIS, BROWSER, PROXY)
POSTGRES_URL, REDIS_URL, CHROMIUM = POSTGRES.value, REDIS.value, BROWSER.value
CADDY = PROXY.value


def pytest_report_header() -> str:
    return "services: " + ", ".join(map(str, SERVICES))


@pytest.hookimpl(wrapper=True, tryfirst=True)  # after the short summary, above the counts
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    yield
    terminalreporter.write_line(pytest_report_header())


def unavailable(reason: str) -> None:
    """Skip for want of a service, or fail when CI requires every service."""
    if REQUIRE_ALL:
        pytest.fail(f"required for this run: {reason}")
    pytest.skip(reason)


# --- databases ---------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    template = Database(f"sqlite:///{path}")
    template.upgrade()
    template.engine.dispose()  # closing the last connection folds the WAL into the file
    return path


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """Create and migrate a database of our own on the test server; drop it afterwards."""
    if not POSTGRES_URL:
        unavailable(str(POSTGRES))
    assert POSTGRES_URL
    admin_url = make_url(POSTGRES_URL)
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # the server is not there: say so once
        unavailable(f"PostgreSQL at {admin_url.render_as_string()} is unreachable: {error}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrated = Database(url)
    migrated.upgrade()
    migrated.engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One database for the whole run; each test truncates it (see `database_url`)."""
    with fresh_postgres_database("undersign_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that needs a database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "undersign.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).all()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def redis_url() -> str:
    """A real Redis, emptied for the test (database 15, kept apart from anything else)."""
    if not REDIS_URL:
        unavailable(str(REDIS))
    import redis

    assert REDIS_URL
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError as error:
        unavailable(f"Redis at {REDIS_URL} is unreachable: {error}")
    return REDIS_URL


# --- mail --------------------------------------------------------------------


class Mailbox:
    """What a real SMTP server (aiosmtpd) received, for tests to read."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []  # beside each message: rcpt_tos, smtp_utf8, mail_options
        self.connections = 0
        self.refuse: set[str] = set()  # recipients answered with a permanent 550
        self.put_off: set[str] = set()  # recipients answered with a temporary 450
        self.closing: set[str] = set()  # recipients answered with 421: the server goes away
        # Recipients whose message the server holds after DATA until `release` is set
        # (`stalled` is set when one arrives): a client can die with it in flight.
        self.stall: set[str] = set()
        self.stalled, self.release = threading.Event(), threading.Event()
        self._arrived = threading.Condition()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname  # aiosmtpd leaves this to a handler that takes EHLO
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 No such user here"
        if address in self.put_off:
            return "450 Mailbox busy, try again later"
        if address in self.closing:
            return "421 Service not available, closing transmission channel"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall & set(envelope.rcpt_tos):
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append(envelope)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Block until `count` messages have arrived (a condition, not a sleep)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@contextmanager
def statements_sent(engine: Engine, seen: Callable[[Any, str, Any], None]) -> Iterator[None]:
    """Call `seen(driver_connection, statement, parameters)` for each statement `engine`'s
    driver is given while inside.

    On PostgreSQL signing runs on psycopg's own cursor (signers/signing.py), where
    SQLAlchemy's events do not reach: there every connection lent meanwhile gets a cursor
    that tells, whoever uses it. Elsewhere SQLAlchemy's event sees every statement.
    """
    if engine.dialect.name != "postgresql":

        def told(connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            seen(connection.connection.driver_connection, statement, parameters)

        event.listen(engine, "before_cursor_execute", told)
        try:
            yield
        finally:
            event.remove(engine, "before_cursor_execute", told)
        return
    watching = True

    class Telling(psycopg.Cursor):  # type: ignore[type-arg]
        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            if watching:
                seen(self.connection, str(query), params)
            return super().execute(query, params, **options)

    def lend(driver: Any, _record: Any, _proxy: Any) -> None:
        driver.cursor_factory = Telling

    def back(driver: Any, _record: Any) -> None:
        if driver is not None:  # None: the connection was found cut, and dropped
            driver.cursor_factory = psycopg.Cursor

    event.listen(engine, "checkout", lend)
    event.listen(engine, "checkin", back)
    try:
        yield
    finally:
        watching = False
        event.remove(engine, "checkout", lend)
        event.remove(engine, "checkin", back)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SMTPServer:
    """aiosmtpd on loopback; `port` may be chosen before it starts (to test 'down, then up').

    Like many servers, it offers no SMTPUTF8 (international addresses) unless told to.
    """

    def __init__(self, port: int | None = None, smtputf8: bool = False) -> None:
        self.mailbox = Mailbox()
        self.port = port or free_port()
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


# --- the app -----------------------------------------------------------------


def make_app(database_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    config = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "BASE_URL": "http://localhost",
        "TESTING": True,
        # Tests sign many times from one address: the flood defence's tests ask for it.
        "CHALLENGE_NETWORK_RATE": 1_000_000,
        "CHALLENGE_PETITION_RATE": 1_000_000,
        # Tests move the mailer's clock by hours, which reads as a mailer that far behind:
        # signing would be shed. The tests of that shedding ask for it.
        "OVERLOAD_MAIL_SECONDS": 0,
        **overrides,
    }
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def app(database_url: str, smtp: SMTPServer, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    yield app
    database(app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def petition(app: Flask) -> str:
    """An open petition, `test-petition`, with a goal of 100; return its slug."""
    return create_petition(app)


def create_petition(app: Flask, slug: str = "test-petition") -> str:
    with database(app).sessions() as session:
        petitions.create(
            session,
            slug,
            {
                "en": {
                    "title": "Save the plant",
                    "summary": "Keep it open.",
                    "target": "The Ministry",
                },
                "ru": {"title": "Спасите завод", "summary": "Пусть работает."},
                "kk": {"title": "Зауытты сақтаңыз"},
            },
            goal=100,
            by=CLI,
        )
    return slug


LINK = re.compile(r"http://localhost/(verify|withdraw)/([\w.\-]+)")
# The plain sign form's token, as the page renders it (templates/_form.html).
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def post_form(client: FlaskClient, path: str, data: Any = None) -> Any:
    """Open the page at `path` and post its sign form with the page's token, as a browser would."""
    page = client.get(path)
    issued = FORM_TOKEN.search(page.text)
    assert issued, f"{path} has no sign form"
    fields = MultiDict(data or {})
    fields["form_token"] = issued.group(1)
    return client.post(path, data=fields)


class Signer:
    """A person: signs through the API, reads the email, follows its links."""

    def __init__(self, app: Flask, client: FlaskClient, smtp: SMTPServer, slug: str) -> None:
        self.app, self.client, self.smtp, self.slug = app, client, smtp, slug

    def approve_wall(self) -> None:
        """Approve every entry waiting for the public wall, as an organiser would."""
        with database(self.app).sessions.begin() as session:
            waiting = Signature.comment_status == CommentStatus.PENDING
            session.execute(update(Signature).where(waiting).values(comment_status="approved"))

    def sign(self, **fields: Any) -> Any:
        body = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ", **fields}
        return self.client.post(f"/api/v1/petitions/{self.slug}/signatures", json=body)

    def sign_on_page(self, lang: str = "en", **fields: Any) -> Any:
        """Sign with the petition page's plain form, as a person without JavaScript would."""
        body = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}
        return post_form(self.client, f"/p/{self.slug}?lang={lang}", {**body, **fields})

    def deliver(self) -> int:
        """Run the mailer once, as `undersign mailer` would."""
        return deliver_due(self.app)

    def inbox(self, address: str) -> list[EmailMessage]:
        return self.smtp.mailbox.to(address)

    def token(self, address: str, purpose: str = "verify") -> str:
        """Return the `purpose` token from the newest email to `address`."""
        message = self.inbox(address)[-1]
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        tokens = dict(LINK.findall(body.get_content()))
        return tokens[purpose]

    def confirm(self, address: str) -> Any:
        """Open the verification link and press its button, as a person would."""
        token = self.token(address)
        page = self.client.get(f"/verify/{token}")
        assert page.status_code == 200
        return self.client.post(f"/verify/{token}")

    def count(self) -> int:
        return int(self.client.get(f"/api/v1/petitions/{self.slug}/count").json["signature_count"])

    def sign_and_confirm(self, address: str, **fields: Any) -> Any:
        assert self.sign(email=address, **fields).status_code == 202
        self.deliver()
        return self.confirm(address)


@pytest.fixture
def signer(app: Flask, client: FlaskClient, smtp: SMTPServer, petition: str) -> Signer:
    return Signer(app, client, smtp, petition)


# --- a real browser ----------------------------------------------------------


def serve(wsgi_app: Any, port: int | None = None) -> tuple[BaseWSGIServer, str]:
    """Serve `wsgi_app` over real HTTP on loopback in a thread; return the server and its origin."""
    port = port or free_port()
    server = make_server("127.0.0.1", port, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never Playwright's own download)."""
    if not CHROMIUM:
        unavailable(str(BROWSER))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Keep a picture of what the person saw, for a human to look at (tests/screenshots/)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
