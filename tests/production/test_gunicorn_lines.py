"""Gunicorn's own lines: what it writes when it refuses a request names no one.

The app's lines are scrubbed by logs.py; these come from gunicorn itself, which
quotes a refused request line or header and names the client's address. A real
`undersign serve` on loopback is sent broken requests over raw sockets, from a
loopback address of their own (127.0.0.9) so that the client's address is one
a line could name.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from undersign.core import tokens

from tests.production.test_scale import Stack, wait_until

pytestmark = pytest.mark.slow  # a real gunicorn, in a process of its own

CLIENT_IP = "127.0.0.9"
FORWARDED_IP = "203.0.113.9"
EMAIL = "aigerim.bekova@example.org"
NAME = "Айгерим Бекова"
SECRET = "gunicorn-lines-secret"
TOKEN = tokens.make([SECRET], tokens.VERIFY, 42)
WITHDRAW_TOKEN = tokens.make([SECRET], tokens.WITHDRAW, 42)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("UNDERSIGN_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        UNDERSIGN_DATABASE_URL=f"sqlite:///{tmp_path / 'lines.sqlite'}",
        UNDERSIGN_SECRET_KEY=SECRET,
        UNDERSIGN_BASE_URL="http://localhost",
        UNDERSIGN_TRUSTED_PROXIES="1",
    )
    stack = Stack(env, tmp_path)
    stack.run("db", "upgrade")
    base = stack.serve("server")
    yield stack, base
    stack.stop()


def send_raw(base: str, request: bytes) -> bytes:
    """Send `request` as is from CLIENT_IP; return the answer's status line."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection(
        (host, int(port)), timeout=10, source_address=(CLIENT_IP, 0)
    ) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer.partition(b"\r\n")[0]


def request(line: str, *headers: str, body: bytes = b"") -> bytes:
    return "\r\n".join([line, "Host: localhost", *headers, "", ""]).encode() + body


# Each of gunicorn's refusals, carrying what it might quote: a token, an address, a name.
BROKEN = {
    "request line too long": request(
        f"GET /verify/{TOKEN}?email={EMAIL}&pad={'x' * 9000} HTTP/1.1"
    ),
    "extra words in the request line": request(f"GET /verify/{TOKEN} {EMAIL} HTTP/1.1"),
    "percent-encoded address": request(
        f"GET /withdraw/{WITHDRAW_TOKEN}?e={EMAIL.replace('@', '%40')} x HTTP/1.1"
    ),
    "a name in the request line": request(f"GET /?name={NAME} x HTTP/1.1"),
    "a name and an encoded address": request(
        f"GET /withdraw/{WITHDRAW_TOKEN}?e={EMAIL.replace('@', '%40')}&n={NAME} HTTP/1.1"
    ),
    "lower-case method": request(f"get /withdraw/{WITHDRAW_TOKEN} HTTP/1.1"),
    "unknown HTTP version": request(f"GET /verify/{TOKEN} HTTP/7.1"),
    "an address as a header name": request(f"GET /verify/{TOKEN} HTTP/1.1", f"{EMAIL}: x"),
    "a control character in a header": request(
        "GET / HTTP/1.1", f"X-Forwarded-For: {FORWARDED_IP}\x01", f"X-Signer: {EMAIL}\x01"
    ),
    "a header too large": request("GET / HTTP/1.1", f"X-Signer: {EMAIL} {'y' * 9000}"),
    "a broken chunked body": request(
        f"POST /verify/{TOKEN} HTTP/1.1",
        "Content-Type: application/x-www-form-urlencoded",
        "Transfer-Encoding: chunked",
        body=f"zz\r\nemail={EMAIL}\r\n0\r\n\r\n".encode(),
    ),
}
# Well-formed requests to the links' pages, which gunicorn passes to the app.
WELL_FORMED = {
    "verify page": request(f"GET /verify/{TOKEN} HTTP/1.1", "Connection: close"),
    "withdraw page": request(f"GET /withdraw/{WITHDRAW_TOKEN} HTTP/1.1", "Connection: close"),
    "withdraw press": request(
        f"POST /withdraw/{WITHDRAW_TOKEN} HTTP/1.1",
        "Connection: close",
        f"X-Forwarded-For: {FORWARDED_IP}",
        "Content-Length: 0",
    ),
}
SECRETS = {
    CLIENT_IP,
    FORWARDED_IP,
    EMAIL,
    EMAIL.replace("@", "%40"),
    "aigerim.bekova",
    NAME,
    json.dumps(NAME)[1:-1],  # as a JSON string escapes it
    NAME.encode().decode("latin-1"),  # as gunicorn reads a request line
    repr(NAME.encode().decode("latin-1"))[1:-1],  # and quotes it
    "%D0%90%D0%B9",  # as a URL encodes it
    TOKEN,
    WITHDRAW_TOKEN,
    # The part of a token a line could keep if cut short.
    TOKEN.split(".")[0],
    WITHDRAW_TOKEN.split(".")[0],
}


def refusals(lines: list[str]) -> list[str]:
    return [line for line in lines if "nvalid request" in line]


def test_gunicorns_lines_name_no_address_token_or_signer(server):
    stack, base = server
    answers = {what: send_raw(base, raw) for what, raw in {**BROKEN, **WELL_FORMED}.items()}
    for what in BROKEN:
        assert answers[what].split(b" ")[1][:1] == b"4", f"{what}: {answers[what]!r}"
    for what in WELL_FORMED:
        assert answers[what].split(b" ")[1] in {b"200", b"400", b"404"}, (what, answers[what])

    (process,) = stack.processes
    # Every refusal is written, each as its own line (a condition, not a pause).
    wait_until(lambda: len(refusals(process.lines())) >= 8, 30, "gunicorn's refusal lines")
    stack.stop()
    lines = process.lines()
    assert len(refusals(lines)) >= 8, "\n".join(lines)
    for line in lines:
        entry = json.loads(line)  # one JSON object a line, gunicorn's too
        texts = [line, *(str(value) for value in entry.values())]
        leaked = [s for s in SECRETS if any(s.lower() in text.lower() for text in texts)]
        assert not leaked, f"gunicorn's log named {leaked}: {line}"
    # Still useful to an operator: what was refused, and why.
    text = "\n".join(refusals(lines))
    for reason in ("Request Line is too large", "Invalid HTTP request line", "Invalid HTTP method"):
        assert reason in text, text
