"""The `undersign` command line: one-line errors, never a traceback.

Most tests run the commands in this process through Click's CliRunner: the same
`main` the console script calls, without starting Python and building the app
in a new process for each command. A few stay real processes, where the process
itself is what is tested (see each).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from undersign import cli
from undersign.campaigns import petitions
from undersign.cli import context
from undersign.cli.running import default_mailers
from undersign.core.db import database
from undersign.core.models import AuditEntry

from tests.conftest import free_port, make_app
from tests.production.test_scale import wait_until

BIN = os.path.join(os.path.dirname(sys.executable), "undersign")
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/x"


def without_outer_settings() -> dict[str, str | None]:
    """Unset, for one command, every UNDERSIGN_ variable of the environment pytest runs in.

    Flask reads them all (from_prefixed_env), so an SMTP host or a Redis set
    outside would otherwise reach the command. CliRunner unsets a None.
    """
    return {name: None for name in os.environ if name.startswith("UNDERSIGN_")}


@pytest.fixture
def invoke(tmp_path, monkeypatch):
    """Run `undersign ARGS` in this process, each time as independent as a new process.

    - a new app each time: CliRunner gives each invocation a new root context,
      so `cli.context.current_app()` finds no cached app and builds one from `env`; we keep a
      hand on it to close its connections afterwards;
    - the environment is `env` alone among UNDERSIGN_ variables, and restored after;
    - `main` points the root logger at the runner's stderr (logs.configure):
      the handlers pytest had are put back after each command;
    - exceptions are not caught: one that escapes fails the test with its
      traceback, where the console script would have printed one.
    """
    monkeypatch.chdir(tmp_path)  # relative paths (--body-file, -o) as from a shell in tmp_path
    built = []
    create_app = context.create_app

    def tracked_create_app(*args, **kwargs):
        app = create_app(*args, **kwargs)
        built.append(app)
        return app

    monkeypatch.setattr(context, "create_app", tracked_create_app)
    runner = CliRunner()
    root = logging.getLogger()

    def invoke(*args, env):
        handlers, level = root.handlers[:], root.level
        try:
            return runner.invoke(
                cli.main,
                list(args),
                env={**without_outer_settings(), **env},
                prog_name="undersign",
                catch_exceptions=False,
            )
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
            while built:
                database(built.pop()).engine.dispose()

    return invoke


@pytest.fixture
def run(invoke, database_url):
    env = {"UNDERSIGN_DATABASE_URL": database_url, "UNDERSIGN_SECRET_KEY": "cli-test-key"}

    def run(*args, extra_env=None, check=True):
        done = invoke(*args, env={**env, **(extra_env or {})})
        if check:
            assert done.exit_code == 0, done.stderr
        return done

    return run


def process(args, env, cwd):
    """Run a real process, with `env` alone among UNDERSIGN_ variables."""
    outer = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")}
    return subprocess.run(
        args, capture_output=True, text=True, env={**outer, **env}, cwd=cwd, timeout=60
    )


def test_petition_create_prints_json_and_list_shows_it(run):
    created = run(
        "petition",
        "create",
        "save-the-plant",
        "--title",
        "Save the plant",
        "--goal",
        "500",
        "--target",
        "The Ministry",
    )
    petition = json.loads(created.stdout)
    assert petition["slug"] == "save-the-plant"
    assert petition["goal"] == 500 and petition["target"] == "The Ministry"
    assert "save-the-plant\topen\tSave the plant" in run("petition", "list").stdout


def test_petition_create_reads_the_body_from_a_file(run, tmp_path):
    (tmp_path / "body.txt").write_text("Долой консервацию!", encoding="utf-8")
    created = run(
        "petition", "create", "body", "--title", "T", "--body-file", "body.txt", "--lang", "ru"
    )
    assert json.loads(created.stdout)["body"] == "Долой консервацию!"


BODY_RU = """# Что мы требуем

