"""An open-loop load: signatures sent at a fixed arrival rate, whatever the answers take.

wrk (bench/run.py) is a closed loop: 16 connections, each sending its next request when the
last is answered, so a slow server is sent less and its queue never shows. Here request i
is due at `i / rate` seconds, sent then on an idle connection or a new one, and its latency
is counted from when it was due (no coordinated omission): what a signer at that moment
would wait. A small asyncio client writing HTTP/1.1 itself (keep-alive, Content-Length
bodies), so that it costs the 2 shared cores little.

    .venv/bin/python bench/openloop.py          # alone: the reference and Undersign, see README

Alone it runs the raw psycopg reference and `undersign serve` on PostgreSQL (as `make bench`
does), each at a steady BENCH_RATE (300) signatures/s, then Undersign at 3x its saturated
rate for BENCH_BURST_SECONDS (30) and a calm rate after it, and prints the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RATE = float(os.environ.get("BENCH_RATE", "300"))
STEADY_SECONDS = float(os.environ.get("BENCH_STEADY_SECONDS", "20"))
BURST_SECONDS = float(os.environ.get("BENCH_BURST_SECONDS", "30"))
BURST_FACTOR = 3.0
CALM_RATE = 100.0  # after the burst: how soon is a signature answered as fast as before it?
CALM_SECONDS = 20.0
MAX_CONNECTIONS = 4000
TIMEOUT = 30.0  # what a client would wait at most
# This client's niceness while it sends (the server's is 0): see `ahead_of_the_server`.
CLIENT_NICENESS = -10


@dataclass
class Answer:
    due: float  # seconds from the start, when it was due
    latency: float  # seconds from due to answered (or to giving up)
    status: int  # 0: no answer (connection refused or cut, or TIMEOUT)
    retry_after: str = ""
    failure: str = ""  # why there was no answer
    lag: float = 0.0  # seconds from due to sent: this client's own delay


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    connections: int = 0
    started: float = 0.0
    priority: str = ""  # this client's, beside the server's (ahead_of_the_server)


def _request(host: str, path: str, run: str, n: int) -> bytes:
    body = (
        f'{{"name":"Bench Signer","email":"o{n}.r{run}@bench.example.org","country":"KZ",'
        '"city":"Almaty","public":true,"comment":"In solidarity with the workers."}'
    ).encode()
    # As behind the TLS proxy: every signer on an address of their own.
    address = f"2001:db8:ff:{(n >> 16) & 0xFFFF:x}::{n & 0xFFFF:x}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Forwarded-For: {address}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, str, bool]:
    """Send one request; return the status, its Retry-After and whether the connection stays."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length, keep, retry = 0, True, ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
        elif name == "retry-after":
            retry = value.strip()
    if length:
        await reader.readexactly(length)
    return status, retry, keep


