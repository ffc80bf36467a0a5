"""The signature log: every change to the count is an entry, and the log proves the count."""

from __future__ import annotations

import base64
import itertools
import random
import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, text, update
from undersign.campaigns import paper, petitions
from undersign.core import auth, counting, merkle, notes, tokens
from undersign.core.auth import CLI
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.core.db import database
from undersign.core.models import LogCheckpoint, LogCosignature, LogEntry, Signature, utcnow
from undersign.organisers import moderation, partners
from undersign.signers import transparency

from tests.conftest import Signer, SMTPServer, create_petition, make_app
from tests.transparency.conftest import LogReader


@pytest.fixture
def app(database_url: str, smtp: SMTPServer, tmp_path: Path) -> Iterator[Flask]:
    # Signing a thousand times from one test client: the per-address limits are not the point.
    made = make_app(
        database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, RATELIMIT_ENABLED=False
    )
    yield made
    database(made).engine.dispose()


class Campaign:
    """Signers sign, confirm and withdraw over the API; organisers invalidate; the mailer logs."""

    def __init__(self, app: Flask, slug: str) -> None:
        self.app, self.slug = app, slug
        self.client: FlaskClient = app.test_client()
        self.log = LogReader(self.client, slug)
        self.people: dict[int, dict[str, str]] = {}

    def sign(self, n: int, country: str = "KZ") -> list[int]:
        start = len(self.people)
        for i in range(start, start + n):
            person = {"name": f"Signer Number{i} Zhanova", "email": f"signer{i}@example.org"}
            answer = self.client.post(
                f"/api/v1/petitions/{self.slug}/signatures",
                json={**person, "country": country, "city": f"Town{i}ville"},
            )
            assert answer.status_code == 202, answer.text
        with database(self.app).sessions() as session:
            rows = session.execute(
                select(Signature.id).order_by(Signature.id).offset(start)
            ).scalars()
            made = list(rows)
        for offset, signature_id in enumerate(made):
            i = start + offset
            self.people[signature_id] = {
                "name": f"Signer Number{i} Zhanova",
                "email": f"signer{i}@example.org",
                "city": f"Town{i}ville",
            }
        return made

    def token(self, purpose: tokens.Purpose, signature_id: int) -> str:
        return tokens.make(settings(self.app).signing_keys, purpose, signature_id)

    def confirm(self, signature_id: int) -> dict[str, Any]:
        answer = self.client.post(
            "/api/v1/signatures/verify", json={"token": self.token(tokens.VERIFY, signature_id)}
        )
        assert answer.status_code == 200, answer.text
        return answer.json

    def withdraw(self, signature_id: int) -> None:
        answer = self.client.post(
            "/api/v1/signatures/withdraw",
            json={"token": self.token(tokens.WITHDRAW, signature_id)},
        )
        assert answer.status_code == 200, answer.text

    def moderate(self, signature_id: int, restore: bool = False) -> None:
        with self.app.app_context(), database(self.app).sessions() as session:
            found = session.get(Signature, signature_id, with_for_update=True)
            assert found is not None
            if restore:
                moderation.restore(found)
            else:
                moderation.invalidate(found, "a duplicate")
            session.commit()
            counting.forget(get_cache(), self.slug)

    def append(self) -> int:
        return transparency.append(database(self.app).sessions, settings(self.app))

    def public_count(self) -> int:
        with database(self.app).sessions() as session:
            petition_id = petitions.find(session, self.slug).id
            return counting.exact(session, petition_id)

    def log_count(self) -> int:
        checkpoint, _ = self.log.checkpoint()
        assert checkpoint.count is not None
        return checkpoint.count


@pytest.fixture
def campaign(app: Flask) -> Campaign:
    return Campaign(app, create_petition(app))