1. Сохранить **все** рабочие места.
2. Выплатить долги по [зарплате](https://example.org/debts).
"""


def test_petition_translate_adds_a_language_and_keeps_what_it_is_not_given(run, tmp_path):
    run("petition", "create", "plant", "--title", "Save the plant", "--summary", "Keep it open.")
    (tmp_path / "ru.md").write_text(BODY_RU, encoding="utf-8")
    translated = run(
        "petition", "translate", "plant", "--lang", "ru",
        "--title", "Спасите завод", "--body-file", "ru.md", "--target", "Министерству",
    )  # fmt: skip
    shown = json.loads(translated.stdout)
    assert shown["title"] == "Спасите завод" and shown["target"] == "Министерству"
    assert shown["summary"] == "Keep it open."  # none in Russian yet: the default language's
    assert "<h2>Что мы требуем</h2>" in shown["body_html"]
    assert "<strong>все</strong>" in shown["body_html"]
    assert 'href="https://example.org/debts"' in shown["body_html"]

    # A second run changes the summary only; the English texts never moved.
    summary = ("--summary", "Не дадим закрыть.")
    again = json.loads(run("petition", "translate", "plant", "--lang", "ru", *summary).stdout)
    assert again["summary"] == "Не дадим закрыть." and again["title"] == "Спасите завод"
    assert again["body"] == BODY_RU
    assert "plant\topen\tSave the plant" in run("petition", "list").stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nope", "--lang", "ru", "--title", "T"], "no petition called 'nope'"),
        (["plant", "--lang", "ru"], "give at least one of"),
        (["plant", "--lang", "de", "--title", "T"], "'de' is not one of"),
        (["plant", "--lang", "en", "--title", ""], "a title in the default language"),
        (["plant", "--lang", "ru", "--title", "Две\nстроки"], "control characters"),
        (["plant", "--lang", "ru", "--body-file", "missing.md"], "does not exist"),
    ],
)
def test_petition_translate_refuses_in_one_line(run, args, says):
    run("petition", "create", "plant", "--title", "Save the plant")
    done = run("petition", "translate", *args, check=False)
    assert done.exit_code != 0
    assert "Traceback" not in done.stderr
    assert says in done.stderr.strip().splitlines()[-1]
    assert "plant\topen\tSave the plant" in run("petition", "list").stdout  # nothing changed


def privacy_notice(database_url, tmp_path, slug):
    """The petition's privacy notice as a signer reads it, in English."""
    app = make_app(database_url, tmp_path)
    try:
        page = app.test_client().get(f"/p/{slug}/privacy?lang=en")
        assert page.status_code == 200
        return page.get_data(as_text=True)
    finally:
        database(app).engine.dispose()


def audit_of(database_url, tmp_path, slug):
    app = make_app(database_url, tmp_path)
    try:
        with database(app).sessions() as session:
            found = session.scalars(
                select(AuditEntry).where(AuditEntry.target == slug).order_by(AuditEntry.id)
            )
            return [(entry.actor, entry.action, entry.detail) for entry in found]
    finally:
        database(app).engine.dispose()


def test_petition_create_names_the_organiser_in_the_privacy_notice(run, database_url, tmp_path):
    run(
        "petition", "create", "plant", "--title", "Save the plant",
        "--organiser-name", "Miners' Union of Zhezkazgan",
        "--organiser-contact", "union@example.org",
    )  # fmt: skip
    notice = privacy_notice(database_url, tmp_path, "plant")
    assert "Miners&#39; Union of Zhezkazgan" in notice
    assert 'href="mailto:union@example.org"' in notice


def test_petition_set_changes_the_organiser_and_the_wall_and_logs_it(run, database_url, tmp_path):
    run("petition", "create", "plant", "--title", "Save the plant", "--goal", "500")
    assert "Miners" not in privacy_notice(database_url, tmp_path, "plant")

    done = run(
        "petition", "set", "plant", "--organiser-name", "Miners' Union",
        "--organiser-contact", "https://union.example.org", "--wall-mode", "show",
        "--named-default",
    )  # fmt: skip
    assert json.loads(done.stdout) == {
        "slug": "plant",
        "organiser_name": "Miners' Union",
        "organiser_contact": "https://union.example.org",
        "named_default": True,
        "wall_mode": "show",
    }
    notice = privacy_notice(database_url, tmp_path, "plant")
    assert "Miners&#39; Union" in notice and 'href="https://union.example.org"' in notice

    # What is not given stays; "" clears the contact.
    again = json.loads(run("petition", "set", "plant", "--organiser-contact", "").stdout)
    assert again["organiser_name"] == "Miners' Union" and again["organiser_contact"] is None
    assert again["wall_mode"] == "show" and again["named_default"] is True
    assert "union.example.org" not in privacy_notice(database_url, tmp_path, "plant")
    shown = json.loads(
        run("petition", "translate", "plant", "--lang", "en", "--summary", "S").stdout
    )
    assert shown["title"] == "Save the plant" and shown["goal"] == 500, "texts and goal kept"

    edits = [
        entry for entry in audit_of(database_url, tmp_path, "plant") if entry[1] == "petition.edit"
    ]
    assert edits == [
        (
            "cli",
            "petition.edit",
            {"fields": ["named_default", "organiser_contact", "organiser_name", "wall_mode"]},
        ),
        ("cli", "petition.edit", {"fields": ["organiser_contact"]}),
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nope", "--wall-mode", "show"], "no petition called 'nope'"),
        (["plant"], "give at least one of"),
        (["plant", "--wall-mode", "everyone"], "'everyone' is not one of"),
        (["plant", "--organiser-name", "x" * 121], "at most 120 characters"),
        (["plant", "--organiser-contact", "a\x07b"], "holds control characters"),
    ],
)
def test_petition_set_refuses_in_one_line_and_changes_nothing(
    run, database_url, tmp_path, args, says
):
    run("petition", "create", "plant", "--title", "Save the plant", "--organiser-name", "Union")
    done = run("petition", "set", *args, check=False)
    assert done.exit_code != 0
    assert "Traceback" not in done.stderr
    assert says in done.stderr.strip().splitlines()[-1]
    assert "Union" in privacy_notice(database_url, tmp_path, "plant")
    assert [a for _, a, _ in audit_of(database_url, tmp_path, "plant")] == ["petition.create"]


