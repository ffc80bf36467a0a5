"""Organiser tokens: printed once, kept as a hash, named, listed with their last use, revocable."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select
from undersign import cli
from undersign.core import auth
from undersign.core.db import database
from undersign.core.models import OrganiserToken


def run(app, *args):
    result = CliRunner().invoke(cli.main, list(args), obj=app, catch_exceptions=False)
    return result


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_create_prints_the_token_once_alone_on_its_last_line_and_keeps_only_its_hash(app, client):
    result = run(app, "token", "create", "office")
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("us_") and len(token) > 40 and " " not in token
    with database(app).sessions() as session:
        stored = session.scalar(select(OrganiserToken).where(OrganiserToken.name == "office"))
    assert stored.token_hash == auth.digest(token) and token not in stored.token_hash
    me = client.get("/api/v1/admin/me", headers=bearer(token)).json
    assert me["name"] == "office" and me["partner"] is None
    assert me["role"] == "owner" and me["petitions"] is None  # the default, as before roles


def test_two_tokens_are_never_alike(app):
    first = run(app, "token", "create", "one").stdout.splitlines()[-1]
    second = run(app, "token", "create", "two").stdout.splitlines()[-1]
    assert first != second


def test_list_shows_names_partners_and_when_each_was_last_used(app, client):
    token = run(app, "token", "create", "office").stdout.splitlines()[-1]
    run(app, "token", "create", "union", "--partner", "kz-union")
    before = run(app, "token", "list").stdout
    assert "office\t*\t" in before and "union\tkz-union\t" in before
    assert before.splitlines()[0].split("\t")[3] == "-"  # office: never used yet
    client.get("/api/v1/admin/petitions", headers=bearer(token))
    used = run(app, "token", "list").stdout.splitlines()[0].split("\t")
    assert used[0] == "office" and used[3] != "-"
    assert token not in before


def test_a_revoked_token_is_refused_at_once(app, client):
    token = run(app, "token", "create", "laptop").stdout.splitlines()[-1]
    assert client.get("/api/v1/admin/petitions", headers=bearer(token)).status_code == 200
    result = run(app, "token", "revoke", "laptop")
    assert result.exit_code == 0 and "revoked" in result.stdout
    answer = client.get("/api/v1/admin/petitions", headers=bearer(token))
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "unauthorized"
    assert run(app, "token", "list").stdout.split("\t")[4].strip() != "-"


def test_bad_arguments_are_one_line_not_a_traceback(app):
    run(app, "token", "create", "office")
    again = run(app, "token", "create", "office")
    assert again.exit_code != 0 and "exists already" in again.output
    assert "Traceback" not in again.output
    unknown = run(app, "token", "revoke", "nobody")
    assert unknown.exit_code != 0 and "no token called 'nobody'" in unknown.output
    bad = run(app, "token", "create", "x", "--partner", "Not A Code")
    assert bad.exit_code != 0 and "partner source" in bad.output
