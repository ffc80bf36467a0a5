"""The `undersign` command line: real processes, one-line errors, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

BIN = os.path.join(os.path.dirname(sys.executable), "undersign")


@pytest.fixture
def run(database_url, tmp_path):
    env = {
        **os.environ,
        "UNDERSIGN_DATABASE_URL": database_url,
        "UNDERSIGN_SECRET_KEY": "cli-test-key",
    }
    env.pop("UNDERSIGN_SMTP_HOST", None)

    def run(*args, extra_env=None, check=True):
        done = subprocess.run(
            [BIN, *args],
            capture_output=True,
            text=True,
            env={**env, **(extra_env or {})},
            cwd=tmp_path,
            timeout=60,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run


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
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(run, args):
    done = run(*args, check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error")


def test_a_duplicate_slug_is_refused(run):
    run("petition", "create", "once", "--title", "T")
    done = run("petition", "create", "once", "--title", "T", check=False)
    assert done.returncode == 1
    assert "exists already" in done.stderr


def test_an_unreachable_database_is_one_line(run):
    done = run(
        "petition",
        "list",
        check=False,
        extra_env={"UNDERSIGN_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_serve_refuses_a_public_address_without_a_secret_key(run):
    done = run("serve", "--host", "0.0.0.0", check=False, extra_env={"UNDERSIGN_SECRET_KEY": ""})
    assert done.returncode == 1
    assert "UNDERSIGN_SECRET_KEY" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


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
    from undersign.db import database
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