async def _load(base: str, path: str, phases: list[tuple[float, float]], run: str) -> Load:
    """Send signatures at each phase's (rate/s, seconds), one after the other."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    load = Load()
    loop = asyncio.get_running_loop()
    load.started = started = loop.time()
    tasks: set[asyncio.Task[None]] = set()
    open_now = 0

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        nonlocal open_now
        while open_now >= MAX_CONNECTIONS:
            await asyncio.sleep(0.001)
        open_now += 1
        load.connections = max(load.connections, open_now)
        try:
            return await asyncio.open_connection(host, int(port))
        except BaseException:
            open_now -= 1
            raise

    async def one(n: int, due: float) -> None:
        nonlocal open_now
        request = _request(host, path, run, n)
        status, retry, failure, lag = 0, "", "", 0.0
        try:
            async with asyncio.timeout(TIMEOUT):
                reused = bool(idle)
                reader, writer = idle.pop() if reused else await connect()
                lag = loop.time() - due
                try:
                    status, retry, keep = await _exchange(reader, writer, request)
                except (asyncio.IncompleteReadError, ConnectionError):
                    open_now -= 1
                    writer.close()
                    if not reused:
                        raise
                    # A kept-alive connection the server had closed meanwhile: as a browser
                    # does, send again on a new one (nothing of this request was read).
                    reader, writer = await connect()
                    try:
                        status, retry, keep = await _exchange(reader, writer, request)
                    except BaseException:
                        open_now -= 1
                        writer.close()
                        raise
                except BaseException:
                    open_now -= 1
                    writer.close()
                    raise
                if keep:
                    idle.append((reader, writer))
                else:
                    open_now -= 1
                    writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            status, failure = 0, type(e).__name__
        answer = Answer(due - started, loop.time() - due, status, retry, failure, lag)
        load.answers.append(answer)

    n, offset = 0, 0.0
    for rate, seconds in phases:
        count = int(rate * seconds)
        for i in range(count):
            due = started + offset + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(n, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        offset += seconds
    while tasks:
        await asyncio.gather(*list(tasks))
    for _, writer in idle:
        writer.close()
    return load


@contextmanager
def ahead_of_the_server() -> Iterator[str]:
    """Send at a higher priority than the server's (niceness -10), as from a machine of its own.

    On two shared cores a server at saturation takes the CPU this client needs to send on
    time: at 3x capacity it fell 0.5-1.6 s behind its own schedule (p99), and the server's
    listening queue filled while it did, so its connections waited a second for a SYN to
    be sent again. The signers it stands for, on phones of their own, would not wait for
    the server to send. Yields how it ran; raising a priority takes root (CAP_SYS_NICE),
    and without it this client runs as the server does and the report says so.
    """
    before = os.getpriority(os.PRIO_PROCESS, 0)  # this thread's, on Linux
    try:
        os.setpriority(os.PRIO_PROCESS, 0, CLIENT_NICENESS)
    except PermissionError:
        yield f"niceness {before}, as the server (no right to raise it)"
        return
    try:
        yield f"niceness {CLIENT_NICENESS}"
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, before)


def _run(base: str, path: str, phases: list[tuple[float, float]], run: str) -> Load:
    with ahead_of_the_server() as priority:
        load = asyncio.run(_load(base, path, phases, run))
    load.priority = priority
    return load


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def steady(base: str, path: str, run: str, rate: float = RATE, seconds: float = STEADY_SECONDS
           ) -> dict[str, Any]:  # fmt: skip
    """Sign at `rate`/s for `seconds`: latency percentiles of the answers, in ms."""
    load = _run(base, path, [(rate, seconds)], run)
    ms = [a.latency * 1000 for a in load.answers if a.status in (200, 202)]
    sent = [(a.latency - a.lag) * 1000 for a in load.answers if a.status in (200, 202)]
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": len(load.answers),
        "statuses": dict(Counter(str(a.status) for a in load.answers)),
        "accepted": len(ms),
        "p50_ms": percentile(ms, 0.50),
        "p95_ms": percentile(ms, 0.95),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=float("nan")),
        "sent_p99_ms": percentile(sent, 0.99),
        "connections": load.connections,
        "client_lag_p99_ms": percentile([a.lag * 1000 for a in load.answers], 0.99),
        "client_priority": load.priority,
    }


def burst(base: str, path: str, run: str, capacity: float, seconds: float = BURST_SECONDS
          ) -> dict[str, Any]:  # fmt: skip
    """Sign at 3x `capacity`/s for `seconds`, then at a calm rate: the overload's figures.

    "Normal" is the calm rate's p99 before the burst (measured first, 10 s); back to normal
    is the time from the burst's end to the first of three seconds in a row of the calm rate
    with nothing shed and a p99 within 2x of it (at least 50 ms).
    """
    before = _run(base, path, [(CALM_RATE, 10)], f"{run}-calm")
    normal_ms = percentile([a.latency * 1000 for a in before.answers if a.status == 202], 0.99)
    rate = capacity * BURST_FACTOR
    load = _run(base, path, [(rate, seconds), (CALM_RATE, CALM_SECONDS)], run)
    during = [a for a in load.answers if a.due < seconds]
    after = [a for a in load.answers if a.due >= seconds]
    accepted = [a.latency * 1000 for a in during if a.status == 202]
    shed = [a.latency * 1000 for a in during if a.status == 503]
    # From when it was sent: the server's part alone, when this client falls behind too.
    accepted_sent = [(a.latency - a.lag) * 1000 for a in during if a.status == 202]
    shed_sent = [(a.latency - a.lag) * 1000 for a in during if a.status == 503]
    # The seconds after the burst, each judged on its own: normal when nothing was shed or
    # lost and its p99 is within 2x of the calm p99 before the burst (at least 50 ms: on a
    # shared machine a calm second's p99 moves by that much). Back to normal: the first of
    # three normal seconds in a row.
    normal = []
    for second in range(int(CALM_SECONDS)):
        inside = [a for a in after if seconds + second <= a.due < seconds + second + 1]
        ok = [a.latency * 1000 for a in inside if a.status == 202]
        bound = max(2 * normal_ms, 50.0)
        normal.append(len(ok) == len(inside) and percentile(ok, 0.99) <= bound)
    back = next(
        (float(s) for s in range(len(normal) - 2) if all(normal[s : s + 3])), float(CALM_SECONDS)
    )
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": len(during),
        "statuses": dict(Counter(str(a.status) for a in during)),
        "accepted": len(accepted),
        "accepted_per_second": len(accepted) / seconds,
        "shed_share": len(shed) / max(len(during), 1),
        "unanswered": sum(1 for a in during if a.status == 0),
        "failures": dict(Counter(a.failure for a in during if a.status == 0)),
        "accepted_p50_ms": percentile(accepted, 0.50),
        "accepted_p99_ms": percentile(accepted, 0.99),
        "accepted_max_ms": max(accepted, default=float("nan")),
        "shed_p99_ms": percentile(shed, 0.99),
        "shed_max_ms": max(shed, default=float("nan")),
        "accepted_sent_p99_ms": percentile(accepted_sent, 0.99),
        "accepted_sent_max_ms": max(accepted_sent, default=float("nan")),
        "shed_sent_p99_ms": percentile(shed_sent, 0.99),
        "retry_after": dict(Counter(a.retry_after for a in during if a.status == 503)),
        "normal_p99_ms": normal_ms,
        "back_to_normal_s": back,
        "normal_seconds_after": sum(normal),
        "after_statuses": dict(Counter(str(a.status) for a in after)),
        "connections": load.connections,
        "client_lag_p99_ms": percentile([a.lag * 1000 for a in during], 0.99),
        "client_priority": load.priority,
        "accepted_all": sum(1 for a in load.answers if a.status == 202),
    }


def stored_for(engine: Any, run: str) -> int:
    """The signatures stored from one run's emails (each signer's address names its run)."""
    from sqlalchemy import text

    with engine.connect() as connection:
        query = "SELECT count(*) FROM signatures WHERE email LIKE :pattern"
        return int(connection.scalar(text(query), {"pattern": f"%.r{run}@bench.example.org"}))


def rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    """The report's rows: the steady rate beside the reference, and the burst."""
    mine, ref = results["steady"], results["reference_steady"]
    burst = results["burst"]
    return [
        (f"signing p50 / p95 / p99 at a steady {mine['rate']:.0f}/s (open loop), ms",
         f"{mine['p50_ms']:.1f} / {mine['p95_ms']:.1f} / {mine['p99_ms']:.1f}, "
         f"{mine['accepted']} of {mine['sent']} accepted",
         f"{ref['p50_ms']:.1f} / {ref['p95_ms']:.1f} / {ref['p99_ms']:.1f} (raw psycopg)",
         f"{mine['p99_ms'] / ref['p99_ms']:.2f}x p99",
         f"p99 < 50: {'met' if mine['p99_ms'] < 50 else 'SHORT'}"),
        (f"burst at 3x capacity ({burst['rate']:.0f}/s, {burst['seconds']:.0f} s): "
         "accepted/s, answered 503",
         f"{burst['accepted_per_second']:.0f}, {burst['shed_share']:.0%}",
         f"{burst['unanswered']} unanswered", "", "for information"),
        ("burst: longest wait of an accepted signature / p99, ms (from sent)",
         f"{burst['accepted_max_ms']:.0f} / {burst['accepted_p99_ms']:.0f} "
         f"({burst['accepted_sent_max_ms']:.0f} / {burst['accepted_sent_p99_ms']:.0f})", "", "",
         f"~1 s: {'met' if burst['accepted_max_ms'] < 1500 else 'SHORT'}"),
        ("burst: a 503's wait, p99 / longest, ms (p99 from sent)",
         f"{burst['shed_p99_ms']:.0f} / {burst['shed_max_ms']:.0f} "
         f"({burst['shed_sent_p99_ms']:.0f})", "", "", "fast"),
        ("this client's own delay in sending, p99 ms: steady / burst",
         f"{mine['client_lag_p99_ms']:.0f} / {burst['client_lag_p99_ms']:.0f}",
         f"{ref['client_lag_p99_ms']:.0f}", "", f"client at {burst['client_priority']}"),
        ("burst: back to normal after it (3 s in a row: no 503, p99 within 2x), s",
         f"{burst['back_to_normal_s']:.0f} ({burst['normal_seconds_after']} of "
         f"{CALM_SECONDS:.0f} s after it normal)", f"{burst['normal_p99_ms']:.1f} ms before", "",
         f"<= 5: {'met' if burst['back_to_normal_s'] <= 5 else 'SHORT'}"),
        ("burst: accepted answers / rows stored (none lost or doubled)",
         f"{burst['accepted_all']} / {burst['stored']}", "", "",
         'met' if burst['accepted_all'] == burst['stored'] else 'SHORT'),
    ]  # fmt: skip


