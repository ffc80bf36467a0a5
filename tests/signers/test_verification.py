"""Email links: confirm with a POST, reuse shows success, expiry, tampering, withdrawal."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select, update
from undersign.core import identity, tokens
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature, utcnow
from undersign.signers import retention


def api_verify(client, token):
    return client.post("/api/v1/signatures/verify", json={"token": token})


def api_withdraw(client, token):
    return client.post("/api/v1/signatures/withdraw", json={"token": token})


def test_opening_the_link_does_not_confirm_only_the_button_does(signer):
    signer.sign(email="scan@example.org")
    signer.deliver()
    token = signer.token("scan@example.org")
    page = signer.client.get(f"/verify/{token}")
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert signer.count() == 0, "a link scanner's GET must not verify"
    signer.client.post(f"/verify/{token}")
    assert signer.count() == 1


def test_the_api_verifies_and_reports_the_count(signer):
    signer.sign(email="api@example.org")
    signer.deliver()
    answer = api_verify(signer.client, signer.token("api@example.org"))
    assert answer.status_code == 200
    body = dict(answer.json)
    receipt = body.pop("receipt")  # the signature log's (signers/transparency.py)
    assert body == {"status": "verified", "petition": "test-petition", "signature_count": 1}
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){4}", receipt)


def test_reusing_a_link_after_success_shows_success_again(signer):
    signer.sign_and_confirm("twice@example.org")
    token = signer.token("twice@example.org")
    again = signer.client.post(f"/verify/{token}")
    assert again.status_code == 200
    assert "your signature is counted" in again.get_data(as_text=True)
    assert api_verify(signer.client, token).json["status"] == "verified"
    assert signer.count() == 1, "confirming twice counts once"


def test_the_result_page_speaks_the_signers_language(signer):
    signer.sign(email="kk@example.org", locale="kk")
    signer.deliver()
    page = signer.confirm("kk@example.org")
    assert "Рақмет! Қолтаңбаңыз есептелді" in page.get_data(as_text=True)


def test_a_tampered_token_is_refused(signer):
    signer.sign(email="tamper@example.org")
    signer.deliver()
    token = signer.token("tamper@example.org")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert api_verify(signer.client, forged).status_code == 400
    assert api_verify(signer.client, forged).json["error"]["code"] == "invalid_token"
    assert signer.client.post(f"/verify/{forged}").status_code == 400
    assert signer.count() == 0


def test_a_token_signed_with_another_key_is_refused(signer):
    signer.sign(email="other@example.org")
    foreign = URLSafeTimedSerializer("not-our-key", salt=tokens.VERIFY.salt).dumps(1)
    answer = api_verify(signer.client, foreign)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "invalid_token"
    assert signer.client.post(f"/verify/{foreign}").status_code == 400
    assert signer.count() == 0


def test_a_withdraw_token_cannot_verify(signer):
    signer.sign(email="salt@example.org")
    signer.deliver()
    withdraw_token = signer.token("salt@example.org", "withdraw")
    assert api_verify(signer.client, withdraw_token).status_code == 400
    assert signer.count() == 0


def test_an_expired_token_is_refused_with_a_helpful_page(signer, monkeypatch):
    signer.sign(email="late@example.org")
    signer.deliver()
    token = signer.token("late@example.org")
    monkeypatch.setattr(tokens, "VERIFY", tokens.Purpose(tokens.VERIFY.salt, timedelta(seconds=-1)))
    answer = api_verify(signer.client, token)
    assert answer.status_code == 410
    assert answer.json["error"]["code"] == "expired_token"
    page = signer.client.post(f"/verify/{token}")
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    assert signer.count() == 0


def test_an_expired_link_that_already_worked_still_shows_success(signer, monkeypatch):
    signer.sign_and_confirm("early@example.org")
    token = signer.token("early@example.org")
    monkeypatch.setattr(tokens, "VERIFY", tokens.Purpose(tokens.VERIFY.salt, timedelta(seconds=-1)))
    answer = api_verify(signer.client, token)
    assert answer.status_code == 200
    assert answer.json == {"status": "verified", "petition": "test-petition", "signature_count": 1}
    page = signer.client.post(f"/verify/{token}")
    assert page.status_code == 200
    assert "your signature is counted" in page.text
    assert "This link has expired" not in page.text
    assert signer.count() == 1


def test_keys_rotate_through_the_fallbacks(signer, app):
    signer.sign(email="rotate@example.org")
    signer.deliver()
    token = signer.token("rotate@example.org")
    from dataclasses import replace

    settings = app.extensions["undersign.settings"]
    app.extensions["undersign.settings"] = replace(
        settings, secret_key="a-new-key", secret_key_fallbacks=(settings.secret_key,)
    )
    assert api_verify(signer.client, token).status_code == 200
    app.extensions["undersign.settings"] = replace(
        settings, secret_key="a-new-key", secret_key_fallbacks=()
    )
    assert api_verify(signer.client, token).status_code == 400


def test_withdrawing_removes_the_signature_and_erases_the_signer(signer, app):
    signer.sign_and_confirm(
        "gone@example.org", name="Erlan Sadykov", city="Satpaev", comment="Solidarity"
    )
    assert signer.count() == 1
    page = signer.client.get(f"/withdraw/{signer.token('gone@example.org', 'withdraw')}")
    assert page.status_code == 200 and signer.count() == 1, "a GET withdraws nothing"
    answer = api_withdraw(signer.client, signer.token("gone@example.org", "withdraw"))
    assert answer.status_code == 200
    assert answer.json["status"] == "withdrawn"
    assert signer.count() == 0
    with database(app).sessions() as session:
        row = session.scalars(select(Signature)).one()
    assert row.status == "withdrawn"
    assert (row.name, row.email, row.city, row.comment) == ("", "", None, None)


def test_withdrawing_is_idempotent_and_verify_then_answers_409(signer):
    signer.sign_and_confirm("twice@example.org")
    withdraw_token = signer.token("twice@example.org", "withdraw")
    assert api_withdraw(signer.client, withdraw_token).status_code == 200
    assert api_withdraw(signer.client, withdraw_token).status_code == 200
    assert signer.count() == 0
    answer = api_verify(signer.client, signer.token("twice@example.org"))
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "withdrawn"


def test_withdrawing_a_pending_signature_cancels_its_emails(signer):
    signer.sign(email="pending@example.org")
    signer.deliver()
    api_withdraw(signer.client, signer.token("pending@example.org", "withdraw"))
    assert signer.count() == 0


def test_confirming_and_withdrawing_are_dated_and_each_withdrawal_keyed_apart(signer, app):
    for address in ("first@example.org", "second@example.org"):
        signer.sign_and_confirm(address)
    with database(app).sessions() as session:
        confirmed = session.scalars(select(Signature).order_by(Signature.id)).all()
    assert all(utcnow() - s.verified_at < timedelta(minutes=1) for s in confirmed)
    for address in ("first@example.org", "second@example.org"):
        assert api_withdraw(signer.client, signer.token(address, "withdraw")).status_code == 200
    with database(app).sessions() as session:
        withdrawn = session.scalars(select(Signature).order_by(Signature.id)).all()
    assert all(utcnow() - s.withdrawn_at < timedelta(minutes=1) for s in withdrawn)
    assert [s.email_key for s in withdrawn] == [f"withdrawn:{s.id}" for s in withdrawn]


def test_withdrawing_drops_the_signers_own_queued_email_and_no_one_elses(signer, app):
    signer.sign(email="leaving@example.org")
    signer.sign(email="staying@example.org")
    with database(app).sessions() as session:
        leaving, staying = session.scalars(select(Signature.id).order_by(Signature.id)).all()
    keys = app.extensions["undersign.settings"].signing_keys
    assert (
        api_withdraw(signer.client, tokens.make(keys, tokens.WITHDRAW, leaving)).status_code == 200
    )
    with database(app).sessions() as session:
        assert session.scalars(select(OutboxMessage.signature_id)).all() == [staying]
    assert signer.deliver() == 1
    assert signer.inbox("leaving@example.org") == []


def test_an_expired_withdraw_link_used_again_still_shows_the_withdrawal(signer, monkeypatch):
    signer.sign_and_confirm("late@example.org", locale="kk")
    token = signer.token("late@example.org", "withdraw")
    done = "Қолтаңбаңыз кері қайтарып алынды"  # in the signer's language
    assert done in signer.client.post(f"/withdraw/{token}").text
    expired = tokens.Purpose(tokens.WITHDRAW.salt, timedelta(seconds=-1))
    monkeypatch.setattr(tokens, "WITHDRAW", expired)
    assert api_withdraw(signer.client, token).json["status"] == "withdrawn"
    page = signer.client.post(f"/withdraw/{token}")
    assert page.status_code == 200
    assert done in page.text


def test_signing_again_after_withdrawing_starts_afresh(signer):
    signer.sign_and_confirm("back@example.org")
    api_withdraw(signer.client, signer.token("back@example.org", "withdraw"))
    assert signer.sign(email="back@example.org").status_code == 202
    signer.deliver()
    assert len(signer.inbox("back@example.org")) == 2
    signer.confirm("back@example.org")
    assert signer.count() == 1


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 5}, {"token": "x" * 600}])
def test_a_missing_or_odd_token_is_422(client, body):
    assert client.post("/api/v1/signatures/verify", json=body).status_code == 422
    assert client.post("/api/v1/signatures/withdraw", json=body).status_code == 422


def test_an_old_link_never_reaches_a_later_signer_who_got_the_same_row_id(signer, app, monkeypatch):
    # Three weeks ago: Ana signed, her email went out (its links made then), she never confirmed.
    three_weeks_ago = datetime.now(UTC) - timedelta(days=21)
    assert signer.sign(email="ana@example.org").status_code == 202
    with database(app).sessions.begin() as session:
        session.execute(
            update(Signature).values(created_at=three_weeks_ago, last_email_at=three_weeks_ago)
        )
    then = int(three_weeks_ago.timestamp())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: then)
    signer.deliver()
    monkeypatch.undo()
    anas_withdraw_link = signer.token("ana@example.org", "withdraw")  # valid while data is kept
    with database(app).sessions() as session:
        (anas_id,) = session.scalars(select(Signature.id)).all()
        retention.purge(session)  # her unconfirmed signature is deleted
    # Today Bolat signs, in Kazakh; SQLite gives him the id Ana's row had.
    signer.sign_and_confirm("bolat@example.org", locale="kk")
    with database(app).sessions() as session:
        bolat = session.scalars(select(Signature)).one()
    if app.extensions["undersign.core.db"].engine.dialect.name == "sqlite":
        assert bolat.id == anas_id  # the reuse this test is about
    answer = signer.client.post(f"/withdraw/{anas_withdraw_link}")
    assert answer.status_code == 400
    assert '<html lang="en"' in answer.text, (
        "the page knows nothing of Bolat, not even his language"
    )
    assert api_withdraw(signer.client, anas_withdraw_link).status_code == 400
    assert signer.count() == 1  # Bolat still counts
    with database(app).sessions() as session:
        assert session.get(Signature, bolat.id).status == "verified"


def test_a_link_carries_no_readable_signature_number(signer):
    for n in range(3):
        assert signer.sign(email=f"p{n}@example.org").status_code == 202
    signer.deliver()
    payloads = []
    for n in range(3):
        for purpose in ("verify", "withdraw"):
            token = signer.token(f"p{n}@example.org", purpose)
            head = token.split(".")[0]
            payload = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            assert isinstance(payload, str) and not payload.isdigit()  # no id to read
            payloads.append(payload)
    assert len(set(payloads)) == 6  # no shared prefix counts the signers either
    assert len({p[:8] for p in payloads}) == 6
    assert signer.confirm("p1@example.org").status_code == 200


def test_a_link_sent_before_ids_were_hidden_still_works(signer, app):
    signer.sign(email="early@example.org")
    keys = app.extensions["undersign.settings"].signing_keys
    with database(app).sessions() as session:
        (signature_id,) = session.scalars(select(Signature.id)).all()
    old_style = URLSafeTimedSerializer(keys, salt=tokens.VERIFY.salt).dumps(signature_id)
    assert api_verify(signer.client, old_style).status_code == 200
    assert signer.count() == 1


def test_a_withdrawn_signature_keeps_nothing_that_finds_it_by_address(signer, app):
    signer.sign_and_confirm("gone@example.org", name="Gone Person")
    api_withdraw(signer.client, signer.token("gone@example.org", "withdraw"))
    # Whoever holds the database and the identity key looks for the address: nothing.
    key = identity.email_key(app.extensions["undersign.settings"].identity_key, "gone@example.org")
    with database(app).sessions() as session:
        assert session.scalar(select(Signature).where(Signature.email_key == key)) is None
        (row,) = session.scalars(select(Signature)).all()
        assert row.email_key.startswith("withdrawn:") and row.ip_key is None
        assert row.name == "" and row.email == ""
    # Signing again later is a new signature, counted once confirmed.
    signer.sign_and_confirm("gone@example.org")
    assert signer.count() == 1
