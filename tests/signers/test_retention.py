"""Personal data that ends: erased its petition's retention after closing, organisers reminded.

The clock is moved by passing `now` (no sleeps): the service's own runs (`undersign purge`,
the mailer's round) take the same functions with the real time.
"""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, update
from undersign.campaigns import paper, petitions
from undersign.cli import main as cli
from undersign.core import auth, counting, i18n, sealing, tokens
from undersign.core.auth import CLI
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.core.db import database
from undersign.core.models import (
    AuditEntry,
    LogCheckpoint,
    PaperSignature,
    Petition,
    Signature,
    SignatureStatus,
    utcnow,
)
from undersign.mail import reminders
from undersign.mail.worker import deliver_due
from undersign.signers import notice, retention, signing, transparency

from tests.conftest import Signer, SMTPServer, make_app
from tests.transparency.conftest import LogReader

SLUG = "test-petition"
OFFICE = "office@example.org"
MINUTE = timedelta(minutes=1)


def admin(app: Flask) -> dict[str, str]:
    with database(app).sessions() as session:
        token = auth.create(session, f"office-{utcnow().timestamp()}", by=CLI)
    return {"Authorization": f"Bearer {token}"}


def close(app: Flask, days_ago: float = 0, **columns: Any) -> Petition:
    """Close the petition as an organiser does, then move its closing `days_ago` back."""
    with database(app).sessions() as session:
        petition = petitions.find(session, SLUG)
        petitions.set_open(session, petition, False, by=CLI)
    with database(app).sessions.begin() as session:
        petition = petitions.find(session, SLUG)
        petition.closed_at = utcnow() - timedelta(days=days_ago)
        for name, value in columns.items():
            setattr(petition, name, value)
    return the_petition(app)


def the_petition(app: Flask) -> Petition:
    with database(app).sessions() as session:
        petition = petitions.find(session, SLUG)
        session.expunge(petition)
        return petition


def rows(app: Flask) -> list[Signature]:
    with database(app).sessions() as session:
        found = list(session.scalars(select(Signature).order_by(Signature.id)))
        session.expunge_all()
        return found


def paper_rows(app: Flask) -> list[tuple[str | None, str | None, bool, int]]:
    with database(app).sessions() as session:
        return [
            (row.name, row.city, row.named, row.number)
            for row in session.scalars(select(PaperSignature).order_by(PaperSignature.id))
        ]


@pytest.fixture
def campaign(app: Flask, signer: Signer) -> Signer:
    """Three confirmed signers (one on the wall), one who never confirmed, a typed-in paper list."""
    signer.sign_and_confirm(
        "ana@example.org", name="Ana Lee", city="Almaty", comment="Hold on", public=True
    )
    signer.sign_and_confirm("bo@example.org", name="Bo Kim", postcode="050000", named=True)
    signer.sign_and_confirm("cem@example.org", name="Cem Ak", country="RU")
    assert signer.sign(email="dana@example.org", name="Dana Ray").status_code == 202
    signer.deliver()
    with database(app).sessions() as session:
        petition = petitions.find(session, SLUG)
        entries = [paper.Entry("Erlan Sadykov", "Taraz", "KZ", date(2026, 11, 28), True)]
        paper.add_list(session, get_cache(app), petition, entries, note=None, by=CLI)
    transparency.append(database(app).sessions, settings(app))
    signer.approve_wall()
    return signer


def public_figures(app: Flask, signer: Signer) -> dict[str, Any]:
    """What the count, the stats and the log show anyone, and the organisers' dashboard."""
    board = signer.client.get(f"/api/v1/admin/petitions/{SLUG}/dashboard", headers=admin(app))
    assert board.status_code == 200, board.text
    with database(app).sessions() as session:
        petition_id = petitions.find(session, SLUG).id
        exact = counting.exact(session, petition_id)
        checkpoint = session.scalar(LogCheckpoint.latest(petition_id))
        assert checkpoint is not None
    stats = signer.client.get(f"/api/v1/petitions/{SLUG}/stats")
    return {
        "count": signer.count(),
        "exact": exact,
        "stats": stats.json if stats.status_code == 200 else stats.status_code,
        "by_country": board.json["by_country"],
        "by_day": board.json["by_day"],
        "paper": board.json["paper"],
        "log": (checkpoint.size, checkpoint.count, checkpoint.root),
    }


# --- erasure -------------------------------------------------------------------------------