def test_petition_list_says_closed_once_the_closing_time_passed(run, database_url, tmp_path):
    run("petition", "create", "plant", "--title", "Save the plant")
    app = make_app(database_url, tmp_path)
    with database(app).sessions() as session:
        petitions.find(session, "plant").closes_at = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()
    database(app).engine.dispose()
    assert "plant\tclosed\tSave the plant" in run("petition", "list").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["petition", "create", "Bad Slug", "--title", "T"],
        ["petition", "create", "ok", "--title", "T", "--goal", "-5"],
        ["petition", "create", "ok"],
        ["petition", "create", "ok", "--title", "T", "--body-file", "missing.txt"],
        ["export", "no-such-petition"],
        ["export", "x", "--format", "xml"],
        ["export", "x", "--until", "9999-12-31"],  # the day after is beyond the calendar
        ["export", "x", "--since", "0001-01-01T00:00+05:00"],  # before the first moment in UTC
        ["export", "x", "--since", "²⁰²⁶-01-01"],
        ["petition", "create", "ok", "--title", "Two\nlines"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(run, args):
    done = run(*args, check=False)
    assert done.exit_code != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error")


def test_a_duplicate_slug_is_refused(run):
    run("petition", "create", "once", "--title", "T")
    done = run("petition", "create", "once", "--title", "T", check=False)
    assert done.exit_code == 1
    assert "exists already" in done.stderr


def test_an_unreachable_database_is_one_line(invoke):
    done = invoke(
        "petition",
        "list",
        env={"UNDERSIGN_DATABASE_URL": UNREACHABLE, "UNDERSIGN_SECRET_KEY": "cli-test-key"},
    )
    assert done.exit_code == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_installed_script_fails_in_one_line_without_a_traceback(tmp_path):
    # A real process: what is tested is the console script itself (its entry
    # point, its exit status, what reaches the real stderr), which the
    # in-process tests above stand in for.
    done = process(
        [BIN, "petition", "list"],
        {"UNDERSIGN_DATABASE_URL": UNREACHABLE, "UNDERSIGN_SECRET_KEY": "cli-test-key"},
        tmp_path,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("Error: database error")


@pytest.mark.slow
def test_serve_refuses_a_public_address_without_a_secret_key(tmp_path):
    # A real process: should the refusal ever go, `serve` would go on to set
    # PROMETHEUS_MULTIPROC_DIR, start a mailer and run gunicorn (its signal
    # handlers, its forks) inside pytest; in a process it fails on the timeout.
    done = process(
        [BIN, "serve", "--host", "0.0.0.0"],
        {
            "UNDERSIGN_DATABASE_URL": f"sqlite:///{tmp_path / 'undersign.sqlite'}",
            "UNDERSIGN_SECRET_KEY": "",
        },
        tmp_path,
    )
    assert done.returncode == 1
    assert "UNDERSIGN_SECRET_KEY" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("shared", [False, True], ids=["another program", "another server"])
def test_serve_refuses_a_port_something_listens_on_already(tmp_path, shared):
    # Its workers listen with SO_REUSEPORT: a second server on the same port (one that
    # listens so too) would otherwise take half the first one's connections without a word.
    with socket.socket() as taken:
        if shared:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = process(
            [BIN, "serve", "--port", str(port), "--no-mailer"],
            {"UNDERSIGN_DATABASE_URL": f"sqlite:///{tmp_path / 'undersign.sqlite'}"},
            tmp_path,
        )
    assert done.returncode == 1
    refusal = f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert done.stderr.strip() == refusal


class Served:
    """A real `undersign serve` (gunicorn and its mailer) on loopback, its log in a file."""

    def __init__(self, database_url: str, smtp_port: int, tmp_path: Path, *args: str) -> None:
        port, self.log = free_port(), tmp_path / "serve.log"
        self.base = f"http://127.0.0.1:{port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")},
            "UNDERSIGN_DATABASE_URL": database_url,
            "UNDERSIGN_SECRET_KEY": "cli-test-key",
            "UNDERSIGN_BASE_URL": "http://localhost",
            "UNDERSIGN_SMTP_HOST": "127.0.0.1",
            "UNDERSIGN_SMTP_PORT": str(smtp_port),
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [BIN, "serve", "--port", str(port), "--workers", "1", *args],
                env=env,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def started(self, what: str, count: int) -> list[int]:
        """The ids of the processes it logged starting ("mailer", "worker"), once `count`."""
        pattern = {
            "mailer": r"mailer started \(pid (\d+)\)",
            "worker": r"Booting worker with pid: (\d+)",
        }[what]
        found = [int(pid) for pid in re.findall(pattern, self.text())]
        return found if len(found) >= count else []

    def text(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def sign(self, slug: str, email: str) -> None:
        body = {"name": "Aigerim Bekova", "email": email, "country": "KZ"}
        signed = httpx.post(f"{self.base}/api/v1/petitions/{slug}/signatures", json=body)
        assert signed.status_code == 202

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


@pytest.fixture
def served(database_url, smtp, tmp_path) -> Iterator[Served]:
    server = Served(database_url, smtp.port, tmp_path)
    try:
        yield server
    finally:
        server.stop()
        print(server.text())  # shown only for a failing test: what the server said


@pytest.mark.slow  # a real `undersign serve`: gunicorn and a mailer, in processes
def test_serve_starts_a_new_mailer_when_its_mailer_dies(served, petition, smtp):
    running = wait_until(lambda: served.started("mailer", 1), 30, "a mailer")
    os.kill(running[-1], signal.SIGKILL)
    second = wait_until(lambda: served.started("mailer", len(running) + 1), 30, "a new mailer")[-1]
    assert f"mailer (pid {running[-1]}) ended" in served.text()

    wait_until(served.ready, 30, "the server")
    served.sign(petition, "aigerim@example.org")
    (email,) = smtp.mailbox.wait_for(1, timeout=20)
    assert email["To"] == "aigerim@example.org"
    served.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # stopped with the server, not left behind


@pytest.mark.slow  # a real `undersign serve`: gunicorn and a mailer, in processes
def test_a_gunicorn_worker_that_exits_takes_neither_the_mailer_nor_the_metrics(
    served, petition, smtp
):
    # A worker is a fork of `serve`: leaving, it once ran serve's clean-up, which
    # removed the metrics directory (every request failed after) and the mailer.
    (worker,) = wait_until(lambda: served.started("worker", 1), 30, "the first worker")
    wait_until(served.ready, 30, "the server")
    os.kill(worker, signal.SIGTERM)  # as gunicorn's own restarts end a worker
    wait_until(lambda: served.started("worker", 2), 30, "a new worker")
    wait_until(served.ready, 30, "the server again")

    assert httpx.get(f"{served.base}/metrics").status_code == 200
    served.sign(petition, "aigerim@example.org")
    (email,) = smtp.mailbox.wait_for(1, timeout=20)
    assert email["To"] == "aigerim@example.org"
    assert len(served.started("mailer", 1)) == 1, "the first mailer sent it"


@pytest.fixture
def served_on_postgresql(database_url, smtp, tmp_path, request) -> Iterator[Served]:
    """`undersign serve` with the arguments a test gives it (indirect parameters)."""
    assert database_url.startswith("postgresql")
    server = Served(database_url, smtp.port, tmp_path, *getattr(request, "param", ()))
    try:
        yield server
    finally:
        server.stop()
        print(server.text())


def test_serve_runs_a_mailer_a_worker_up_to_the_cores_on_postgresql_and_one_on_sqlite():
    postgresql = "postgresql+psycopg://db/undersign"
    assert default_mailers(postgresql, workers=2, cores=8) == 2
    assert default_mailers(postgresql, workers=4, cores=2) == 2
    assert default_mailers(postgresql, workers=2, cores=1) == 1
    assert default_mailers("sqlite:///undersign.sqlite", workers=4, cores=8) == 1


@pytest.mark.slow  # a real `undersign serve`: gunicorn and its mailers, in processes
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("served_on_postgresql", [("--workers", "2")], indirect=True)
def test_serve_starts_its_default_number_of_mailers(served_on_postgresql, petition, smtp):
    expected = min(2, os.cpu_count() or 1)  # one a worker, up to the cores (docs/production.md)
    wait_until(served_on_postgresql.ready, 30, "the server")
    started = wait_until(lambda: served_on_postgresql.started("mailer", expected), 30, "mailers")
    served_on_postgresql.sign(petition, "aigerim@example.org")
    smtp.mailbox.wait_for(1, timeout=20)
    assert len(served_on_postgresql.started("mailer", 1)) == len(started) == expected


@pytest.mark.slow  # a real `undersign serve`: gunicorn and its mailers, in processes
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("served_on_postgresql", [("--mailers", "3")], indirect=True)
def test_serve_keeps_each_of_its_mailers_running(served_on_postgresql, petition, smtp):
    served = served_on_postgresql
    running = wait_until(lambda: served.started("mailer", 3), 30, "three mailers")
    assert len(running) == 3
    os.kill(running[1], signal.SIGKILL)
    again = wait_until(lambda: served.started("mailer", 4), 30, "a new mailer")
    assert f"mailer (pid {running[1]}) ended" in served.text()
    for pid in (running[0], running[2], again[-1]):
        os.kill(pid, 0)  # the others ran on; the dead one was replaced

    wait_until(served.ready, 30, "the server")
    for n in range(6):
        served.sign(petition, f"s{n}@example.org")
    smtp.mailbox.wait_for(6, timeout=30)
    sent = sorted(to for envelope in smtp.mailbox.envelopes for to in envelope.rcpt_tos)
    assert sent == [f"s{n}@example.org" for n in range(6)]
    served.stop()
    for pid in (running[0], running[2], again[-1]):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped with the server, not left behind


def test_demo_seeds_once(run):
    assert "created" in run("demo").stdout
    assert "already there" in run("demo").stdout
    listed = run("petition", "list").stdout.splitlines()
    assert len(listed) == 1 and listed[0].startswith("zhezkazgan\topen\t")


def test_db_upgrade_is_idempotent(run):
    assert "up to date" in run("db", "upgrade").stdout
    assert "up to date" in run("db", "upgrade").stdout


def test_export_streams_verified_signatures_as_csv_and_jsonl(run, app, signer, tmp_path):
    signer.sign_and_confirm("=cmd@example.org", name='=HYPERLINK("http://x")', city="+7 city")
    signer.sign_and_confirm("b@example.org", name="Бекова Айгерим", comment="-solidarity")
    signer.sign(email="pending@example.org")
    out = run("export", "test-petition").stdout
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["email"] for r in table] == ["'=cmd@example.org", "b@example.org"]
    assert table[0]["name"] == '\'=HYPERLINK("http://x")'
    assert table[0]["city"] == "'+7 city"
    assert table[1]["name"] == "Бекова Айгерим" and table[1]["comment"] == "'-solidarity"

    run("export", "test-petition", "--format", "jsonl", "--status", "all", "-o", "all.jsonl")
    lines = (tmp_path / "all.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3
    assert records[0]["name"] == '=HYPERLINK("http://x")', "JSONL is raw"
    pending = run("export", "test-petition", "--status", "pending").stdout
    assert "pending@example.org" in pending and "b@example.org" not in pending


def test_purge_deletes_unconfirmed_signatures_and_old_address_hashes(run, app, signer):
    from datetime import timedelta

    from sqlalchemy import select, update
    from undersign.core.models import Signature, utcnow

    signer.sign(email="old@example.org")
    signer.sign_and_confirm("kept@example.org")
    with database(app).sessions.begin() as session:
        session.execute(
            update(Signature).values(
                created_at=utcnow() - timedelta(days=30),
                last_email_at=utcnow() - timedelta(days=30),
            )
        )
    result = run("purge").stdout
    assert "unconfirmed signatures deleted: 1" in result
    assert "address hashes forgotten: 1" in result
    with database(app).sessions() as session:
        left = session.execute(select(Signature.email, Signature.ip_key)).all()
    assert [tuple(row) for row in left] == [("kept@example.org", None)]
