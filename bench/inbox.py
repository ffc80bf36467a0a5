"""Sign to inbox: how long a signer waits for their email at the box's full signing rate.

The production command with its defaults, `undersign serve` (gunicorn and the mailers it
sizes to the cores), on a PostgreSQL database of its own (`undersign_bench_inbox`, created,
migrated and dropped here) and Redis, sends to an aiosmtpd server in this process that
stamps each arrival. wrk (16 connections, bench/load.lua: every signature a new person)
signs as fast as the box takes it for `--seconds` (60); then the bench waits until every
accepted signature's email has arrived (or none came for 30 s). Each email's wait is from
its signature's `created_at` (written when the 202 is answered) to its arrival, on the
same clock. Printed: the signing rate, the mail rate, p50/p95/p99/max of the wait, and the
emails that came twice or never. Target (issue 21): every email exactly once, p95 < 10 s,
p99 < 20 s.

    .venv/bin/python bench/inbox.py                 # serve's defaults, 60 s
    .venv/bin/python bench/inbox.py --mailers 2     # passes --mailers to serve

BENCH_DATABASE_URL and BENCH_REDIS_URL as for bench/run.py. Rate limiting and the
challenge are off (run.py's service_env), every other protection on, the mail ceiling too.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from run import (
    BENCH,
    CONNECTIONS,
    bench_database,
    ensure_wrk,
    free_port,
    server,
    service_env,
    undersign,
    wait_until,
)
from sqlalchemy import create_engine, text

DATABASE = "undersign_bench_inbox"
SLUG = "bench"
SIGN_PATH = f"/api/v1/petitions/{SLUG}/signatures"
TARGETS = {"p95_s": 10.0, "p99_s": 20.0}
DRAIN_SECONDS = 120


class Stamps:
    """An SMTP server's handler that notes when each recipient's message arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        with self._lock:
            self.arrivals.extend((to.lower(), now) for to in envelope.rcpt_tos)
        return "250 OK"

    @property
    def count(self) -> int:
        return len(self.arrivals)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _mailers_up() -> bool:
    """Has every mailer `serve` started begun its loop (it logs "mailer started" twice)?"""
    log = (BENCH / "results" / "inbox.log").read_text("utf-8", errors="replace")
    return 0 < log.count("mailer started (pid") <= log.count('"mailer started"')


