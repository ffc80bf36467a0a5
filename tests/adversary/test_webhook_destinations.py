"""An organiser's or a partner's token cannot point a webhook into the server's own network.

Tried by an adversary: loopback and its disguises, the cloud's metadata address, a name
that resolves inside, and an outside endpoint that redirects inside. Each would have had
signer data POSTed to what only the server can reach.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from undersign.core.db import database
from undersign.core.models import Petition, Webhook

from tests.admin.conftest import OrganiserAPI, make_token
from tests.admin.test_webhooks import receiving
from tests.conftest import Signer, create_petition, make_app

INSIDE = [
    "http://127.0.0.1:9/in", "http://[::1]/in", "http://0.0.0.0/in", "http://localhost/in",
    "http://2130706433/in", "http://127.1/in", "http://[::ffff:127.0.0.1]/in",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/in", "http://[fd00::5]/in",
]  # fmt: skip


@pytest.fixture
def organiser(app, client) -> OrganiserAPI:
    return OrganiserAPI(client, make_token(app, "campaign-office"))


@pytest.mark.parametrize("url", INSIDE)
def test_a_webhook_inside_the_network_is_refused_and_nothing_stored(organiser, petition, url):
    answer = organiser.post("/webhooks", {"url": url, "petition": petition})
    assert answer.status_code == 422
    assert "public internet" in str(answer.json)
    assert organiser.get("/webhooks").json["webhooks"] == []


def store_hook(app, url: str) -> None:
    """A webhook as if made while its host was outside (or allowed): straight into the table."""
    with database(app).sessions() as session:
        petition = session.scalars(select(Petition)).one()
        session.add(Webhook(url=url, secret="s" * 64, petition=petition))
        session.commit()


def test_a_name_that_resolves_inside_is_not_delivered_to(app, signer, petition):
    with receiving() as inside:
        # "localhost" is this machine: refused as typed, and again when resolved at delivery.
        store_hook(app, inside.url.replace("127.0.0.1", "localhost"))
        signer.sign_and_confirm("ana@example.org")
        signer.deliver()
        assert inside.requests == 0
    assert signer.deliver() == 0  # dropped, not retried for ever


class Redirector:
    """An endpoint that answers every POST with a redirect to `target`."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/in"


@pytest.fixture
def allowed_app(database_url, smtp, tmp_path) -> Iterator:
    """The operator allowed one internal host, 127.0.0.1, and no other."""
    app = make_app(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        WEBHOOK_INTERNAL_HOSTS="127.0.0.1",
    )
    yield app
    database(app).engine.dispose()


def test_a_redirect_is_not_followed(allowed_app, smtp):
    signer = Signer(allowed_app, allowed_app.test_client(), smtp, create_petition(allowed_app))
    with receiving() as inside:
        redirector = Redirector(inside.url)
        threading.Thread(target=redirector.server.serve_forever, daemon=True).start()
        try:
            store_hook(allowed_app, redirector.url)
            signer.sign_and_confirm("ana@example.org")
            signer.deliver()
        finally:
            redirector.server.shutdown()
            redirector.server.server_close()
        assert inside.requests == 0


def test_the_operator_may_allow_an_internal_host(allowed_app):
    api = OrganiserAPI(allowed_app.test_client(), make_token(allowed_app, "office"))
    slug = create_petition(allowed_app)
    allowed = api.post("/webhooks", {"url": "http://127.0.0.1:9/in", "petition": slug})
    assert allowed.status_code == 201
    other = api.post("/webhooks", {"url": "http://127.0.0.2:9/in", "petition": slug})
    assert other.status_code == 422
