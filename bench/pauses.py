"""Full garbage collections in the web workers, under the loads `make bench` sends.

A full collection (generation 2) walks every object the process holds that the collector
tracks, with the interpreter lock held: every thread of that worker, and so every request
it holds, waits. This runs `undersign serve` as `make bench` does (PostgreSQL, Redis,
`--no-mailer`, 2 workers x 8 threads), every process timing its own full collections
(bench/pauses_site/sitecustomize.py, put on PYTHONPATH), sends it what `make bench` sends
(saturated signing, count reads and sealed signing with wrk; a steady 300/s and the 3x
burst with bench/openloop.py), and prints for each phase how many full collections the
workers ran, the longest, all of them together, and the phase's own figures.

    .venv/bin/python bench/pauses.py        # about 4 minutes

Run it with the code to compare on PYTHONPATH after bench/pauses_site (see bench/README.md).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import openloop
import run as bench

SITE = bench.BENCH / "pauses_site"


def phases(base: str) -> list[tuple[str, float, float, str]]:
    """Send each load; return (phase, started, ended, its figures), times in Unix seconds."""
    done: list[tuple[str, float, float, str]] = []
    started = time.time()
    sign = bench.wrk(base + bench.SIGN_PATH, "sign", "pauses")
    done.append(("saturated (wrk)", started, time.time(), f"{sign['ok_per_second']:.0f}/s"))
    started = time.time()  # then what `make bench` sends before the steady rate
    count = bench.wrk(base + bench.COUNT_PATH, "get")
    sealed = bench.wrk(base + bench.SEALED_SIGN_PATH, "sign", "pauses-sealed")
    figures = f"{count['ok_per_second']:.0f} reads/s, {sealed['ok_per_second']:.0f} sealed/s"
    done.append(("count reads, sealed (wrk)", started, time.time(), figures))
    started = time.time()
    steady = openloop.steady(base, bench.SIGN_PATH, "pauses-steady")
    figures = f"p99 {steady['p99_ms']:.1f} ms, longest {steady['max_ms']:.0f} ms"
    done.append((f"steady {openloop.RATE:.0f}/s", started, time.time(), figures))
    started = time.time()
    burst = openloop.burst(base, bench.SIGN_PATH, "pauses-burst", sign["ok_per_second"])
    figures = (
        f"{burst['rate']:.0f}/s: longest accepted {burst['accepted_max_ms']:.0f} ms, "
        f"client's lag p99 {burst['client_lag_p99_ms']:.0f} ms"
    )
    done.append(("burst 3x, then calm", started, time.time(), figures))
    return done


def pauses(log: Path, workers: set[int], started: float, ended: float) -> list[float]:
    """The full collections the workers ran between `started` and `ended`, in ms."""
    held = []
    for line in log.read_text().splitlines() if log.exists() else []:
        when, pid, ms = line.split()
        if int(pid) in workers and started <= float(when) <= ended:
            held.append(float(ms))
    return held


def main() -> None:
    bench.ensure_wrk()
    log = Path(tempfile.mkstemp(prefix="gc-", suffix=".log")[1])
    os.environ["BENCH_GC_LOG"] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(SITE), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    with bench.bench_database() as url:
        env = bench.service_env(url)
        bench.create_petitions(env)
        command = bench.undersign("serve", "--no-mailer", "--workers", str(bench.WORKERS))
        with bench.server("undersign-pauses", command, env, "/readyz") as (base, pid):
            bench.wrk(base + bench.SIGN_PATH, "sign", "pauses-warmup", seconds=2)
            bench.analyze(url)
            workers = _children(pid)
            done = phases(base)
    print("| phase | full collections in the workers | longest, ms | all, ms | figures |")
    print("|---|---|---|---|---|")
    for phase, started, ended, figures in done:
        held = pauses(log, workers, started, ended)
        longest = f"{max(held):.0f}" if held else "-"
        print(f"| {phase} | {len(held)} | {longest} | {sum(held):.0f} | {figures} |")
    log.unlink()


def _children(pid: int) -> set[int]:
    """The gunicorn master's worker processes."""
    return {child for child, (_, parent, _) in bench._cpu_ticks().items() if parent == pid}


if __name__ == "__main__":
    main()
