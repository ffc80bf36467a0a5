"""Is each fast path still worth its code? Each measured beside the simple way, in turns.

    .venv/bin/python bench/fast_paths.py                 # both, 3 rounds; about 6 minutes
    .venv/bin/python bench/fast_paths.py --only mailer --rounds 5

**Count polls** (`web/polls.py`): `GET /api/v1/petitions/{slug}/count` under wrk, as
`make bench` measures it, against three servers running side by side under the same
gunicorn settings: Undersign as built (polls of a cached count answered below Flask),
Undersign with the `CountPolls` layer taken off after `create_app` (every poll through
the Flask route), and the bare Flask GET of `bench/floor.py`. Reads per second, the
servers' CPU a read, and each variant's share of the floor's reads in the same round.

**The mailer** (`mail/worker.py`): `--messages` queued verification emails to a local
SMTP server that only counts, first arrival to last, sent by `undersign mailer`, beside a
floor: one connection of plain smtplib handing over the same number of prebuilt messages,
nothing else. `--smtp-delay-ms` makes the server answer each message that much later, as
one a network away does. (A second connection taking turns with the first was measured
here and removed: bench/README.md.)

The variants take turns within each round, the order turning from one round to the
next, so that a neighbour's load falls on all of them alike. Results go to
`bench/results/fast-paths-<time>.json`; medians and ranges are printed.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import mailer
from aiosmtpd.controller import Controller
from run import (
    BENCH,
    COUNT_PATH,
    SLUG,
    _Sink,
    bench_database,
    ensure_wrk,
    free_port,
    say,
    server,
    service_env,
    undersign,
    wait_until,
    wrk,
)
from sqlalchemy import create_engine

DATABASE = "undersign_bench_fast_paths"
WORKERS = 2
HERE = str(BENCH / "fast_paths.py")


# --- the variants, each a process of its own ----------------------------------


def serve(port: int, workers: int, without_count_polls: bool) -> None:
    """`undersign serve --no-mailer`, its count polls through Flask if asked."""
    from undersign import create_app
    from undersign.cli.gunicorn import prepare_metrics_dir, run_gunicorn
    from undersign.core import logs

    logs.configure()
    prepare_metrics_dir()  # before the app imports prometheus_client, as `serve` does

    def factory() -> Any:
        app = create_app()
        if without_count_polls:
            from undersign.web.polls import CountPolls

            proxy: Any = app.wsgi_app  # ProxyFix(CountPolls(Flask's own)), as create_app wires
            assert isinstance(proxy.app, CountPolls), "the bench sets UNDERSIGN_TRUSTED_PROXIES"
            proxy.app = proxy.app.app
        return app

    run_gunicorn("127.0.0.1", port, workers, factory=factory)


def smtp_floor(port: int, messages: int) -> None:
    """Hand `messages` copies of one prebuilt email over one smtplib connection."""
    data = (
        b"From: Bench <bench@example.org>\r\nTo: s@bench.example.org\r\n"
        b"Subject: Please confirm your signature\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + b"Confirm: https://x/verify/t\r\n" * 40
    )
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for n in range(messages):
            connection.sendmail("bench@example.org", [f"s{n}@bench.example.org"], data)


# --- count polls -------------------------------------------------------------


def measure_polls(url: str, rounds: int, seconds: int) -> dict[str, list[dict[str, Any]]]:
    env = service_env(url)
    launch = [sys.executable, HERE, "serve", "--workers", str(WORKERS)]
    floor = [sys.executable, str(BENCH / "floor.py"), "--workers", str(WORKERS)]
    variants = {
        "fast path": (launch, "/readyz"),
        "through Flask": ([*launch, "--without-count-polls"], "/readyz"),
        "bare Flask GET": (floor, COUNT_PATH),
    }
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    with ExitStack() as servers:
        running = {
            name: servers.enter_context(server(f"fast-paths-{n}", command, env, ready))
            for n, (name, (command, ready)) in enumerate(variants.items())
        }
        for base, _ in running.values():
            wrk(base + COUNT_PATH, "get", seconds=2)  # fills the cache, warms the workers
        for n, name in _in_turns(list(variants), rounds):
            base, pid = running[name]
            result = wrk(base + COUNT_PATH, "get", seconds=seconds, pid=pid)
            found[name].append(result)
            say(
                f"round {n + 1}, {name}: {result['ok_per_second']:.0f} reads/s, "
                f"{result['server_cpu_ms']:.3f} ms CPU a read"
            )
    return found


# --- the mailer --------------------------------------------------------------


def measure_mailer(
    url: str, rounds: int, messages: int, delay: float
) -> dict[str, list[dict[str, Any]]]:
    env = service_env(url)
    subprocess.run(
        undersign("petition", "create", mailer.SLUG, "--title", "Bench", "--goal", "1000000"),
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    engine = create_engine(url)
    variants = {"mailer": undersign("mailer"), "smtplib floor": None}
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    try:
        for n, name in _in_turns(list(variants), rounds):
            command = variants[name]
            if command is None:
                result = _floor_once(messages, delay)
            else:
                mailer.queue(engine, messages)
                result = mailer.run_once(url, messages, command, delay)
            found[name].append(result)
            say(f"round {n + 1}, {name}: {result['per_second']:.0f} messages/s")
    finally:
        engine.dispose()
    return found


def _floor_once(messages: int, delay: float) -> dict[str, float]:
    sink = _Sink(delay)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    command = [sys.executable, HERE, "smtp-floor", "--port", str(controller.port)]
    sender = subprocess.Popen([*command, "--messages", str(messages)])
    try:
        wait_until(lambda: sink.count >= messages, 300, f"{messages} plain messages")
    finally:
        sender.wait(timeout=60)
        controller.stop()
    return {"per_second": (messages - 1) / (sink.last - sink.first)}


# --- in turns, and the summary -----------------------------------------------


def _in_turns(names: list[str], rounds: int) -> Iterator[tuple[int, str]]:
    """Each round runs every variant once, the order turned by one from the round before."""
    for n in range(rounds):
        turned = names[n % len(names) :] + names[: n % len(names)]
        yield from ((n, name) for name in turned)


def summary(
    found: dict[str, list[dict[str, Any]]], figure: str, floor: str, more: Callable[..., str]
) -> list[str]:
    """A line a variant: its median and range, and its share of the floor round by round."""
    lines = []
    for name, results in found.items():
        values = [r[figure] for r in results]
        shares = [r[figure] / f[figure] for r, f in zip(results, found[floor], strict=True)]
        line = f"- {name}: {_spread(values, '{:,.0f}')} {figure}"
        if name != floor:
            line += f"; of the floor: {_spread(shares, '{:.2f}')}"
        lines.append(line + more(results))
    return lines


def _cpu(results: list[dict[str, Any]]) -> str:
    return f"; {_spread([r['server_cpu_ms'] for r in results], '{:.3f}')} ms CPU a read"


def _spread(values: list[float], style: str) -> str:
    """Median (min-max)."""
    low, mid, high = (
        style.format(v) for v in (min(values), statistics.median(values), max(values))
    )
    return f"{mid} ({low}-{high})"


def gain(found: dict[str, list[dict[str, Any]]], fast: str, simple: str, figure: str) -> str:
    """The fast path's figure over the simple way's, round by round (same minutes)."""
    ratios = [f[figure] / s[figure] for f, s in zip(found[fast], found[simple], strict=True)]
    return f"{fast} / {simple}, round by round: {_spread(ratios, '{:.2f}')}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    # The variants' own processes; without one of these, the comparison itself.
    sub = parser.add_subparsers(dest="part")
    serving = sub.add_parser("serve")
    serving.add_argument("--port", type=int, required=True)
    serving.add_argument("--workers", type=int, default=WORKERS)
    serving.add_argument("--without-count-polls", action="store_true")
    plain = sub.add_parser("smtp-floor")
    plain.add_argument("--port", type=int, required=True)
    plain.add_argument("--messages", type=int, required=True)
    parser.add_argument("--only", choices=("polls", "mailer"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15, help="of wrk, a count figure")
    parser.add_argument("--messages", type=int, default=3000, help="queued, a mailer figure")
    parser.add_argument(
        "--smtp-delay-ms", type=float, default=0, help="the SMTP server's delay a message"
    )
    args = parser.parse_args()
    if args.part == "serve":
        return serve(args.port, args.workers, args.without_count_polls)
    if args.part == "smtp-floor":
        return smtp_floor(args.port, args.messages)
    compare(args.only, args.rounds, args.seconds, args.messages, args.smtp_delay_ms / 1000)


def compare(only: str | None, rounds: int, seconds: int, messages: int, delay: float) -> None:
    ensure_wrk()
    (BENCH / "results").mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "smtp_delay_seconds": delay,
    }
    lines = []
    with bench_database(DATABASE) as url:
        env = service_env(url)
        subprocess.run(
            undersign("petition", "create", SLUG, "--title", "Bench", "--goal", "1000000"),
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        if only in (None, "polls"):
            say(f"count polls: {rounds} rounds of wrk -c16 {seconds} s on each of three servers")
            polls = results["polls"] = measure_polls(url, rounds, seconds)
            lines += ["count polls:", *summary(polls, "ok_per_second", "bare Flask GET", _cpu)]
            lines.append(gain(polls, "fast path", "through Flask", "ok_per_second"))
        if only in (None, "mailer"):
            say(f"mailer: {rounds} rounds of {messages} messages, each variant")
            mails = results["mailer"] = measure_mailer(url, rounds, messages, delay)
            lines += ["mailer:", *summary(mails, "per_second", "smtplib floor", lambda rs: "")]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (BENCH / "results" / f"fast-paths-{stamp}.json").write_text(json.dumps(results, indent=2))
    print("\n" + "\n".join(lines))
    print(f"\n(raw figures: bench/results/fast-paths-{stamp}.json)")


if __name__ == "__main__":
    main()