def run_once(url: str, seconds: int, mailers: int | None) -> dict[str, Any]:
    stamps = Stamps()
    controller = Controller(stamps, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = service_env(
        url, UNDERSIGN_SMTP_HOST="127.0.0.1", UNDERSIGN_SMTP_PORT=str(controller.port)
    )
    command = undersign("serve", *(["--mailers", str(mailers)] if mailers else []))
    engine = create_engine(url)
    try:
        with server("inbox", command, env, "/readyz") as (base, _pid):
            # As at a viral moment: the mailers are up before the crowd comes.
            wait_until(_mailers_up, 120, "the mailers to start")
            load = [
                "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
                "-s", str(BENCH / "load.lua"), base + SIGN_PATH, "--", "sign", "inbox", "patient",
            ]  # fmt: skip
            output = subprocess.run(load, capture_output=True, text=True, check=True).stdout
            wrk = json.loads(output.strip().splitlines()[-1])
            with engine.connect() as connection:
                accepted = int(connection.scalar(text("SELECT count(*) FROM signatures")) or 0)
            # Until every email came, or none came for 30 s (a lost one never will), or
            # DRAIN_SECONDS passed (what comes later counts as missing: far beyond the target).
            last, seen = time.monotonic(), stamps.count
            drain_until = last + DRAIN_SECONDS
            while (
                stamps.count < accepted
                and time.monotonic() - last < 30
                and time.monotonic() < drain_until
            ):
                time.sleep(0.5)
                if stamps.count != seen:
                    last, seen = time.monotonic(), stamps.count
            time.sleep(2)  # a duplicate would come just after
            log = (BENCH / "results" / "inbox.log").read_text("utf-8", errors="replace")
            started_mailers = log.count("mailer started (pid")
        with engine.connect() as connection:
            signed = {
                email.lower(): created.replace(tzinfo=UTC).timestamp()
                if created.tzinfo is None
                else created.timestamp()
                for email, created in connection.execute(
                    text("SELECT email, created_at FROM signatures")
                )
            }
            held = int(
                connection.scalar(text("SELECT count(*) FROM outbox WHERE held_at IS NOT NULL"))
                or 0
            )
    finally:
        engine.dispose()
        controller.stop()
    arrived = Counter(to for to, _ in stamps.arrivals)
    first: dict[str, float] = {}
    for to, at in stamps.arrivals:
        first.setdefault(to, at)
    waits = [first[email] - created for email, created in signed.items() if email in first]
    times = [at for _, at in stamps.arrivals]
    return {
        "seconds": wrk["seconds"],
        "accepted": accepted,
        "signing_per_second": accepted / wrk["seconds"],
        "sign_p99_ms": wrk["p99_ms"],
        "statuses": wrk["statuses"],
        "mailers": started_mailers,
        "emails": len(stamps.arrivals),
        "mail_per_second": (len(times) - 1) / (max(times) - min(times)) if len(times) > 1 else 0,
        "duplicates": sum(n - 1 for n in arrived.values() if n > 1),
        "missing": sum(1 for email in signed if email not in first),
        "strangers": sum(1 for to in arrived if to not in signed),
        "held": held,
        "min_s": min(waits, default=float("nan")),
        "p50_s": percentile(waits, 0.50),
        "p95_s": percentile(waits, 0.95),
        "p99_s": percentile(waits, 0.99),
        "max_s": max(waits, default=float("nan")),
    }


def line(result: dict[str, Any]) -> str:
    ok = (
        result["duplicates"] == 0
        and result["missing"] == 0
        and result["p95_s"] < TARGETS["p95_s"]
        and result["p99_s"] < TARGETS["p99_s"]
    )
    return (
        f"signing {result['signing_per_second']:.0f}/s for {result['seconds']:.0f} s "
        f"({result['accepted']} accepted, p99 {result['sign_p99_ms']:.0f} ms), "
        f"{result['mailers']} mailer(s) at {result['mail_per_second']:.0f} emails/s; "
        f"sign to inbox min {result['min_s']:.1f} s, p50 {result['p50_s']:.1f} s, "
        f"p95 {result['p95_s']:.1f} s, p99 {result['p99_s']:.1f} s, max {result['max_s']:.1f} s; "
        f"duplicates {result['duplicates']}, missing {result['missing']}, "
        f"held by the ceiling {result['held']}, "
        f"signatures shed (503) {result['statuses'].get('503', 0)} "
        f"(target: exactly once, p95 < 10 s, p99 < 20 s: {'met' if ok else 'NOT met'})"
    )


def measure(seconds: int = 60, mailers: int | None = None) -> dict[str, Any]:
    """One run on a database of its own, for `make bench` (bench/run.py)."""
    with bench_database(DATABASE) as url:
        subprocess.run(
            undersign("petition", "create", SLUG, "--title", "Bench", "--goal", "10000000"),
            env=service_env(url), check=True, capture_output=True,
        )  # fmt: skip
        return run_once(url, seconds, mailers)


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """`make bench`'s rows: the wait for the email beside the signing rate it was taken at."""
    once = result["duplicates"] == 0 and result["missing"] == 0
    fast = result["p95_s"] < TARGETS["p95_s"] and result["p99_s"] < TARGETS["p99_s"]
    return [
        (f"sign to inbox, p50 / p95 / p99 s ({result['mailers']} mailers, "
         f"{result['seconds']:.0f} s of signing)",
         f"{result['p50_s']:.1f} / {result['p95_s']:.1f} / {result['p99_s']:.1f}",
         f"{result['signing_per_second']:.0f} signatures/s, "
         f"{result['mail_per_second']:.0f} emails/s", "",
         f"p95 < 10, p99 < 20: {'met' if fast else 'NOT met'}"),
        ("sign to inbox, duplicates / missing", f"{result['duplicates']} / {result['missing']}",
         f"{result['accepted']} accepted", "", f"0 / 0: {'met' if once else 'NOT met'}"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--mailers", type=int, help="passed to serve (default: serve's own)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    ensure_wrk()
    (BENCH / "results").mkdir(exist_ok=True)
    for n in range(args.runs):
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        result = measure(args.seconds, args.mailers)
        print(f"run {n + 1} ({stamp} UTC): {line(result)}", flush=True)


if __name__ == "__main__":
    main()
