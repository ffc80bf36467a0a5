"""The reader's language: per-locale text from frontend/locales/*.json, choosing a language,
and the locale rules for country names, plurals, numbers and dates."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from functools import cache
from gettext import translation
from pathlib import Path
from typing import Any

import pycountry

# The languages Undersign speaks: pages, emails, the widget and the API all take them from here.
LOCALES = ("en", "ru", "kk")
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


@cache
def countries(locale: str) -> list[tuple[str, str]]:
    """Return (code, name) for every ISO 3166-1 country, named and sorted in `locale`."""
    names = translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True)
    pairs = [(c.alpha_2, names.gettext(c.name)) for c in pycountry.countries]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def plural_category(locale: str, n: int) -> str:
    """Return the CLDR plural category of `n`, as the browser's Intl.PluralRules names it."""
    if locale == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    return "one" if n == 1 else "other"


def format_number(locale: str, n: int) -> str:
    grouped = f"{n:,}"
    # Russian and Kazakh group digits with a non-breaking space, as Intl.NumberFormat does.
    return grouped if locale == "en" else grouped.replace(",", "\u00a0")


def format_date(locale: str, day: date | str) -> str:
    if isinstance(day, str):  # an ISO timestamp, as the wall's entries carry it
        day = date.fromisoformat(day[:10])
    return day.strftime("%-d %b %Y") if locale == "en" else day.strftime("%d.%m.%Y")


def count_text(locale: str, n: int) -> str:
    """Return "1 signature", "5 подписей"...: the count with its word in `locale`."""
    forms = messages(locale)["petition"]["count"]
    form = forms.get(plural_category(locale, n), forms["other"])
    return str(form.format(count=format_number(locale, n)))
