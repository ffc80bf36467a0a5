"""An organiser's script that hangs up in the middle of a CSV export streamed by COPY."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from undersign.core.db import database

from tests.admin.conftest import make_token
from tests.conftest import create_petition

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# Enough rows (some 15 MB of CSV) that the server is still writing when the client goes.
ROWS = 100_000
FILL = """
INSERT INTO signatures (petition_id, email_key, spelling_key, name, email, country, public,
                        contact_consent, locale, status, flagged, emails_sent, created_at,
                        verified_at)
SELECT :petition_id, 'key-' || n, 'key-' || n, 'Signer ' || n, 'signer' || n || '@example.org',
       'KZ', false, false, 'en', 'verified', false, 1, now(), now()
FROM generate_series(1, :rows) AS n
"""
BUSY = """
SELECT state, left(query, 4) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'
"""


def busy(url: str) -> list[tuple[str, str]]:
    """What the other connections to the test's database are doing, unless resting."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [(state, query) for state, query in connection.execute(text(BUSY))]
    finally:
        engine.dispose()


def test_hanging_up_mid_export_cancels_the_copy_and_frees_its_connection(app, database_url):
    create_petition(app)
    with database(app).engine.begin() as connection:
        connection.execute(text(FILL), {"petition_id": 1, "rows": ROWS})
    token = make_token(app, "campaign-office")
    client = app.test_client()
    answer = client.get(
        "/api/v1/admin/petitions/test-petition/export",
        headers={"Authorization": f"Bearer {token}"},
    )
    chunks = iter(answer.response)
    read = next(chunks) + next(chunks) + next(chunks)  # the header, then the first rows
    assert read.startswith(b"name,email,") and b"Signer 1," in read
    assert ("active", "COPY") in busy(database_url)  # the server is still writing rows

    answer.close()  # the client is gone: the server hears of it at its next write

    assert busy(database_url) == []  # no COPY left running, no snapshot left open
    assert database(app).engine.pool.checkedout() == 0
    whole = client.get(
        "/api/v1/admin/petitions/test-petition/export",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert whole.get_data().count(b"\r\n") == 1 + ROWS  # the next export has every row
