"""Sealed petitions: the database holds what signers typed only sealed to the organisers' key."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from undersign import cli
from undersign.campaigns import petitions
from undersign.core import auth, sealing
from undersign.core.db import database
from undersign.core.models import Signature, utcnow
from undersign.signers.signing import RESEND_INTERVAL

from tests.cli.test_cli import without_outer_settings
from tests.conftest import Signer, SMTPServer, unavailable

SLUG = "sealed-petition"
ALICE = {"name": "Aigerim Bekova", "postcode": "100600", "city": "Zhezkazgan"}
BOB = {"name": "Bolat Serikov", "postcode": "100700", "city": "Satpayev"}


@pytest.fixture
def key() -> sealing.Generated:
    return sealing.generate()


@pytest.fixture
def sealed(app: Flask, client: FlaskClient, smtp: SMTPServer, key: sealing.Generated) -> Signer:
    """A signer on a petition sealed to `key`."""
    make_sealed_petition(app, key.public)
    return Signer(app, client, smtp, SLUG)


def make_sealed_petition(app: Flask, public_key: str, slug: str = SLUG) -> None:
    with database(app).sessions() as session:
        texts = {"en": {"title": "Save the plant"}}
        petitions.create(session, slug, texts, by=auth.CLI, seal_key=public_key)


def stored(app: Flask) -> list[Signature]:
    with database(app).sessions() as session:
        return list(session.scalars(select(Signature).order_by(Signature.id)))


def opened(key: sealing.Generated, value: str | None) -> str | None:
    assert sealing.is_sealed(value), value
    return sealing.open_value([key.private], value)


def test_a_pending_signature_keeps_its_address_plain_and_everything_else_sealed(sealed, key):
    assert (
        sealed.sign(email="aigerim@example.org", comment="Keep it open", **ALICE).status_code == 202
    )
    (row,) = stored(sealed.app)
    assert row.email == "aigerim@example.org"  # the mailer still needs it
    assert opened(key, row.name) == ALICE["name"]
    assert opened(key, row.postcode) == ALICE["postcode"]
    assert opened(key, row.city) == ALICE["city"]
    assert opened(key, row.comment) == "Keep it open"


def test_verifying_seals_the_address_and_the_email_greets_no_sealed_name(sealed, key):
    sealed.sign_and_confirm("aigerim@example.org", **ALICE)
    body = sealed.inbox("aigerim@example.org")[0].get_body(preferencelist=("plain",))
    assert body is not None
    assert "sealed:" not in body.get_content() and "Hello," in body.get_content()
    (row,) = stored(sealed.app)
    assert row.status == "verified"
    assert opened(key, row.email) == "aigerim@example.org"
    assert sealed.count() == 1


def test_a_signature_after_a_key_rotation_is_sealed_to_the_new_key(sealed, app, key):
    """Signing remembers a petition's seal key between signatures: a rotation must not be missed."""
    sealed.sign(email="before@example.org", **ALICE)
    new = sealing.generate()
    with database(app).sessions.begin() as session:
        petitions.find(session, SLUG).seal_key = new.public
    sealed.sign(email="after@example.org", **BOB)
    before, after = stored(app)
    assert opened(key, before.name) == ALICE["name"]
    assert opened(new, after.name) == BOB["name"]
    with pytest.raises(sealing.BadKey, match="none of the keys"):
        opened(key, after.name)


def test_withdrawing_a_sealed_signature_erases_it(sealed):
    sealed.sign_and_confirm("aigerim@example.org", **ALICE)
    withdraw = sealed.token("aigerim@example.org", "withdraw")
    assert sealed.client.post(f"/withdraw/{withdraw}").status_code == 200
    (row,) = stored(sealed.app)
    assert (row.name, row.email, row.city, row.postcode) == ("", "", None, None)


def test_one_person_signs_a_sealed_petition_once(sealed):
    assert sealed.sign(email="aigerim@example.org").status_code == 202
    assert sealed.sign(email="Aigerim@Example.org").status_code == 202
    assert sealed.sign(email="aigerim+again@example.org").status_code == 202
    sealed.deliver()
    assert sealed.confirm("aigerim@example.org").status_code == 200
    assert sealed.confirm("aigerim+again@example.org").status_code == 409  # another spelling
    assert sealed.sign(email="aigerim@example.org").status_code == 202  # after verifying, too
    assert [row.status for row in stored(sealed.app)] == ["verified", "pending"]
    assert sealed.count() == 1


def test_signing_again_while_pending_resends_and_the_new_link_works(sealed):
    assert sealed.sign(email="aigerim@example.org").status_code == 202
    sealed.deliver()
    with database(sealed.app).sessions.begin() as session:
        session.execute(update(Signature).values(last_email_at=utcnow() - RESEND_INTERVAL))
    assert sealed.sign(email="aigerim@example.org").status_code == 202
    sealed.deliver()
    assert len(sealed.inbox("aigerim@example.org")) == 2
    assert sealed.confirm("aigerim@example.org").status_code == 200
    assert sealed.count() == 1


