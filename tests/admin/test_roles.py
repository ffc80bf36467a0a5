"""Team roles: what each role may do, on which petitions, and what a refusal says and logs."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy import text as sql
from undersign import cli
from undersign.core import auth
from undersign.core.db import Database, database
from undersign.core.models import AuditEntry

from tests.admin.conftest import OrganiserAPI
from tests.conftest import create_petition, fresh_postgres_database
from tests.core.test_migrations import migrate

ADMIN = "/api/v1/admin"
# A value for each variable of an admin route, to call every route the URL map holds.
VALUES = {
    "slug": "test-petition",
    "signature_id": "1",
    "post_id": "1",
    "batch_id": "1",
    "webhook_id": "1",
    "lang": "en",
    "code": "kz-union",
    "name": "nobody",
    "action": "close",
}
VARIABLE = re.compile(r"<(?:[^:>]+:)?(\w+)>")


def with_role(app, client, name, role=None, petitions=(), partner=None):
    with database(app).sessions() as session:
        made = auth.create(session, name, partner, by=auth.CLI, role=role, petitions=petitions)
    return OrganiserAPI(client, made)


def admin_routes(app):
    """Every (rule, method, view) of the organiser API in the URL map."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(ADMIN):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, app.view_functions[rule.endpoint]


def test_every_admin_route_declares_what_it_needs(app):
    routes = list(admin_routes(app))
    assert len(routes) > 40  # the walk found the organiser API
    undeclared = [f"{m} {rule.rule}" for rule, m, view in routes if not hasattr(view, "needs")]
    assert undeclared == [], "declare each with @needs(...) from web/access.py"
    unknown = [view.needs for _, _, view in routes if view.needs not in auth.ACTIONS]
    assert unknown == []


def test_every_admin_route_refuses_a_viewer_what_it_declares_beyond_viewing(app, client, petition):
    viewer = with_role(app, client, "watcher", "viewer")
    for rule, method, view in admin_routes(app):
        path = VARIABLE.sub(lambda m: VALUES[m.group(1)], rule.rule)
        answer = client.open(path, method=method, json={}, headers=viewer.headers())
        least = auth.ACTIONS[view.needs]
        if least is auth.Role.VIEWER:
            assert answer.status_code != 403, f"{method} {rule.rule}"
        else:
            assert answer.status_code == 403, f"{method} {rule.rule}: {answer.status_code}"
            assert answer.json["error"]["role"] == least, f"{method} {rule.rule}"


# A representative route of each kind, and the least role that may use it.
KINDS = {
    "counts": ("get", "/petitions/test-petition/dashboard", None, "viewer"),
    "personal data": ("get", "/petitions/test-petition/signatures", None, "moderator"),
    "wall": (
        "post",
        "/petitions/test-petition/comments",
        {"ids": [1], "decision": "approved"},
        "moderator",
    ),
    "texts": ("put", "/petitions/test-petition/texts/en", {"summary": "Keep it."}, "editor"),
    "news": (
        "post",
        "/petitions/test-petition/news",
        {"texts": {"en": {"title": "Met", "body": "We met the minister."}}},
        "editor",
    ),
    "settings": ("post", "/petitions/test-petition/close", {}, "owner"),
    "export": ("get", "/petitions/test-petition/export", None, "owner"),
    "tokens": ("get", "/tokens", None, "owner"),
}
ROLES = ["viewer", "moderator", "editor", "owner"]


def call(api, method, path, body):
    if method == "get":
        return api.get(path)
    if method == "put":
        return api.client.put(f"{ADMIN}{path}", json=body, headers=api.headers())
    return getattr(api, method)(path, body)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_what_its_rank_allows_and_is_told_which_role_would(
    app, client, signer, role
):
    signer.sign_and_confirm("aigerim@example.org", message="We stand with you", public=True)
    api = with_role(app, client, f"as-{role}", role)
    for kind, (method, path, body, least) in KINDS.items():
        answer = call(api, method, path, body)
        if ROLES.index(role) >= ROLES.index(least):
            assert answer.status_code < 300, (kind, answer.status_code, answer.json)
        else:
            assert answer.status_code == 403, kind
            error = answer.json["error"]
            assert error["code"] == "forbidden" and error["role"] == least, kind
            assert least in error["message"]


def test_a_viewer_sees_counts_but_no_personal_data(app, client, signer):
    signer.sign_and_confirm("aigerim@example.org")
    viewer = with_role(app, client, "watcher", "viewer")
    dashboard = viewer.get("/petitions/test-petition/dashboard")
    assert dashboard.status_code == 200 and dashboard.json["petition"]["counts"]["verified"] == 1
    for path in ("signatures", "review", "comments", "export", "handover", "paper"):
        assert viewer.get(f"/petitions/test-petition/{path}").status_code == 403, path


