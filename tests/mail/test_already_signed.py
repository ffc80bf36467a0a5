"""Signing again: every address gets the same answer, and the email its signer needs.

New: the verification email. Pending: that email again (at most every
RESEND_INTERVAL). Verified: an email saying so, with the withdraw link.
Withdrawn: a new signature from the start.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from undersign.campaigns import petitions
from undersign.core import sealing
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature, utcnow
from undersign.signers.signing import MAX_EMAILS_PER_SIGNATURE, RESEND_INTERVAL

from tests.conftest import LINK, Signer, SMTPServer
from tests.core.test_sealing import SLUG, make_sealed_petition

# Headers that change with every request whatever address it names: its id, how many more
# this client may send (the same count down for every address), and when its window resets
# (which moves with the clock: three requests may straddle a second).
PER_REQUEST = {"X-Request-ID", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"}


def answer_of(response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = [(k, "…" if k in PER_REQUEST else v) for k, v in response.headers.items()]
    return response.status_code, response.get_data(), headers


def age_emails(app: Flask, by: timedelta = RESEND_INTERVAL) -> None:
    """Move every signature's last email back by `by`, as if that much time had passed."""
    with database(app).sessions.begin() as session:
        session.execute(update(Signature).values(last_email_at=utcnow() - by))


def subjects(signer: Signer, address: str) -> list[str]:
    return [message["Subject"] for message in signer.inbox(address)]


def links(message) -> dict[str, str]:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return dict(LINK.findall(body))


def test_new_pending_and_verified_addresses_get_byte_identical_answers(signer, app):
    signer.sign_and_confirm("verified@example.org")
    signer.sign(email="pending@example.org")
    assert signer.deliver() == 1
    age_emails(app)

    answers = {
        "new": signer.sign(email="new@example.org"),
        "pending": signer.sign(email="pending@example.org"),
        "verified": signer.sign(email="verified@example.org"),
    }
    first, *others = [answer_of(answer) for answer in answers.values()]
    assert first[0] == 202
    for other in others:
        assert other == first

    assert signer.deliver() == 3, "each of the three is mailed"
    assert subjects(signer, "new@example.org") == ["Please confirm your signature: Save the plant"]
    assert (
        subjects(signer, "pending@example.org")
        == ["Please confirm your signature: Save the plant"] * 2
    )
    assert subjects(signer, "verified@example.org") == [
        "Please confirm your signature: Save the plant",
        "You have already signed: Save the plant",
    ]


def test_a_verified_signer_who_signs_again_is_told_so_with_a_working_withdraw_link(signer, app):
    signer.sign_and_confirm("worker@example.org")
    age_emails(app)
    assert signer.sign(email="Worker@Example.org").status_code == 202
    assert signer.deliver() == 1

    told = signer.inbox("worker@example.org")[-1]
    assert told["Subject"] == "You have already signed: Save the plant"
    text = told.get_body(preferencelist=("plain",)).get_content()
    html = told.get_body(preferencelist=("html",)).get_content()
    assert "confirmed and counted" in text and "confirmed and counted" in html
    found = links(told)
    assert set(found) == {"withdraw"}, "nothing to confirm: only the way out"
    assert found["withdraw"] in html
    assert signer.count() == 1, "telling changes nothing"
    privacy = "http://localhost/p/test-petition/privacy?lang=en"
    assert privacy in text and privacy in html
    assert signer.client.get(privacy.removeprefix("http://localhost")).status_code == 200

    page = signer.client.get(f"/withdraw/{found['withdraw']}")
    assert page.status_code == 200
    assert signer.client.post(f"/withdraw/{found['withdraw']}").status_code == 200
    assert signer.count() == 0


