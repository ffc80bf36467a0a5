"""`undersign witness` and `undersign log verify`: a log that only grows passes, any other fails.

The log here is a small stand-in served over real HTTP from a thread, built from the same
Merkle and note modules as the service's, so that each way a log can be tampered with (a row
edited, a row deleted, the log shrunk or forked, the key swapped) is one line of a test.
tests/web/test_transparency_live.py runs the same commands against the real application.
"""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from undersign import cli
from undersign.cli import transparency
from undersign.core import merkle, notes
from undersign.core.notes import Checkpoint, Signer

SLUG = "clean-air"


class StubLog:
    """A petition's log as the server keeps it: rows, a key, the latest signed checkpoint."""

    def __init__(self, host: str) -> None:
        self.origin = f"{host}/p/{SLUG}"
        skey, self.vkey = notes.generate(self.origin)
        self.signer = Signer(skey)
        self.rows: list[dict] = []
        self.note = ""
        self.kept: dict[int, str] = {}  # every checkpoint signed, by size
        self.cosignatures: list[str] = []
        self.witness_keys: dict[str, str] = {}  # partner token -> pinned witness key
        self.tokens = {"partner-token"}
        self.count_lie = 0  # added to the count line, to sign a wrong count
        self.list_checkpoints = True  # whether GET /log/checkpoints lists the sizes

    def append(self, kind: str, *, commitment=None, cancels=None, number=1) -> None:
        """Append an entry as signers/transparency.py writes one."""
        delta = {"signed": 1, "restored": 1, "withdrawn": -1, "invalidated": -1}.get(kind)
        self.rows.append(
            {
                "kind": kind,
                "minute": "2026-12-06T23:00Z",
                "country": "KZ",
                "channel": "paper" if kind.startswith("paper") else "online",
                "delta": number if kind == "paper" else -number if delta is None else delta,
                "commitment": commitment,
                "cancels": cancels,
            }
        )

    def sign(self) -> None:
        """Sign a checkpoint of the rows as they are now (as the server does each round)."""
        leaves = [merkle.leaf_hash(self.leaf(r)) for r in self.rows]
        count = sum(r["delta"] for r in self.rows) + self.count_lie
        body = Checkpoint(self.origin, len(leaves), merkle.root(leaves), (f"count {count}",))
        self.note = notes.sign(body.body(), [self.signer])
        self.kept[len(leaves)] = self.note
        self.cosignatures = []

    @staticmethod
    def leaf(row: dict) -> bytes:
        return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()

    def hashes(self, size: int) -> list[bytes]:
        return [merkle.leaf_hash(self.leaf(r)) for r in self.rows[:size]]

    # -- the HTTP API --

    def answer(self, method: str, path: str, query: dict, body: bytes, headers) -> tuple:
        base = f"/api/v1/petitions/{SLUG}/log/"
        if not path.startswith(base):
            return 404, "text/plain", b"not found"
        what = path[len(base) :]
        one = {k: v[0] for k, v in query.items()}
        if method == "POST" and what == "cosignatures":
            token = headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                return 401, "application/json", b'{"error": {"message": "unknown partner token"}}'
            posted = json.loads(body)
            key = self.witness_keys.setdefault(token, posted["key"])
            body_text = notes.open(self.kept[posted["size"]], [notes.Verifier(self.vkey)]).text
            notes.verify_cosignature(body_text, posted["cosignature"], notes.Verifier(key))
            self.cosignatures.append(posted["cosignature"])
            return 200, "application/json", b'{"status": "cosigned"}'
        if what == "key":
            return 200, "text/plain", (self.vkey + "\n").encode()
        if what == "checkpoint" and "size" in one:
            return 200, "text/plain", self.kept[int(one["size"])].encode()
        if what == "checkpoint":
            return 200, "text/plain", notes.add_signatures(self.note, self.cosignatures).encode()
        if what == "checkpoints" and self.list_checkpoints:  # two a page, to page through
            start = int(one.get("start", 0))
            sizes = sorted(self.kept)
            listed = [{"size": n, "count": 0} for n in sizes[start : start + 2]]
            answer = {"checkpoints": listed, "has_more": start + 2 < len(sizes)}
            return 200, "application/json", json.dumps(answer).encode()
        if what == "entries":
            start, end = (
                int(one["start"]),
                min(int(one["end"]), len(self.rows), int(one["start"]) + 300),
            )
            page = [
                {
                    "index": i,
                    **self.rows[i],
                    "leaf": base64.b64encode(self.leaf(self.rows[i])).decode(),
                }
                for i in range(start, end)
            ]
            return 200, "application/json", json.dumps({"entries": page}).encode()
        if what == "consistency":
            old, new = int(one["from"]), int(one["to"])
            proof = merkle.consistency_proof(old, self.hashes(new))
            return 200, "application/json", _hashes(proof)
        if what == "inclusion":
            size = int(one["size"])
            for i in reversed(range(min(size, len(self.rows)))):
                if one["commitment"] in (self.rows[i]["commitment"], self.rows[i]["cancels"]):
                    proof = merkle.inclusion_proof(i, self.hashes(size))
                    answer = {"leaf_index": i, "tree_size": size, "hashes": _b64(proof)}
                    return 200, "application/json", json.dumps(answer).encode()
            return 404, "application/json", b'{"error": "no such commitment"}'
        return 404, "text/plain", b"not found"


