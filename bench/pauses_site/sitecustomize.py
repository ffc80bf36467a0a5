"""Loaded by every Python process started with bench/pauses_site on PYTHONPATH (bench/pauses.py).

Appends a line for each full collection (generation 2) to the file named by BENCH_GC_LOG:
when it ended (Unix time), the process, and how long it held that process, in ms.
"""

import gc
import os
import time

_LOG = os.environ.get("BENCH_GC_LOG")
_started = 0.0


def _timed(phase: str, info: dict[str, int]) -> None:
    global _started
    if info["generation"] != 2:
        return
    if phase == "start":
        _started = time.perf_counter()
        return
    held = (time.perf_counter() - _started) * 1000
    with open(str(_LOG), "a") as log:
        log.write(f"{time.time():.3f} {os.getpid()} {held:.1f}\n")


if _LOG:
    gc.callbacks.append(_timed)
