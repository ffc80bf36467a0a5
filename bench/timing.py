"""Does the sign answer's timing say who signed? New and already-signed addresses, side by side.

Starts `undersign serve --no-mailer` (gunicorn, the production settings) on a
fresh PostgreSQL database and Redis, as bench/run.py does, signs up the
addresses that will be "already signed", then posts, one at a time on one
kept-alive connection and in a random order, signatures of four kinds:

- new:      an address never seen (the verification email is queued);
- pending:  an address whose verification email went out a minute ago
            (signing again queues nothing: the resend interval);
- verified: an address verified a day ago (the "already signed" email is queued);
- told:     an address verified and emailed a minute ago (nothing queued).

For each kind it reports the median and p90 of the time to the answer, and for
each kind against `new` the difference of medians with a bootstrap 95%
confidence interval, a two-sided permutation test on that difference, and the
chance that one answer of that kind is slower than one for a new address
(Mann-Whitney's U scaled to 0..1: 0.5 is a coin toss for someone timing one probe).

    cd bench && ../.venv/bin/python timing.py [--per-kind 1000] [--seed 1]

Standard library only. BENCH_DATABASE_URL and BENCH_REDIS_URL as for bench/run.py;
the database is `undersign_timing`, created and dropped here.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from run import BENCH, bench_database, say, server, service_env, undersign
from sqlalchemy import create_engine, text

DATABASE = "undersign_timing"
SLUG = "timing"
SIGN_PATH = f"/api/v1/petitions/{SLUG}/signatures"
# What signing does for each: new and verified queue an email; pending and told queue none
# (each had one within the resend interval).
KINDS = ("new", "pending", "verified", "told")
RESAMPLES = 2000


class Poster:
    """One kept-alive connection that posts signatures and times each answer."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.posted = 0

    def sign(self, email: str) -> tuple[float, int, bytes]:
        """Post one signature; return seconds to the whole answer, its status and body."""
        self.posted += 1
        body = json.dumps(
            {"name": "Timing Signer", "email": email, "country": "KZ", "city": "Almaty"}
        )
        headers = {
            "Content-Type": "application/json",
            # Each post from an address of its own, as different people behind the proxy.
            "X-Forwarded-For": f"2001:db8:7::{self.posted:x}",
        }
        started = time.perf_counter()
        self.connection.request("POST", SIGN_PATH, body, headers)
        response = self.connection.getresponse()
        answer = response.read()
        return time.perf_counter() - started, response.status, answer


def address(kind: str, n: int) -> str:
    return f"{kind}-{n}@timing.example.org"


def prepare(poster: Poster, database_url: str, per_kind: int) -> None:
    """Sign up the addresses that are already here, each in the state its kind names."""
    for n in range(per_kind):
        for kind in KINDS[1:]:
            assert poster.sign(address(kind, n))[1] == 202
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        # "pending" keeps the email it was just sent: signing again now may send none.
        verify = text(
            "UPDATE signatures SET status = 'verified', verified_at = :t, last_email_at = :t "
            "WHERE email LIKE :like"
        )
        # Verified a day ago: its next post may have its "already signed" email.
        connection.execute(verify, {"t": now - timedelta(days=1), "like": "verified-%"})
        # Verified and just told so: its next post may have none.
        connection.execute(verify, {"t": now, "like": "told-%"})
        connection.execute(text("DELETE FROM outbox"))
    engine.dispose()


def measure(poster: Poster, per_kind: int, rng: random.Random) -> dict[str, list[float]]:
    """Post every kind `per_kind` times in one shuffled order; return the times by kind.

    One uniform shuffle, so that every kind meets the machine's busy and quiet
    moments alike.
    """
    plan = [(kind, n) for kind in KINDS for n in range(per_kind)]
    rng.shuffle(plan)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    answers: set[tuple[int, bytes]] = set()
    for kind, n in plan:
        seconds, status, body = poster.sign(address(kind, n))
        times[kind].append(seconds * 1000)
        answers.add((status, body))
    if len(answers) != 1:
        raise SystemExit(f"timing: the answers differ: {answers}")
    return times


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def median_difference(a: list[float], b: list[float]) -> float:
    return statistics.median(a) - statistics.median(b)


