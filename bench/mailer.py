"""The mailer alone: one `undersign mailer` sends queued verification emails to a counting server.

What `make bench` measures of the mailer (bench/run.py's `measure_mailer`), on its own and
repeatable: a PostgreSQL database of its own (`undersign_bench_mailer`, created, migrated and
dropped here), a petition made with `undersign petition create`, `--messages` pending
signatures and their verification emails queued with SQL (one transaction, as signing leaves
them), then one `undersign mailer` process (the production command, its own environment) and
an aiosmtpd server that only counts. The rate is from the first message's arrival to the
last, as in run.py; each run queues afresh and starts a new mailer.

    .venv/bin/python bench/mailer.py                        # 3 runs of 3,000 messages
    .venv/bin/python bench/mailer.py --runs 1 --profile /tmp/mailer.prof   # under cProfile

With `--profile`, the mailer runs under cProfile and the top entries (by own time and by
cumulative time) are printed after the run; it profiles the main thread, which sends about
half the messages (the other sender is a thread of its own). BENCH_DATABASE_URL as for
bench/run.py; BENCH_MAILER_COMMAND replaces `-m undersign mailer` (arguments to python), to
run the mailer some other way, e.g. under a CPU-clock profiler.
"""

from __future__ import annotations

import argparse
import os
import pstats
import resource
import signal
import subprocess
import sys
import time
from datetime import timedelta

from aiosmtpd.controller import Controller
from run import BENCH, _Sink, bench_database, free_port, service_env, undersign, wait_until
from sqlalchemy import Engine, create_engine, insert, select, text
from undersign.core.models import OutboxKind, OutboxMessage, Petition, Signature, utcnow

DATABASE = "undersign_bench_mailer"
SLUG = "bench-mailer"


def queue(engine: Engine, messages: int) -> None:
    """Leave `messages` pending signatures with their verification emails due, as signing does."""
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE outbox, signatures CASCADE"))
        petition_id = connection.scalar(select(Petition.id).where(Petition.slug == SLUG))
        rows = [
            {
                "petition_id": petition_id,
                "email_key": f"{n:064x}",
                "spelling_key": f"{n:064x}",
                "name": "Bench Signer",
                "email": f"s{n}.mailer@bench.example.org",
                "country": "KZ",
                "city": "Almaty",
                "comment": "In solidarity with the workers.",
                "public": True,
                "comment_status": "pending",
                "locale": "en",
                "status": "pending",
                "emails_sent": 1,
                "last_email_at": now,
                "created_at": now - timedelta(seconds=1),
            }
            for n in range(messages)
        ]
        ids = connection.scalars(insert(Signature).returning(Signature.id), rows).all()
        connection.execute(
            insert(OutboxMessage),
            [{"kind": OutboxKind.VERIFY, "signature_id": i, "due_at": now} for i in ids],
        )


def mailer_command(profile: str | None) -> list[str]:
    """`undersign mailer`, under cProfile with `profile`, or as BENCH_MAILER_COMMAND says."""
    if os.environ.get("BENCH_MAILER_COMMAND"):  # another way to run it (a CPU-clock profiler)
        return [sys.executable, *os.environ["BENCH_MAILER_COMMAND"].split()]
    command = undersign("mailer")
    if profile:
        command = [sys.executable, "-m", "cProfile", "-o", profile, *command[1:]]
    return command


def run_once(url: str, messages: int, command: list[str], delay: float = 0.0) -> dict[str, float]:
    """Run `command` (a mailer) until `messages` emails reached a counting SMTP server.

    The server answers each message `delay` seconds late (run.py's `_Sink`).
    """
    sink = _Sink(delay)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    port = str(controller.port)
    env = service_env(url, UNDERSIGN_SMTP_HOST="127.0.0.1", UNDERSIGN_SMTP_PORT=port)
    log = (BENCH / "results" / "mailer-alone.log").open("wb")
    cpu_before, sink_before = _children_cpu(), _own_cpu()
    started = time.perf_counter()
    mailer = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        wait_until(lambda: sink.count >= messages, 300, f"{messages} emails")
        finished = time.perf_counter()
        sink_cpu = _own_cpu() - sink_before
    finally:
        mailer.send_signal(signal.SIGTERM)
        mailer.wait(timeout=60)
        log.close()
        controller.stop()
    return {
        "per_second": (messages - 1) / (sink.last - sink.first),
        "seconds_from_start": finished - started,
        "mailer_cpu_seconds": _children_cpu() - cpu_before,
        "sink_cpu_seconds": sink_cpu,
    }


def _children_cpu() -> float:
    """CPU time of the processes started and waited for (the mailer), user and system."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own_cpu() -> float:
    """CPU time of this process: the SMTP server's thread, and little else."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def show_profile(path: str, top: int) -> None:
    stats = pstats.Stats(path)
    stats.strip_dirs()
    for key in ("tottime", "cumulative"):
        print(f"\n--- top {top} by {key} ---")
        stats.sort_stats(key).print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write the mailer's cProfile here (and print its top)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    (BENCH / "results").mkdir(exist_ok=True)
    with bench_database(DATABASE) as url:
        env = service_env(url)
        subprocess.run(
            undersign("petition", "create", SLUG, "--title", "Bench", "--goal", "1000000"),
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        engine = create_engine(url)
        for n in range(args.runs):
            queue(engine, args.messages)
            stamp = time.strftime("%H:%M:%S", time.gmtime())
            result = run_once(url, args.messages, mailer_command(args.profile))
            print(
                f"run {n + 1} ({stamp} UTC): {args.messages} messages, "
                f"{result['per_second']:.0f} messages/s first to last, "
                f"{result['seconds_from_start']:.2f} s from start, "
                f"mailer CPU {result['mailer_cpu_seconds']:.2f} s "
                f"(SMTP server {result['sink_cpu_seconds']:.2f} s)",
                flush=True,
            )
            with engine.connect() as connection:
                left = connection.scalar(text("SELECT count(*) FROM outbox"))
            if left:
                print(f"  {left} messages still in the outbox after the run")
        engine.dispose()
    if args.profile:
        show_profile(args.profile, args.top)


if __name__ == "__main__":
    main()
