"""Export 1,000,000 verified signatures as CSV through the organiser API, beside psql's \\copy.

Run from the repository root with PostgreSQL on 127.0.0.1:5432 (as in CI):

    .venv/bin/python bench/export.py [--rows 1000000] [--repeat 3] [--database-url URL]

It creates its own database, fills it with SQL (not through the API: the
export is what is measured), serves the app with `undersign serve` (gunicorn,
one worker), streams the export while sampling the worker's resident memory,
and runs `\\copy` of the same rows, each three times in turn (--repeat), then
prints the best of each: the API's share of `\\copy`'s speed, the worker's peak
memory, and whether that memory stayed flat (read at every tenth of the rows).
Results also go to bench/results/export.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASE = "undersign_bench_export"
SLUG = "bench-export"
# The aims (issue 12): at least half of \\copy's speed, in under 100 MB that does not grow.
AIM_SHARE = 0.50
AIM_PEAK_MB = 100.0
# Flat: the worker's memory at the last tenth of the rows within this of the first.
FLAT_MB = 2.0

FILL = """
INSERT INTO signatures (
    petition_id, email_key, spelling_key, name, email, postcode, city, comment, country, public,
    contact_consent, named, source, locale, status, comment_status, flagged, emails_sent,
    created_at, verified_at
)
SELECT
    :petition_id, md5(n::text) || md5((n * 7)::text), md5(n::text) || md5((n * 7)::text),
    'Signer ' || n || CASE WHEN n % 1000 = 0 THEN ' =HYPERLINK()' ELSE ' Бекова' END,
    'signer' || n || '@example.org', lpad((n % 100000)::text, 6, '0'),
    (ARRAY['Almaty', 'Қарағанды', 'Zhezkazgan', 'Satpayev'])[1 + n % 4],
    CASE WHEN n % 50 = 0 THEN 'From shop ' || (n % 97) || E', "all of us"\nwe stand with you'
         WHEN n % 10 = 0 THEN 'Solidarity from shop ' || (n % 97) END,
    (ARRAY['KZ', 'RU', 'DE', 'FR'])[1 + n % 4], n % 3 = 0, n % 2 = 0, n % 7 = 0,
    CASE WHEN n % 5 = 0 THEN 'kz-union' END, 'ru', 'verified',
    CASE WHEN n % 10 = 0 THEN 'approved' END, false, 1,
    now() - (n || ' seconds')::interval, now() - (n || ' seconds')::interval + interval '5 minutes'
