"""The reader's language: per-locale text from frontend/locales/*.json, choosing a language,
and the locale rules for country names, plurals, numbers and dates (CLDR, through Babel) and
for alphabetical order (the Unicode Collation Algorithm, through pyuca)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast

import pycountry
import pyuca
from babel import Locale
from babel.core import get_global
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

# The languages Undersign speaks, each named in itself, in the order the pickers list them:
# pages, emails, the widget, the API and /admin/ (through /admin/facts.json) all take them
# from here. A new language is a line here and a frontend/locales/ file.
LANGUAGES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
LOCALES = tuple(LANGUAGES)
DEFAULT_LOCALE = "en"

# The CLDR locale behind each language's numbers and dates: Undersign's English is British.
CLDR_LOCALES = {"en": "en_GB", "ru": "ru", "kk": "kk"}


def frontend_dir() -> Path:
    """Return the frontend folder: inside the wheel, or beside the package in a checkout."""
    packaged = Path(__file__).parents[1] / "frontend"
    return packaged if packaged.is_dir() else Path(__file__).parents[3] / "frontend"


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


def cldr(locale: str) -> Locale:
    """Return Babel's CLDR data for one of LOCALES."""
    return Locale.parse(CLDR_LOCALES.get(locale, locale))


@cache
def locale_with_region(locale: str) -> str:
    """Return the language with its country, as Open Graph names a locale: en_GB, ru_RU, kk_KZ.

    The country is the CLDR locale's own where it names one (Undersign's English is British),
    else the one CLDR thinks likeliest for the language.
    """
    region = cldr(locale).territory or likely_country(locale)
    return f"{locale}_{region}" if region else locale


# Where CLDR's name is not the one readers here use (CLDR keeps "Киргизия" and the formal
# "Республика Корея"; in Kazakhstan, Russian says "Кыргызстан", and everyday Russian "Южная Корея").
# A picker spells words out (CLDR's Russian abbreviates "о-ва", "о-в Св. Елены"), writes ё
# ("Соединенные Штаты") and names the everyday state ("ДР Конго", "Гонконг", Kazakh "Австрия"
# rather than "Аустрия"). Typed-in paper lists still read CLDR's own names (campaigns/paper.py).
NAME_OVERRIDES = {
    "ru": {
        "KG": "Кыргызстан",
        "KR": "Южная Корея",
        "US": "США",
        "AX": "Аландские острова",
        "BM": "Бермудские острова",
        "BV": "Остров Буве",
        "CC": "Кокосовые острова",
        "CK": "Острова Кука",
        "CX": "Остров Рождества",
        "FK": "Фолклендские острова",
        "FO": "Фарерские острова",
        "GS": "Южная Георгия и Южные Сандвичевы острова",
        "HM": "Острова Херд и Макдональд",
        "IM": "Остров Мэн",
        "KY": "Каймановы острова",
        "MH": "Маршалловы Острова",  # a state: capital О
        "MP": "Северные Марианские острова",
        "NF": "Остров Норфолк",
        "PN": "Острова Питкэрн",
        "SB": "Соломоновы Острова",
        "SC": "Сейшельские Острова",
        "SH": "Остров Святой Елены",
        "UM": "Внешние малые острова США",
        "VG": "Британские Виргинские острова",
        "VI": "Виргинские острова (США)",
        "TC": "Острова Тёркс и Кайкос",
        "CD": "ДР Конго",
        "CG": "Республика Конго",
        "HK": "Гонконг",
        "MO": "Макао",
    },
    "kk": {
        "AT": "Австрия",
        "AU": "Австралия",
        "HK": "Гонконг",
        "MO": "Макао",
        "CD": "Конго Демократиялық Республикасы",
        "CG": "Конго Республикасы",
        "PH": "Филиппин",
        "ZA": "Оңтүстік Африка Республикасы",
    },
}


@cache
def country_names(locale: str) -> dict[str, str]:
    """Return every ISO 3166-1 country's everyday name in `locale`, by code (CLDR's, see below)."""
    names = {**cldr(locale).territories, **NAME_OVERRIDES.get(locale, {})}
    return {c.alpha_2: names.get(c.alpha_2, c.name) for c in pycountry.countries}


@cache
def countries(locale: str) -> list[tuple[str, str]]:
    """Return (code, name) for every ISO 3166-1 country, in `locale`'s everyday names and order.

    The codes are pycountry's (the ones validation accepts); the names are CLDR's, which
    are the short everyday ones ("Russia", not "Russian Federation").
    """
    key = collation_key(locale)
    return sorted(country_names(locale).items(), key=lambda pair: key(pair[1]))


