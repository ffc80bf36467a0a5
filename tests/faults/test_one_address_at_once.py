"""200 posts of one person at once (case, +tags and Gmail dots mixed), over real HTTP on
PostgreSQL: a row and one email per spelling, every answer 202, and, however the spellings'
links are pressed at once, the count ends exactly at one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature
from undersign.mail.worker import deliver_due

from tests.conftest import LINK, create_petition, make_app, serve

pytestmark = pytest.mark.slow

POSTS = 200
SPELLINGS = [
    "aigerim.n@gmail.com",
    "Aigerim.N@Gmail.com",
    "aigerimn+plant@gmail.com",
    "a.i.g.e.r.i.m.n@googlemail.com",
]


# SQLite takes one writer at a time: the race needs PostgreSQL.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_hundred_posts_of_one_person_leave_one_signature(database_url, smtp, tmp_path):
    postgres_url = database_url
    app = make_app(
        postgres_url, tmp_path, RATELIMIT_ENABLED=False, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port
    )
    create_petition(app)
    server, origin = serve(app)
    try:

        def post(n: int) -> int:
            body = {"name": "Aigerim", "email": SPELLINGS[n % len(SPELLINGS)], "country": "KZ"}
            answer = httpx.post(
                f"{origin}/api/v1/petitions/test-petition/signatures", json=body, timeout=60
            )
            return answer.status_code

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(post, range(POSTS)))
    finally:
        server.shutdown()
    assert statuses == [202] * POSTS  # never a 500, never a hint of who signed
    spellings = {address.lower() for address in SPELLINGS}
    with database(app).sessions() as session:
        # A row per spelling (case aside), each with one email queued: signing again while
        # pending re-sends at most once per interval.
        assert session.scalar(select(func.count()).select_from(Signature)) == len(spellings)
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == len(spellings)
    assert deliver_due(app) == len(spellings)
    emails = smtp.mailbox.wait_for(len(spellings))
    assert {email["To"].lower() for email in emails} == spellings
    client = app.test_client()

    def confirm(email) -> int:
        link = dict(LINK.findall(email.get_body(preferencelist=("plain",)).get_content()))
        return client.post("/api/v1/signatures/verify", json={"token": link["verify"]}).status_code

    with ThreadPoolExecutor(max_workers=len(emails)) as pool:
        answers = sorted(pool.map(confirm, emails))
    assert answers == [200] + [409] * (len(spellings) - 1), "the first spelling confirmed counts"
    assert client.get("/api/v1/petitions/test-petition/count").json["signature_count"] == 1
