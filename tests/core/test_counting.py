"""The count: exact, cheap to read, cacheable, and not one hot row."""

from __future__ import annotations

import time

from sqlalchemy import event, select
from undersign.core import counting
from undersign.core.db import database
from undersign.core.models import CountShard

from tests.conftest import Signer, create_petition, make_app


def test_the_count_answer_is_cacheable_with_an_etag(signer):
    answer = signer.client.get("/api/v1/petitions/test-petition/count")
    assert answer.json == {"slug": "test-petition", "signature_count": 0, "goal": 100}
    assert answer.headers["Cache-Control"] == "public, max-age=2"
    again = signer.client.get(
        "/api/v1/petitions/test-petition/count", headers={"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304


def test_count_reads_do_not_query_the_database_each_time(signer, app):
    statements = []
    engine = database(app).engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for _ in range(50):
            assert signer.client.get("/api/v1/petitions/test-petition/count").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2, "one read fills the cache for the next seconds"


def test_a_verification_shows_in_the_count_at_once_for_this_instance(signer):
    assert signer.count() == 0  # now cached
    signer.sign_and_confirm("fresh@example.org")
    assert signer.count() == 1


def test_verifications_spread_over_several_rows(signer, app):
    for n in range(40):
        signer.sign(email=f"spread{n}@example.org")
    signer.deliver()
    for n in range(40):
        signer.confirm(f"spread{n}@example.org")
    with database(app).sessions() as session:
        shards = session.scalars(select(CountShard.count)).all()
        assert sum(shards) == 40 == counting.exact(session, 1)
    assert sum(1 for n in shards if n > 0) > 1, "no single hot row"


def test_an_unknown_petition_count_is_404(client):
    assert client.get("/api/v1/petitions/none/count").status_code == 404


def test_only_verified_signatures_are_counted(signer):
    signer.sign(email="pending@example.org")
    signer.sign_and_confirm("verified@example.org")
    assert signer.count() == 1
    assert signer.client.get("/api/v1/petitions/test-petition").json["signature_count"] == 1


def test_paper_signatures_join_the_shards_and_the_cached_count_at_once(signer, app):
    from tests.admin.conftest import OrganiserAPI, make_token

    organiser = OrganiserAPI(signer.client, make_token(app, "office"))
    signer.sign_and_confirm("online@example.org")
    assert signer.count() == 1  # cached now
    paper = {"count": 250, "country": "KZ", "date": "2026-11-28"}
    batch = organiser.post("/petitions/test-petition/paper", paper).json["id"]
    assert signer.count() == 251  # the cache was forgotten with the change
    with database(app).sessions() as session:
        assert counting.exact(session, 1) == 251  # in the shards, like a verification
    organiser.delete(f"/petitions/test-petition/paper/{batch}")
    assert signer.count() == 1


def test_a_verification_on_one_instance_shows_on_another_within_five_seconds(
    database_url, tmp_path, redis_url, smtp
):
    """Two servers share Redis; the other's poll, answered from its own copy, catches up in 5 s."""
    config = {"REDIS_URL": redis_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port}
    here, there = (make_app(database_url, tmp_path, **config) for _ in range(2))
    try:
        slug = create_petition(here, f"fresh-{time.monotonic_ns()}")
        counts = there.test_client()
        path = f"/api/v1/petitions/{slug}/count"
        assert counts.get(path).json["signature_count"] == 0
        assert counts.get(path).json["signature_count"] == 0  # from its own copy now
        Signer(here, here.test_client(), smtp, slug).sign_and_confirm("fresh@example.org")
        confirmed = time.monotonic()
        while counts.get(path).json["signature_count"] == 0:
            assert time.monotonic() - confirmed < 5, "the other instance still says 0 after 5 s"
    finally:
        for app in (here, there):
            database(app).engine.dispose()
