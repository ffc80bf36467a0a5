"""`undersign witness` and `undersign log verify` against the real service, over real HTTP.

The application runs in a thread (tests.conftest.serve) on SQLite and PostgreSQL; signers
sign, confirm and withdraw through its API, the mailer's append writes the log, and two
partners abroad run the witness command. Then someone with the database edits, deletes or
rolls back log rows, and both commands must say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import delete, select
from undersign import cli
from undersign.core import auth, merkle, notes
from undersign.core.auth import CLI
from undersign.core.config import settings
from undersign.core.db import database
from undersign.core.models import LogCheckpoint, LogEntry
from undersign.organisers import partners
from undersign.signers import transparency

from tests.conftest import create_petition, make_app, serve
from tests.transparency.test_log import Campaign


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    made = make_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
    yield made
    database(made).engine.dispose()


@pytest.fixture
def live(app: Flask) -> Iterator[tuple[Campaign, str]]:
    """A petition served over HTTP: the campaign helper and the petition's address."""
    campaign = Campaign(app, create_petition(app))
    server, origin = serve(app)
    yield campaign, f"{origin}/p/{campaign.slug}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def undersign(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # The command would point the root logger at its stderr, where the server thread's
    # request log lines would then land too: a real witness runs apart from the server.
    monkeypatch.setattr(cli.logs, "configure", lambda: None)
    runner = CliRunner()

    def undersign(*args: str, token: str | None = None):
        env = {"UNDERSIGN_WITNESS_TOKEN": token}
        return runner.invoke(cli.main, list(args), env=env, prog_name="undersign")

    return undersign


class Witness:
    """A partner abroad: a partner token from the campaign, a key, a state file, cron."""

    def __init__(self, app: Flask, undersign, code: str, name: str) -> None:
        with database(app).sessions() as session:
            partners.create(session, code, name, [], by=CLI)
            self.token = auth.create(session, f"{code}-witness", code, by=CLI)
        self.undersign, self.code = undersign, code
        made = undersign("witness", "keygen", f"{code}.example/witness", "--key", f"{code}.key")
        assert made.exit_code == 0, made.output
        self.vkey = made.stdout.strip()

    def run(self, url: str):
        return self.undersign(
            "witness", url, "--key", f"{self.code}.key", "--state", f"{self.code}.json",
            token=self.token,
        )  # fmt: skip


def confirmed(campaign: Campaign, n: int) -> list[str]:
    """Sign n times, confirm each, let the mailer append; return the receipts."""
    receipts = [campaign.confirm(signature_id)["receipt"] for signature_id in campaign.sign(n)]
    campaign.append()
    return receipts


def refused(result, *words: str) -> None:
    assert result.exit_code == 3, result.output
    [line] = result.stderr.strip().splitlines()
    for word in words:
        assert word in line, line


@pytest.mark.slow
def test_two_witnesses_cosign_and_log_verify_checks_the_whole_log(app, live, undersign):
    campaign, url = live
    receipts = confirmed(campaign, 6)
    ids = list(campaign.people)
    campaign.withdraw(ids[1])
    campaign.moderate(ids[2])
    campaign.append()
    ituc, lo = Witness(app, undersign, "ituc", "ITUC Brussels"), Witness(app, undersign, "lo", "LO")
    for witness in (ituc, lo):
        done = witness.run(url)
        assert done.exit_code == 0, done.output
        assert done.stdout.endswith(" at 8 entries, count 4\n")

    checked = undersign(
        "log", "verify", url, "--receipt", receipts[0], "--witness", ituc.vkey, "--witness", lo.vkey
    )
    assert checked.exit_code == 0, checked.output
    assert "entries: 8, they rebuild the signed root" in checked.stdout
    assert (
        "count: 4 = 6 confirmed or restored - 2 withdrawn or invalidated + 0 on paper"
        in checked.stdout
    )
    assert "cosigned by ituc.example/witness at " in checked.stdout
    assert "cosigned by lo.example/witness at " in checked.stdout
    assert "receipt: signed in entry 1 of 8 (" in checked.stdout and "counted" in checked.stdout
    withdrawn = undersign("log", "verify", url, "--receipt", receipts[1])
    assert "withdrawn in entry 7 (" in withdrawn.stdout, withdrawn.output
    invalidated = undersign("log", "verify", url, "--receipt", receipts[2])
    assert "invalidated in entry 8 (" in invalidated.stdout, invalidated.output

    # The log grows: the witnesses check it only grew, and cosign again.
    confirmed(campaign, 3)
    for witness in (ituc, lo):
        again = witness.run(url)
        assert again.exit_code == 0, again.output
        assert again.stdout.endswith(" at 11 entries, count 7\n")
    whole = undersign("log", "verify", url, "--checkpoint", "ituc.json")
    assert whole.exit_code == 0, whole.output
    assert "earlier checkpoints: 2, each the start of the next, counts right" in whole.stdout
    assert "extends ituc.json (11 entries)" in whole.stdout