def _b64(hashes):
    return [base64.b64encode(h).decode() for h in hashes]


def _hashes(proof):
    return json.dumps({"hashes": _b64(proof)}).encode()


@pytest.fixture
def stub():
    holder: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, kind, payload = holder["log"].answer(
                method, parts.path, parse_qs(parts.query), body, self.headers
            )
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host = f"127.0.0.1:{server.server_address[1]}"
    log = holder["log"] = StubLog(host)
    log.url = f"http://{host}/p/{SLUG}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield log
    server.shutdown()
    server.server_close()


def receipt(n: int) -> str:
    """A receipt as the service prints them: five groups of four base32 letters."""
    letters = base64.b32encode(hashlib.sha256(str(n).encode()).digest()).decode()[:20]
    return "-".join(letters[i : i + 4] for i in range(0, 20, 4))


def commitment(n: int) -> str:
    return hashlib.sha256(receipt(n).encode()).hexdigest()


def grow(log: StubLog, signatures: range) -> None:
    for n in signatures:
        log.append("signed", commitment=commitment(n))
    log.sign()


@pytest.fixture
def undersign(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def undersign(*args, env=None):
        env = {"UNDERSIGN_WITNESS_TOKEN": None, **(env or {})}
        return runner.invoke(cli.main, list(args), env=env, prog_name="undersign")

    return undersign


@pytest.fixture
def witness_key(undersign, tmp_path):
    made = undersign("witness", "keygen", "union.example/witness", "--key", "witness.key")
    assert made.exit_code == 0, made.output
    return notes.Verifier(made.stdout.strip())


def run_witness(undersign, log, *extra):
    return undersign(
        "witness",
        log.url,
        "--key",
        "witness.key",
        "--state",
        "state.json",
        "--token",
        "partner-token",
        *extra,
    )


def refused(result, *words):
    """The command failed with exit 3 and one line on stderr that says what happened."""
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


# -- the witness --


def test_keygen_writes_a_private_file_and_prints_the_public_key(undersign, tmp_path, witness_key):
    key_file = tmp_path / "witness.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    signer = Signer(key_file.read_text())
    assert signer.vkey == witness_key.vkey and witness_key.alg == notes.COSIGNATURE_V1
    again = undersign("witness", "keygen", "union.example/witness", "--key", "witness.key")
    assert again.exit_code == 1 and "never overwritten" in again.stderr
    assert Signer(key_file.read_text()).vkey == witness_key.vkey


def test_a_witness_trusts_the_key_on_first_use_and_cosigns(undersign, stub, witness_key, tmp_path):
    grow(stub, range(5))
    first = run_witness(undersign, stub)
    assert first.exit_code == 0, first.output
    assert "first run: trusting the log key" in first.stderr and stub.vkey in first.stderr
    assert first.stdout == f"cosigned {stub.origin} at 5 entries, count 5\n"

    [line] = stub.cosignatures
    body = notes.open(stub.note, [notes.Verifier(stub.vkey)]).text
    assert notes.verify_cosignature(body, line, witness_key) > 1_700_000_000
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["size"] == 5 and state["log_key"] == stub.vkey

    grow(stub, range(5, 12))
    second = run_witness(undersign, stub)
    assert second.exit_code == 0, second.output
    assert "first run" not in second.stderr
    assert second.stdout == f"cosigned {stub.origin} at 12 entries, count 12\n"
    assert json.loads((tmp_path / "state.json").read_text())["size"] == 12
    served = undersign("log", "verify", stub.url, "--witness", witness_key.vkey)
    assert served.exit_code == 0, served.output
    assert "cosigned by union.example/witness at " in served.stdout


def test_a_witness_refuses_a_shrunk_log(undersign, stub, witness_key, tmp_path):
    grow(stub, range(8))
    assert run_witness(undersign, stub).exit_code == 0
    before = (tmp_path / "state.json").read_text()
    del stub.rows[-3:]
    stub.sign()
    line = refused(run_witness(undersign, stub), "shrank from 8 to 5")
    assert line.startswith("Error: ")
    assert stub.cosignatures == []  # nothing vouched for
    assert (tmp_path / "state.json").read_text() == before


def test_a_witness_refuses_a_log_with_a_row_deleted_then_grown_back(undersign, stub, witness_key):
    grow(stub, range(8))
    assert run_witness(undersign, stub).exit_code == 0
    del stub.rows[2]  # a signature quietly removed, and the size made up by new ones
    grow(stub, range(100, 103))
    refused(run_witness(undersign, stub), "does not contain the log at 8", "fork")
    assert stub.cosignatures == []


def test_a_witness_refuses_a_log_with_a_row_edited(undersign, stub, witness_key):
    grow(stub, range(8))
    assert run_witness(undersign, stub).exit_code == 0
    stub.rows[3]["country"] = "RU"
    stub.sign()
    refused(run_witness(undersign, stub), "rewritten: same size 8")
    grow(stub, range(8, 9))
    refused(run_witness(undersign, stub), "does not contain the log at 8")


def test_a_witness_refuses_a_new_log_key(undersign, stub, witness_key):
    grow(stub, range(3))
    assert run_witness(undersign, stub).exit_code == 0
    skey, stub.vkey = notes.generate(stub.origin)
    stub.signer = Signer(skey)
    grow(stub, range(3, 4))
    refused(run_witness(undersign, stub), "the log's key changed")


def test_a_witness_refuses_a_checkpoint_the_log_key_did_not_sign(undersign, stub, witness_key):
    grow(stub, range(3))
    stub.signer = Signer(notes.generate(stub.origin)[0])  # signs with a key it does not serve
    stub.sign()
    refused(run_witness(undersign, stub), "not signed by the log's key")
    published = notes.generate(stub.origin)[1]
    refused(run_witness(undersign, stub, "--log-key", published), "the log's key changed")


def test_a_witness_with_the_published_log_key_needs_no_trust_on_first_use(
    undersign, stub, witness_key
):
    grow(stub, range(3))
    done = run_witness(undersign, stub, "--log-key", stub.vkey)
    assert done.exit_code == 0, done.output
    assert "first run" not in done.stderr
    other = notes.generate(stub.origin)[1]
    mismatch = run_witness(undersign, stub, "--log-key", other)
    assert mismatch.exit_code == 1 and "is not the key state.json was made with" in mismatch.stderr


def test_a_witness_takes_its_token_from_the_environment(undersign, stub, witness_key):
    grow(stub, range(2))
    args = ["witness", stub.url, "--key", "witness.key", "--state", "state.json"]
    missing = undersign(*args)
    assert missing.exit_code == 2 and "--token" in missing.stderr
    wrong = undersign(*args, env={"UNDERSIGN_WITNESS_TOKEN": "guessed"})
    assert wrong.exit_code == 1
    assert wrong.stderr.strip().endswith("401 Unauthorized (unknown partner token)")
    done = undersign(*args, env={"UNDERSIGN_WITNESS_TOKEN": "partner-token"})
    assert done.exit_code == 0, done.output
    assert len(stub.cosignatures) == 1


def test_a_witness_with_a_broken_state_file_stops_and_says_so(undersign, stub, witness_key):
    grow(stub, range(2))
    Path("state.json").write_text('{"size": 2}')
    broken = run_witness(undersign, stub)
    assert broken.exit_code == 1
    assert broken.stderr == (
        "Error: state.json: not a witness state file; move it away only if you know why it is "
        "broken\n"
    )
    assert stub.cosignatures == []


def test_a_witness_says_plainly_when_it_cannot_reach_the_log(undersign, witness_key):
    result = undersign(
        "witness",
        "http://127.0.0.1:9/p/x",
        "--key",
        "witness.key",
        "--state",
        "s.json",
        "--token",
        "t",
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: cannot reach http://127.0.0.1:9/api/v1/petitions/x/log/key"
    )
    bad = undersign(
        "witness", "ftp://x/p/y", "--key", "witness.key", "--state", "s", "--token", "t"
    )
    assert bad.exit_code == 2 and "petition's address" in bad.stderr


# -- log verify --


@pytest.fixture
def busy(stub):
    """A log with signatures, withdrawals, an invalidation, a restoration and paper."""
    for n in range(650):  # more than two pages of entries
        stub.append("signed", commitment=commitment(n))
    stub.append("withdrawn", cancels=commitment(3))
    stub.append("invalidated", cancels=commitment(4))
    stub.append("invalidated", cancels=commitment(5))
    stub.append("restored", commitment=commitment(5))
    stub.append("paper", commitment="a" * 64, number=40)
    stub.append("paper", commitment="b" * 64, number=10)
    stub.append("paper_removed", cancels="b" * 64, number=10)
    stub.sign()
    return stub


def test_log_verify_rebuilds_the_log_and_its_count(undersign, busy):
    result = undersign("log", "verify", busy.url)
    assert result.exit_code == 0, result.output
    assert f"log {busy.origin}: 657 entries, signed by {busy.origin}" in result.stdout
    assert (
        "count: 688 = 651 confirmed or restored - 3 withdrawn or invalidated + 40 on paper"
        in result.stdout
    )
    assert result.stdout.endswith("OK\n")


def test_log_verify_finds_a_receipt_and_says_whether_it_counts(undersign, busy):
    counted = undersign("log", "verify", busy.url, "--receipt", receipt(600))
    assert counted.exit_code == 0, counted.output
    assert "receipt: signed in entry 601 of 657 (2026-12-06T23:00Z), counted\n" in counted.stdout
    withdrawn = undersign("log", "verify", busy.url, "--receipt", f"  {receipt(3)}\n")
    assert (
        "receipt: signed in entry 4 of 657 (2026-12-06T23:00Z), "
        "withdrawn in entry 651 (2026-12-06T23:00Z): not counted\n"
    ) in withdrawn.stdout
    restored = undersign("log", "verify", busy.url, "--receipt", receipt(5))
    assert "receipt: signed in entry 6 of 657 (2026-12-06T23:00Z), counted" in restored.stdout
    refused(undersign("log", "verify", busy.url, "--receipt", receipt(9999)), "no entry")
    typed = undersign("log", "verify", busy.url, "--receipt", receipt(600).lower())
    assert "receipt: signed in entry 601 of 657" in typed.stdout


def test_log_verify_fails_on_an_edited_row(undersign, busy):
    busy.rows[10]["country"] = "RU"  # the checkpoint was signed before the edit
    refused(undersign("log", "verify", busy.url), "do not rebuild the signed root", "rewritten")


def test_log_verify_fails_on_a_deleted_row(undersign, busy):
    del busy.rows[10]
    refused(undersign("log", "verify", busy.url), "entries")


def test_log_verify_fails_on_a_row_deleted_and_the_log_resigned(undersign, busy, tmp_path):
    earlier = tmp_path / "earlier.txt"
    earlier.write_text(busy.note)
    assert undersign("log", "verify", busy.url, "--checkpoint", str(earlier)).exit_code == 0
    del busy.rows[10]
    grow(busy, range(1000, 1005))  # re-signed, and grown past the old size
    # The checkpoints the log kept give it away...
    refused(undersign("log", "verify", busy.url), "size 657 signed a root the entries do not give")
    # ...and if it drops them too, a checkpoint someone kept does.
    busy.list_checkpoints = False
    plain = undersign("log", "verify", busy.url)
    assert plain.exit_code == 0 and "the API lists none" in plain.stdout
    refused(
        undersign("log", "verify", busy.url, "--checkpoint", str(earlier)),
        "are not those of",
    )


def test_the_roots_of_kept_checkpoints_are_computed_in_one_pass_as_merkle_computes_them():
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(70)]
    entries = [
        {"index": i, "kind": "signed", "delta": 1, "commitment": f"{i:064x}"} for i in range(70)
    ]
    roots, counts = transparency._prefixes(entries, hashes, set(range(1, 71)))
    assert all(roots[n] == merkle.root(hashes[:n]) for n in range(1, 71))
    assert counts[70] == 70 and counts[33] == 33


