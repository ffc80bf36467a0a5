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


# --- typography a native editor checks (the language review's rules) ------------------------
# Russian and Kazakh: the locale files and the demo appeal, which `make run` shows everyone.

NBSP = "\u00a0"


def russian_and_kazakh() -> Iterator[tuple[str, str, str]]:
    """Yield (language, where, text) for every ru and kk text, plural forms and the demo's too."""
    from undersign.campaigns import demo

    def every(tree: dict[str, Any], path: str = "") -> Iterator[tuple[str, str]]:
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from every(value, f"{path}{key}.")
            elif isinstance(value, str):
                yield f"{path}{key}", value

    for locale in ("ru", "kk"):
        for key, text in every(load(locale)):
            yield locale, key, text
        for field, text in demo.TEXTS[locale].items():
            yield locale, f"demo.{field}", text


# "Я подписал(а)", "подписавший(ая)", "подписал/а": first person past tense is gendered in
# Russian; write around it ("Моя подпись уже стоит…", "Вы подписали…") instead.
GENDER_BRACKETS = re.compile(r"\w\((?:а|ла|ая|яя|ой|ый|ий|на|ёл)\)|\w/(?:а|ая|на)\b")


def gender_brackets(text: str) -> bool:
    return bool(GENDER_BRACKETS.search(text))


def dashes_without_a_no_break_space(text: str) -> list[str]:
    """Each em dash that a line could start with (no U+00A0 before it), with its neighbours."""
    return [
        text[max(0, i - 8) : i + 3]
        for i, character in enumerate(text)
        if character == "—" and (i == 0 or text[i - 1] != NBSP)
    ]


def misnested_quotes(text: str) -> str | None:
    """Say what breaks «…„…“…»: «» inside «», „“ outside «», or marks that do not pair up."""
    outer = inner = 0
    for character in text:
        if character == "«":
            if outer:
                return "«» inside «»: the inner ones are „“"
            outer += 1
        elif character == "»":
            if not outer or inner:
                return "» without its «"
            outer -= 1
        elif character == "„":
            if not outer or inner:
                return "„“ outside «» (or inside „“)"
            inner += 1
        elif character == "“":
            if not inner:
                return "“ without its „"
            inner -= 1
    return "unclosed quotation marks" if outer or inner else None


CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z]")


def mixed_script_words(text: str) -> list[str]:
    """Words spelt with Latin look-alikes among Cyrillic letters (a Latin "а" or "і" in "қала")."""
    return [w for w in re.findall(r"\w+", text) if CYRILLIC.search(w) and LATIN.search(w)]


def test_no_russian_or_kazakh_text_writes_gender_in_brackets() -> None:
    assert [
        f"{lc} {key}: {text}" for lc, key, text in russian_and_kazakh() if gender_brackets(text)
    ] == []


def test_a_line_never_starts_with_a_dash() -> None:
    """An em dash between parts of a sentence has a no-break space before it (U+00A0)."""
    found = [
        f"{lc} {key}: {spots}"
        for lc, key, text in russian_and_kazakh()
        if (spots := dashes_without_a_no_break_space(text))
    ]
    assert found == []


def test_quotation_marks_nest_as_russian_and_kazakh_write_them() -> None:
    found = [
        f"{lc} {key}: {problem}"
        for lc, key, text in russian_and_kazakh()
        if (problem := misnested_quotes(text))
    ]
    assert found == []


def test_no_word_mixes_latin_letters_into_cyrillic() -> None:
    found = [
        f"{lc} {key}: {words}"
        for lc, key, text in russian_and_kazakh()
        if (words := mixed_script_words(text))
    ]
    assert found == []


def test_the_typography_checks_catch_what_the_review_found() -> None:
    """Each check fails on the text the language review quoted, and passes its correction."""
    assert gender_brackets("Я подписал(а) петицию «{title}».")
    assert gender_brackets("Каждый подписавший(ая) получит письмо")
    assert not gender_brackets("Моя подпись уже стоит под петицией «{title}». Подпишите и вы!")
    assert not gender_brackets("Сатпаев (Казахстан)")
    assert dashes_without_a_no_break_space("ваши данные — только если")
    assert not dashes_without_a_no_break_space(f"ваши данные{NBSP}— только если")
    assert misnested_quotes("«Сохраним завод: национализация, а не «консервация»»")
    assert misnested_quotes("петиция „консервация“")
    assert misnested_quotes("«не закрыта")
    assert misnested_quotes("«Сохраним завод: национализация, а не „консервация“»") is None
    assert mixed_script_words("Жезқазған қaла")  # a Latin "a" in "қала"
    assert not mixed_script_words("POST-запрос, X-Undersign-Signature")


def test_russian_country_names_are_spelt_out_with_yo_and_no_spaced_hyphens() -> None:
    """A picker has no "о-ва" or "Св.", writes ё ("Соединённые"), no "Конго - Киншаса"."""
    names = i18n.country_names("ru")
    assert [n for n in names.values() if re.search(r"\bо-в|\bСв\.|\(САР\)", n)] == []
    assert [n for lc in ("ru", "kk") for n in i18n.country_names(lc).values() if " - " in n] == []
    assert names["US"] == "США" and names["KY"] == "Каймановы острова"
    kazakh = i18n.country_names("kk")
    assert (kazakh["AT"], kazakh["AU"], kazakh["CD"]) == (
        "Австрия",
        "Австралия",
        "Конго Демократиялық Республикасы",
    )


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_thousands_are_grouped_with_a_no_break_space(locale: str) -> None:
    assert i18n.format_number(locale, 10_000) == f"10{NBSP}000"
    assert i18n.format_number(locale, 1_234_567) == f"1{NBSP}234{NBSP}567"


# --- titles quoted in a sentence: «…„…“…» wherever a text puts one in «…» -------------------

# Where a script fills {title} into a text that puts it in «…», the title's own quotation
# marks must become the inner ones (innerQuotes), as the server's i18n.inner_quotes does.
FILLED_TITLE = re.compile(
    r"""(?:\bt\(\s*"([\w.]+)"|fill\(\s*t\.([\w.]+))\s*,\s*\{\s*title:\s*([^,}]+?)\s*[,}]"""
)


def titles_quoted_as_they_are() -> list[str]:
    russian = load("ru")

    def quotes_title(dotted: str, tree: dict[str, Any]) -> bool:
        found: Any = tree
        for part in dotted.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return isinstance(found, str) and "«{title}»" in found

    return [
        f"{path.name}: {key or fill_key} ← {value}"
        for path, text in scripts_and_templates()
        if path.suffix == ".js"
        for key, fill_key, value in FILLED_TITLE.findall(text)
        # the admin's t() reads its own "admin" block; fill(t.…) in the widget, the whole file
        if quotes_title(key, russian["admin"]) or quotes_title(fill_key, russian)
        if not value.startswith("innerQuotes(")
    ]


def test_scripts_that_quote_a_title_nest_its_quotation_marks() -> None:
    assert titles_quoted_as_they_are() == []


def test_the_title_rule_sees_the_places_that_quote_a_title() -> None:
    found = FILLED_TITLE.findall(
        "fill(t.share.invitation, { title: petition.title }); "
        't("petitions.confirm_close", { title: p.title })'
    )
    assert [(k or f, v) for k, f, v in found] == [
        ("share.invitation", "petition.title"),
        ("petitions.confirm_close", "p.title"),
    ]