@pytest.mark.parametrize(
    ("locale", "subject", "words"),
    [
        ("ru", "Вы уже подписали: Спасите завод", "подпись подтверждена и учтена"),
        ("kk", "Сіз бұған дейін қол қойғансыз: Зауытты сақтаңыз", "есепке алынды"),
    ],
)
def test_the_already_signed_email_is_in_the_signers_language(signer, app, locale, subject, words):
    signer.sign_and_confirm("lang@example.org", locale=locale)
    age_emails(app)
    signer.sign(email="lang@example.org", locale=locale)
    signer.deliver()
    told = signer.inbox("lang@example.org")[-1]
    assert told["Subject"] == subject
    assert told["Content-Language"] == locale
    assert words in told.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    ("locale", "title", "quoted"),
    [
        ("ru", "Нет «консервации» завода", "«Нет „консервации“ завода»"),
        ("kk", "Зауытты «консервациялауға» жол жоқ", "«Зауытты „консервациялауға“ жол жоқ»"),
        ("en", "Stop the “conservation”", "“Stop the ‘conservation’”"),
    ],
)
def test_a_title_with_quotes_is_quoted_inside_the_already_signed_email_as_in_print(
    signer, app, locale, title, quoted
):
    with database(app).sessions() as session:
        petition = petitions.find(session, signer.slug)
        petitions.translate(session, petition, locale, {"title": title}, by=CLI)
    signer.sign_and_confirm("quoted@example.org", locale=locale)
    age_emails(app)
    signer.sign(email="quoted@example.org", locale=locale)
    signer.deliver()
    told = signer.inbox("quoted@example.org")[-1]
    for part in ("plain", "html"):
        body = told.get_body(preferencelist=(part,)).get_content()
        assert quoted in body, f"{part}: {body}"


def test_telling_a_verified_signer_is_limited_like_every_resend(signer, app):
    signer.sign_and_confirm("often@example.org")
    signer.sign(email="often@example.org")
    signer.deliver()
    assert len(signer.inbox("often@example.org")) == 1, "nothing within ten minutes"

    for _ in range(MAX_EMAILS_PER_SIGNATURE + 2):
        age_emails(app)
        signer.sign(email="often@example.org")
    signer.deliver()
    assert len(signer.inbox("often@example.org")) == MAX_EMAILS_PER_SIGNATURE


def test_a_signature_an_organiser_invalidated_gets_no_more_email(signer, app):
    signer.sign_and_confirm("fake@example.org")
    with database(app).sessions.begin() as session:
        session.execute(update(Signature).values(invalidated_at=utcnow()))
    age_emails(app)
    assert signer.sign(email="fake@example.org").status_code == 202
    assert signer.deliver() == 0, "not told it is counted: it is not"


def test_a_pending_signer_gets_the_verification_email_again_at_most_every_interval(signer, app):
    signer.sign(email="slow@example.org")
    signer.sign(email="slow@example.org")
    assert signer.deliver() == 1
    age_emails(app)
    signer.sign(email="slow@example.org")
    assert signer.deliver() == 1
    first, second = signer.inbox("slow@example.org")
    assert first["Subject"] == second["Subject"]
    assert signer.confirm("slow@example.org").status_code == 200


def test_a_withdrawn_signer_who_signs_again_starts_afresh(signer, app):
    signer.sign_and_confirm("back@example.org", name="First Time")
    withdraw = signer.token("back@example.org", "withdraw")
    assert signer.client.post(f"/withdraw/{withdraw}").status_code == 200
    assert signer.count() == 0

    assert signer.sign(email="back@example.org", name="Second Time").status_code == 202
    signer.deliver()
    fresh = signer.inbox("back@example.org")[-1]
    assert fresh["Subject"] == "Please confirm your signature: Save the plant"
    assert signer.confirm("back@example.org").status_code == 200
    assert signer.count() == 1
    with database(app).sessions() as session:
        names = session.scalars(select(Signature.name).order_by(Signature.id)).all()
    assert names == ["", "Second Time"], "the withdrawn one stays erased"


def test_a_verified_signer_of_a_sealed_petition_is_told_and_the_address_sealed_again(
    app: Flask, client: FlaskClient, smtp: SMTPServer
):
    key = sealing.generate()
    make_sealed_petition(app, key.public)
    sealed = Signer(app, client, smtp, SLUG)
    sealed.sign_and_confirm("sealed@example.org")
    age_emails(app)

    assert sealed.sign(email="sealed@example.org").status_code == 202
    assert sealed.deliver() == 1
    told = sealed.inbox("sealed@example.org")[-1]
    assert told["Subject"] == "You have already signed: Save the plant"
    assert "Aigerim" not in told.get_body(preferencelist=("plain",)).get_content()
    with database(app).sessions() as session:
        (address,) = session.scalars(select(Signature.email)).all()
        assert not session.scalars(select(OutboxMessage)).all()
    assert sealing.is_sealed(address), "the address is sealed again once the email left"
    assert sealing.open_value([key.private], address) == "sealed@example.org"
