"""Gunicorn, embedded: `undersign serve` without a separate config file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from undersign import logs
from undersign.config import METRICS_DIR


class _Undersign(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], factory: Callable[[], Any] | None) -> None:
        self.options = options
        self.factory = factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorns lack the newer settings
                self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app after the fork, so no database
        # connection or Redis socket is ever shared between processes.
        if self.factory is not None:
            return self.factory()
        from undersign import create_app

        return create_app()


def run_gunicorn(
    host: str,
    port: int,
    workers: int,
    threads: int = 8,
    factory: Callable[[], Any] | None = None,
) -> None:
    """Serve `factory()` (Undersign by default; the benchmark's floor otherwise)."""
    _Undersign(
        {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            # Threads keep a worker serving while signers on slow phones upload.
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 60,
            "graceful_timeout": 20,
            # Room for the app's own 414 answer below gunicorn's hard limit.
            "limit_request_line": 8190,
            # No access log: request lines carry the tokens of email links.
            "accesslog": None,
            "logconfig_dict": logs.gunicorn_config(),
            "logger_class": logs.GunicornLogger,
            # One fixed socket path per user: a second server on the machine would
            # take the first one's. Nothing here uses it.
            "control_socket_disable": True,
        },
        factory,
    ).run()


def prepare_metrics_dir() -> Path | None:
    """Give the workers and the mailer one directory to share their metrics through.

    prometheus_client chooses where counters live when it is first imported, so
    this must run before anything imports undersign.metrics in this process; the
    workers and the mailer inherit the setting. Return the directory if we made it.
    """
    given = os.environ.get(METRICS_DIR)
    if given:
        # Files left by an earlier run would add its counts to ours.
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="undersign-metrics-"))
    os.environ[METRICS_DIR] = str(made)
    return made


def remove_metrics_dir(made: Path | None) -> None:
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
