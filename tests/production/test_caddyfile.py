"""deploy/Caddyfile sets no header the app sets: each has one value, the app's.

Caddy's `header` directive replaces what the app sent, so a Strict-Transport-Security
written there would win over web/headers.HSTS in the shipped stack, unseen by every test
of the app. No Caddy runs where the tests run, so the file is read, not started.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from undersign.core.db import database
from undersign.web import headers

from tests.conftest import make_app
from tests.production.test_compose import env_file

ROOT = Path(__file__).parents[2]
CADDYFILE = ROOT / "deploy" / "Caddyfile"
# What the app sets on its answers (web/headers.py), by lower-case name.
THE_APPS = {
    name.lower()
    for name in [
        *headers.PAGE,
        *headers.TOKEN_PAGE,
        *headers.ADMIN,
        "X-Content-Type-Options",
        "Strict-Transport-Security",
    ]
}
MATCHER_START = ("/", "@", "*")


def caddy_sets(caddyfile: str) -> dict[str, str]:
    """Return the response headers a Caddyfile sets, adds or defaults, by lower-case name.

    Read: `header [matcher] FIELD [VALUE]`, `header [matcher] { FIELD [VALUE] ... }` and
    reverse_proxy's `header_down FIELD [VALUE]`; a leading -, which deletes, sets nothing.
    """
    found: dict[str, str] = {}
    in_block = False

    def field(words: list[str]) -> None:
        if words and words[0] not in ("{", "}") and not words[0].startswith("-"):
            found[words[0].lstrip("+?>").lower()] = " ".join(words[1:])

    for line in caddyfile.splitlines():
        words = shlex.split(line.partition("#")[0])
        if in_block:
            in_block = words != ["}"]
            field(words)
        elif words[:1] == ["header"]:
            rest = words[1:]
            if rest[:1] and rest[0].startswith(MATCHER_START):
                rest = rest[1:]
            in_block = rest == ["{"]
            field(rest)
        elif words[:1] == ["header_down"]:
            field(words[1:])
    return found


def test_caddy_sets_no_header_the_app_sets() -> None:
    assert set(caddy_sets(CADDYFILE.read_text())) & THE_APPS == set()


@pytest.mark.parametrize(
    "caddyfile",
    [
        'x {\n\theader {\n\t\tStrict-Transport-Security "max-age=31536000"\n\t\t-Server\n\t}\n}',
        'x {\n\theader Strict-Transport-Security "max-age=31536000"\n}',
        'x {\n\theader /p/* >Strict-Transport-Security "max-age=31536000"\n}',
        "x {\n\treverse_proxy app:8000 {\n"
        '\t\theader_down Strict-Transport-Security "max-age=31536000"\n\t}\n}',
    ],
)
def test_the_reading_finds_an_hsts_written_in_any_form(caddyfile: str) -> None:
    """The one the shipped Caddyfile had (it replaced the app's), and the other spellings."""
    assert caddy_sets(caddyfile) == {"strict-transport-security": "max-age=31536000"}


def test_a_deleted_header_is_not_a_set_one() -> None:
    assert caddy_sets("x {\n\theader -Server\n\theader {\n\t\t-Via\n\t}\n}") == {}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_behind_caddy_the_app_sends_its_own_hsts(database_url: str, tmp_path: Path) -> None:
    """Caddy says X-Forwarded-Proto: https; the app trusts one proxy, as .env.example says."""
    proxies = int(env_file(ROOT / ".env.example")["UNDERSIGN_TRUSTED_PROXIES"])
    app = make_app(database_url, tmp_path, TRUSTED_PROXIES=proxies)
    answer = app.test_client().get(
        "/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    )
    assert answer.headers["Strict-Transport-Security"] == headers.HSTS
    database(app).engine.dispose()