def country_choices(locale: str, accepted: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Return `countries(locale)` with the reader's likeliest country moved to the top."""
    first = likely_country(locale, accepted)
    listed = countries(locale)
    return [pair for pair in listed if pair[0] == first] + [p for p in listed if p[0] != first]


def likely_country(locale: str, accepted: Iterable[str] = ()) -> str | None:
    """Guess the reader's country: the region their browser names for this language, else
    the language's likeliest one in CLDR (kk: KZ, ru: RU).

    A Russian reader in Kazakhstan whose browser says "ru-KZ" gets Kazakhstan; one whose
    browser says only "ru" gets Russia, the likeliest guess with nothing more to go on.
    """
    for tag in accepted:
        language, _, region = tag.replace("_", "-").partition("-")
        if language.lower() == locale and len(region) == 2 and region.isalpha():
            return region.upper()
    likely = get_global("likely_subtags").get(locale)
    return Locale.parse(likely).territory if likely else None


# Languages whose readers live, nearly all, in one country: their pages may choose it for them.
# Not Russian or English: a guess of Russia or the United States would be wrong more than right.
ONE_COUNTRY_LANGUAGES = {"kk": "KZ"}


def preselected_country(locale: str, accepted: Iterable[str] = ()) -> str | None:
    """Return the country a form may choose before the reader does, or None to leave it empty.

    Only when the guess is good: the browser names a region for the page's language
    ("ru-KZ" on a Russian page), or the language is one country's (a Kazakh page: KZ).
    """
    for tag in accepted:
        language, _, region = tag.replace("_", "-").partition("-")
        if language.lower() == locale and len(region) == 2 and region.isalpha():
            return region.upper()
    return ONE_COUNTRY_LANGUAGES.get(locale)


# Kazakh letters the Unicode default order (DUCET) puts elsewhere than the Kazakh alphabet
# does, each with the letter it follows and by how much (CLDR's Kazakh tailoring):
# Ё is a letter of its own after Е, Ү comes after Ұ, and І between Ы and Ь.
KAZAKH_TAILORING = (("ё", "е", 0.5), ("ү", "ұ", 0.5), ("і", "ь", -0.5))


@cache
def _collator(locale: str) -> pyuca.Collator:
    collator = pyuca.Collator()
    if locale == "kk":
        for letter, anchor, shift in KAZAKH_TAILORING:
            for case in (str.lower, str.upper):
                _place(collator, case(letter), case(anchor), shift)
    return collator


def _place(collator: pyuca.Collator, letter: str, anchor: str, shift: float) -> None:
    """Give `letter` the weights of `anchor`, its first (primary) weight moved by `shift`:
    strictly between `anchor` and its neighbour, since DUCET's primaries are whole numbers."""
    (primary, *rest), *more = collator.collation_elements(unicodedata.normalize("NFD", anchor))
    key = [ord(c) for c in unicodedata.normalize("NFD", letter)]
    collator.table.add(key, [[primary + shift, *rest], *more])


def collation_key(locale: str) -> Callable[[str], tuple[float, ...]]:
    """Return a sort key for text in `locale`'s alphabetical order (Unicode collation)."""
    collator = _collator("kk" if locale == "kk" else "root")  # one table for the untailored
    return cast(Callable[[str], tuple[float, ...]], collator.sort_key)


def plural_category(locale: str, n: int) -> str:
    """Return the CLDR plural category of `n`, as the browser's Intl.PluralRules names it."""
    return str(cldr(locale).plural_form(n))


def plural_categories(locale: str) -> set[str]:
    """Return the plural categories `locale` tells apart among whole numbers ("other" always)."""
    return set(cldr(locale).plural_form.tags) | {"other"}


def format_number(locale: str, n: int) -> str:
    """Return `n` with the language's digit grouping ("12,345", "12 345")."""
    return format_decimal(n, locale=cldr(locale))


@cache
def month_names(locale: str) -> dict[str, list[str]]:
    """Return the months as a day's date names them ("6 декабря", "6 желтоқсан"), January first.

    "long" and "short" ("6 дек.", "6 жел."), from CLDR: /admin/ writes days with them, since
    browsers' trimmed locale data may know no Kazakh month ("M12 6").
    """
    months = cldr(locale).months["format"]
    return {
        "long": [months["wide"][n] for n in range(1, 13)],
        "short": [months["abbreviated"][n] for n in range(1, 13)],
    }


# CLDR's long Kazakh date abbreviates the year ("2026 ж. 30 қараша"); in running text Kazakh
# writes it out: "2026 жылғы 30 қараша".
DATE_PATTERNS = {"kk": "y 'жылғы' d MMMM"}


def format_date(locale: str, day: date | str) -> str:
    """Return a date in words: "30 November 2026", "30 ноября 2026 г.", "2026 жылғы 30 қараша"."""
    if isinstance(day, str):  # an ISO timestamp, as the wall's entries carry it
        day = date.fromisoformat(day[:10])
    return babel_format_date(day, DATE_PATTERNS.get(locale, "long"), locale=cldr(locale))


def plural(locale: str, forms: Mapping[str, str] | str, n: int, name: str = "count") -> str:
    """Return the form of `forms` (CLDR categories to texts) that fits `n`, with `n` put in.

    `name` is the placeholder the number fills ({count}, {days}, {max}).
    """
    if isinstance(forms, str):
        text = forms
    else:
        text = forms.get(plural_category(locale, n), forms["other"])
    return text.replace("{" + name + "}", format_number(locale, n))


def count_text(locale: str, n: int) -> str:
    """Return "1 signature", "5 подписей"...: the count with its word in `locale`."""
    return plural(locale, messages(locale)["petition"]["count"], n)


# The quotation marks each language nests inside its own: a title holding «…» that a sentence
# puts in «…» reads «…„…“…» in Russian and Kazakh, and “…‘…’…” in English.
INNER_QUOTES = {
    "en": str.maketrans("“”", "‘’"),
    "ru": str.maketrans("«»", "„“"),
    "kk": str.maketrans("«»", "„“"),
}


def inner_quotes(locale: str, text: str) -> str:
    """Return `text` with its quotation marks made the inner ones, for quoting it whole."""
    return text.translate(INNER_QUOTES.get(locale, {}))
