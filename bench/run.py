"""`make bench`: Undersign under load on loopback, each figure beside a floor from the same run.

Needs PostgreSQL and Redis (the same ones the tests use) and wrk (installed with
apt-get when missing). Creates its own database, `undersign_bench`, and drops it
at the end. See bench/README.md for what each figure means and the latest results.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import export
import openloop
import widget
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, make_url, text
from undersign.core.db import Database

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
STORED = int(os.environ.get("BENCH_STORED", "10000000"))
EXPORT_ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "1000000"))
MAILS = int(os.environ.get("BENCH_MAILS", "3000"))
# Sign to inbox (bench/inbox.py): signing at full rate this long, then the wait for every email.
INBOX_SECONDS = int(os.environ.get("BENCH_INBOX_SECONDS", "60"))
# Latency at 0 and at STORED signatures is compared under a light load, so that
# it measures the work a signature costs rather than the queue in front of it.
PROBE_CONNECTIONS = 4
DATABASE = "undersign_bench"
SLUG = "bench"
SIGN_PATH = f"/api/v1/petitions/{SLUG}/signatures"
COUNT_PATH = f"/api/v1/petitions/{SLUG}/count"

SEALED_SLUG = "bench-sealed"
SEALED_SIGN_PATH = f"/api/v1/petitions/{SEALED_SLUG}/signatures"

# The targets (issue 12), each against a reference measured in the same run.
TARGETS = {
    "sign_reference_ratio": 0.60,  # of the raw psycopg reference's signatures/s
    "sign_p99_ms": 50.0,
    "count_rps_ratio": 0.90,  # of the bare Flask GET
    "mailer_per_second": 500.0,
    "p50_growth": 1.10,  # p50 with STORED signatures over p50 with none
    "export_ratio": 0.50,  # of psql \\copy's rows/s
    "export_peak_mb": 100.0,
    "widget_requests": 3,
}


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up waiting for {what}")
        time.sleep(0.1)


# --- tools and services ------------------------------------------------------


def ensure_wrk() -> str:
    """Return wrk's path, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("installing wrk (Debian package)")
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    return shutil.which("wrk") or "wrk"


@contextmanager
def bench_database(name: str = DATABASE) -> Iterator[str]:
    """Create (afresh) and migrate a benchmark's database, `name`; drop it afterwards."""
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrated = Database(url)
    migrated.upgrade()
    migrated.engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("UNDERSIGN_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        UNDERSIGN_DATABASE_URL=database_url,
        UNDERSIGN_REDIS_URL=REDIS_URL,
        UNDERSIGN_SECRET_KEY="bench-secret-key",
        UNDERSIGN_RATELIMIT_ENABLED="false",
        # Nor the flood defence's challenge (its check still runs): every signer here is
        # a new person, but thousands a minute on one petition would each be asked to solve one.
        UNDERSIGN_CHALLENGE_NETWORK_RATE=str(10**9),
        UNDERSIGN_CHALLENGE_PETITION_RATE=str(10**9),
        # As behind the TLS proxy: each signer arrives with an address of their own.
        UNDERSIGN_TRUSTED_PROXIES="1",
        **extra,
    )
    return env