def test_personal_fields_are_erased_retention_days_after_closing_and_nothing_before(
    app: Flask, campaign: Signer
) -> None:
    petition = close(app, retention_days=30)
    erases_at = petition.erases_at
    assert erases_at == petition.closed_at + timedelta(days=30)
    before = public_figures(app, campaign)
    assert before["count"] == 4  # three online, one on paper

    assert reminders.run(app, erases_at - MINUTE)["signatures erased"] == 0
    kept = rows(app)
    assert [r.name for r in kept] == ["Ana Lee", "Bo Kim", "Cem Ak", "Dana Ray"]
    assert paper_rows(app) == [("Erlan Sadykov", "Taraz", True, 1)]

    done = reminders.run(app, erases_at + MINUTE)
    assert done["signatures erased"] == 4 and done["paper names erased"] == 1
    for row in rows(app):
        assert (row.name, row.email, row.postcode, row.city, row.comment, row.shown) == (
            "",
            "",
            None,
            None,
            None,
            None,
        )
        assert row.email_key == row.spelling_key == f"erased:{row.id}"
        assert row.ip_key is None and not row.public and not row.named
    assert [r.country for r in rows(app)] == ["KZ", "KZ", "RU", "KZ"]
    assert [r.status for r in rows(app)][:3] == [SignatureStatus.VERIFIED] * 3
    assert paper_rows(app) == [(None, None, False, 1)]

    # The count, the stats, the dashboard and the log are as they were; the log's appender
    # sees no change, and anyone rebuilding the log from the API finds it whole.
    assert transparency.append(database(app).sessions, settings(app)) == 0
    assert public_figures(app, campaign) == before
    assert LogReader(campaign.client, SLUG).rebuild() == []
    # The wall has nothing to show, and the public page no name.
    page = campaign.client.get(f"/p/{SLUG}").text
    assert "Ana" not in page and "Almaty" not in page
    # The organisers' export has the rows, without anyone's details.
    export = campaign.client.get(f"/api/v1/admin/petitions/{SLUG}/export", headers=admin(app))
    assert export.status_code == 200
    assert not re.search(r"Ana|Bo Kim|Cem|example\.org|Almaty|050000|Erlan", export.text)

    # Idempotent: a second run (another mailer, a restart, `undersign purge`) does nothing.
    again = reminders.run(app, erases_at + 2 * MINUTE)
    assert again["signatures erased"] == 0 and again["paper names erased"] == 0
    with database(app).sessions() as session:
        logged = session.scalars(select(AuditEntry).where(AuditEntry.action == "petition.erase"))
        assert [(e.target, e.rows) for e in logged] == [(SLUG, 4)]
    assert public_figures(app, campaign) == before


def test_a_sealed_petitions_sealed_values_and_wall_entries_are_erased_too(
    app: Flask, signer: Signer
) -> None:
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).values(seal_key=sealing.generate().public))
    signer.sign_and_confirm("ana@example.org", city="Almaty", comment="Hold on", public=True)
    with database(app).sessions() as session:
        petition = petitions.find(session, SLUG)
        entries = [paper.Entry("Erlan Sadykov", "Taraz", "KZ", date(2026, 11, 28), True)]
        paper.add_list(session, get_cache(app), petition, entries, note=None, by=CLI)
    (row,) = rows(app)
    assert sealing.is_sealed(row.name) and sealing.is_sealed(row.email) and row.shown
    assert all(sealing.is_sealed(name or "") for name, *_ in paper_rows(app))
    erases_at = close(app).erases_at
    assert erases_at is not None
    reminders.run(app, erases_at + MINUTE)
    (row,) = rows(app)
    assert (row.name, row.email, row.city, row.comment, row.shown) == ("", "", None, None, None)
    assert paper_rows(app) == [(None, None, False, 1)]
    assert signer.count() == 2


def test_a_large_erasure_goes_on_round_after_round_and_purge_finishes_it(
    app: Flask, campaign: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "ERASE_ROWS", 1)
    monkeypatch.setattr(retention, "ERASE_BATCHES", 2)  # two signatures a mailer's round
    erases_at = close(app).erases_at
    assert erases_at is not None
    assert reminders.run(app, erases_at + MINUTE)["signatures erased"] == 2
    assert [r.name for r in rows(app)] == ["", "", "Cem Ak", "Dana Ray"]
    assert the_petition(app).erased_at is None, "not done yet"
    assert reminders.run(app, erases_at + 2 * MINUTE, whole=True)["signatures erased"] == 2
    assert {r.name for r in rows(app)} == {""}
    assert the_petition(app).erased_at is not None