def test_log_verify_checks_every_checkpoint_the_log_kept(undersign, stub):
    for start in range(0, 50, 10):
        grow(stub, range(start, start + 10))
    result = undersign("log", "verify", stub.url)
    assert result.exit_code == 0, result.output
    assert "earlier checkpoints: 4, each the start of the next, counts right" in result.stdout
    # A kept checkpoint that signed a count its entries do not imply.
    stub.count_lie = 1
    grow(stub, range(50, 51))
    stub.count_lie = 0
    grow(stub, range(51, 52))
    refused(undersign("log", "verify", stub.url), "size 51 says count 52, its entries imply 51")


def test_log_verify_fails_on_a_shrunk_log(undersign, busy, tmp_path):
    earlier = tmp_path / "earlier.txt"
    earlier.write_text(busy.note)
    del busy.rows[-2:]
    busy.sign()
    refused(undersign("log", "verify", busy.url), "a checkpoint of 657 entries", "shrank")
    busy.list_checkpoints = False
    refused(undersign("log", "verify", busy.url, "--checkpoint", str(earlier)), "shrank")


def test_log_verify_fails_on_a_signed_count_the_entries_do_not_give(undersign, busy):
    busy.count_lie = 25
    busy.sign()
    refused(undersign("log", "verify", busy.url), "imply 688 signatures", "count 713")


