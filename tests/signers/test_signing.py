"""Signing: the whole loop, duplicates, the same work for every address, the honeypot,
closed petitions, resend limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import delete, event, func, select, update
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Petition, Signature, utcnow
from undersign.signers.signing import MAX_EMAILS_PER_SIGNATURE, RESEND_INTERVAL

from tests.conftest import FORM_TOKEN, statements_sent


def rows(app, model=Signature):
    with database(app).sessions() as session:
        return session.scalars(select(model)).all()


def test_sign_confirm_and_the_count_goes_up(signer):
    assert signer.count() == 0
    answer = signer.sign(email="worker@example.org")
    assert answer.status_code == 202
    assert answer.json["status"] == "pending"
    assert signer.count() == 0, "unconfirmed signatures are not counted"

    assert signer.deliver() == 1
    confirmed = signer.confirm("worker@example.org")
    assert confirmed.status_code == 200
    assert signer.count() == 1


def test_the_verification_email_is_in_the_signers_language(signer):
    signer.sign(email="ru@example.org", locale="ru")
    signer.sign(email="kk@example.org", locale="kk")
    signer.deliver()
    (russian,) = signer.inbox("ru@example.org")
    (kazakh,) = signer.inbox("kk@example.org")
    assert russian["Subject"] == "Подтвердите подпись: Спасите завод"
    assert "Қолтаңбаңызды растаңыз" in kazakh["Subject"]
    for message in (russian, kazakh):
        kinds = {part.get_content_type() for part in message.iter_parts()}
        assert kinds == {"text/plain", "text/html"}


def test_the_case_of_an_address_does_not_make_another_spelling(signer, app):
    signer.sign(email="worker@example.org")
    assert signer.sign(email="Worker@Example.ORG").status_code == 202
    assert len(rows(app)) == 1


@pytest.mark.parametrize("variant", ["worker+petitions@example.org", "Worker+X@example.org"])
def test_each_spelling_gets_its_own_email_and_the_person_counts_once(signer, app, variant):
    signer.sign(email="worker@example.org")
    assert signer.sign(email=variant).status_code == 202
    signer.deliver()
    assert len(signer.inbox("worker@example.org")) == 1
    assert len(signer.inbox(variant)) == 1, "the email goes to the spelling typed"
    assert signer.confirm(variant).status_code == 200
    assert signer.confirm("worker@example.org").status_code == 409
    assert signer.count() == 1


def test_gmail_dots_and_googlemail_are_the_same_person(signer, app):
    spellings = ["ai.gerim.b@gmail.com", "aigerimb@googlemail.com", "a.i.g.e.r.i.m.b+kz@gmail.com"]
    for address in spellings:
        signer.sign(email=address)
    signer.deliver()
    answers = [signer.confirm(address).status_code for address in spellings]
    assert answers == [200, 409, 409]
    assert signer.count() == 1


def test_dots_elsewhere_make_another_person(signer, app):
    signer.sign(email="a.b@example.org")
    signer.sign(email="ab@example.org")
    assert len(rows(app)) == 2


def test_twenty_concurrent_posts_of_one_address_leave_one_row(signer, app):
    def post(n):
        client = app.test_client()
        return client.post(
            f"/api/v1/petitions/{signer.slug}/signatures",
            json={"name": f"Same {n}", "email": "Same@Example.org", "country": "KZ"},
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(post, range(20)))
    assert statuses == [202] * 20
    assert len(rows(app)) == 1
    assert len(rows(app, OutboxMessage)) == 1, "one verification email, not twenty"


def test_a_new_and_a_repeated_address_get_identical_answers(signer):
    first = signer.sign(email="someone@example.org")
    again = signer.sign(email="someone@example.org")
    signer.deliver()
    signer.confirm("someone@example.org")
    after_confirming = signer.sign(email="someone@example.org")
    assert first.status_code == again.status_code == after_confirming.status_code == 202
    assert first.get_data() == again.get_data() == after_confirming.get_data()


def test_new_pending_and_verified_addresses_cost_the_database_the_same_statements(signer, app):
    """The answer's timing must not say who signed: every path runs the same SQL, in order."""
    signer.sign_and_confirm("verified@example.org")
    signer.sign(email="pending@example.org")
    _age_last_email(app, RESEND_INTERVAL)
    signer.sign(email="limited@example.org")  # signs again at once: no email may go

    ran: list[str] = []

    def record(driver, statement, parameters):
        # On PostgreSQL, a statement run with no BEGIN before it says so.
        autocommit = getattr(driver, "autocommit", False)
        ran.append(f"{statement} (autocommit)" if autocommit else statement)

    statements = {}
    engine = database(app).engine
    with statements_sent(engine, record):
        for who in ("new", "pending", "verified", "limited"):
            ran.clear()
            assert signer.sign(email=f"{who}@example.org").status_code == 202
            statements[who] = list(ran)
    if engine.dialect.name == "postgresql":  # one round trip: no BEGIN, no COMMIT, one statement
        assert len(statements["new"]) == 1
        assert statements["new"][0].endswith("(autocommit)")
    else:  # BEGIN, the signature, its outbox row (SQLite cannot do both in one statement)
        assert len(statements["new"]) == 3
    assert statements["pending"] == statements["new"]
    assert statements["verified"] == statements["new"]
    assert statements["limited"] == statements["new"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("address", ["203.0.113.7", ""], ids=["counted address", "no address"])
def test_psycopg_keeps_the_signing_statement_parsed_between_signatures(signer, app, address):
    # Past either limit psycopg re-parses the statement on every signature: ~12% of a worker's CPU.
    sent: list[tuple[str, dict]] = []

    def record(driver, statement, parameters):
        if statement.startswith("WITH signed AS"):
            sent.append((statement, parameters))

    signer.client.environ_base["REMOTE_ADDR"] = address
    with statements_sent(database(app).engine, record):
        assert signer.sign(email="parsed@example.org").status_code == 202
    ((statement, parameters),) = sent
    assert ("ip_key = " in statement) == bool(address), "the variant for this client ran"
    assert len(statement.encode()) <= MAX_CACHED_STATEMENT_LENGTH
    assert len(parameters) <= MAX_CACHED_STATEMENT_PARAMS


def test_the_honeypot_answers_as_success_and_keeps_nothing(signer, app):
    answer = signer.sign(email="bot@example.org", website="http://spam.example")
    assert answer.status_code == 202
    assert answer.get_data() == signer.sign(email="human@example.org").get_data()
    assert [s.email for s in rows(app)] == ["human@example.org"]


def test_a_closed_petition_refuses_with_409(signer, app):
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).values(status="closed"))
    answer = signer.sign()
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "petition_closed"
    assert rows(app) == []


