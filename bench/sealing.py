"""What sealing costs a signature: signing through the app on PostgreSQL, plain and sealed.

Signs 1,000 signatures on each of two petitions, one plain and one sealed to a
new key, in interleaved blocks of 50 through Flask's test client (no network),
and reports the process's CPU time a signature for each and one `seal_value`.
CPU time, not wall time: it hardly moves when other work shares the machine.

    .venv/bin/python bench/sealing.py      # PostgreSQL at BENCH_DATABASE_URL, as make bench
"""

from __future__ import annotations

import os
import statistics
import time
import uuid

from sqlalchemy import create_engine, make_url, text
from undersign import create_app
from undersign.campaigns import petitions
from undersign.core import sealing
from undersign.core.auth import CLI
from undersign.core.db import database

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BLOCKS, PER_BLOCK = 20, 50


def main() -> None:
    name = f"undersign_seal_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_ENABLED": False}
    )
    try:
        database(app).upgrade()
        key = sealing.generate()
        with database(app).sessions() as session:
            petitions.create(session, "plain", {"en": {"title": "Plain"}}, by=CLI)
        with database(app).sessions() as session:
            petitions.create(
                session, "sealed", {"en": {"title": "Sealed"}}, by=CLI, seal_key=key.public
            )
        print(report(sign_in_blocks(app), key))
    finally:
        database(app).engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def sign_in_blocks(app) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    cpu: dict[str, list[float]] = {"plain": [], "sealed": []}
    n = 0
    for block in range(BLOCKS):
        for slug in ("plain", "sealed") if block % 2 else ("sealed", "plain"):
            started = time.process_time()
            for _ in range(PER_BLOCK):
                n += 1
                body = {
                    "name": "Айгерим Бекова", "email": f"s{n}@example.org", "country": "KZ",
                    "city": "Жезқазған", "postcode": "100600", "comment": "Бірге!", "public": True,
                }  # fmt: skip
                answer = client.post(f"/api/v1/petitions/{slug}/signatures", json=body)
                assert answer.status_code == 202, answer.data
            cpu[slug].append((time.process_time() - started) / PER_BLOCK * 1000)
    return cpu


def report(cpu: dict[str, list[float]], key: sealing.Generated) -> str:
    plain, sealed = statistics.median(cpu["plain"]), statistics.median(cpu["sealed"])
    started = time.process_time()
    for _ in range(2000):
        sealing.seal_value(key.public, "Айгерим Бекова")
    one = (time.process_time() - started) / 2000 * 1e6
    return (
        f"CPU a signature (median of {BLOCKS // 2} blocks of {PER_BLOCK} each): "
        f"plain {plain:.2f} ms, sealed {sealed:.2f} ms, +{sealed - plain:.2f} ms "
        f"({sealed / plain:.2f}x); one seal_value {one:.0f} µs"
    )


if __name__ == "__main__":
    main()
