"""What the signature log costs a signature: the mailer's batched append, on PostgreSQL.

Loads SIGNATURES verified signatures into a petition (one INSERT … SELECT FROM
generate_series, not logged yet), then times what the mailer does every few seconds:
`transparency.append` logs them in batches of 5,000 and signs a checkpoint after each. Then
withdraws WITHDRAWN of them and times that append, and the look that finds nothing to do
(the partial index's cost every round). Reports wall and process CPU time a signature; the
PostgreSQL backend's CPU is in the wall figure, not the CPU one. Last, one inclusion proof
at the full size (the API's cost, O(n) in the entries).

    .venv/bin/python bench/transparency.py     # PostgreSQL at BENCH_DATABASE_URL, as make bench
"""

from __future__ import annotations

import os
import time
import uuid

from sqlalchemy import create_engine, make_url, text
from undersign import create_app
from undersign.campaigns import petitions
from undersign.core.auth import CLI
from undersign.core.config import settings
from undersign.core.db import database
from undersign.signers import transparency

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SIGNATURES = int(os.environ.get("BENCH_LOG_SIGNATURES", "50000"))
WITHDRAWN = SIGNATURES // 20
# Everything a signature row needs; the keys are unique per row, as the unique index wants.
LOAD = """
INSERT INTO signatures (petition_id, email_key, spelling_key, name, email, city, country,
    public, contact_consent, named, locale, status, flagged, emails_sent, created_at,
    verified_at)
SELECT :petition, md5('e' || i) || md5('k' || i), md5('e' || i) || md5('k' || i),
    'Loaded Signer', 'loaded' || i || '@bench.example.org', 'Almaty', 'KZ', false, false,
    false, 'en', 'verified', false, 1, now() - make_interval(secs => i),
    now() - make_interval(secs => i)
FROM generate_series(1, :rows) AS i
"""


def timed(work) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    done = work()
    return time.perf_counter() - wall, time.process_time() - cpu, done


def main() -> None:
    name = f"undersign_log_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    try:
        database(app).upgrade()
        sessions, config = database(app).sessions, settings(app)
        with sessions() as session:
            petition = petitions.create(session, "bench", {"en": {"title": "Bench"}}, by=CLI)
            petition_id = petition.id
        with database(app).engine.begin() as connection:
            connection.execute(text(LOAD), {"petition": petition_id, "rows": SIGNATURES})
            connection.execute(text("ANALYZE signatures"))

        def append() -> int:
            return transparency.append(sessions, config)

        wall, cpu, done = timed(append)
        assert done == SIGNATURES, done
        print(f"{SIGNATURES:,} confirmations logged: {wall:.2f} s wall, {cpu:.2f} s CPU")
        print(f"  a signature: {wall / done * 1e3:.3f} ms wall, {cpu / done * 1e3:.3f} ms CPU")
        with database(app).engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE signatures SET status = 'withdrawn', withdrawn_at = now() "
                    "WHERE id % 20 = 0"
                )
            )
        wall, cpu, done = timed(append)
        print(f"{done:,} withdrawals logged: {wall / done * 1e3:.3f} ms wall, ", end="")
        print(f"{cpu / done * 1e3:.3f} ms CPU a withdrawal")
        with database(app).engine.connect() as connection:  # as autovacuum would, soon
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE signatures")
            )
        looks = [timed(append) for _ in range(20)]
        idle = sorted(look[0] for look in looks)[10]
        print(f"a round with nothing to log (median of 20): {idle * 1e3:.2f} ms wall")
        with sessions() as session:
            size = session.scalar(text("SELECT max(size) FROM log_checkpoints"))
            checkpoints = session.scalar(text("SELECT count(*) FROM log_checkpoints"))
            entry = session.scalar(text('SELECT commitment FROM log_entries WHERE "index" = 7'))
            wall, cpu, _ = timed(lambda: transparency.inclusion(session, "bench", entry, None))
        print(f"{checkpoints} checkpoints signed; the tree has {size:,} entries")
        print(f"one inclusion proof at {size:,} entries: {wall * 1e3:.0f} ms wall")
        print(f"load average when done: {os.getloadavg()[0]:.1f}")
    finally:
        database(app).engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
