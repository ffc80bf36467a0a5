"""The web worker (cli/gunicorn.py `SheddingWorker`), built in this process as gunicorn builds it.

What it changes is time: a full garbage collection no longer walks the app, which held every
request in the worker for 100–475 ms, every few seconds in a burst. The time is `make bench`'s
(bench/README.md); here, that the app a worker builds is out of the collector's walk.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from undersign.cli.gunicorn import SheddingWorker, _Undersign


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Give this test process back its collector as it was."""
    yield
    gc.unfreeze()


def walked_by_a_full_collection(thing: object) -> bool:
    return any(each is thing for each in gc.get_objects())


def test_the_app_a_worker_builds_is_never_walked_by_a_full_collection(unfrozen: None) -> None:
    app = Flask("built-by-the-worker")
    server = _Undersign({"workers": 1}, lambda: app)
    worker = SheddingWorker(0, 0, [], server, 30, server.cfg, logging.getLogger("test"))
    assert walked_by_a_full_collection(app)

    worker.load_wsgi()

    assert worker.wsgi.app is app
    assert not walked_by_a_full_collection(app)
    assert not walked_by_a_full_collection(app.url_map)
