"""Instructions a signature costs, counted by valgrind: a figure the machine's load does not move.

Wall-clock rounds of the same code on a shared machine differ by more than a change worth
making (bench/README.md, "Results (issue 21, third round)"). `valgrind --tool=callgrind`
counts the instructions this process executes instead, the same from run to run to about
0.03%. The app's WSGI callable is called directly, in one thread, with PostgreSQL, Redis
and the request log on, as `undersign serve` has them; each post is a new person on an
address of their own. The count for LONG signatures less the count for SHORT, over their
difference, leaves out starting Python and building the app.

    .venv/bin/python bench/instructions.py     # about a minute and a half; prints M a signature

Run it on two checkouts to compare them (PYTHONPATH=<checkout>/server). It counts this
process only: PostgreSQL's and Redis's own work is not in it.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

SHORT, LONG = 100, 400
WARM = 20  # signed before counting starts: the first statements prepare caches


def _environ(path: str, n: int, run: str) -> dict[str, object]:
    body = (
        f'{{"name":"Bench Signer","email":"i{n}.r{run}@bench.example.org","country":"KZ",'
        '"city":"Almaty","public":true,"comment":"In solidarity with the workers."}'
    ).encode()
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        # As behind the TLS proxy: every signer on an address of their own.
        "HTTP_X_FORWARDED_FOR": f"2001:db8:ee:{(n >> 16) & 0xFFFF:x}::{n & 0xFFFF:x}",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }  # fmt: skip


def sign(count: int, run: str) -> None:
    """Sign `count` times (after WARM) through the app, inside valgrind: the child's part."""
    import run as bench
    from undersign import create_app
    from undersign.core import logs

    app = create_app()
    logs.configure()  # the request log on, as under gunicorn; its lines thrown away
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
    statuses = set()

    def start_response(status: str, _headers: object, _exc: object = None) -> None:
        statuses.add(status)

    for n in range(WARM + count):
        b"".join(app(_environ(bench.SIGN_PATH, n, run), start_response))
    assert statuses == {"202 ACCEPTED"}, statuses


def counted(count: int, run: str, env: dict[str, str]) -> int:
    """The instructions of one child signing `count` times, as callgrind totals them."""
    out = Path(f"/tmp/undersign-callgrind-{os.getpid()}-{count}")
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        sys.executable, __file__, "--sign", str(count), run,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    out.unlink(missing_ok=True)
    return int(re.search(r"Collected : (\d+)", done.stderr)[1])  # type: ignore[index]


def main() -> None:
    import run as bench

    if not shutil.which("valgrind"):
        raise SystemExit("bench: valgrind is needed (Debian's package valgrind)")
    with bench.bench_database() as url:
        env = bench.service_env(url)
        bench.create_petitions(env)
        short, long = counted(SHORT, "short", env), counted(LONG, "long", env)
    each = (long - short) / (LONG - SHORT)
    print(f"{each / 1e6:.3f} M instructions a signature ({LONG} less {SHORT} signatures)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sign"]:
        sign(int(sys.argv[2]), sys.argv[3])
    else:
        main()