FROM generate_series(1, :rows) AS n
"""
COPY = (
    "\\copy (SELECT name, email, postcode, city, country, comment, public, contact_consent, "
    "named, source, locale, status, flagged, created_at, verified_at FROM signatures "
    "WHERE petition_id = {petition_id} AND status = 'verified' AND invalidated_at IS NULL "
    "ORDER BY id) TO '{path}' WITH (FORMAT csv, HEADER)"
)


def prepare(admin_url: str, rows: int) -> str:
    """Create, migrate and fill the benchmark database; return its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)
    env = {**os.environ, "UNDERSIGN_DATABASE_URL": url, "UNDERSIGN_SECRET_KEY": "bench"}
    run = {"env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([BIN / "undersign", "db", "upgrade"], **run)  # type: ignore[call-overload]
    subprocess.run(  # type: ignore[call-overload]
        [BIN / "undersign", "petition", "create", SLUG, "--title", "Benchmark"], **run
    )
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        petition_id = connection.scalar(
            text("SELECT id FROM petitions WHERE slug = :s"), {"s": SLUG}
        )
        connection.execute(text(FILL), {"petition_id": petition_id, "rows": rows})
        connection.execute(
            text("UPDATE count_shards SET count = :rows WHERE petition_id = :p AND shard = 0"),
            {"rows": rows, "p": petition_id},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE signatures"))
    engine.dispose()
    print(f"filled {rows:,} signatures in {time.perf_counter() - started:.1f} s", flush=True)
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pid(master: int) -> int:
    """Return gunicorn's (only) worker: the master's child that serves requests."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "UNDERSIGN_DATABASE_URL": url,
        "UNDERSIGN_SECRET_KEY": "bench",
        "UNDERSIGN_RATELIMIT_ENABLED": "false",
    }
    server = subprocess.Popen(
        [BIN / "undersign", "serve", "--port", str(port), "--workers", "1", "--no-mailer"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def make_token(url: str) -> str:
    env = {**os.environ, "UNDERSIGN_DATABASE_URL": url, "UNDERSIGN_SECRET_KEY": "bench"}
    done = subprocess.run(
        [BIN / "undersign", "token", "create", f"bench-{int(time.time())}"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def export_through_api(port: int, token: str, pid: int, rows: int) -> dict[str, Any]:
    """Stream the CSV, counting rows; sample the worker's memory as the rows go by."""
    samples: list[tuple[int, float]] = []
    seen = 0
    stop = threading.Event()
    peak = [rss_mb(pid)]
    before = peak[0]

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            stop.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/admin/petitions/{SLUG}/export?format=csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    checkpoint = max(rows // 10, 1)
    started = time.perf_counter()
    size = 0
    last = b""
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 16):
            size += len(chunk)
            # Lines end in CRLF; a line break inside a quoted comment is a bare LF.
            seen += (last + chunk[:1]).count(b"\r\n") + chunk.count(b"\r\n")
            last = chunk[-1:]
            if seen // checkpoint > len(samples):
                samples.append((seen, rss_mb(pid)))
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    exported = seen - 1  # the header row
    assert exported == rows, f"exported {exported:,} rows, expected {rows:,}"
    by_rows = [mb for _, mb in samples]
    return {
        "rows": exported,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(exported / elapsed),
        "megabytes": round(size / 1e6, 1),
        "worker_rss_before_mb": round(before, 1),
        "worker_rss_peak_mb": round(peak[0], 1),
        "worker_rss_by_rows_mb": [(n, round(mb, 1)) for n, mb in samples],
        "worker_rss_growth_mb": round(by_rows[-1] - by_rows[0], 1) if by_rows else 0.0,
    }


def copy_with_psql(url: str, rows: int, out: Path) -> dict[str, Any]:
    parsed = make_url(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        petition_id = connection.scalar(
            text("SELECT id FROM petitions WHERE slug = :s"), {"s": SLUG}
        )
    engine.dispose()
    command = COPY.format(petition_id=petition_id, path=out)
    started = time.perf_counter()
    done = subprocess.run(
        [
            "psql",
            "-X",
            "-h",
            parsed.host or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            "-d",
            DATABASE,
            "-c",
            command,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    copied = int(done.stdout.split()[-1])  # "COPY 1000000": lines would count a comment's breaks
    assert copied == rows, f"\\copy wrote {copied:,} rows, expected {rows:,}"
    return {
        "rows": copied,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(copied / elapsed),
        "megabytes": round(out.stat().st_size / 1e6, 1),
    }


def measure(database_url: str, rows: int, keep: bool = False, repeat: int = 3) -> dict[str, Any]:
    """Fill a database, export it through the API and with \\copy; return the figures.

    The two take turns, `repeat` times each, and the fastest of each is kept: on
    a shared machine a neighbour's burst slows one run, never speeds one up.
    """
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    url = prepare(database_url, rows)
    port = free_port()
    server = serve(url, port)
    apis, copies = [], []
    try:
        pid = worker_pid(server.pid)
        token = make_token(url)
        for _ in range(repeat):
            copies.append(copy_with_psql(url, rows, results_dir / "export-copy.csv"))
            apis.append(export_through_api(port, token, pid, rows))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        (results_dir / "export-copy.csv").unlink(missing_ok=True)
    if not keep:
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()
    api = max(apis, key=lambda run: run["rows_per_second"])
    copy = max(copies, key=lambda run: run["rows_per_second"])
    share = round(api["rows_per_second"] / copy["rows_per_second"], 2)
    peak = max(run["worker_rss_peak_mb"] for run in apis)
    growth = max(run["worker_rss_growth_mb"] for run in apis)
    result = {
        "started": started,
        "rows": rows,
        "api": api,
        "psql_copy": copy,
        "api_share_of_copy_speed": share,
        "worker_rss_peak_mb": peak,
        "worker_rss_growth_mb": growth,
        "runs_rows_per_second": {
            "api": [run["rows_per_second"] for run in apis],
            "psql_copy": [run["rows_per_second"] for run in copies],
        },
        "aims": {
            f"share >= {AIM_SHARE}": share >= AIM_SHARE,
            f"peak RSS < {AIM_PEAK_MB:.0f} MB": peak < AIM_PEAK_MB,
            f"RSS flat (grew < {FLAT_MB} MB)": growth < FLAT_MB,
        },
    }
    (results_dir / "export.json").write_text(json.dumps(result, indent=2))
    return result


def summary(result: dict[str, Any]) -> str:
    """Say in one line how the export compares with \\copy and its aims."""
    api, copy, share = result["api"], result["psql_copy"], result["api_share_of_copy_speed"]
    return (
        f"export: API {api['rows_per_second']:,} rows/s, \\copy {copy['rows_per_second']:,}"
        f" rows/s (best of {len(result['runs_rows_per_second']['api'])}): {share:.2f} of \\copy"
        f" (aim {AIM_SHARE}); worker peak {result['worker_rss_peak_mb']} MB"
        f" (aim < {AIM_PEAK_MB:.0f}), grew {result['worker_rss_growth_mb']} MB from the first"
        f" tenth of the rows to the last (flat: < {FLAT_MB})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the best counts.")
    args = parser.parse_args()
    result = measure(args.database_url, args.rows, args.keep, args.repeat)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
