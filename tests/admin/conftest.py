"""Fixtures for organisers: tokens, an API helper that sends them, and a live server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from undersign.core import auth
from undersign.core.db import database
from werkzeug.test import TestResponse

from tests.conftest import serve


def make_token(app: Flask, name: str, partner: str | None = None) -> str:
    """Create a token the way `undersign token create` does; return it."""
    with database(app).sessions() as session:
        return auth.create(session, name, partner, by=auth.CLI)


class OrganiserAPI:
    """Calls the organiser API with one token, as an organiser's script would."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client, self.token = client, token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **query: Any) -> TestResponse:
        return self.client.get(f"/api/v1/admin{path}", query_string=query, headers=self.headers())

    def post(self, path: str, body: dict[str, Any] | None = None) -> TestResponse:
        return self.client.post(f"/api/v1/admin{path}", json=body or {}, headers=self.headers())

    def patch(self, path: str, body: dict[str, Any]) -> TestResponse:
        return self.client.patch(f"/api/v1/admin{path}", json=body, headers=self.headers())

    def delete(self, path: str) -> TestResponse:
        return self.client.delete(f"/api/v1/admin{path}", headers=self.headers())

    def signatures(self, slug: str, **query: Any) -> list[dict[str, Any]]:
        response = self.get(f"/petitions/{slug}/signatures", **query)
        assert response.status_code == 200, response.json
        return response.json["signatures"]  # type: ignore[no-any-return]

    def signature_id(self, slug: str, email: str) -> int:
        (found,) = self.signatures(slug, q=email)
        return int(found["id"])


@pytest.fixture
def organiser(app: Flask, client: FlaskClient) -> OrganiserAPI:
    """An organiser with a full token."""
    return OrganiserAPI(client, make_token(app, "campaign-office"))


@pytest.fixture
def as_partner(app: Flask, client: FlaskClient) -> Callable[[str], OrganiserAPI]:
    """Make a partner's API helper: `as_partner("kz-union")`."""

    def make(source: str) -> OrganiserAPI:
        return OrganiserAPI(client, make_token(app, f"partner-{source}", partner=source))

    return make


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app over real HTTP on loopback; yields its origin."""
    server, url = serve(app)
    yield url
    server.shutdown()