@pytest.mark.parametrize(
    "closing", [{"status": "closed"}, {"closes_at": utcnow() - timedelta(seconds=1)}]
)
def test_a_petition_closed_between_two_signatures_refuses_the_second(signer, app, closing):
    """Signing remembers a petition it has seen (for its seal key), never whether it is open."""
    assert signer.sign(email="first@example.org").status_code == 202
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).values(**closing))
    answer = signer.sign(email="second@example.org")
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "petition_closed"
    assert [s.email for s in rows(app)] == ["first@example.org"]
    assert len(rows(app, OutboxMessage)) == 1, "no email for the refused signer"


def test_a_petition_closing_later_takes_signatures(signer, app):
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).values(closes_at=utcnow() + timedelta(days=1)))
    for address in ("first@example.org", "second@example.org"):
        assert signer.sign(email=address).status_code == 202
    assert len(rows(app)) == 2


def test_a_petition_deleted_between_two_signatures_is_404(signer, app):
    assert signer.sign(email="first@example.org").status_code == 202
    with database(app).sessions.begin() as session:
        session.execute(delete(Petition))
    answer = signer.sign(email="second@example.org")
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"
    assert rows(app) == []


def test_a_petition_past_its_closing_time_refuses(signer, app):
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).values(closes_at=utcnow() - timedelta(minutes=1)))
    assert signer.sign().status_code == 409


