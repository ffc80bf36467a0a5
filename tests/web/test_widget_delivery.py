"""How the widget reaches a partner's page: compressed once, cached long under its version,
and everything it shows in one answer after the script."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from undersign.core import i18n
from undersign.core.i18n import frontend_dir
from undersign.core.validation import MAX_LENGTH
from undersign.web import assets, pages

YEAR = "max-age=31536000"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def versioned(client: FlaskClient, path: str, version: str) -> Any:
    return client.get(f"{path}?v={version}", headers=GZIP)


def widget_version() -> str:
    return pages.widget_script().version


def served_widget() -> bytes:
    """Return widget.js as served: the file, with the words it needs when no data comes."""
    return pages.widget_script().body


def test_widget_js_comes_gzipped_and_unpacks_to_the_file(client: FlaskClient) -> None:
    answer = client.get("/widget.js", headers=GZIP)
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.mimetype == "text/javascript"
    on_disk = served_widget()
    assert gzip.decompress(answer.data) == on_disk
    assert len(answer.data) < len(on_disk) / 2
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "accept",
    ["", "identity", "gzip;q=0", "gzip;q=0, *", "*;q=0, identity", "br", "deflate, x-gzip;q=0"],
)
def test_a_client_that_refuses_gzip_gets_the_plain_file(client: FlaskClient, accept: str) -> None:
    answer = client.get("/widget.js", headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in answer.headers
    assert answer.data == served_widget()
    assert "Accept-Encoding" in answer.headers["Vary"]  # a cache must not hand this to others


@pytest.mark.parametrize("accept", ["gzip", "GZIP", "br;q=1, gzip;q=0.5", "*", "identity, *;q=0.1"])
def test_any_acceptance_of_gzip_gets_it(client: FlaskClient, accept: str) -> None:
    answer = client.get("/widget.js", headers={"Accept-Encoding": accept})
    assert answer.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("accept", ["gzip", "identity"])
def test_a_browser_that_has_the_file_gets_a_304(client: FlaskClient, accept: str) -> None:
    first = client.get("/widget.js", headers={"Accept-Encoding": accept})
    tag = first.headers["ETag"]
    assert not tag.startswith("W/")  # strong: these exact bytes
    again = client.get("/widget.js", headers={"Accept-Encoding": accept, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag


def test_each_encoding_has_a_tag_of_its_own(client: FlaskClient) -> None:
    packed = client.get("/widget.js", headers=GZIP).headers["ETag"]
    plain = client.get("/widget.js").headers["ETag"]
    assert packed != plain
    # A tag for the other encoding's bytes is no reason for a 304.
    assert client.get("/widget.js", headers={"If-None-Match": packed}).status_code == 200


def test_only_the_current_version_is_kept_a_year(client: FlaskClient) -> None:
    current = versioned(client, "/widget.js", widget_version())
    assert set(current.headers["Cache-Control"].split(", ")) == {"public", YEAR, "immutable"}
    # The snippet's own address: partners' pages get a new release within minutes.
    fixed = client.get("/widget.js", headers=GZIP)
    assert set(fixed.headers["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    # A page made before a release asks for the old version: the new bytes, kept briefly.
    stale = versioned(client, "/widget.js", "0123456789ab")
    assert set(stale.headers["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    assert stale.data == current.data == fixed.data


def test_the_embed_page_loads_the_widget_under_its_version(
    client: FlaskClient, petition: str
) -> None:
    page = client.get(f"/embed/{petition}?lang=ru")
    found = re.search(r'<script src="(/widget\.js\?v=(\w+))" defer>', page.text)
    assert found, "the embed page has no versioned widget.js"
    assert found.group(2) == widget_version()
    script = client.get(found.group(1), headers=GZIP)
    assert "immutable" in script.headers["Cache-Control"]
    assert YEAR in script.headers["Cache-Control"]


def test_an_edited_file_is_served_anew_with_a_new_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(assets, "frontend_dir", lambda: tmp_path)
    script = tmp_path / "widget.js"
    script.write_text("// one")
    before = assets.file("widget.js")
    script.write_text("// two, longer")
    after = assets.file("widget.js")
    assert gzip.decompress(after.gzipped) == b"// two, longer"
    assert after.version != before.version


def test_the_same_bytes_are_compressed_once(
    client: FlaskClient, petition: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets.encoded.cache_clear()
    assets._files.clear()
    calls: list[int] = []
    compress = gzip.compress

    def counted(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        calls.append(len(data))
        return compress(data, *args, **kwargs)

    monkeypatch.setattr(assets.gzip, "compress", counted)
    for path in ["/widget.js", "/locales/ru.json", f"/widget/{petition}.json?lang=kk"] * 3:
        assert client.get(path, headers=GZIP).headers["Content-Encoding"] == "gzip"
    assert len(calls) == 3  # once each, not once a request


# --- the words --------------------------------------------------------------------------


def test_the_words_come_gzipped_and_are_kept_a_year_under_their_version(
    client: FlaskClient,
) -> None:
    plain = client.get("/locales/ru.json", headers={"Accept-Language": "ru-RU"})
    packed = client.get("/locales/ru.json", headers={**GZIP, "Accept-Language": "ru-RU"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    vary = {value.strip() for value in packed.headers["Vary"].split(",")}
    assert {"Accept-Encoding", "Accept-Language"} <= vary
    assert "immutable" not in packed.headers["Cache-Control"]

    current = client.get(f"/locales/ru.json?v={pages.words_version()}", headers=GZIP)
    assert "immutable" in current.headers["Cache-Control"]
    assert YEAR in current.headers["Cache-Control"]
    stale = client.get("/locales/ru.json?v=0123456789ab", headers=GZIP)
    assert "immutable" not in stale.headers["Cache-Control"]
    assert stale.data == current.data


def test_the_words_keep_the_browsers_country_first(client: FlaskClient) -> None:
    in_kazakhstan = client.get("/locales/ru.json", headers={"Accept-Language": "ru-KZ,ru"})
    in_russia = client.get("/locales/ru.json", headers={"Accept-Language": "ru"})
    assert in_kazakhstan.json["countries"][0] == ["KZ", "Казахстан"]
    assert in_russia.json["countries"][0] == ["RU", "Россия"]
    assert in_kazakhstan.headers["ETag"] != in_russia.headers["ETag"]


# --- everything the widget shows, in one answer -----------------------------------------


def test_the_widget_gets_its_words_and_the_petition_in_one_answer(
    client: FlaskClient, petition: str
) -> None:
    answer = client.get(f"/widget/{petition}.json?lang=kk", headers=GZIP)
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    data = json.loads(gzip.decompress(answer.data))  # as the browser unpacks it
    words, shown = data["words"], data["petition"]
    assert words["locale"] == "kk"
    assert words["form"]["submit"] == i18n.messages("kk")["form"]["submit"]
    assert words["widget"]["load_failed"] == i18n.messages("kk")["widget"]["load_failed"]
    assert words["privacy"] == {"link": i18n.messages("kk")["privacy"]["link"]}
    assert words["limits"] == MAX_LENGTH and words["locales"] == list(i18n.LOCALES)
    assert words["countries"][0] == ["KZ", "Қазақстан"]
    assert "admin" not in words and "mail" not in words  # only what the widget says
    assert shown["slug"] == petition and shown["signature_count"] == 0 and shown["goal"] == 100
    # Asked again every time: a petition closed a moment ago must show closed on a reload.
    assert set(answer.headers["Cache-Control"].split(", ")) == {"public", "max-age=0"}
    vary = {value.strip() for value in answer.headers["Vary"].split(",")}
    assert {"Accept-Encoding", "Accept-Language"} <= vary


def test_the_widget_gets_every_word_its_code_says(client: FlaskClient, petition: str) -> None:
    code = (frontend_dir() / "widget.js").read_text("utf-8")
    sections = {*i18n.messages("en"), "limits"}
    used = {pair for pair in re.findall(r"\bt\.([a-z_]+)\.([a-z_]+)", code) if pair[0] in sections}
    assert ("form", "submit") in used and ("widget", "load_failed") in used  # the pattern works
    for lang in i18n.LOCALES:
        words = client.get(f"/widget/{petition}.json?lang={lang}").json["words"]
        missing = {(section, key) for section, key in used if key not in words.get(section, {})}
        assert not missing, f"widget.js says words its data lacks in {lang}: {missing}"


@pytest.mark.parametrize(
    ("lang", "accept", "chosen", "first"),
    [
        ("auto", "ru-KZ,ru;q=0.9", "ru", "KZ"),
        ("auto", "de-DE,kk;q=0.5", "kk", "KZ"),
        ("auto", "", "en", "US"),
        ("de", "ru", "ru", "RU"),
        ("en", "ru-RU", "en", "US"),
    ],
)
def test_the_service_chooses_the_widgets_language_and_likeliest_country(
    client: FlaskClient, petition: str, lang: str, accept: str, chosen: str, first: str
) -> None:
    answer = client.get(f"/widget/{petition}.json?lang={lang}", headers={"Accept-Language": accept})
    assert answer.json["words"]["locale"] == chosen
    assert answer.json["words"]["countries"][0][0] == first


def test_an_unknown_petition_is_a_404_that_still_brings_the_words(client: FlaskClient) -> None:
    answer = client.get("/widget/no-such-petition.json?lang=ru")
    assert answer.status_code == 404
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.json["error"]["code"] == "not_found"
    assert (
        answer.json["words"]["widget"]["load_failed"]
        == (i18n.messages("ru")["widget"]["load_failed"])
    )


def test_the_widget_data_answers_304_while_nothing_changed(
    client: FlaskClient, petition: str
) -> None:
    first = client.get(f"/widget/{petition}.json?lang=en", headers=GZIP)
    again = client.get(
        f"/widget/{petition}.json?lang=en", headers={**GZIP, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
