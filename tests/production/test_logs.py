"""Logs: one JSON object a line with a request id, and nothing that identifies a signer."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from undersign.core import logs
from undersign.core.logs import JSONFormatter

SIGNER_IP = "203.0.113.77"
PEOPLE = [
    ("Aigerim Bekova", "aigerim.bekova@example.org"),
    ("Нурлан Сатпаев", "nurlan.satpayev+plant@example.kz"),
    ("Dana Omarova", "dana.omarova@example.org"),
]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def our_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # aiosmtpd's own log ("mail.log") belongs to the test's SMTP server, which
    # stands in for the recipient's provider: it is not a line the service writes.
    return [record for record in caplog.records if not record.name.startswith("mail.log")]


def test_a_whole_signing_day_leaves_no_personal_data_in_the_logs(signer, client, logged):
    client.environ_base["REMOTE_ADDR"] = SIGNER_IP
    for name, email in PEOPLE:
        assert signer.sign(name=name, email=email, city="Zhezkazgan").status_code == 202
    assert signer.sign(name="Bad", email="not-an-address", country="XX").status_code == 422
    assert (
        signer.client.post(
            f"/api/v1/petitions/{signer.slug}/signatures", data="x", content_type="text/plain"
        ).status_code
        == 415
    )
    assert signer.deliver() == len(PEOPLE)

    secrets = {SIGNER_IP, "not-an-address"}
    for name, email in PEOPLE:
        secrets |= {name, email, signer.token(email), signer.token(email, "withdraw")}
    first, second, third = (email for _, email in PEOPLE)
    assert signer.confirm(first).status_code == 200
    assert (
        client.post("/api/v1/signatures/verify", json={"token": signer.token(second)}).json[
            "status"
        ]
        == "verified"
    )
    assert (
        client.post(
            "/api/v1/signatures/withdraw", json={"token": signer.token(second, "withdraw")}
        ).status_code
        == 200
    )
    assert (
        client.post("/api/v1/signatures/verify", json={"token": signer.token(second)}).status_code
        == 409
    )
    assert client.get(f"/withdraw/{signer.token(third, 'withdraw')}").status_code == 200
    assert client.post(f"/withdraw/{signer.token(third, 'withdraw')}").status_code == 200
    assert (
        client.post("/api/v1/signatures/verify", json={"token": "forged.token"}).status_code == 400
    )
    assert client.post(f"/verify/{signer.token(first)}x").status_code == 400
    assert client.get("/api/v1/petitions/nowhere/count").status_code == 404

    records = our_records(logged)
    assert any(record.name == "undersign.requests" for record in records)
    formatter = JSONFormatter()
    for record in records:
        line = formatter.format(record)
        for text in (line, record.getMessage(), json.dumps(vars(record), default=str)):
            leaked = sorted(secret for secret in secrets if secret.lower() in text.lower())
            assert not leaked, f"{record.name} logged {leaked}: {line}"


def test_each_request_is_one_json_line_naming_its_route_not_its_path(signer, client, logged):
    signer.sign(email="route@example.org")
    signer.deliver()
    token = signer.token("route@example.org")
    client.post(f"/verify/{token}", headers={"X-Request-ID": "req-42.abc"})

    (line,) = [
        json.loads(JSONFormatter().format(record))
        for record in our_records(logged)
        if getattr(record, "route", None) == "/verify/<token>"
    ]
    assert line["request_id"] == "req-42.abc"
    assert line["method"] == "POST" and line["status"] == 200
    assert line["level"] == "info" and line["duration_ms"] >= 0


def test_a_read_that_went_well_is_a_debug_line_and_an_error_an_info_line(client, logged):
    client.get("/healthz")
    client.get("/api/v1/petitions/nowhere/count")
    levels = {
        record.route: record.levelname
        for record in our_records(logged)
        if record.name == "undersign.requests"
    }
    assert levels == {"/healthz": "DEBUG", "/api/v1/petitions/<slug>/count": "INFO"}


def test_a_request_id_is_honoured_or_made_and_sent_back(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32
    # An id that could carry anything else is replaced, not repeated.
    forged = client.get("/healthz", headers={"X-Request-ID": "me@example.org {}"})
    assert "@" not in forged.headers["X-Request-ID"]


def test_lines_from_other_code_are_blanked_where_they_name_people():
    record = logging.makeLogRecord(
        {
            "name": "gunicorn.error",
            "levelname": "WARNING",
            "msg": "Invalid request from ip=%s: GET /verify/%s from %s",
            "args": ("198.51.100.4", "eyJhbGciOi.secret-token", "someone@example.org"),
        }
    )
    entry = json.loads(JSONFormatter().format(record))
    assert entry["message"] == "Invalid request from ip=<ip>: GET /verify/<token> from <email>"


# Pieces of what people are named by, to be strung together with anything between them.
_PIECES = st.sampled_from(
    ["@", ".", ":", "::", "/", "verify/", "withdraw/", "/verify/", "a", "0", "198", "51", "ff",
     "example.org", " ", "<", "'", "é", "2001:db8::1", "10.0.0.7"]
)  # fmt: skip


@given(st.lists(_PIECES | st.text(max_size=4), max_size=16).map("".join))
def test_a_line_is_redacted_the_same_whether_or_not_it_looks_suspect_first(text):
    """`redact` skips its substitutions when no piece of an address or a link is in the text:
    what it gives must be what all the substitutions give."""
    expected = text
    for pattern, replacement in logs._REDACTIONS:
        expected = pattern.sub(replacement, expected)
    assert logs.redact(text) == expected


def test_an_exception_is_logged_by_type_and_place_not_by_its_message():
    try:
        raise ValueError("could not store aigerim@example.org")
    except ValueError:
        record = logging.makeLogRecord(
            {"name": "undersign", "levelname": "ERROR", "msg": "signing failed"}
        )
        record.exc_info = sys.exc_info()
    line = JSONFormatter().format(record)
    entry = json.loads(line)
    assert entry["exception"] == "ValueError"
    assert "test_logs.py:" in entry["exception_at"]
    assert "aigerim" not in line
