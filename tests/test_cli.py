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
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from undersign import cli
from undersign.db import database

from tests.conftest import free_port
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
      so `cli._app()` finds no cached app and builds one from `env`; we keep a
      hand on it to close its connections afterwards;
    - the environment is `env` alone among UNDERSIGN_ variables, and restored after;
    - `main` points the root logger at the runner's stderr (logs.configure):
      the handlers pytest had are put back after each command;
    - exceptions are not caught: one that escapes fails the test with its
      traceback, where the console script would have printed one.
    """
    monkeypatch.chdir(tmp_path)  # relative paths (--body-file, -o) as from a shell in tmp_path
    built = []
    create_app = cli.create_app

    def tracked_create_app(*args, **kwargs):
        app = create_app(*args, **kwargs)
        built.append(app)
        return app

    monkeypatch.setattr(cli, "create_app", tracked_create_app)
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


class Served:
    """A real `undersign serve` (gunicorn and its mailer) on loopback, its log in a file."""

    def __init__(self, database_url: str, smtp_port: int, tmp_path: Path) -> None:
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
                [BIN, "serve", "--port", str(port), "--workers", "1"],
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
    from undersign.models import Signature, utcnow

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
