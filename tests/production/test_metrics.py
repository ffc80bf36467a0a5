"""/metrics: Prometheus text with requests, signatures by state, the outbox and refusals."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from undersign.core.db import database
from undersign.core.models import OutboxMessage, utcnow

from tests.conftest import make_app
from tests.faults.conftest import sample


def scrape(client) -> str:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    return answer.get_data(as_text=True)


def test_signatures_by_state_and_the_outbox_come_from_the_database(signer, client):
    page = scrape(client)
    assert sample(page, "undersign_signatures", state="pending") == 0
    assert sample(page, "undersign_outbox_depth") == 0
    assert sample(page, "undersign_outbox_oldest_age_seconds") == 0

    for n in range(3):
        signer.sign(email=f"m{n}@example.org")
    # The oldest email has waited ten minutes: the gauge says so (absent, it would read 0).
    with database(signer.app).sessions.begin() as session:
        first = session.scalar(select(func.min(OutboxMessage.id)))
        waited = update(OutboxMessage).where(OutboxMessage.id == first)
        session.execute(waited.values(created_at=utcnow() - timedelta(minutes=10)))
    page = scrape(client)
    assert sample(page, "undersign_signatures", state="pending") == 3
    assert sample(page, "undersign_outbox_depth") == 3
    assert re.search(r"^undersign_outbox_oldest_age_seconds \S+$", page, re.M)
    assert 600 <= sample(page, "undersign_outbox_oldest_age_seconds") < 660

    signer.deliver()
    signer.confirm("m0@example.org")
    page = scrape(client)
    assert sample(page, "undersign_signatures", state="verified") == 1
    assert sample(page, "undersign_signatures", state="pending") == 2
    assert sample(page, "undersign_outbox_depth") == 0
    assert sample(page, "undersign_signatures_flagged") == 0


def test_requests_are_counted_by_route_and_status_with_their_latency(signer, client):
    route = {"route": "/api/v1/petitions/<slug>/signatures", "method": "POST"}
    before = scrape(client)
    signer.sign(email="counted@example.org")
    signer.sign(email="not-an-address")
    after = scrape(client)

    def grew(metric: str, **labels: str) -> float:
        return sample(after, metric, **labels) - sample(before, metric, **labels)

    assert grew("undersign_http_requests_total", status="202", **route) == 1
    assert grew("undersign_http_requests_total", status="422", **route) == 1
    assert grew("undersign_http_request_duration_seconds_count", **route) == 2
    assert "/api/v1/petitions/test-petition" not in after, "routes, not paths"


def test_mail_failures_are_counted(signer, client):
    before = sample(scrape(client), "undersign_mail_failures_total", reason="refused")
    signer.smtp.mailbox.refuse.add("bounce@example.org")
    signer.sign(email="bounce@example.org")
    signer.deliver()
    after = sample(scrape(client), "undersign_mail_failures_total", reason="refused")
    assert after - before == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rate_limit_refusals_are_counted(database_url, tmp_path):
    app = make_app(database_url, tmp_path, SIGN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    before = sample(scrape(client), "undersign_rate_limited_requests_total")
    for _ in range(3):
        client.post("/api/v1/petitions/none/signatures", json={})
    assert sample(scrape(client), "undersign_rate_limited_requests_total") - before == 2


@pytest.mark.slow  # a fresh interpreter
def test_the_command_line_leaves_metrics_storage_to_serve():
    # prometheus_client picks per-process or shared storage when first imported;
    # `undersign serve` must get to choose, so importing the CLI must not import it.
    probe = "import sys, undersign.cli; print('prometheus_client' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