def test_an_unknown_petition_is_404(client):
    answer = client.post(
        "/api/v1/petitions/nope/signatures",
        json={"name": "A", "email": "a@example.org", "country": "KZ"},
    )
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"


def test_signing_again_while_pending_resends_at_most_every_ten_minutes(signer, app):
    signer.sign(email="late@example.org")
    signer.sign(email="late@example.org")
    assert len(rows(app, OutboxMessage)) == 1, "no second email within ten minutes"

    _age_last_email(app, RESEND_INTERVAL)
    signer.sign(email="late@example.org")
    assert len(rows(app, OutboxMessage)) == 2


def test_no_more_than_five_emails_per_signature(signer, app):
    for _ in range(MAX_EMAILS_PER_SIGNATURE + 3):
        signer.sign(email="again@example.org")
        _age_last_email(app, RESEND_INTERVAL)
    signer.deliver()
    assert len(signer.inbox("again@example.org")) == MAX_EMAILS_PER_SIGNATURE


def test_signing_again_right_after_confirming_sends_nothing_more(signer):
    signer.sign_and_confirm("done@example.org")
    signer.sign(email="done@example.org")
    signer.deliver()
    assert len(signer.inbox("done@example.org")) == 1
    assert signer.count() == 1


def test_the_partner_source_is_recorded(signer, app):
    signer.sign(email="p@example.org", source="kz-union")
    assert rows(app)[0].source == "kz-union"


def test_many_signatures_from_one_address_are_kept_and_flagged(signer, app):
    app.extensions["undersign.settings"] = _with(app, shared_address_threshold=3)
    for n in range(5):
        assert signer.sign(email=f"worker{n}@plant.example").status_code == 202
    flags = [s.flagged for s in sorted(rows(app), key=lambda s: s.id)]
    assert flags == [False, False, False, True, True]


def test_no_raw_address_is_stored(signer, app):
    signer.sign(email="ip@example.org")
    with database(app).sessions() as session:
        stored = session.execute(select(Signature.ip_key)).scalar_one()
    assert stored is not None and "127.0.0.1" not in stored and len(stored) == 64


def test_a_signature_is_written_with_its_email_or_not_at_all(signer, app):
    signer.sign(email="atomic@example.org")
    with database(app).sessions() as session:
        signatures = session.scalar(select(func.count()).select_from(Signature))
        messages = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert signatures == messages == 1


def _age_last_email(app, by):
    with database(app).sessions.begin() as session:
        session.execute(update(Signature).values(last_email_at=utcnow() - by))


def _with(app, **changes):
    from dataclasses import replace

    return replace(app.extensions["undersign.settings"], **changes)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_signing_holds_one_database_connection_whether_by_api_or_by_the_form(signer, app, petition):
    # The API signs on a connection of its own; the form's post has read the petition on the
    # request's session already, and signs on that connection rather than hold a second.
    engine = database(app).engine
    held, most = [0], [0]

    def checkout(*_: object) -> None:
        held[0] += 1
        most[0] = max(most[0], held[0])

    def checkin(*_: object) -> None:
        held[0] -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        assert signer.sign(email="api@example.org").status_code == 202
        by_api, most[0] = most[0], 0
        page = signer.client.get(f"/p/{petition}")
        form = {"name": "Aigerim Bekova", "email": "form@example.org", "country": "KZ"}
        form["form_token"] = FORM_TOKEN.search(page.text).group(1)
        assert signer.client.post(f"/p/{petition}", data=form).status_code == 202
        by_form = most[0]
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
    assert (by_api, by_form) == (1, 1)
    assert {"api@example.org", "form@example.org"} <= {s.email for s in rows(app)}
