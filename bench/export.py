"""Export 1,000,000 verified signatures as CSV through the organiser API, beside psql's \\copy.

Run from the repository root with PostgreSQL on 127.0.0.1:5432 (as in CI):

    .venv/bin/python bench/export.py [--rows 1000000] [--database-url URL]

It creates its own database, fills it with SQL (not through the API: the
export is what is measured), serves the app with `undersign serve` (gunicorn,
one worker), streams the export while sampling the worker's resident memory,
then runs `\\copy` of the same rows and prints both. Results also go to
bench/results/export.json.
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

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASE = "undersign_bench_export"
SLUG = "bench-export"

FILL = """
INSERT INTO signatures (
    petition_id, email_key, name, email, postcode, city, comment, country, public,
    contact_consent, source, locale, status, comment_status, flagged, emails_sent,
    created_at, verified_at
)
SELECT
    :petition_id, md5(n::text) || md5((n * 7)::text),
    'Signer ' || n || CASE WHEN n % 1000 = 0 THEN ' =HYPERLINK()' ELSE ' Бекова' END,
    'signer' || n || '@example.org', lpad((n % 100000)::text, 6, '0'),
    (ARRAY['Almaty', 'Қарағанды', 'Zhezkazgan', 'Satpayev'])[1 + n % 4],
    CASE WHEN n % 10 = 0 THEN 'Solidarity from shop ' || (n % 97) END,
    (ARRAY['KZ', 'RU', 'DE', 'FR'])[1 + n % 4], n % 3 = 0, n % 2 = 0,
    CASE WHEN n % 5 = 0 THEN 'kz-union' END, 'ru', 'verified',
    CASE WHEN n % 10 = 0 THEN 'approved' END, false, 1,
    now() - (n || ' seconds')::interval, now() - (n || ' seconds')::interval + interval '5 minutes'
FROM generate_series(1, :rows) AS n
"""
COPY = (
    "\\copy (SELECT name, email, postcode, city, country, comment, public, contact_consent, "
    "source, locale, status, flagged, created_at, verified_at FROM signatures "
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


def export_through_api(port: int, token: str, pid: int, rows: int) -> dict[str, object]:
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
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 16):
            size += len(chunk)
            seen += chunk.count(b"\n")
            if seen // checkpoint > len(samples):
                samples.append((seen, rss_mb(pid)))
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    exported = seen - 1  # the header row
    assert exported == rows, f"exported {exported:,} rows, expected {rows:,}"
    return {
        "rows": exported,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(exported / elapsed),
        "megabytes": round(size / 1e6, 1),
        "worker_rss_before_mb": round(before, 1),
        "worker_rss_peak_mb": round(peak[0], 1),
        "worker_rss_by_rows_mb": [(n, round(mb, 1)) for n, mb in samples],
    }


def copy_with_psql(url: str, rows: int, out: Path) -> dict[str, object]:
    parsed = make_url(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        petition_id = connection.scalar(
            text("SELECT id FROM petitions WHERE slug = :s"), {"s": SLUG}
        )
    engine.dispose()
    command = COPY.format(petition_id=petition_id, path=out)
    started = time.perf_counter()
    subprocess.run(
        [
            "psql",
            "-X",
            "-q",
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
    )
    elapsed = time.perf_counter() - started
    copied = sum(1 for _ in out.open("rb")) - 1
    assert copied == rows, f"\\copy wrote {copied:,} rows, expected {rows:,}"
    return {
        "rows": copied,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(copied / elapsed),
        "megabytes": round(out.stat().st_size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    args = parser.parse_args()

    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    url = prepare(args.database_url, args.rows)
    port = free_port()
    server = serve(url, port)
    try:
        pid = worker_pid(server.pid)
        token = make_token(url)
        api = export_through_api(port, token, pid, args.rows)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    copy = copy_with_psql(url, args.rows, results_dir / "export-copy.csv")
    (results_dir / "export-copy.csv").unlink()
    result = {
        "rows": args.rows,
        "api": api,
        "psql_copy": copy,
        "api_share_of_copy_speed": round(api["rows_per_second"] / copy["rows_per_second"], 2),  # type: ignore[operator]
    }
    (results_dir / "export.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if not args.keep:
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