def test_log_verify_fails_when_the_fields_shown_are_not_the_leaf(undersign, busy):
    original = busy.answer

    def lying(method, path, query, body, headers):
        status, kind, payload = original(method, path, query, body, headers)
        if path.endswith("/entries"):
            page = json.loads(payload)
            for entry in page["entries"]:
                entry["country"] = "DE"
            payload = json.dumps(page).encode()
        return status, kind, payload

    busy.answer = lying
    refused(undersign("log", "verify", busy.url), "its country 'DE' is not the 'KZ'")


def test_log_verify_fails_on_a_cancellation_of_nothing(undersign, stub):
    grow(stub, range(3))
    stub.append("withdrawn", cancels=commitment(77))
    stub.sign()
    refused(undersign("log", "verify", stub.url), "which is not counted")


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("signed", {"commitment": commitment(1)}),  # one receipt counted twice
        ("restored", {"commitment": commitment(2)}),  # restores what was never cancelled
        ("paper_removed", {"cancels": "a" * 64, "number": 39}),  # takes out another number
        ("paper_removed", {"cancels": commitment(1), "number": 1}),  # a signature as paper
    ],
)
def test_log_verify_fails_on_an_entry_that_does_not_do_what_its_kind_says(
    undersign, stub, kind, fields
):
    grow(stub, range(3))
    stub.append("paper", commitment="a" * 64, number=40)
    stub.append(kind, **fields)
    stub.sign()
    refused(undersign("log", "verify", stub.url), f"a {kind} entry that does not do what")


def test_log_verify_wants_the_cosignatures_it_is_told_to_expect(undersign, busy):
    _, vkey = notes.generate("union.example/witness", cosigner=True)
    refused(undersign("log", "verify", busy.url, "--witness", vkey), "no cosignature by union")


def test_log_verify_accepts_a_witness_state_file_as_an_earlier_checkpoint(
    undersign, busy, witness_key, tmp_path
):
    assert run_witness(undersign, busy).exit_code == 0
    grow(busy, range(2000, 2010))
    result = undersign("log", "verify", busy.url, "--checkpoint", "state.json")
    assert result.exit_code == 0, result.output
    assert "extends state.json (657 entries)" in result.stdout
