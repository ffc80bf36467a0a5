"""What the flood defence costs a calm petition: the sign route timed with and without its check.

    .venv/bin/python bench/flood.py              # 5 rounds of 500 posts each way; about a minute
    .venv/bin/python bench/flood.py --posts 2000 --rounds 3

In process (Flask's test client, no HTTP), on PostgreSQL and Redis as `make bench` uses them:
each post a new person on an address of its own, so the defence stays calm and asks nothing;
what is left is its counting (two counts, sent to Redis together at most every 0.05 s). The
variants take turns within each round, so that a neighbour's load falls on both alike. Prints
the median time a post takes each way, and the median time of the check itself inside the
posts that made it (on a loaded machine the two medians differ by more than the check takes:
read the check's own time). `BENCH_REDIS_URL=` (empty) counts in memory instead.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from run import REDIS_URL, bench_database, say
from undersign import create_app
from undersign.campaigns import petitions
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.signers import flood
from undersign.web import challenges

SLUG = "calm"


def build(database_url: str) -> Any:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "bench-secret-key",
            "RATELIMIT_ENABLED": False,
            # Thousands a minute here; a calm petition is the point (its counts are still kept).
            "CHALLENGE_PETITION_RATE": 10**9,
        }
    )
    with database(app).sessions() as session:
        petitions.create(
            session, SLUG, {"en": {"title": "Calm", "summary": "A calm petition."}}, by=CLI
        )
    return app


def post(client: Any, n: int) -> float:
    body = {"name": f"Person {n}", "email": f"p{n}@example.org", "country": "KZ"}
    address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    started = time.perf_counter()
    answer = client.post(
        f"/api/v1/petitions/{SLUG}/signatures", json=body, environ_base={"REMOTE_ADDR": address}
    )
    took = time.perf_counter() - started
    assert answer.status_code == 202, answer.json
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    admit, check, checks = challenges.admit, flood.admit, []

    def timed(*given: Any) -> None:
        started = time.perf_counter()
        try:
            check(*given)
        finally:
            checks.append(time.perf_counter() - started)

    flood.admit = timed  # the check as shipped, with a stopwatch around it
    times: dict[str, list[float]] = {"with the check": [], "without": []}
    with bench_database("undersign_bench_flood") as url:
        client = build(url).test_client()
        n = 0
        for round_ in range(args.rounds):
            order = list(times) if round_ % 2 == 0 else list(reversed(times))
            for variant in order:
                # Without: the route as it was, no call to the defence at all.
                challenges.admit = admit if variant == "with the check" else lambda *_: None
                for _ in range(args.posts):
                    times[variant].append(post(client, n))
                    n += 1
    medians = {variant: statistics.median(taken) * 1000 for variant, taken in times.items()}
    for variant, median in medians.items():
        say(f"{variant}: median {median:.3f} ms a post over {len(times[variant])} posts")
    say(f"the check itself: median {statistics.median(checks) * 1000:.3f} ms a post")


if __name__ == "__main__":
    main()