@contextmanager
def server(
    name: str, command: list[str], env: dict[str, str], ready: str
) -> Iterator[tuple[str, int]]:
    """Run a server on a free port; yield its base URL and pid once `ready` answers 200."""
    port = free_port()
    log = (BENCH / "results" / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise SystemExit(f"bench: {name} exited; see bench/results/{name}.log")
        try:
            with urllib.request.urlopen(base + ready, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        wait_until(answers, 60, f"{name} to answer")
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def undersign(*args: str) -> list[str]:
    return [sys.executable, "-m", "undersign", *args]


def _cpu_ticks() -> dict[int, tuple[str, int, int]]:
    """Every process's command name, parent and CPU ticks so far."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, _, rest = stat.read_text().partition(" (")[2].rpartition(")")
        except OSError:  # gone meanwhile
            continue
        fields = rest.split()
        # After the command name: state, ppid, ... utime and stime are the 12th and 13th.
        found[int(stat.parent.name)] = (name, int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its children (gunicorn's master and workers)."""
    ticks = sum(t for p, (_, ppid, t) in _cpu_ticks().items() if pid in (p, ppid))
    return ticks / os.sysconf("SC_CLK_TCK")


def backend_pids(database_url: str) -> set[int]:
    """The PostgreSQL processes serving connections to `database_url`'s database now."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            query += " AND pid <> pg_backend_pid()"
            return set(connection.scalars(text(query)))
    finally:
        engine.dispose()


def wrk(
    url: str,
    *script_args: str,
    seconds: int = SECONDS,
    connections: int = CONNECTIONS,
    pid: int | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Load `url` from a second process; return wrk's JSON summary with rates added.

    With the server's `pid`, also the server's CPU time per request: unlike requests
    per second, it hardly moves when other work shares the machine; with its
    `database_url`, the CPU time of the PostgreSQL backends serving it, per request.
    """
    used = cpu_seconds(pid) if pid else 0.0
    before = _cpu_ticks()
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(BENCH / "load.lua"), url, "--", *script_args,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    summary: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    ok = sum(n for status, n in summary["statuses"].items() if status in ("200", "202"))
    summary["ok_per_second"] = ok / summary["seconds"]
    summary["rps"] = summary["requests"] / summary["seconds"]
    if database_url:
        # The backends serving this server (its pool), not other users of the same PostgreSQL.
        after = _cpu_ticks()
        ticks = sum(
            after[p][2] - before.get(p, ("", 0, 0))[2]
            for p in backend_pids(database_url) if p in after
        )  # fmt: skip
        seconds = ticks / os.sysconf("SC_CLK_TCK")
        summary["database_cpu_ms"] = seconds * 1000 / max(summary["requests"], 1)
    if pid:
        used = cpu_seconds(pid) - used
        summary["server_cpu_ms"] = used * 1000 / max(summary["requests"], 1)
    return summary


# --- the measurements --------------------------------------------------------


def create_petitions(env: dict[str, str]) -> None:
    """Create the bench petition, and a sealed one (to a key made here and thrown away)."""
    (BENCH / "results" / "bench.key").unlink(missing_ok=True)
    made = subprocess.run(
        undersign("keys", "generate", "--out", str(BENCH / "results" / "bench.key")),
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    public = made.stdout.split()[-1]
    for slug, extra in ((SLUG, []), (SEALED_SLUG, ["--seal-key", public])):
        subprocess.run(
            undersign("petition", "create", slug, "--title", "Bench", "--goal", "1000000", *extra),
            env=env, check=True, capture_output=True,
        )  # fmt: skip


def measure_floor() -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    command = [sys.executable, str(BENCH / "floor.py"), "--workers", str(WORKERS)]
    with server("floor", command, env, COUNT_PATH) as (base, pid):
        wrk(base + SIGN_PATH, "sign", "warmup", seconds=2)
        sign = wrk(base + SIGN_PATH, "sign", "floor", pid=pid)
        count = wrk(base + COUNT_PATH, "get", pid=pid)
    return {"sign": sign, "count": count}


def measure_reference(engine: Engine, database_url: str, open_loop: bool = True) -> dict[str, Any]:
    """Sign against the raw psycopg reference, then empty the tables it wrote to."""
    url = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    command = [sys.executable, str(BENCH / "floor.py"), "--workers", str(WORKERS)]
    steady = None
    with server("reference", [*command, "--database-url", url], env, COUNT_PATH) as (base, pid):
        wrk(base + SIGN_PATH, "sign", "reference-warmup", seconds=2)
        sign = wrk(base + SIGN_PATH, "sign", "reference", pid=pid, database_url=database_url)
        if open_loop:  # a fixed arrival rate (bench/openloop.py), not a saturating loop
            steady = openloop.steady(base, SIGN_PATH, "reference-steady")
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE outbox, signatures CASCADE"))
    return {"sign": sign, **({"steady": steady} if steady else {})}


def measure_undersign(
    database_url: str, run: str, with_count: bool, open_loop: bool = False
) -> dict[str, Any]:
    env = service_env(database_url)
    command = undersign("serve", "--no-mailer", "--workers", str(WORKERS))
    with server(f"undersign-{run}", command, env, "/readyz") as (base, pid):
        wrk(base + SIGN_PATH, "sign", f"{run}-warmup", seconds=2)
        analyze(database_url)
        results = {
            "probe": wrk(base + SIGN_PATH, "sign", f"{run}-probe", connections=PROBE_CONNECTIONS),
            "sign": wrk(base + SIGN_PATH, "sign", run, pid=pid, database_url=database_url),
        }
        if with_count:
            results["count"] = wrk(base + COUNT_PATH, "get", pid=pid)
            results["sealed"] = wrk(
                base + SEALED_SIGN_PATH, "sign", f"{run}-sealed", pid=pid, database_url=database_url
            )
            say("the widget on a partner's page (headless Chromium)")
            results["widget"] = widget.measure(base, SLUG)
        if open_loop:
            say(f"open loop: a steady {openloop.RATE:.0f} signatures/s, then 3x capacity")
            results["steady"] = openloop.steady(base, SIGN_PATH, f"{run}-steady")
            capacity = results["sign"]["ok_per_second"]
            results["burst"] = openloop.burst(base, SIGN_PATH, f"{run}-burst", capacity)
            engine = create_engine(database_url)
            results["burst"]["stored"] = openloop.stored_for(engine, f"{run}-burst")
            engine.dispose()
    return results


def analyze(database_url: str) -> None:
    """Give PostgreSQL's planner statistics of the signatures the warm-up wrote.

    Autovacuum does the same within a minute of a table's first 50 rows. Without
    it, a fresh database's planner cannot tell the shared-address index from the
    wall's (both lead with the petition, and the table looks empty): it took the
    wall's, and each signature's shared-address count read every signature of the
    petition, ever more as the run went on (bench/README.md, issue 12).
    """
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE signatures, outbox"))
    finally:
        engine.dispose()


class _Sink:
    """An SMTP server that only counts, and notes when the first and last message came.

    With a `delay`, it answers each message's data that many seconds late, as a
    server a network away does.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.count = 0
        self.first = self.last = 0.0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            now = time.perf_counter()
            self.first = self.first or now
            self.last = now
            self.count += 1
        return "250 OK"


def measure_mailer(engine: Engine, database_url: str) -> dict[str, Any]:
    """Send MAILS queued verification emails to a local SMTP server with one mailer."""
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM outbox WHERE id NOT IN (SELECT id FROM outbox ORDER BY id LIMIT :n)"),
            {"n": MAILS},
        )
        queued = int(connection.scalar(text("SELECT count(*) FROM outbox")) or 0)
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = service_env(
        database_url, UNDERSIGN_SMTP_HOST="127.0.0.1", UNDERSIGN_SMTP_PORT=str(controller.port)
    )
    log = (BENCH / "results" / "mailer.log").open("wb")
    started = time.perf_counter()
    mailer = subprocess.Popen(undersign("mailer"), env=env, stdout=log, stderr=log)
    try:
        wait_until(lambda: sink.count >= queued, 300, f"{queued} emails")
        finished = time.perf_counter()
    finally:
        mailer.send_signal(signal.SIGTERM)
        mailer.wait(timeout=30)
        log.close()
        controller.stop()
    return {
        "messages": queued,
        "per_second": (queued - 1) / (sink.last - sink.first),
        "seconds_from_start": finished - started,
    }


def bulk_load(engine: Engine, rows: int) -> float:
    """Store `rows` signatures on the bench petition fast; return the seconds it took.

    The signature indexes are dropped for the load and built again after it: one
    sort per index instead of five random index insertions per row.
    """
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        connection.execute(text("SET LOCAL synchronous_commit = off"))
        constraints = connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'signatures'::regclass AND contype = 'u'"
            )
        ).all()
        indexes = connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'signatures' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = 'signatures'::regclass)"
            )
        ).all()
        for name, _ in constraints:
            connection.execute(text(f'ALTER TABLE signatures DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        petition_id = connection.scalar(
            text("SELECT id FROM petitions WHERE slug = :slug"), {"slug": SLUG}
        )
        # 80% verified, 10% pending, 10% withdrawn; signed over the last 30 days
        # from 200,000 network addresses; keys shaped like the real keyed hashes.
        connection.execute(
            text(
                """
                INSERT INTO signatures (petition_id, email_key, spelling_key, name, email, city,
                    country, public, contact_consent, locale, status, flagged, ip_key, emails_sent,
                    created_at, verified_at)
                SELECT :petition, md5('e' || i) || md5('k' || i), md5('e' || i) || md5('k' || i),
                    'Loaded Signer',
                    'loaded' || i || '@bench.example.org', 'Almaty', 'KZ', i % 3 = 0, false,
                    'en',
                    CASE WHEN i % 10 < 8 THEN 'verified' WHEN i % 10 = 8 THEN 'pending'
                         ELSE 'withdrawn' END,
                    false, md5('ip' || (i % 200000)) || md5('ip'), 1,
                    now() - make_interval(secs => i % 2592000),
                    CASE WHEN i % 10 < 8 THEN now() - make_interval(secs => i % 2592000) END
                FROM generate_series(1, :rows) AS i
                """
            ),
            {"petition": petition_id, "rows": rows},
        )
        for name, definition in constraints:
            connection.execute(text(f'ALTER TABLE signatures ADD CONSTRAINT "{name}" {definition}'))
        for _, definition in indexes:
            connection.execute(text(definition))
        # Keep the count true to what is stored: the loaded verified rows count.
        connection.execute(
            text(
                "UPDATE count_shards SET count = count + :verified "
                "WHERE petition_id = :petition AND shard = 0"
            ),
            {"verified": rows - rows // 10 * 2, "petition": petition_id},
        )
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE signatures")
        )
    return time.perf_counter() - started


# --- the report --------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "SHORT"


def report(results: dict[str, Any]) -> str:
    """Every figure beside its reference from the same run, and the target it is held to."""
    floor, reference = results["floor"], results["reference"]["sign"]
    zero, full, mail = results["at_0"], results["at_stored"], results["mailer"]
    sign, sealed, count = zero["sign"], zero["sealed"], zero["count"]
    ratio = sign["ok_per_second"] / reference["ok_per_second"]
    sealed_ratio = sealed["ok_per_second"] / reference["ok_per_second"]
    count_ratio = count["ok_per_second"] / floor["count"]["ok_per_second"]
    growth = full["probe"]["p50_ms"] / zero["probe"]["p50_ms"]
    stored = f"{results['stored']:,}"
    t = TARGETS
    rows = [
        ("signing, accepted/s", f"{sign['ok_per_second']:.0f}",
         f"{reference['ok_per_second']:.0f} (raw psycopg)", f"{ratio:.3f}",
         f">= {t['sign_reference_ratio']:.2f}: {verdict(ratio >= t['sign_reference_ratio'])}"),
        ("signing p50 / p99, ms", f"{sign['p50_ms']:.1f} / {sign['p99_ms']:.1f}",
         f"{reference['p50_ms']:.1f} / {reference['p99_ms']:.1f}", "",
         f"p99 < {t['sign_p99_ms']:.0f}: {verdict(sign['p99_ms'] < t['sign_p99_ms'])}"),
        ("sealed petition, accepted/s", f"{sealed['ok_per_second']:.0f}",
         f"{reference['ok_per_second']:.0f} (raw psycopg)", f"{sealed_ratio:.3f}",
         f">= {t['sign_reference_ratio']:.2f}: "
         f"{verdict(sealed_ratio >= t['sign_reference_ratio'])}"),
        ("sealed petition p50 / p99, ms", f"{sealed['p50_ms']:.1f} / {sealed['p99_ms']:.1f}",
         "", "", f"p99 < {t['sign_p99_ms']:.0f}: {verdict(sealed['p99_ms'] < t['sign_p99_ms'])}"),
        ("signing, CPU ms a signature: server / PostgreSQL",
         f"{sign['server_cpu_ms']:.2f} / {sign['database_cpu_ms']:.2f}",
         f"{reference['server_cpu_ms']:.2f} / {reference['database_cpu_ms']:.2f}", "",
         "for information"),
        ("signing beside the minimal Flask floor, accepted/s", f"{sign['ok_per_second']:.0f}",
         f"{floor['sign']['ok_per_second']:.0f}",
         f"{sign['ok_per_second'] / floor['sign']['ok_per_second']:.2f}", "for information"),
        ("count reads/s", f"{count['ok_per_second']:.0f}",
         f"{floor['count']['ok_per_second']:.0f} (bare Flask GET)", f"{count_ratio:.3f}",
         f">= {t['count_rps_ratio']:.2f}: {verdict(count_ratio >= t['count_rps_ratio'])}"),
        ("count, server CPU ms a read", f"{count['server_cpu_ms']:.2f}",
         f"{floor['count']['server_cpu_ms']:.2f}", "", "for information"),
        ("mailer, messages/s", f"{mail['per_second']:.0f}", "", "",
         f">= {t['mailer_per_second']:.0f}: "
         f"{verdict(mail['per_second'] >= t['mailer_per_second'])}"),
        (f"signing p50 at 0 / {stored} stored, ms (-c{PROBE_CONNECTIONS})",
         f"{zero['probe']['p50_ms']:.1f} / {full['probe']['p50_ms']:.1f}", "", f"{growth:.2f}x",
         f"<= {t['p50_growth']:.2f}x: {verdict(growth <= t['p50_growth'])}"),
        (f"signing accepted/s, p99 at {stored} stored",
         f"{full['sign']['ok_per_second']:.0f}, {full['sign']['p99_ms']:.1f} ms", "", "",
         "for information"),
    ]  # fmt: skip
    if "steady" in zero and "steady" in results["reference"]:  # bench/openloop.py
        rows += openloop.rows(
            {"steady": zero["steady"], "reference_steady": results["reference"]["steady"],
             "burst": zero["burst"]}
        )  # fmt: skip
    if "inbox" in results:
        import inbox

        rows += inbox.rows(results["inbox"])
    if "export" in results:
        api, copy = results["export"]["api"], results["export"]["psql_copy"]
        share = api["rows_per_second"] / copy["rows_per_second"]
        peak, flat = api["worker_rss_peak_mb"], api["worker_rss_growth_mb"] < export.FLAT_MB
        rows += [
            (f"export of {api['rows']:,} verified, rows/s", f"{api['rows_per_second']:,.0f}",
             f"{copy['rows_per_second']:,.0f} (psql \\copy)", f"{share:.3f}",
             f">= {t['export_ratio']:.2f}: {verdict(share >= t['export_ratio'])}"),
            ("export, worker's peak RSS, MB (growth over the rows)",
             f"{peak:.1f} (+{api['worker_rss_growth_mb']:.1f})",
             f"{api['worker_rss_before_mb']:.1f} (before)", "",
             f"< {t['export_peak_mb']:.0f}, flat: {verdict(peak < t['export_peak_mb'] and flat)}"),
        ]  # fmt: skip
    if "widget" in zero:
        found = zero["widget"]
        rows.append(
            ("widget: requests until the form is usable (partner page, cold cache)",
             str(found["requests"]), "", f"{found['sent_bytes']:,} B sent, "
             f"{found['decoded_bytes']:,} B decoded",
             f"<= {t['widget_requests']}: {verdict(found['requests'] <= t['widget_requests'])}")
        )  # fmt: skip
    lines = [
        f"{results['date']} on {results['machine']}; wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, "
        f"gunicorn {WORKERS} workers x 8 threads",
        "",
        "| figure | Undersign | reference | ratio | target |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    if "widget" in zero:
        lines += ["", "The widget's requests (the last cold load):"]
        lines += [
            f"- {f['url'][:70]}: {f['encoding'] or 'identity'}, {f['sent']:,} B sent, "
            f"{f['cache'] or 'no Cache-Control'}"
            for f in zero["widget"]["fetched"]
        ]
    return "\n".join(lines)


def machine() -> str:
    python = platform.python_version()
    return f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()}, Python {python})"


def main() -> None:
    ensure_wrk()
    (BENCH / "results").mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "stored": STORED,
    }
    say("floor: minimal Flask under the same gunicorn settings")
    results["floor"] = measure_floor()
    with bench_database() as url:
        env = service_env(url)
        create_petitions(env)
        engine = create_engine(url)
        say("reference: a signature's two rows written with raw psycopg, nothing else")
        results["reference"] = measure_reference(engine, url)
        say("Undersign: signing (plain and sealed) and count reads, nothing stored yet")
        results["at_0"] = measure_undersign(url, "zero", with_count=True, open_loop=True)
        say(f"mailer: {MAILS} queued emails to a local SMTP server")
        results["mailer"] = measure_mailer(engine, url)
        say(f"storing {STORED:,} signatures")
        results["load_seconds"] = bulk_load(engine, STORED)
        engine.dispose()
        say(f"Undersign: signing with {STORED:,} stored")
        results["at_stored"] = measure_undersign(url, "stored", with_count=False)
    if INBOX_SECONDS:
        import inbox  # here: it imports this module's helpers

        say(f"sign to inbox: `undersign serve` and its mailers, {INBOX_SECONDS} s at full rate")
        results["inbox"] = inbox.measure(INBOX_SECONDS)
    if EXPORT_ROWS:
        say(f"export: {EXPORT_ROWS:,} verified signatures through the API, beside psql's \\copy")
        results["export"] = export.measure(ADMIN_URL, EXPORT_ROWS)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (BENCH / "results" / f"{stamp}.json").write_text(json.dumps(results, indent=2))
    print()
    print(report(results))
    print(f"\n(raw figures: bench/results/{stamp}.json)")


if __name__ == "__main__":
    main()
