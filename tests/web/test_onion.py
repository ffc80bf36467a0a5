"""UNDERSIGN_ONION_URL: the same service as a Tor onion service, offered on every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from undersign.core.config import ConfigError
from undersign.core.db import database
from undersign.mail.worker import deliver_due

from tests.conftest import FORM_TOKEN, SMTPServer, create_petition, make_app

ONION = "http://undersignexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxx.onion"


@pytest.fixture
def onion_app(database_url: str, smtp: SMTPServer, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(
        database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, ONION_URL=ONION + "/"
    )
    create_petition(app)
    yield app
    database(app).engine.dispose()


def test_every_page_names_its_onion_address(onion_app: Flask) -> None:
    client = onion_app.test_client()
    for path in ("/", "/p/test-petition?lang=kk&page=2", "/p/test-petition/privacy", "/nowhere"):
        page = client.get(path)
        assert page.mimetype == "text/html"
        assert page.headers["Onion-Location"] == ONION + path, path
    # Data is not a page: Tor Browser reads the header on pages only.
    assert "Onion-Location" not in client.get("/api/v1/petitions/test-petition").headers


def test_the_onion_itself_does_not_point_to_itself(onion_app: Flask) -> None:
    client = onion_app.test_client()
    page = client.get("/p/test-petition", base_url=ONION)
    assert page.status_code == 200
    assert "Onion-Location" not in page.headers


def test_without_the_setting_no_page_names_an_onion(app: Flask, petition: str) -> None:
    assert "Onion-Location" not in app.test_client().get(f"/p/{petition}").headers


def test_the_plain_form_signs_on_the_onion(onion_app: Flask) -> None:
    """A browser on the onion names the onion as the form's Origin: ours too, not another site."""
    client = onion_app.test_client()
    page = client.get("/p/test-petition?lang=en", base_url=ONION)
    token = FORM_TOKEN.search(page.text)
    assert token
    fields = {
        "name": "Aigerim Bekova",
        "email": "aigerim@example.org",
        "country": "KZ",
        "form_token": token.group(1),
    }
    signed = client.post(
        "/p/test-petition?lang=en", data=fields, base_url=ONION, headers={"Origin": ONION}
    )
    assert signed.status_code == 202
    elsewhere = client.post(
        "/p/test-petition?lang=en",
        data=fields,
        base_url=ONION,
        headers={"Origin": "http://evil.onion"},
    )
    assert elsewhere.status_code == 403


@pytest.mark.parametrize(
    "wrong", ["https://example.org", "http://abc.onion/path", "abc.onion", "ftp://abc.onion"]
)
def test_an_onion_url_that_is_not_one_stops_the_service(tmp_path: Path, wrong: str) -> None:
    with pytest.raises(ConfigError, match="UNDERSIGN_ONION_URL"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path, ONION_URL=wrong)


def _links(smtp: SMTPServer, address: str) -> list[str]:
    (email,) = smtp.mailbox.to(address)
    return re.findall(
        r"https?://\S+?/(?:verify|withdraw|p)/\S+", email.get_body(("plain",)).get_content()
    )


def test_a_signer_on_the_onion_gets_links_back_to_the_onion(onion_app: Flask, smtp: SMTPServer):
    client = onion_app.test_client()
    person = {"name": "Aigerim Bekova", "country": "KZ"}
    sign = "/api/v1/petitions/test-petition/signatures"
    assert (
        client.post(sign, json={**person, "email": "tor@example.org"}, base_url=ONION).status_code
        == 202
    )
    assert client.post(sign, json={**person, "email": "web@example.org"}).status_code == 202
    assert deliver_due(onion_app) == 2
    onion_links = _links(smtp, "tor@example.org")
    assert onion_links and all(link.startswith(ONION + "/") for link in onion_links)
    web_links = _links(smtp, "web@example.org")
    assert web_links and all(link.startswith("http://localhost/") for link in web_links)
    # The onion's link confirms there, as any other.
    token = onion_links[0].rpartition("/")[2]
    assert client.post(f"/verify/{token}", base_url=ONION).status_code == 200