def test_a_thousand_signatures_give_a_log_whose_count_is_the_public_count(
    campaign: Campaign,
) -> None:
    chance = random.Random(19)
    ids = campaign.sign(1000)
    confirmed: list[int] = []
    invalidated: list[int] = []
    for round_ in range(4):
        for signature_id in ids[round_ * 250 : (round_ + 1) * 250]:
            if chance.random() < 0.9:
                campaign.confirm(signature_id)
                confirmed.append(signature_id)
        # Some withdraw, some are invalidated, some of those restored: before and after
        # the mailer logged them, so the log sees both "never in" and "in, then out".
        for signature_id in chance.sample(confirmed, 15):
            campaign.withdraw(signature_id)
            confirmed.remove(signature_id)
        # Restored: some invalidated in an earlier round (logged out, then in again), some
        # at once (never out, as far as the log can tell).
        for signature_id in invalidated[:4]:
            campaign.moderate(signature_id, restore=True)
        del invalidated[:4]
        for signature_id in chance.sample(confirmed, 10):
            campaign.moderate(signature_id)
            if chance.random() < 0.3:
                campaign.moderate(signature_id, restore=True)
            else:
                invalidated.append(signature_id)
                confirmed.remove(signature_id)
        campaign.append()
        assert campaign.log_count() == campaign.public_count()
    assert campaign.log.rebuild() == []
    assert campaign.public_count() == int(
        campaign.client.get(f"/api/v1/petitions/{campaign.slug}/count").json["signature_count"]
    )
    kinds = {entry["kind"] for entry in campaign.log.entries(campaign.log.checkpoint()[0].size)}
    assert kinds == {"signed", "withdrawn", "invalidated", "restored"}
    # Nothing more changed: another round appends nothing and signs no checkpoint.
    size = campaign.log.checkpoint()[0].size
    assert campaign.append() == 0
    assert campaign.log.checkpoint()[0].size == size


def test_paper_counts_and_their_removal_are_logged(campaign: Campaign, app: Flask) -> None:
    campaign.confirm(campaign.sign(1)[0])
    with app.app_context(), database(app).sessions() as session:
        petition = petitions.find(session, campaign.slug)
        batch = paper.add_count(
            session,
            get_cache(),
            petition,
            count=120,
            country_code="KZ",
            signed_on=date(2026, 11, 28),
            note=None,
            by=CLI,
        )
        batch_id = batch.id
    campaign.append()
    assert campaign.log_count() == campaign.public_count() == 121
    with app.app_context(), database(app).sessions() as session:
        petition = petitions.find(session, campaign.slug)
        paper.remove(session, get_cache(), petition, batch_id, by=CLI)
    campaign.append()
    assert campaign.log_count() == campaign.public_count() == 1
    entries = campaign.log.entries(3)
    assert [(e["kind"], e["channel"], e["delta"]) for e in entries] == [
        ("signed", "online", 1),
        ("paper", "paper", 120),
        ("paper_removed", "paper", -120),
    ]
    assert entries[2]["cancels"] == entries[1]["commitment"]
    assert campaign.log.rebuild() == []


def test_the_receipt_is_given_once_and_its_commitment_is_in_the_log(campaign: Campaign) -> None:
    [signature_id] = campaign.sign(1)
    first = campaign.confirm(signature_id)
    assert "receipt" in first
    assert "receipt" not in campaign.confirm(signature_id)  # a leaked link later: not again
    campaign.append()
    made = transparency.commitment(first["receipt"])
    proof = campaign.client.get(f"{campaign.log.base}/inclusion?commitment={made}").json
    checkpoint, _ = campaign.log.checkpoint()
    entry = proof["entry"]
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    leaf_hash = merkle.leaf_hash(base64.b64decode(entry["leaf"]))
    assert (entry["kind"], entry["commitment"]) == ("signed", made)
    assert merkle.verify_inclusion(
        proof["leaf_index"], proof["tree_size"], leaf_hash, hashes, checkpoint.root
    )
    # Withdrawn: the newest entry naming the receipt's commitment is the one that cancels it.
    campaign.withdraw(signature_id)
    campaign.append()
    proof = campaign.client.get(f"{campaign.log.base}/inclusion?commitment={made}").json
    assert (proof["entry"]["kind"], proof["entry"]["cancels"]) == ("withdrawn", made)
    assert (proof["leaf_index"], proof["tree_size"]) == (1, 2)