def bootstrap_interval(
    a: list[float], b: list[float], rng: random.Random, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of median(a) - median(b), resampling each side."""
    draws = sorted(
        median_difference(rng.choices(a, k=len(a)), rng.choices(b, k=len(b)))
        for _ in range(RESAMPLES)
    )
    tail = (1 - level) / 2
    return draws[int(tail * RESAMPLES)], draws[int((1 - tail) * RESAMPLES) - 1]


def probability_slower(a: list[float], b: list[float]) -> float:
    """Return P(a random answer of `a` is slower than one of `b`), ties counting half.

    Mann-Whitney's U over n_a * n_b (the "common language effect size"): 0.5 means
    one probe's time says nothing about which kind it was.
    """
    ranked = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    rank_sum_a, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks i+1 .. j share their mean
        rank_sum_a += average_rank * sum(1 for _, side in ranked[i:j] if side == 0)
        i = j
    u = rank_sum_a - len(a) * (len(a) + 1) / 2
    return u / (len(a) * len(b))


def permutation_p(a: list[float], b: list[float], rng: random.Random) -> float:
    """Two-sided p of a difference of medians this large, were the labels exchangeable."""
    observed = abs(median_difference(a, b))
    pooled = a + b
    as_large = 0
    for _ in range(RESAMPLES):
        rng.shuffle(pooled)
        if abs(median_difference(pooled[: len(a)], pooled[len(a) :])) >= observed:
            as_large += 1
    return (as_large + 1) / (RESAMPLES + 1)


def summarise(times: dict[str, list[float]], rng: random.Random) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    new = times["new"]
    for kind in KINDS:
        values = times[kind]
        row: dict[str, Any] = {
            "n": len(values),
            "median_ms": statistics.median(values),
            "p90_ms": percentile(values, 90),
        }
        if kind != "new":
            low, high = bootstrap_interval(values, new, rng)
            row |= {
                "median_minus_new_ms": median_difference(values, new),
                "ci95_ms": [low, high],
                "permutation_p": permutation_p(values, new, rng),
                "p_slower_than_new": probability_slower(values, new),
            }
        summary[kind] = row
    return summary


def report(summary: dict[str, Any]) -> str:
    lines = [
        "| kind | n | median ms | p90 ms | median - new, ms (95% CI) | permutation p "
        "| P(slower than new) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, row in summary.items():
        difference = ""
        if kind != "new":
            low, high = row["ci95_ms"]
            difference = f"{row['median_minus_new_ms']:+.2f} ({low:+.2f} to {high:+.2f})"
        p = "" if kind == "new" else f"{row['permutation_p']:.3f}"
        slower = "" if kind == "new" else f"{row['p_slower_than_new']:.3f}"
        lines.append(
            f"| {kind} | {row['n']} | {row['median_ms']:.2f} | {row['p90_ms']:.2f} "
            f"| {difference} | {p} | {slower} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--per-kind", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    (BENCH / "results").mkdir(exist_ok=True)
    with bench_database(DATABASE) as database_url:
        env = service_env(database_url)
        create = ("petition", "create", SLUG, "--title", "Timing", "--goal", "1000")
        subprocess.run(undersign(*create), env=env, check=True, capture_output=True)
        command = undersign("serve", "--no-mailer", "--workers", str(options.workers))
        with server("timing", command, env, f"/api/v1/petitions/{SLUG}/count") as (base, _):
            poster = Poster(base)
            for n in range(200):  # warm both workers' caches and connections
                poster.sign(f"warmup-{n}@timing.example.org")
            say(f"preparing {options.per_kind} pending, verified and told addresses")
            prepare(poster, database_url, options.per_kind)
            say("measuring")
            times = measure(poster, options.per_kind, rng)
    summary = summarise(times, rng)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = BENCH / "results" / f"timing-{stamp}.json"
    out.write_text(json.dumps({"per_kind": options.per_kind, "summary": summary}, indent=2))
    print(report(summary))
    say(f"raw figures in {out.relative_to(BENCH.parent)}")


if __name__ == "__main__":
    main()
