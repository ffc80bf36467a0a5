"""Gunicorn, embedded: `undersign serve` without a separate config file."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Undersign(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app after the fork, so no database
        # connection or Redis socket is ever shared between processes.
        from undersign import create_app

        return create_app()


def run_gunicorn(host: str, port: int, workers: int, threads: int = 8) -> None:
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
        }
    ).run()