def test_the_wall_of_a_sealed_petition_shows_what_public_signers_published(sealed, key):
    sealed.sign_and_confirm("aigerim@example.org", public=True, comment="Keep it open", **ALICE)
    sealed.sign_and_confirm("bolat@example.org", comment="They lied", **BOB)  # not public
    sealed.approve_wall()
    wall = sealed.client.get(f"/api/v1/petitions/{SLUG}/signatures").json
    entries = [{k: e[k] for k in ("first_name", "city", "comment")} for e in wall["signatures"]]
    assert entries == [{"first_name": "Aigerim", "city": "Zhezkazgan", "comment": "Keep it open"}]
    aigerim, bolat = stored(sealed.app)
    assert opened(key, aigerim.name) == ALICE["name"]  # the whole stays sealed for organisers
    assert bolat.shown is None


def test_withdrawing_takes_a_sealed_signer_off_the_wall(sealed):
    sealed.sign_and_confirm("aigerim@example.org", public=True, comment="Keep it open", **ALICE)
    sealed.approve_wall()
    withdraw = sealed.token("aigerim@example.org", "withdraw")
    assert sealed.client.post(f"/withdraw/{withdraw}").status_code == 200
    assert sealed.client.get(f"/api/v1/petitions/{SLUG}/signatures").json["signatures"] == []
    (row,) = stored(sealed.app)
    assert row.shown is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_dump_of_a_sealed_petition_holds_no_signer(sealed, database_url):
    """What a seized database (pg_dump) of a sealed petition holds: nothing a signer typed."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        unavailable("pg_dump on the PATH")
    assert pg_dump is not None
    sealed.sign_and_confirm("aigerim@example.org", comment="Keep it open", **ALICE)
    sealed.sign_and_confirm("bolat@example.org", comment="They lied", **BOB)
    withdraw = sealed.token("bolat@example.org", "withdraw")
    assert sealed.client.post(f"/withdraw/{withdraw}").status_code == 200
    # A public signer published a first name, a city and a message: those alone are in clear.
    carla = {"name": "Carla Ortiz", "postcode": "28001", "city": "Madrid"}
    sealed.sign_and_confirm("carla@example.org", public=True, comment="Solidarity!", **carla)

    url = make_url(database_url).set(drivername="postgresql")
    dump = subprocess.run(
        [pg_dump, "--data-only", url.render_as_string(hide_password=False)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "sealed:" in dump and "Save the plant" in dump  # the dump is of this database
    for typed in ["aigerim", "bolat", "Keep it open", "They lied", *ALICE.values(), *BOB.values()]:
        assert typed.lower() not in dump.lower(), typed
    for unpublished in ["Ortiz", "carla@", "28001"]:
        assert unpublished.lower() not in dump.lower(), unpublished
    assert "Carla" in dump and "Madrid" in dump and "Solidarity!" in dump


# --- the command line -------------------------------------------------------------------


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `undersign ARGS` in this process, putting back the logging `main` replaces."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return CliRunner().invoke(
            cli.main,
            list(args),
            input=input,
            env={**without_outer_settings(), **(env or {})},
            catch_exceptions=False,
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def generate(path: Path, passphrase: str | None = None) -> str:
    args = ["keys", "generate", "--out", str(path)]
    if passphrase is not None:
        args.append("--passphrase")
    done = invoke(*args, input=f"{passphrase}\n{passphrase}\n" if passphrase else None)
    assert done.exit_code == 0, done.output
    return done.stdout.strip().splitlines()[-1]


def test_keys_generate_writes_a_private_file_and_prints_the_public_key(tmp_path):
    public = generate(tmp_path / "key.json")
    assert sealing.check_public(public) == public
    assert stat.S_IMODE(os.stat(tmp_path / "key.json").st_mode) == 0o600
    again = invoke("keys", "generate", "--out", str(tmp_path / "key.json"))
    assert again.exit_code == 1 and "never overwritten" in again.stderr


def test_a_passphrase_protects_the_key_file(tmp_path):
    public = generate(tmp_path / "key.json", passphrase="correct horse")
    text = (tmp_path / "key.json").read_text()
    assert "private_key_box" in text and '"private_key"' not in text
    sealed = sealing.seal_value(public, "Aigerim Bekova")
    private = sealing.load(text, lambda: "correct horse")
    assert sealing.open_value([private], sealed) == "Aigerim Bekova"
    with pytest.raises(sealing.BadKey, match="wrong passphrase"):
        sealing.load(text, lambda: "wrong")


@pytest.mark.parametrize("bad", ["", "not base64!", "AAAA", "QUJD" * 11 + "QUI=", 42], ids=repr)
def test_a_seal_key_must_be_a_32_byte_base64_key(app, bad):
    with database(app).sessions() as session, pytest.raises(petitions.InvalidPetition):
        petitions.create(session, "x", {"en": {"title": "T"}}, by=auth.CLI, seal_key=bad)


def test_petition_create_seals_with_seal_key(app, database_url, tmp_path):
    public = generate(tmp_path / "key.json")
    env = {"UNDERSIGN_DATABASE_URL": database_url, "UNDERSIGN_SECRET_KEY": "cli-test-key"}
    done = invoke("petition", "create", SLUG, "--title", "T", "--seal-key", public, env=env)
    assert done.exit_code == 0, done.output
    refused = invoke("petition", "create", "other", "--title", "T", "--seal-key", "AAAA", env=env)
    assert refused.exit_code == 1 and "Error: the seal key must be 32 bytes" in refused.stderr
    with database(app).sessions() as session:
        assert petitions.find(session, SLUG).seal_key == public


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_an_export_decrypts_to_the_plain_rows_across_a_key_rotation(
    app, client, smtp, database_url, tmp_path, fmt
):
    old = generate(tmp_path / "old.json", passphrase="first")
    new = generate(tmp_path / "new.json")
    make_sealed_petition(app, old)
    signer = Signer(app, client, smtp, SLUG)
    signer.sign_and_confirm("aigerim@example.org", comment="=1+1", **ALICE)
    with database(app).sessions() as session:  # rotation: new signatures use the new key
        petition = petitions.find(session, SLUG)
        petition.seal_key = new
        session.commit()
    signer.sign_and_confirm("bolat@example.org", **BOB)

    env = {"UNDERSIGN_DATABASE_URL": database_url, "UNDERSIGN_SECRET_KEY": "cli-test-key"}
    sealed_file, plain_file = tmp_path / f"sealed.{fmt}", tmp_path / f"plain.{fmt}"
    done = invoke("export", SLUG, "--format", fmt, "-o", str(sealed_file), env=env)
    assert done.exit_code == 0, done.output
    assert (
        b"aigerim" not in sealed_file.read_bytes() and b"Zhezkazgan" not in sealed_file.read_bytes()
    )

    keys = ["--key", str(tmp_path / "old.json"), "--key", str(tmp_path / "new.json")]
    args = ["decrypt", *keys, "-i", str(sealed_file), "-o", str(plain_file)]
    done = invoke(*args, input="first\n")
    assert done.exit_code == 0, done.output
    rows = read(plain_file, fmt)
    assert [(r["name"], r["email"], r["city"], r["postcode"]) for r in rows] == [
        (ALICE["name"], "aigerim@example.org", ALICE["city"], ALICE["postcode"]),
        (BOB["name"], "bolat@example.org", BOB["city"], BOB["postcode"]),
    ]
    # Opened text is guarded against spreadsheet formulas like any exported cell
    # (in a workbook, text is never a formula).
    assert rows[0]["comment"] == ("'=1+1" if fmt == "csv" else "=1+1")

    one_key = invoke("decrypt", "--key", str(tmp_path / "new.json"), "-i", str(sealed_file))
    assert one_key.exit_code == 1 and "sealed to none of the keys" in one_key.stderr
    wrong = invoke("decrypt", "--key", str(tmp_path / "old.json"), input="nope\n")
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.stderr


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00n\x00a\x00m\x00e", b"PK\x03\x04 not really a zip", b'{"name": "sealed:'],
    ids=["utf-16", "a broken zip", "broken json"],
)
def test_decrypt_names_a_file_it_cannot_read_in_one_line_and_writes_nothing(tmp_path, content):
    generate(tmp_path / "key.json")
    source, plain = tmp_path / "export.csv", tmp_path / "plain.csv"
    source.write_bytes(content)
    args = ["decrypt", "--key", str(tmp_path / "key.json"), "-i", str(source), "-o", str(plain)]
    done = invoke(*args)
    assert done.exit_code == 1
    assert (
        done.stderr
        == f"Error: {source} is not an export Undersign wrote (CSV or JSONL in UTF-8, or XLSX)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "key.json"]


def read(path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        header, *rows = sheet.iter_rows(values_only=True)
        assert sheet.cell(2, 1).data_type != "f"  # written as text, not a formula
        return [dict(zip(header, row, strict=True)) for row in rows]
    text = path.read_text(encoding="utf-8")
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    return [json.loads(line) for line in text.splitlines()]


# --- the organiser API ------------------------------------------------------------------


def test_the_organiser_api_takes_and_keeps_a_seal_key(app, client, key):
    from tests.admin.conftest import OrganiserAPI, make_token

    organiser = OrganiserAPI(client, make_token(app, "office"))
    body = {"slug": SLUG, "texts": {"en": {"title": "T"}}}
    refused = organiser.post("/petitions", {**body, "seal_key": "AAAA"})
    assert refused.status_code == 422
    created = organiser.post("/petitions", {**body, "seal_key": key.public})
    assert created.status_code == 201 and created.json["seal_key"] == key.public
    assert organiser.patch(f"/petitions/{SLUG}", {"goal": 5}).json["seal_key"] == key.public
    assert organiser.patch(f"/petitions/{SLUG}", {"seal_key": None}).status_code == 422
    rotated = sealing.generate().public
    assert organiser.patch(f"/petitions/{SLUG}", {"seal_key": rotated}).json["seal_key"] == rotated