def forge(app: Flask, index: int) -> None:
    """Someone with the database changes an entry's country and writes the leaf to match."""
    with database(app).sessions.begin() as session:
        entry = session.scalars(select(LogEntry).where(LogEntry.index == index)).one()
        forged = transparency.leaf(
            entry.kind, entry.minute, "RU", entry.channel, entry.delta, entry.commitment, None
        )
        entry.country, entry.leaf, entry.leaf_hash = "RU", forged, merkle.leaf_hash(forged)


def test_an_edited_row_fails_log_verify_and_the_witness(app, live, undersign):
    campaign, url = live
    confirmed(campaign, 6)
    witness = Witness(app, undersign, "ituc", "ITUC Brussels")
    assert witness.run(url).exit_code == 0
    forge(app, 2)
    refused(undersign("log", "verify", url), "do not rebuild the signed root")
    confirmed(campaign, 1)  # the next checkpoint comes
    refused(witness.run(url), "does not contain the log at 6 entries", "fork")


def test_a_kept_checkpoint_gives_away_a_rewrite_the_latest_hides(app, live, undersign):
    campaign, url = live
    confirmed(campaign, 4)
    confirmed(campaign, 2)
    # Rows 2 and up rewritten, and the latest checkpoint re-signed over them with the log key;
    # the checkpoint of size 4 stays as it was signed.
    forge(app, 2)
    with database(app).sessions.begin() as session:
        hashes = list(session.scalars(select(LogEntry.leaf_hash).order_by(LogEntry.index)))
        latest = session.scalars(select(LogCheckpoint).where(LogCheckpoint.size == 6)).one()
        body = notes.Checkpoint.parse(latest.note.split("\n\n")[0] + "\n")
        forged = notes.Checkpoint(body.origin, 6, merkle.root(hashes), body.extensions)
        latest.note = notes.sign(forged.body(), [transparency.signer(settings(app), campaign.slug)])
    refused(undersign("log", "verify", url), "size 4 signed a root the entries do not give")


def test_a_row_edited_without_its_leaf_fails_log_verify(app, live, undersign):
    campaign, url = live
    confirmed(campaign, 3)
    with database(app).sessions.begin() as session:
        entry = session.scalars(select(LogEntry).where(LogEntry.index == 1)).one()
        entry.country = "RU"
    refused(undersign("log", "verify", url), "entry 1: its country 'RU' is not the 'KZ'")


def test_a_deleted_row_fails_log_verify_and_the_witness(app, live, undersign):
    campaign, url = live
    confirmed(campaign, 6)
    witness = Witness(app, undersign, "ituc", "ITUC Brussels")
    assert witness.run(url).exit_code == 0
    with database(app).sessions.begin() as session:
        session.execute(delete(LogEntry).where(LogEntry.index == 3))
    refused(undersign("log", "verify", url), "entry 3 is missing")
    confirmed(campaign, 1)
    refused(witness.run(url), "does not contain the log at 6 entries", "fork")


def test_a_log_rolled_back_is_refused_by_the_witness_and_log_verify(app, live, undersign):
    campaign, url = live
    confirmed(campaign, 3)
    confirmed(campaign, 3)
    witness = Witness(app, undersign, "ituc", "ITUC Brussels")
    assert witness.run(url).exit_code == 0
    # The last three entries and the checkpoint that signed them, gone.
    with database(app).sessions.begin() as session:
        session.execute(delete(LogEntry).where(LogEntry.index >= 3))
        session.execute(delete(LogCheckpoint).where(LogCheckpoint.size > 3))
    refused(witness.run(url), "shrank from 6 to 3 entries")
    assert json.loads(Path("ituc.json").read_text())["size"] == 6
    refused(undersign("log", "verify", url, "--checkpoint", "ituc.json"), "shrank")


def test_the_witness_pins_the_log_key(app, live, undersign):
    campaign, url = live
    confirmed(campaign, 2)
    witness = Witness(app, undersign, "ituc", "ITUC Brussels")
    first = witness.run(url)
    assert "first run: trusting the log key" in first.stderr
    served = campaign.client.get(f"/api/v1/petitions/{campaign.slug}/log/key").text.strip()
    state = json.loads(Path("ituc.json").read_text())
    assert state["log_key"] == notes.Verifier(served).vkey
    assert "first run" not in witness.run(url).stderr