def test_editing_or_deleting_a_log_row_is_found_by_rebuilding(campaign: Campaign) -> None:
    for signature_id in campaign.sign(6):
        campaign.confirm(signature_id)
    campaign.append()
    assert campaign.log.rebuild() == []
    sessions = database(campaign.app).sessions
    # Someone with the database changes an entry's country and writes the leaf to match.
    with sessions.begin() as session:
        entry = session.scalars(select(LogEntry).where(LogEntry.index == 2)).one()
        forged = transparency.leaf(
            "signed", entry.minute, "RU", "online", 1, entry.commitment, None
        )
        entry.country, entry.leaf, entry.leaf_hash = "RU", forged, merkle.leaf_hash(forged)
    assert campaign.log.rebuild() == ["the entries do not rebuild the checkpoint's root"]
    # Or drops the last one and the checkpoint that followed it, and re-signs with the key:
    # the witnesses' old checkpoint has size 6, the log now says 5 (the CLI's test: shrunk).
    with sessions.begin() as session:
        session.execute(delete(LogEntry).where(LogEntry.index == 3))
    assert "the entries do not rebuild the checkpoint's root" in campaign.log.rebuild()


def test_the_frontier_gives_the_roots_merkle_gives(campaign: Campaign) -> None:
    hashes = [merkle.leaf_hash(bytes([i % 251, i // 251])) for i in range(300)]
    frontier: list[bytes] = []
    for size, hashed in enumerate(hashes):
        frontier = transparency._extend(frontier, size, hashed)
        assert transparency._root(frontier) == merkle.root(hashes[: size + 1])


def test_checkpoints_are_all_kept_and_each_is_consistent_with_the_next(
    campaign: Campaign,
) -> None:
    ids = campaign.sign(9)
    for chunk in (ids[:1], ids[1:4], ids[4:9]):
        for signature_id in chunk:
            campaign.confirm(signature_id)
        campaign.append()
    with database(campaign.app).sessions() as session:
        kept = session.execute(
            select(LogCheckpoint.size, LogCheckpoint.root).order_by(LogCheckpoint.size)
        ).all()
    assert [size for size, _ in kept] == [1, 4, 9]
    for (old, old_root), (new, new_root) in itertools.pairwise(kept):
        proof = campaign.client.get(f"{campaign.log.base}/consistency?from={old}&to={new}").json
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        assert merkle.verify_consistency(old, new, old_root, new_root, hashes)
        older = campaign.client.get(f"{campaign.log.base}/checkpoint?size={old}")
        assert notes.Checkpoint.parse(notes.open(older.text, [campaign.log.key()]).text).size == old


def test_the_checkpoint_is_a_signed_note_with_the_origin_and_count(campaign: Campaign) -> None:
    for signature_id in campaign.sign(2):
        campaign.confirm(signature_id)
    campaign.append()
    answer = campaign.client.get(f"{campaign.log.base}/checkpoint")
    assert answer.mimetype == "text/plain"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in answer.headers["Cache-Control"]
    lines = answer.text.split("\n")
    assert lines[0] == f"localhost/p/{campaign.slug}"
    assert lines[1] == "2"
    assert lines[3] == "count 2"
    assert lines[5].startswith(f"— localhost/p/{campaign.slug} ")
    key = campaign.client.get(f"{campaign.log.base}/key").text.strip()
    assert key.startswith(f"localhost/p/{campaign.slug}+")
    notes.open(answer.text, [notes.Verifier(key)])


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("entries?start=0&end=0", 422),
        ("entries?start=3&end=2", 416),
        ("entries?start=0&end=4", 416),
        ("entries?start=3", 416),
        ("entries?start=-1", 422),
        ("entries?start=x", 422),
        ("entries?start=0&end=99999999999", 422),
        ("inclusion?commitment=abc", 422),
        ("inclusion?commitment=" + "A" * 64, 422),
        ("inclusion?commitment=" + "a" * 64, 404),
        ("inclusion?commitment=" + "a" * 64 + "&size=9", 416),
        ("inclusion", 422),
        ("consistency?from=4&to=3", 416),
        ("consistency?from=1&to=9", 416),
        ("consistency?to=2", 422),
        ("checkpoint?size=2", 404),
        ("checkpoint?size=0", 422),
    ],
)
def test_a_bad_request_to_the_log_is_a_clear_4xx(
    campaign: Campaign, query: str, status: int
) -> None:
    for signature_id in campaign.sign(3):
        campaign.confirm(signature_id)
    campaign.append()
    answer = campaign.client.get(f"{campaign.log.base}/{query}")
    assert answer.status_code == status, answer.text
    assert answer.json["error"]["message"]


def test_a_log_without_entries_or_petition_answers_404(campaign: Campaign) -> None:
    for path in ("checkpoint", "entries", "consistency?from=0"):
        answer = campaign.client.get(f"{campaign.log.base}/{path}")
        assert answer.status_code == 404, path
        assert answer.json["error"]["code"] == "no_checkpoint"
    answer = campaign.client.get("/api/v1/petitions/no-such/log/checkpoint")
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"


def test_the_log_and_its_api_hold_no_personal_data(campaign: Campaign) -> None:
    ids = campaign.sign(40)
    for signature_id in ids:
        campaign.confirm(signature_id)
    campaign.append()
    for signature_id in ids[:5]:
        campaign.withdraw(signature_id)
    campaign.moderate(ids[5])
    campaign.append()
    sessions = database(campaign.app).sessions
    with sessions() as session:
        keys = [
            value
            for row in session.execute(select(Signature.email_key, Signature.ip_key))
            for value in row
            if value and not value.startswith("withdrawn")
        ]
        tables = "\n".join(
            repr(row)
            for name in ("log_entries", "log_checkpoints", "log_cosignatures", "log_witnesses")
            for row in session.execute(text(f"SELECT * FROM {name}"))
        )
    size = campaign.log.checkpoint()[0].size
    published = "\n".join(
        [
            campaign.client.get(f"{campaign.log.base}/entries?start=0&end={size}").text,
            campaign.client.get(f"{campaign.log.base}/checkpoint").text,
            *(base64.b64decode(entry["leaf"]).decode() for entry in campaign.log.entries(size)),
        ]
    )
    assert len(keys) >= 35
    for where in (published, tables):
        for person in campaign.people.values():
            for value in person.values():
                assert value not in where
                assert value.lower() not in where.lower()
        for key in keys:
            assert key not in where
    assert size == 46


@pytest.fixture
def witnesses(app: Flask) -> dict[str, tuple[str, notes.Signer]]:
    """Two partners abroad, each with a token and a witness key."""
    made = {}
    with database(app).sessions() as session:
        for code, name in (("ituc", "ITUC Brussels"), ("lo-norway", "LO Norway")):
            partners.create(session, code, name, [], by=CLI)
            token = auth.create(session, f"{code}-witness", code, by=CLI)
            skey, _ = notes.generate(code, cosigner=True)
            made[code] = (token, notes.Signer(skey))
    return made


def cosign(campaign: Campaign, token: str, witness: notes.Signer, **body: Any) -> Any:
    note = campaign.client.get(f"{campaign.log.base}/checkpoint").text
    checkpoint_body = note.split("\n\n", 1)[0] + "\n"
    line = notes.cosign(checkpoint_body, witness, 1_765_000_000)
    return campaign.client.post(
        f"{campaign.log.base}/cosignatures",
        json={"cosignature": line, "key": witness.vkey, **body},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_two_witnesses_cosign_and_the_checkpoint_carries_both(
    campaign: Campaign, witnesses: dict[str, tuple[str, notes.Signer]]
) -> None:
    for signature_id in campaign.sign(3):
        campaign.confirm(signature_id)
    campaign.append()
    for token, witness in witnesses.values():
        answer = cosign(campaign, token, witness)
        assert answer.status_code == 200, answer.text
    assert cosign(campaign, *witnesses["ituc"]).status_code == 200  # again: the same
    verifiers = [witness.verifier for _, witness in witnesses.values()]
    _, opened = campaign.log.checkpoint(*verifiers)
    assert sorted(s.name for s in opened.verified_by if s.timestamp) == ["ituc", "lo-norway"]
    with database(campaign.app).sessions() as session:
        petition_id = petitions.find(session, campaign.slug).id
        named = [name for name, _ in transparency.witnessed(session, petition_id)]
    assert sorted(named) == ["ITUC Brussels", "LO Norway"]


def test_a_cosignature_is_refused_unless_a_partner_signs_with_its_pinned_key(
    campaign: Campaign, app: Flask, witnesses: dict[str, tuple[str, notes.Signer]]
) -> None:
    campaign.confirm(campaign.sign(1)[0])
    campaign.append()
    token, witness = witnesses["ituc"]
    stranger = notes.Signer(notes.generate("ituc", cosigner=True)[0])
    assert cosign(campaign, token, witness).status_code == 200  # pins the key
    other = cosign(campaign, token, stranger)
    assert (other.status_code, other.json["error"]["code"]) == (409, "key_differs")
    unkeyed = cosign(campaign, token, stranger, key=None)
    assert (unkeyed.status_code, unkeyed.json["error"]["code"]) == (422, "invalid_cosignature")
    newcomer_token, newcomer = witnesses["lo-norway"]
    keyless = cosign(campaign, newcomer_token, newcomer, key=None)
    assert (keyless.status_code, keyless.json["error"]["code"]) == (422, "key_required")
    log_key = notes.Signer(notes.generate("lo-norway")[0])  # a log key is no witness key
    wrong_type = cosign(campaign, newcomer_token, newcomer, key=log_key.vkey)
    assert wrong_type.status_code == 422
    with database(app).sessions() as session:
        organiser = auth.create(session, "organiser", by=CLI)
    assert cosign(campaign, organiser, witness).status_code == 403
    assert cosign(campaign, "wrong", witness).status_code == 401
    nobody = campaign.client.post(f"{campaign.log.base}/cosignatures", json={"cosignature": "x"})
    assert nobody.status_code == 401
    assert cosign(campaign, token, witness, size=7).status_code == 404
    # The refused attempts pinned nothing: the newcomer's own key still works.
    assert cosign(campaign, newcomer_token, newcomer).status_code == 200


def test_two_appenders_at_once_log_each_change_once(campaign: Campaign) -> None:
    for signature_id in campaign.sign(30):
        campaign.confirm(signature_id)
    sessions, found = database(campaign.app).sessions, []
    start = threading.Barrier(2)

    def mailer() -> None:  # two mailers, as two hosts would run them
        start.wait()
        found.append(transparency.append(sessions, settings(campaign.app)))

    both = [threading.Thread(target=mailer) for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    assert sorted(found) == [0, 30]
    assert campaign.log.rebuild() == []
    assert campaign.log_count() == campaign.public_count() == 30


def test_the_mailer_logs_a_confirmation_in_its_next_round(
    signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transparency, "INTERVAL", 0.0)
    signer.sign_and_confirm("dana@example.org")
    signer.deliver()  # the mailer's next round
    log = LogReader(signer.client, signer.slug)
    checkpoint, _ = log.checkpoint()
    assert (checkpoint.size, checkpoint.count) == (1, 1)
    assert log.entries(1)[0]["kind"] == "signed"


def test_the_mailer_looks_for_changes_only_every_interval(
    signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer.sign_and_confirm("dana@example.org")  # its round looked: nothing was confirmed yet
    signer.deliver()
    answer = signer.client.get(f"/api/v1/petitions/{signer.slug}/log/checkpoint")
    assert answer.status_code == 404
    monkeypatch.setattr(transparency.time, "monotonic", lambda: 1e12)  # INTERVAL has passed
    signer.deliver()
    assert LogReader(signer.client, signer.slug).checkpoint()[0].size == 1


def test_the_kept_checkpoints_are_listed_oldest_first(campaign: Campaign) -> None:
    ids = campaign.sign(3)
    for signature_id in ids:
        campaign.confirm(signature_id)
        campaign.append()
    campaign.withdraw(ids[0])
    campaign.append()
    listed = campaign.client.get(f"{campaign.log.base}/checkpoints").json
    assert [(c["size"], c["count"]) for c in listed["checkpoints"]] == [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 2),
    ]
    assert listed["has_more"] is False
    later = campaign.client.get(f"{campaign.log.base}/checkpoints?start=3").json
    assert [c["size"] for c in later["checkpoints"]] == [4]


def test_the_confirmation_page_shows_the_receipt_whose_commitment_is_logged(
    campaign: Campaign,
) -> None:
    [signature_id] = campaign.sign(1)
    token = campaign.token(tokens.VERIFY, signature_id)
    page = campaign.client.post(f"/verify/{token}")
    found = re.search(r'<code class="receipt-code" id="receipt">([A-Z2-7-]+)</code>', page.text)
    assert found, page.text
    receipt = found.group(1)
    assert f"/p/{campaign.slug}/check?lang=en#{receipt}" in page.text
    assert "Copy the receipt" in page.text
    campaign.append()
    made = transparency.commitment(receipt)
    assert campaign.log.entries(1)[0]["commitment"] == made
    again = campaign.client.get(f"/verify/{token}")  # the link opened again: the same receipt
    assert receipt in again.text


def test_the_check_page_may_run_webassembly_and_no_other_page_may(campaign: Campaign) -> None:
    check = campaign.client.get(f"/p/{campaign.slug}/check?lang=kk")
    assert check.status_code == 200
    assert "Қолтаңбаңызды ашық есеп журналынан тексеріңіз" in check.text
    assert "script-src 'self' 'wasm-unsafe-eval'" in check.headers["Content-Security-Policy"]
    assert "js/check.js" in check.text
    petition = campaign.client.get(f"/p/{campaign.slug}")
    assert "wasm-unsafe-eval" not in petition.headers["Content-Security-Policy"]
    assert campaign.client.get("/p/no-such/check").status_code == 404


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Count verified by: ITUC Brussels, LO Norway, 5 minutes ago"),
        ("ru", "Подсчёт заверили: ITUC Brussels, LO Norway, 5 минут назад"),
        ("kk", "Есепті куәландырғандар: ITUC Brussels, LO Norway, 5 минут бұрын"),
    ],
)
def test_the_petition_page_names_the_witnesses_and_when_they_last_checked(
    campaign: Campaign,
    witnesses: dict[str, tuple[str, notes.Signer]],
    lang: str,
    said: str,
) -> None:
    page = campaign.client.get(f"/p/{campaign.slug}?lang={lang}")
    assert 'class="witnessed' not in page.text  # no witness yet: nothing claimed
    campaign.confirm(campaign.sign(1)[0])
    campaign.append()
    for token, witness in witnesses.values():
        assert cosign(campaign, token, witness).status_code == 200
    with database(campaign.app).sessions.begin() as session:
        session.execute(
            update(LogCosignature).values(created_at=utcnow() - timedelta(minutes=5, seconds=20))
        )
    page = campaign.client.get(f"/p/{campaign.slug}?lang={lang}")
    assert said in page.text


def test_proofs_are_limited_per_address_for_they_read_the_whole_tree(
    database_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True)
    campaign = Campaign(app, create_petition(app))
    for signature_id in campaign.sign(2):
        campaign.confirm(signature_id)
    campaign.append()
    answers = [
        campaign.client.get(f"{campaign.log.base}/consistency?from=1&to=2").status_code
        for _ in range(61)
    ]
    assert answers == [200] * 60 + [429]
    # Another address checks its receipt as ever.
    other = campaign.client.get(
        f"{campaign.log.base}/consistency?from=1&to=2", environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert other.status_code == 200
    database(app).engine.dispose()
