"""Per-locale text from frontend/locales/*.json, and choosing the reader's language."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from undersign.models import LOCALES

DEFAULT_LOCALE = "en"


def frontend_dir() -> Path:
    """Return the frontend folder: inside the wheel, or beside the package in a checkout."""
    packaged = Path(__file__).parent / "frontend"
    return packaged if packaged.is_dir() else Path(__file__).parents[2] / "frontend"


@cache
def messages(locale: str) -> dict[str, Any]:
    """Return every string of `locale`, English filling any gap."""

    def load(name: str) -> dict[str, Any]:
        return json.loads((frontend_dir() / "locales" / f"{name}.json").read_text("utf-8"))

    merged = load(DEFAULT_LOCALE)
    if locale != DEFAULT_LOCALE:
        _deep_update(merged, load(locale))
    return merged


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = value


def negotiate(explicit: Iterable[str | None], accepted: Iterable[str]) -> str:
    """Pick the first supported language: explicit choices, then the browser's, then English."""
    for choice in explicit:
        if choice and choice.lower()[:2] in LOCALES:
            return choice.lower()[:2]
    for language in accepted:
        if language.lower()[:2] in LOCALES:
            return language.lower()[:2]
    return DEFAULT_LOCALE