def main() -> None:
    """Run the open-loop figures alone: reference and Undersign, as `make bench` would."""
    import run as bench
    from sqlalchemy import create_engine

    bench.ensure_wrk()
    (bench.BENCH / "results").mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": bench.machine(),
    }
    with bench.bench_database() as url:
        env = bench.service_env(url)
        bench.create_petitions(env)
        engine = create_engine(url)
        bench.say("reference: saturated (wrk), then a steady open-loop rate")
        results["reference"] = bench.measure_reference(engine, url, open_loop=True)
        bench.say("Undersign: saturated (wrk), a steady open-loop rate, then a burst")
        results["at_0"] = bench.measure_undersign(url, "zero", with_count=False, open_loop=True)
        engine.dispose()
    zero, reference = results["at_0"], results["reference"]
    figures = {
        "steady": zero["steady"],
        "reference_steady": reference["steady"],
        "burst": zero["burst"],
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (bench.BENCH / "results" / f"openloop-{stamp}.json").write_text(json.dumps(results, indent=2))
    ratio = zero["sign"]["ok_per_second"] / reference["sign"]["ok_per_second"]
    print(f"\n{results['date']} on {results['machine']}")
    print(f"saturated (wrk -c{bench.CONNECTIONS}): {zero['sign']['ok_per_second']:.0f} / "
          f"{reference['sign']['ok_per_second']:.0f} raw psycopg = {ratio:.3f}")  # fmt: skip
    print("| figure | Undersign | reference | ratio | target |\n|---|---|---|---|---|")
    for row in rows(figures):
        print(f"| {' | '.join(row)} |")


if __name__ == "__main__":
    main()