def test_an_open_petition_without_a_closing_date_keeps_its_data(
    app: Flask, campaign: Signer
) -> None:
    assert the_petition(app).erases_at is None
    done = reminders.run(app, utcnow() + timedelta(days=3650))
    assert done["signatures erased"] == 0
    assert rows(app)[0].name == "Ana Lee"


def test_a_passed_closing_date_counts_as_closing(app: Flask, campaign: Signer) -> None:
    closes_at = utcnow() - timedelta(days=91)
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).values(closes_at=closes_at))
    assert the_petition(app).erases_at == closes_at + timedelta(days=90)  # the default
    result = CliRunner().invoke(
        cli, ["purge"], env={"UNDERSIGN_DATABASE_URL": _url(app), "UNDERSIGN_SECRET_KEY": "k"}
    )
    assert result.exit_code == 0, result.output
    assert "signatures erased: 4" in result.output
    assert {r.name for r in rows(app)} == {""}


def _url(app: Flask) -> str:
    return str(app.config["DATABASE_URL"])


def test_the_mailer_erases_on_its_own(
    app: Flask, campaign: Signer, database_url: str, tmp_path: Any
) -> None:
    close(app, days_ago=91)
    mailer = make_app(database_url, tmp_path)  # `undersign serve`'s mailer, just started
    deliver_due(mailer)  # one round, at the real time
    assert {r.name for r in rows(app)} == {""}
    database(mailer).engine.dispose()


def test_reopening_and_closing_again_gives_a_new_date_and_erases_what_came_after(
    app: Flask, campaign: Signer
) -> None:
    first = close(app, days_ago=100).erases_at
    assert first is not None
    reminders.run(app, utcnow())
    with database(app).sessions() as session:
        petitions.set_open(session, petitions.find(session, SLUG), True, by=CLI)
    assert the_petition(app).erases_at is None
    campaign.sign_and_confirm("late@example.org", name="Late Signer")
    later = close(app).erases_at
    assert later is not None and later > first
    reminders.run(app, later - MINUTE)
    assert rows(app)[-1].name == "Late Signer"
    reminders.run(app, later + MINUTE)
    assert rows(app)[-1].name == ""


# --- the withdraw link lasts as long as the data -------------------------------------------


def test_the_withdraw_link_works_until_the_erase_date_and_not_after(
    app: Flask, campaign: Signer
) -> None:
    keys = settings(app).signing_keys
    erases_at = close(app, retention_days=400).erases_at
    assert erases_at is not None
    ana, bo = rows(app)[0].id, rows(app)[1].id
    with database(app).sessions() as session:
        # Over a year after the email: the link still works while the data is kept.
        token = tokens.make(keys, tokens.WITHDRAW, ana)
        signing.withdraw(session, get_cache(app), token, keys, now=erases_at - MINUTE)
    assert rows(app)[0].status == SignatureStatus.WITHDRAWN
    with database(app).sessions() as session, pytest.raises(tokens.ExpiredToken):
        token = tokens.make(keys, tokens.WITHDRAW, bo)
        signing.withdraw(session, get_cache(app), token, keys, now=erases_at + MINUTE)
    assert rows(app)[1].status == SignatureStatus.VERIFIED


def test_after_the_erase_date_the_withdraw_page_says_the_link_expired(
    app: Flask, campaign: Signer
) -> None:
    link = campaign.token("bo@example.org", "withdraw")
    assert campaign.client.get(f"/withdraw/{link}").status_code == 200
    close(app, days_ago=91)
    assert campaign.client.get(f"/withdraw/{link}").status_code == 410
    assert campaign.client.post(f"/withdraw/{link}").status_code == 410
    assert campaign.count() == 4


# --- the privacy notice and the organisers' API --------------------------------------------


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_the_notice_states_the_erase_date_in_each_language(
    app: Flask, signer: Signer, locale: str
) -> None:
    words = i18n.messages(locale)["retention"]
    period = notice.duration(locale, timedelta(days=90))
    page = signer.client.get(f"/p/{SLUG}/privacy?lang={locale}").text
    assert words["kept_after"].format(period=period) in page
    assert words["withdraw_while"].format(period=period) in page
    erases_at = close(app).erases_at
    assert erases_at is not None
    day = notice.day(locale, erases_at)
    page = signer.client.get(f"/p/{SLUG}/privacy?lang={locale}").text
    assert words["kept_until"].format(date=day, period=period) in page
    assert words["withdraw_until"].format(date=day) in page
    expected = {"en": str(erases_at.year), "ru": "г.", "kk": "жылғы"}[locale]
    assert expected in day