def test_an_editor_changes_texts_but_not_settings(app, client, petition):
    editor = with_role(app, client, "writer", "editor")
    texts = {"en": {"title": "Save the plant now", "summary": "Keep it open."}}
    assert editor.patch("/petitions/test-petition", {"texts": texts}).status_code == 200
    for setting in ({"goal": 5}, {"wall_mode": "off"}, {"texts": texts, "seal_key": None}):
        answer = editor.patch("/petitions/test-petition", setting)
        assert answer.status_code == 403 and answer.json["error"]["role"] == "owner", setting
    owner = with_role(app, client, "boss")
    assert owner.get("/petitions/test-petition").json["goal"] == 100
    assert owner.get("/petitions/test-petition").json["title"] == "Save the plant now"


def test_the_audit_log_names_the_token_that_acted_and_the_one_refused(app, client, petition):
    owner = with_role(app, client, "boss")
    editor = with_role(app, client, "aliya-editor", "editor")
    assert (
        editor.client.put(
            f"{ADMIN}/petitions/test-petition/texts/en",
            json={"summary": "Keep it."},
            headers=editor.headers(),
        ).status_code
        == 200
    )
    assert editor.post("/petitions/test-petition/close").status_code == 403
    entries = owner.get("/audit").json["entries"]
    refused, changed = entries[0], entries[1]
    assert changed["actor"] == "aliya-editor" and changed["target"] == "test-petition"
    assert refused["actor"] == "aliya-editor" and refused["action"] == "refused"
    assert refused["detail"]["needs"] == "owner"
    assert refused["detail"]["asked"] == "petitions.settings"


@pytest.fixture
def two_petitions(app, petition):
    create_petition(app, "other-petition")
    return petition


def test_a_token_limited_to_a_petition_sees_only_it(app, client, two_petitions):
    limited = with_role(app, client, "local", "owner", petitions=["test-petition"])
    listed = limited.get("/petitions").json["petitions"]
    assert [p["slug"] for p in listed] == ["test-petition"]
    assert limited.get("/petitions/test-petition/dashboard").status_code == 200
    # Another petition is as if it did not exist: 404, the same as a slug nobody took.
    for path in ("", "/dashboard", "/signatures", "/export"):
        other = limited.get(f"/petitions/other-petition{path}")
        missing = limited.get(f"/petitions/no-such-petition{path}")
        assert other.status_code == missing.status_code == 404, path
        assert other.json == missing.json
    assert limited.post("/petitions/other-petition/close").status_code == 404
    # What reaches every petition is an owner-of-every-petition's.
    for path in ("/tokens", "/partners", "/webhooks", "/audit"):
        answer = limited.get(path)
        assert answer.status_code == 403 and answer.json["error"]["role"] == "owner", path
        assert "every petition" in answer.json["error"]["message"]
    made = limited.post("/petitions", {"slug": "mine", "texts": {"en": {"title": "Mine"}}})
    assert made.status_code == 403


def test_a_limited_moderator_cannot_reach_a_signature_of_another_petition(
    app, client, smtp, two_petitions
):
    from tests.conftest import Signer

    Signer(app, client, smtp, "other-petition").sign_and_confirm("dana@example.org")
    owner = with_role(app, client, "boss")
    (elsewhere,) = owner.signatures("other-petition")
    moderator = with_role(app, client, "mod", "moderator", petitions=["test-petition"])
    answer = moderator.post(f"/signatures/{elsewhere['id']}/keep")
    assert answer.status_code == 404
    assert owner.post(f"/signatures/{elsewhere['id']}/keep").status_code == 200


def test_a_partner_token_reads_its_share_whatever_role_it_could_have(app, client, petition):
    partner = with_role(app, client, "union", partner="kz-union")
    assert partner.get("/me").json["role"] == "viewer"
    assert partner.get("/petitions/test-petition/signatures").status_code == 200
    answer = partner.client.put(
        f"{ADMIN}/petitions/test-petition/texts/en",
        json={"summary": "x"},
        headers=partner.headers(),
    )
    assert answer.status_code == 403 and answer.json["error"]["role"] == "editor"
    with database(app).sessions() as session, pytest.raises(auth.TokenError, match="no role"):
        auth.create(session, "union-2", "kz-union", by=auth.CLI, role="owner")


def run(app, *args):
    return CliRunner().invoke(cli.main, list(args), obj=app, catch_exceptions=False)


