"""frontend/locales/*.json: every language says everything English does, and no number is
shown without the plural rule of the words it counts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from undersign.core import i18n
from undersign.core.i18n import LOCALES, plural_categories
from undersign.web import pages

FRONTEND = i18n.frontend_dir()
TEMPLATES = Path(pages.__file__).parents[1] / "templates"
# The placeholders a number fills.
NUMBERS = {"count", "goal", "days", "max", "first", "total", "n"}
# Languages whose nouns change with the number before them: "1 signature", "2 подписи",
# "5 подписей". Kazakh keeps the noun singular after any numeral ("5 қолтаңба").
NOUNS_AGREE = {"en", "ru"}
CLDR_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


def load(locale: str) -> dict[str, Any]:
    return json.loads((FRONTEND / "locales" / f"{locale}.json").read_text("utf-8"))  # type: ignore[no-any-return]


def is_plural(value: Any) -> bool:
    """A plural object: texts keyed by CLDR categories, "other" among them."""
    return isinstance(value, dict) and "other" in value and set(value) <= CLDR_CATEGORIES


def strings(tree: dict[str, Any], path: str = "") -> Iterator[tuple[str, str]]:
    """Yield (dotted key, text) for every text outside a plural object."""
    for key, value in tree.items():
        if is_plural(value):
            continue
        if isinstance(value, dict):
            yield from strings(value, f"{path}{key}.")
        elif isinstance(value, str):
            yield f"{path}{key}", value


def differences(english: Any, other: Any, locale: str, path: str = "") -> Iterator[str]:
    """Yield what `other` lacks of `english`, plural objects checked against `locale`'s rules."""
    if is_plural(english):
        if not is_plural(other):
            yield f"{path}: a plural object in English, not here"
            return
        for category in sorted(plural_categories(locale) - set(other)):
            yield f"{path}: no '{category}' form"
        return
    if isinstance(english, dict):
        if not isinstance(other, dict):
            yield f"{path}: a group in English, not here"
            return
        for key, value in english.items():
            where = f"{path}.{key}" if path else key
            if key not in other:
                yield f"{where}: missing"
            else:
                yield from differences(value, other[key], locale, where)


@pytest.mark.parametrize("locale", [name for name in LOCALES if name != "en"])
def test_every_english_key_is_in_every_language(locale: str) -> None:
    assert list(differences(load("en"), load(locale), locale)) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_objects_have_every_form_the_language_needs(locale: str) -> None:
    def plurals(tree: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, str]]]:
        for key, value in tree.items():
            if is_plural(value):
                yield path + key, value
            elif isinstance(value, dict):
                yield from plurals(value, f"{path}{key}.")

    lacking = {
        key: sorted(plural_categories(locale) - set(forms))
        for key, forms in plurals(load(locale))
        if plural_categories(locale) - set(forms)
    }
    assert lacking == {}


def test_a_plural_object_lacking_a_form_is_caught() -> None:
    """The check above sees a plural object apart from a group of keys, with the right rules."""
    assert is_plural(load("ru")["petition"]["count"])
    assert not is_plural(load("ru")["petition"])
    english = {"petition": load("en")["petition"]}
    two_forms = {"petition": {**load("ru")["petition"], "count": {"one": "…", "other": "…"}}}
    assert list(differences(english, two_forms, "ru")) == [
        "petition.count: no 'few' form",
        "petition.count: no 'many' form",
    ]
    assert list(differences(english, two_forms, "kk")) == []  # Kazakh needs only the two


# A number followed by a word counts that word, and needs a plural object, unless the word
# joins it to another number ("3 of 10", "3 из 10").
COUNTED_WORD = re.compile(r"\{(" + "|".join(NUMBERS) + r")\}\s*([^\W\d_]++)(?!\s*\{)")


def counted_outside_plurals(locale: str) -> list[str]:
    return [f"{key}: {text}" for key, text in strings(load(locale)) if COUNTED_WORD.search(text)]


@pytest.mark.parametrize("locale", sorted(NOUNS_AGREE))
def test_no_number_counts_a_word_outside_a_plural_object(locale: str) -> None:
    assert counted_outside_plurals(locale) == []


def test_the_number_rule_catches_a_missing_plural() -> None:
    assert COUNTED_WORD.search("The petition now has {count} confirmed signatures.")
    assert COUNTED_WORD.search("Ссылка действует {days} дней.")
    assert not COUNTED_WORD.search("Подписей: {count} из {goal}")
    assert not COUNTED_WORD.search("Goal: {goal}")


def scripts_and_templates() -> Iterator[tuple[Path, str]]:
    for path in [*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.txt"), *FRONTEND.rglob("*.js")]:
        yield path, path.read_text("utf-8")


def test_templates_and_scripts_never_format_a_plural_object_as_a_text() -> None:
    """`t.token.verified_body.format(...)` on a plural object, or `fill(t.x, …)` in a script,
    would show one form for every number: they must go through plural() / Intl.PluralRules."""
    english = load("en")

    def value(dotted: str) -> Any:
        found: Any = english
        for part in dotted.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return found

    misuse = [
        f"{path.name}: {key}"
        for path, text in scripts_and_templates()
        for key in re.findall(r"\bt\.([\w.]+)\.format\(|fill\(\s*t\.([\w.]+)\s*,", text)
        for key in [k for k in key if k]
        if is_plural(value(key))
    ]
    assert misuse == []


# --- the confirmation page, rendered for counts that take different words -------------------

CONFIRMED = {
    "en": {
        1: "1 confirmed signature.",
        2: "2 confirmed signatures.",
        5: "5 confirmed signatures.",
        21: "21 confirmed signatures.",
    },
    "ru": {
        1: "1 подтверждённая подпись.",
        2: "2 подтверждённые подписи.",
        5: "5 подтверждённых подписей.",
        21: "21 подтверждённая подпись.",
    },
    "kk": {
        1: "қолтаңбалар саны: 1.",
        2: "қолтаңбалар саны: 2.",
        5: "қолтаңбалар саны: 5.",
        21: "қолтаңбалар саны: 21.",
    },
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("n", [1, 2, 5, 21])
def test_the_confirmation_page_counts_in_words_that_fit(app: Flask, locale: str, n: int) -> None:
    result = SimpleNamespace(signature_count=n, withdraw_token="token")
    with app.test_request_context():
        html, _ = pages.render(
            "token_result.html",
            locale,
            outcome="verified",
            result=result,
            petition=SimpleNamespace(slug="demo"),
            title="Demo",
        )
    assert CONFIRMED[locale][n] in str(html)
