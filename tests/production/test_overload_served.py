"""`undersign serve` forced into overload answers 503 with Retry-After at once and takes nothing.

A real server (gunicorn's SheddingWorker, cli/gunicorn.py) on PostgreSQL, told that no
request may wait at all (`UNDERSIGN_OVERLOAD_WAIT_SECONDS=0`): every signature, sent many at
once, is shed, by the worker when it queues it behind others, or by the app when it
reaches it; the health probes still answer. The figures under a real burst are
`make bench`'s (bench/openloop.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from undersign.core.models import Signature

from tests.conftest import fresh_postgres_database
from tests.production.test_scale import Stack

pytestmark = pytest.mark.slow  # a real server in processes of its own

SLUG = "overload-test"
SIGNERS = 40


@pytest.fixture
def overloaded(redis_url: str, tmp_path: Path) -> Iterator[tuple[Stack, str, str]]:
    with fresh_postgres_database("undersign_overload") as url:
        env = {key: value for key, value in os.environ.items() if not key.startswith("UNDERSIGN_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            UNDERSIGN_DATABASE_URL=url,
            UNDERSIGN_REDIS_URL=redis_url,
            UNDERSIGN_SECRET_KEY="overload-test-secret",
            UNDERSIGN_BASE_URL="http://localhost",
            UNDERSIGN_RATELIMIT_ENABLED="false",
            UNDERSIGN_OVERLOAD_WAIT_SECONDS="0",
            UNDERSIGN_OVERLOAD_RETRY_AFTER="[3, 3]",
        )
        stack = Stack(env, tmp_path)
        try:
            stack.run("petition", "create", SLUG, "--title", "Overload", "--goal", "100")
            yield stack, stack.serve("web", workers=1), url
        finally:
            stack.stop()


def test_a_server_in_overload_answers_at_once_and_writes_nothing(
    overloaded: tuple[Stack, str, str],
) -> None:
    stack, base, url = overloaded

    def sign(n: int) -> httpx.Response:
        body = {"name": "Dana Test", "email": f"dana{n}@example.org", "country": "KZ"}
        return httpx.post(f"{base}/api/v1/petitions/{SLUG}/signatures", json=body, timeout=30)

    with ThreadPoolExecutor(SIGNERS) as pool:
        answers = list(pool.map(sign, range(SIGNERS)))

    assert {answer.status_code for answer in answers} == {503}
    for answer in answers:
        assert answer.headers["Retry-After"] == "3"
        assert answer.json()["error"]["code"] == "overloaded"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Signature.__table__)) == 0
    finally:
        engine.dispose()
    logged = "\n".join(stack.processes[-1].lines())
    assert "Traceback" not in logged