def test_the_cli_makes_a_token_with_a_role_for_named_petitions(app, client, two_petitions):
    made = run(
        app,
        "token",
        "create",
        "aliya",
        "--role",
        "moderator",
        "--petition",
        "test-petition",
        "--petition",
        "other-petition",
    )
    assert made.exit_code == 0
    assert "moderator" in made.stderr and "other-petition, test-petition" in made.stderr
    token = made.stdout.strip().splitlines()[-1]
    me = client.get(f"{ADMIN}/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["role"] == "moderator"
    assert me["petitions"] == ["other-petition", "test-petition"]
    assert "signatures.moderate" in me["may"] and "petitions.texts" not in me["may"]
    listed = run(app, "token", "list").stdout.splitlines()[0].split("\t")
    assert listed[0] == "aliya" and listed[-2:] == ["moderator", "other-petition,test-petition"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--role", "admin"], "Invalid value for '--role'"),
        (["--petition", "nowhere"], "no petition called 'nowhere'"),
        (["--partner", "kz-union", "--role", "editor"], "has no role"),
    ],
)
def test_the_cli_refuses_a_wrong_role_or_petition_in_one_line(app, petition, args, says):
    result = run(app, "token", "create", "someone", *args)
    assert result.exit_code != 0 and says in result.output
    assert "Traceback" not in result.output


def test_owners_manage_tokens_through_the_api_and_see_each_token_once(app, client, petition):
    owner = with_role(app, client, "boss")
    made = owner.post(
        "/tokens", {"name": "volunteer", "role": "editor", "petitions": ["test-petition"]}
    )
    assert made.status_code == 201
    token = made.json["token"]
    assert token.startswith("us_") and made.json["role"] == "editor"
    listed = owner.get("/tokens").json["tokens"]
    assert {t["name"]: t["role"] for t in listed} == {"boss": "owner", "volunteer": "editor"}
    assert token not in str(listed)
    volunteer = OrganiserAPI(client, token)
    assert volunteer.get("/me").json["petitions"] == ["test-petition"]
    refused = volunteer.get("/tokens")
    assert refused.status_code == 403 and refused.json["error"]["role"] == "owner"
    again = owner.post("/tokens", {"name": "volunteer"})
    assert again.status_code == 409
    wrong = owner.post("/tokens", {"name": "x", "petitions": ["nowhere"]})
    assert wrong.status_code == 422
    assert owner.delete("/tokens/volunteer").json["revoked_at"] is not None
    assert volunteer.get("/me").status_code == 401
    assert owner.delete("/tokens/nobody").status_code == 404


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0013(request, tmp_path):
    """A database of its own, migrated to just before roles."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'roles.sqlite'}"
        migrate(url, auth_down_revision())
        yield url
        return
    with fresh_postgres_database("undersign_roles") as url:
        migrate(url, auth_down_revision(), down=True)
        yield url


def auth_down_revision():
    from importlib import import_module

    return import_module("undersign.migrations.versions.0014_roles").down_revision


def test_existing_tokens_become_owners_of_every_petition_and_partners_readers(at_0013):
    engine = Database(at_0013).engine
    row = "INSERT INTO organiser_tokens (name, token_hash, partner, created_at) "
    row += "VALUES (:name, :hash, :partner, CURRENT_TIMESTAMP)"
    try:
        with engine.begin() as connection:
            connection.execute(sql(row), {"name": "office", "hash": "a" * 64, "partner": None})
            connection.execute(sql(row), {"name": "union", "hash": "b" * 64, "partner": "kz"})
        migrate(at_0013, "0014")
        with engine.begin() as connection:
            found = connection.execute(
                sql("SELECT name, role, petitions FROM organiser_tokens ORDER BY name")
            )
            assert list(found) == [("office", "owner", None), ("union", "viewer", None)]
    finally:
        engine.dispose()


def test_a_refusal_is_recorded_once_per_request(app, client, petition):
    viewer = with_role(app, client, "watcher", "viewer")
    viewer.get("/petitions/test-petition/export")
    with database(app).sessions() as session:
        refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "refused")).all()
    assert [(e.actor, e.target) for e in refused] == [("watcher", "test-petition")]


def test_the_openapi_document_names_each_organiser_routes_least_role(client):
    document = client.get("/api/openapi.json").json
    needs = {
        (method.upper(), path): operation.get("x-undersign-needs")
        for path, operations in document["paths"].items()
        if path.startswith(ADMIN)
        for method, operation in operations.items()
    }
    assert needs and all(need for need in needs.values()), needs
    assert needs[("POST", f"{ADMIN}/tokens")] == {"action": "tokens.manage", "role": "owner"}
    assert needs[("GET", f"{ADMIN}/petitions/{{slug}}/review")]["role"] == "moderator"
    token_route = document["paths"][f"{ADMIN}/tokens"]["post"]
    assert "owner for every petition" in token_route["responses"]["403"]["description"]
