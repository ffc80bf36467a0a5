"""A language added in core/i18n.py (and its locale file) needs no template edited.

The language links and the page's Open Graph locale come from core/i18n.py: before, the
templates kept lists of three, and a fourth language had no link to itself and an empty
og:locale on every petition page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from undersign.core import i18n

TEMPLATES = Path(i18n.__file__).parents[1] / "templates"


@pytest.fixture
def german(app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """German, added as a new language is: a name in i18n.LANGUAGES and a locale file.

    Added once the app is made, as the modules that check their own lists at import see
    the three languages they were written for.
    """
    real = i18n.frontend_dir()
    locales = tmp_path / "frontend" / "locales"
    locales.mkdir(parents=True)
    for name in i18n.LOCALES:
        (locales / f"{name}.json").symlink_to(real / "locales" / f"{name}.json")
    (locales / "de.json").write_text('{"site": {"name": "Unterschreiben"}}', "utf-8")
    monkeypatch.setattr(i18n, "frontend_dir", lambda: tmp_path / "frontend")
    monkeypatch.setattr(i18n, "LANGUAGES", {**i18n.LANGUAGES, "de": "Deutsch"})
    monkeypatch.setattr(i18n, "LOCALES", (*i18n.LOCALES, "de"))
    i18n.messages.cache_clear()
    yield
    i18n.messages.cache_clear()  # no German left for the next test


@pytest.mark.usefixtures("german")
def test_a_petition_page_in_a_new_language_renders(client: FlaskClient, petition: str) -> None:
    page = client.get(f"/p/{petition}?lang=de")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Unterschreiben" in html  # the German file's words, English filling its gaps
    assert '<meta property="og:locale" content="de_DE">' in html
    assert re.search(r'hreflang="de"[^>]*>Deutsch</a>', html)


def test_the_open_graph_locales_are_the_ones_pages_have_always_named() -> None:
    assert [i18n.locale_with_region(name) for name in i18n.LOCALES] == ["en_GB", "ru_RU", "kk_KZ"]


@pytest.mark.parametrize("name", i18n.LANGUAGES.values())
def test_no_template_keeps_its_own_list_of_languages(name: str) -> None:
    holding = [p.name for p in TEMPLATES.rglob("*.html") if name in p.read_text("utf-8")]
    assert holding == []
