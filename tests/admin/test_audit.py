"""The audit log: every change and every export, with who, when, what and how many rows."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from undersign import cli


def entries(organiser):
    answer = organiser.get("/audit")
    assert answer.status_code == 200
    return answer.json["entries"]


def test_every_change_is_logged_with_who_what_and_when(signer, organiser):
    signer.sign_and_confirm("ana@example.org", comment="Hold on!", public=True)
    ana = organiser.signature_id("test-petition", "ana@example.org")
    organiser.post("/petitions", {"slug": "second", "texts": {"en": {"title": "Second"}}})
    organiser.patch("/petitions/second", {"goal": 10})
    organiser.post("/petitions/second/close")
    organiser.post(f"/signatures/{ana}/invalidate", {"reason": "Signed twice on paper"})
    organiser.post(f"/signatures/{ana}/restore", {"reason": "Paper copy was another Ana"})
    organiser.post(f"/signatures/{ana}/comment", {"decision": "approved"})
    organiser.post("/partners", {"code": "kz-union", "name": "Union"})
    everything = entries(organiser)
    # The setup's own changes, made on the command line, are logged under its name.
    setup = {(e["actor"], e["action"]) for e in everything if e["actor"] != "campaign-office"}
    assert setup == {("cli", "petition.create"), ("cli", "token.create")}
    # Reading lists of signers is logged too (signature_id searched once): here, the changes.
    log = [
        e
        for e in everything
        if e["actor"] == "campaign-office" and e["action"] != "signature.search"
    ]
    assert [(e["action"], e["target"]) for e in reversed(log)] == [
        ("petition.create", "second"),
        ("petition.edit", "second"),
        ("petition.close", "second"),
        ("signature.invalidate", f"test-petition#{ana}"),
        ("signature.restore", f"test-petition#{ana}"),
        ("comment.approved", f"test-petition#{ana}"),
        ("partner.create", "kz-union"),
    ]
    assert log[3]["detail"] == {"reason": "Signed twice on paper"}
    assert log[3]["rows"] == 1
    moment = datetime.fromisoformat(log[0]["at"])
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 60


def test_exports_are_logged_with_their_filters_and_row_count(app, signer, organiser, as_partner):
    signer.sign_and_confirm("one@example.org", source="kz-union", contact_consent=True)
    signer.sign_and_confirm("two@example.org")
    organiser.get("/petitions/test-petition/export", format="jsonl", status="all")
    as_partner("kz-union").get("/petitions/test-petition/export").get_data()
    organiser.get("/petitions/test-petition/handover").get_data()
    CliRunner().invoke(cli.main, ["export", "test-petition", "--source", "kz-union"], obj=app)
    log = [e for e in entries(organiser) if e["action"] in {"export", "handover"}]
    assert [(e["actor"], e["action"], e["rows"]) for e in reversed(log)] == [
        ("campaign-office", "export", 2),
        ("partner-kz-union", "export", 1),
        ("campaign-office", "handover", 2),
        ("cli", "export", 1),
    ]
    assert log[-1]["detail"]["format"] == "jsonl" and log[-1]["detail"]["status"] == "all"
    assert log[0]["detail"]["source"] == "kz-union"


def test_refused_changes_leave_no_entry(signer, organiser):
    before = entries(organiser)
    organiser.post("/petitions", {"slug": "Bad Slug", "texts": {"en": {"title": "X"}}})
    organiser.post("/signatures/12345/invalidate", {"reason": "x"})
    assert entries(organiser) == before


def test_tokens_made_on_the_command_line_are_logged(app, organiser):
    CliRunner().invoke(cli.main, ["token", "create", "union", "--partner", "kz-union"], obj=app)
    CliRunner().invoke(cli.main, ["token", "revoke", "union"], obj=app)
    log = entries(organiser)[:2]
    assert [(e["actor"], e["action"], e["target"]) for e in log] == [
        ("cli", "token.revoke", "union"),
        ("cli", "token.create", "union"),
    ]
    assert log[1]["detail"] == {"partner": "kz-union", "role": "viewer", "petitions": None}
