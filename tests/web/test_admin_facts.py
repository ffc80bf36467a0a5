"""/admin/facts.json hands the admin page what the server decides, so no script keeps a copy:
the languages (core/i18n.py) and the patterns of a slug and a partner code, which the
browser's `pattern` attribute must read exactly as Python does."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from undersign.campaigns.petitions import SLUG
from undersign.core import i18n
from undersign.core.validation import PARTNER_CODE

ADMIN_SCRIPTS = sorted((i18n.frontend_dir() / "admin").glob("*.js"))
PAGE_SCRIPTS = sorted((i18n.frontend_dir() / "js").glob("*.js"))

SAMPLES = {
    "slug": [
        "save-the-plant",
        "a",
        "7",
        "a" * 80,
        "a" * 81,
        "-plant",
        "plant-",
        "a--b",
        "Plant",
        "save_the_plant",
        "save the plant",
        "завод",
        "plant!",
    ],
    "partner_code": [
        "kz-union",
        "-",
        "-x-",
        "a" * 40,
        "a" * 41,
        "KZ-union",
        "kz_union",
        "kz union",
        "kz.union",
        "қаз",
    ],
}
PYTHON = {"slug": SLUG, "partner_code": PARTNER_CODE}
LOADER = re.compile(r"fetch\([^)]*locales/")


def test_the_page_is_told_the_languages_in_their_order(client: FlaskClient) -> None:
    languages = client.get("/admin/facts.json").get_json()["languages"]
    assert [(x["code"], x["name"]) for x in languages] == list(i18n.LANGUAGES.items())


def test_the_patterns_served_are_the_ones_the_server_matches_with(client: FlaskClient) -> None:
    patterns = client.get("/admin/facts.json").get_json()["patterns"]
    assert patterns == {name: pattern.pattern for name, pattern in PYTHON.items()}


def test_the_facts_are_asked_again_each_visit_and_unchanged_cost_a_304(
    client: FlaskClient,
) -> None:
    first = client.get("/admin/facts.json")
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/admin/facts.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ADMIN_SCRIPTS + PAGE_SCRIPTS, ids=lambda p: p.name)
def test_no_script_keeps_its_own_copy_of_a_fact(path: Any) -> None:
    text = path.read_text("utf-8")
    copies = [name for name in i18n.LANGUAGES.values() if f'"{name}"' in text]
    copies += [
        f"pattern {p.pattern}" for p in PYTHON.values() if p.pattern in text.replace("\\\\", "\\")
    ]
    copies += ["a loader of locale files"] * (path.name != "i18n.js" and bool(LOADER.search(text)))
    copies += ["a fill helper"] * (path.name != "fill.js" and "\\{(\\w+)\\}" in text)
    assert copies == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("name", PYTHON)
def test_the_browser_accepts_and_refuses_what_python_does(browser: Any, name: str) -> None:
    """An <input pattern> as /admin/ builds it, in Chromium (which compiles it with the v flag,
    where a pattern that does not compile leaves the field unchecked: every sample passes)."""
    page = browser.new_page()
    try:
        valid = page.evaluate(
            """([pattern, samples]) => samples.map((value) => {
                const input = document.createElement("input");
                input.pattern = pattern;
                input.value = value;
                return !input.validity.patternMismatch;
            })""",
            [PYTHON[name].pattern, SAMPLES[name]],
        )
    finally:
        page.close()
    python = [bool(PYTHON[name].fullmatch(s)) for s in SAMPLES[name]]
    assert dict(zip(SAMPLES[name], valid, strict=True)) == dict(
        zip(SAMPLES[name], python, strict=True)
    )
    assert not all(valid)  # some refused: the pattern compiled


@pytest.mark.parametrize("name", PYTHON)
def test_the_samples_hold_both_answers(name: str) -> None:
    assert {bool(PYTHON[name].fullmatch(s)) for s in SAMPLES[name]} == {True, False}
