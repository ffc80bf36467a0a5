"""What the flood-defence tests share: counts in memory and in Redis, and a clock they move."""

from __future__ import annotations

from typing import Any

import pytest
from undersign.web import challenges


@pytest.fixture(params=["memory", "redis"])
def cache_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Where the defence keeps its counts: this process's memory, or a real Redis."""
    if request.param == "memory":
        return {}
    return {"REDIS_URL": request.getfixturevalue("redis_url")}


class Clock:
    """The time the defence reads: starts at a fixed moment and moves when told."""

    def __init__(self) -> None:
        self.now = 1_899_999_960.0  # the start of a minute

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(challenges, "clock", moved)
    return moved