def test_organisers_set_the_retention_and_see_the_date(app: Flask, signer: Signer) -> None:
    headers = admin(app)
    path = f"/api/v1/admin/petitions/{SLUG}"
    answer = signer.client.get(path, headers=headers).json
    assert (answer["retention_days"], answer["erases_at"], answer["erased_at"]) == (90, None, None)
    closes_at = "2027-03-01T12:00:00+00:00"
    answer = signer.client.patch(
        path, json={"retention_days": 30, "closes_at": closes_at}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json["retention_days"] == 30
    assert answer.json["erases_at"] == "2027-03-31T12:00:00+00:00"
    for wrong in (0, 3651, "90", 1.5, None):
        refused = signer.client.patch(path, json={"retention_days": wrong}, headers=headers)
        assert refused.status_code == 422, wrong
        assert "retention_days" in refused.text
    created = signer.client.post(
        "/api/v1/admin/petitions",
        json={"slug": "short-lived", "texts": {"en": {"title": "Brief"}}, "retention_days": 7},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json["retention_days"] == 7


# --- reminders -----------------------------------------------------------------------------


def reminded(smtp: SMTPServer) -> list[EmailMessage]:
    return smtp.mailbox.to(OFFICE)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_organisers_are_reminded_14_and_2_days_before_once_each(
    app: Flask, campaign: Signer, smtp: SMTPServer
) -> None:
    erases_at = close(app, organiser_contact=OFFICE).erases_at
    assert erases_at is not None
    days = timedelta(days=1)
    reminders.run(app, erases_at - 14 * days - MINUTE)
    assert reminded(smtp) == []
    reminders.run(app, erases_at - 14 * days + MINUTE)
    assert len(reminded(smtp)) == 1
    for moment in (erases_at - 10 * days, erases_at - 3 * days):
        reminders.run(app, moment)  # a restart, a later look: nothing more
    assert len(reminded(smtp)) == 1
    reminders.run(app, erases_at - 2 * days + MINUTE)
    reminders.run(app, erases_at - days)
    assert len(reminded(smtp)) == 2
    first, second = reminded(smtp)
    day = notice.day("en", erases_at)
    for message in (first, second):
        assert day in message["Subject"] and "Save the plant" in message["Subject"]
        text = text_of(message)
        assert f"http://localhost/admin/#/p/{SLUG}" in text
        assert "90 days after it closed" in text
    assert rows(app)[0].name == "Ana Lee", "reminded, not erased"
    reminders.run(app, erases_at + MINUTE)
    assert len(reminded(smtp)) == 2 and rows(app)[0].name == ""


def test_two_mailers_at_once_send_one_reminder(
    app: Flask, campaign: Signer, smtp: SMTPServer, database_url: str, tmp_path: Any
) -> None:
    erases_at = close(app, organiser_contact=OFFICE).erases_at
    assert erases_at is not None
    other = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    moment = erases_at - timedelta(days=2)
    threads = [
        threading.Thread(target=reminders.run_due, args=(mailer, moment)) for mailer in (app, other)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reminded(smtp)) == 1
    database(other).engine.dispose()


def test_the_reminder_is_in_the_petitions_language(
    app: Flask, campaign: Signer, smtp: SMTPServer
) -> None:
    erases_at = close(app, organiser_contact=OFFICE, default_locale="kk").erases_at
    assert erases_at is not None
    reminders.run(app, erases_at - timedelta(days=2))
    (message,) = reminded(smtp)
    assert message["Subject"] == (
        f"«Зауытты сақтаңыз» петициясына қол қойғандардың жеке деректері "
        f"{notice.day('kk', erases_at)} күні өшіріледі"
    )
    assert "жүктеп алыңыз" in text_of(message)


def test_without_an_organiser_address_no_reminder_goes_but_the_data_still_ends(
    app: Flask, campaign: Signer, smtp: SMTPServer
) -> None:
    erases_at = close(app, organiser_contact="+7 700 000 00 00").erases_at
    assert erases_at is not None
    assert reminders.run(app, erases_at - timedelta(days=1))["erasure reminders sent"] == 0
    assert smtp.mailbox.messages == [m for m in smtp.mailbox.messages if m["To"] != OFFICE]
    assert reminders.run(app, erases_at + MINUTE)["signatures erased"] == 4
