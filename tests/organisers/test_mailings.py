"""Updates to supporters as signers receive them: who gets one, in which language; unsubscribing.

Signers sign through the API and confirm from their real email; the update goes through the
real mailer to the real SMTP server (aiosmtpd); the unsubscribe link is followed as a mail
client or a person would follow it.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from undersign.campaigns import petitions
from undersign.core.auth import CLI, Rights
from undersign.core.db import database
from undersign.core.models import Mailing, OutboxKind, OutboxMessage, utcnow
from undersign.organisers import mailings
from undersign.organisers.mailings import Draft, InvalidMailing

from tests.conftest import Signer

UNSUBSCRIBE = re.compile(r"<(http://localhost/unsubscribe/[\w.\-]+)>")
DRAFT = Draft(
    subjects={"en": "We delivered the signatures", "ru": "Мы передали подписи"},
    bodies={
        "en": "Thank you! We handed **all of them** to the Ministry.",
        "ru": "Спасибо! Мы передали **все подписи** в министерство.",
    },
)


def send(app: Flask, draft: Draft = DRAFT, by: Rights = CLI, **options: Any) -> int:
    """Send an update about the test petition, as the organiser API does; return its id."""
    with database(app).sessions() as session:
        petition = petitions.find(session, "test-petition")
        return mailings.send(session, petition, draft, by=by, **options).id


def deliver_all(signer: Signer) -> None:
    """Run the mailer until nothing is left to write out or send, as `undersign mailer` would."""
    while signer.deliver() or outbox_left(signer.app):
        pass


def outbox_left(app: Flask) -> int:
    with database(app).sessions() as session:
        waiting = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        unexpanded = session.scalar(
            select(func.count()).select_from(Mailing.unexpanded().subquery())
        )
        return waiting + (unexpanded or 0)


def progress(app: Flask, mailing_id: int) -> dict[str, Any]:
    with database(app).sessions() as session:
        petition = petitions.find(session, "test-petition")
        (found,) = [m for m in mailings.listed(session, petition, CLI) if m.id == mailing_id]
        return mailings.describe(found, mailings.progress(session, [found])[found.id])


def updates(signer: Signer, address: str) -> list[EmailMessage]:
    return [m for m in signer.inbox(address) if "unsubscribe" in str(m["List-Unsubscribe"])]


def supporter(signer: Signer, address: str, **fields: Any) -> None:
    """A signer who confirmed and agreed to be contacted (unless told otherwise)."""
    fields.setdefault("contact_consent", True)
    assert signer.sign_and_confirm(address, **fields).status_code == 200


def test_only_verified_signers_who_agreed_get_the_update_each_in_their_language(signer):
    supporter(signer, "en@example.org", locale="en")
    supporter(signer, "ru@example.org", locale="ru")
    supporter(signer, "kk@example.org", locale="kk")  # not written in Kazakh: the default, English
    supporter(signer, "quiet@example.org", contact_consent=False)
    assert signer.sign(email="pending@example.org", contact_consent=True).status_code == 202
    supporter(signer, "gone@example.org")
    withdraw = signer.token("gone@example.org", "withdraw")
    assert signer.client.post(f"/withdraw/{withdraw}").status_code == 200

    send(signer.app)
    deliver_all(signer)

    assert [m["Subject"] for m in updates(signer, "en@example.org")] == [DRAFT.subjects["en"]]
    assert [m["Subject"] for m in updates(signer, "ru@example.org")] == [DRAFT.subjects["ru"]]
    assert [m["Subject"] for m in updates(signer, "kk@example.org")] == [DRAFT.subjects["en"]]
    for address in ("quiet@example.org", "pending@example.org", "gone@example.org"):
        assert updates(signer, address) == []
    (ru,) = updates(signer, "ru@example.org")
    assert ru["Content-Language"] == "ru"
    assert "<strong>все подписи</strong>" in ru.get_body(("html",)).get_content()
    assert "Спасибо! Мы передали все подписи" in ru.get_body(("plain",)).get_content()


def test_every_update_carries_one_click_unsubscribe_headers(signer):
    supporter(signer, "en@example.org")
    send(signer.app)
    deliver_all(signer)

    (message,) = updates(signer, "en@example.org")
    assert UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"].startswith("<test-petition.updates.")
    link = UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])[1]  # type: ignore[index]
    assert link in message.get_body(("plain",)).get_content()
    assert "en@example.org" not in link and "test-petition" not in link  # nothing readable


def test_a_mail_client_offers_a_mailto_unsubscribe_when_one_is_configured(
    database_url, smtp, tmp_path, client
):
    from tests.conftest import create_petition, make_app

    app = make_app(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        UNSUBSCRIBE_MAILTO="unsubscribe@example.org",
    )
    other = Signer(app, app.test_client(), smtp, create_petition(app))
    supporter(other, "en@example.org")
    send(app)
    deliver_all(other)

    (message,) = updates(other, "en@example.org")
    web, mail = message["List-Unsubscribe"].split(", ")
    assert UNSUBSCRIBE.fullmatch(web)
    assert mail == "<mailto:unsubscribe@example.org?subject=unsubscribe>"
    database(app).engine.dispose()


def test_a_one_click_post_unsubscribes_and_the_next_update_skips_them(signer):
    supporter(signer, "leaving@example.org")
    supporter(signer, "staying@example.org")
    first = send(signer.app)
    deliver_all(signer)
    (message,) = updates(signer, "leaving@example.org")
    link = UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])[1]  # type: ignore[index]

    # What a mail client sends (RFC 8058): no cookie, no page, just this body.
    answer = signer.client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    send(signer.app, Draft({"en": "Second news"}, {"en": "More."}))
    deliver_all(signer)

    assert [m["Subject"] for m in updates(signer, "leaving@example.org")] == [DRAFT.subjects["en"]]
    assert [m["Subject"] for m in updates(signer, "staying@example.org")] == [
        DRAFT.subjects["en"],
        "Second news",
    ]
    assert progress(signer.app, first)["unsubscribed"] == 1


def test_an_unsubscribed_signer_gets_no_partners_update_either(signer):
    supporter(signer, "a@example.org", source="kz-union")
    deliver_all(signer)
    send(signer.app)
    deliver_all(signer)
    (message,) = updates(signer, "a@example.org")
    link = UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])[1]  # type: ignore[index]
    assert signer.client.post(link).status_code == 200

    send(signer.app, by=Rights(name="partner-kz-union", partner="kz-union"))
    deliver_all(signer)

    assert len(updates(signer, "a@example.org")) == 1


def test_a_partners_update_reaches_only_the_signers_its_site_collected(signer):
    supporter(signer, "ours@example.org", source="kz-union")
    supporter(signer, "theirs@example.org", source="other-org")
    supporter(signer, "direct@example.org")

    mailing = send(signer.app, by=Rights(name="partner-kz-union", partner="kz-union"))
    deliver_all(signer)

    assert len(updates(signer, "ours@example.org")) == 1
    assert updates(signer, "theirs@example.org") == updates(signer, "direct@example.org") == []
    assert progress(signer.app, mailing)["sent"] == 1


def test_a_partners_next_update_may_go_a_day_after_its_last(signer):
    partner = Rights(name="partner-kz-union", partner="kz-union")
    first = utcnow()
    send(signer.app, by=partner, now=first)
    with pytest.raises(mailings.TooSoon) as refused:
        send(signer.app, by=partner, now=first + mailings.PARTNER_UPDATE_INTERVAL / 2)
    assert refused.value.allowed_at == first + mailings.PARTNER_UPDATE_INTERVAL
    send(signer.app, by=partner, now=first + mailings.PARTNER_UPDATE_INTERVAL)
    send(signer.app, by=Rights(name="partner-other", partner="other"), now=first)  # its own day


def test_a_test_send_reaches_only_its_address_in_every_language_written(signer):
    supporter(signer, "en@example.org")

    mailing = send(signer.app, test_to="organiser@example.org")
    deliver_all(signer)

    assert updates(signer, "en@example.org") == []
    received = updates(signer, "organiser@example.org")
    assert sorted(m["Subject"] for m in received) == sorted(DRAFT.subjects.values())
    assert progress(signer.app, mailing) | {"test": True} == progress(signer.app, mailing)
    assert progress(signer.app, mailing)["sent"] == 2
    # The test's unsubscribe link works, and says there is nobody to unsubscribe.
    link = UNSUBSCRIBE.fullmatch(received[0]["List-Unsubscribe"])[1]  # type: ignore[index]
    page = signer.client.post(link)
    assert page.status_code == 200
    assert "outcome-unsubscribe-test" in page.text


def test_progress_counts_what_waits_what_went_and_what_failed(signer, smtp):
    for n in range(3):
        supporter(signer, f"s{n}@example.org")
    smtp.mailbox.refuse.add("s1@example.org")  # the server refuses this one for good

    mailing = send(signer.app)
    before = progress(signer.app, mailing)
    deliver_all(signer)
    after = progress(signer.app, mailing)

    assert (before["status"], before["recipients"], before["pending"], before["sent"]) == (
        "sending",
        3,
        3,
        0,
    )
    assert (after["status"], after["sent"], after["failed"], after["pending"]) == ("sent", 2, 1, 0)
    assert len(updates(signer, "s0@example.org")) == len(updates(signer, "s2@example.org")) == 1


def test_the_mailer_writes_recipients_in_chunks_never_all_at_once(signer):
    for n in range(5):
        supporter(signer, f"s{n}@example.org")
    mailing = send(signer.app)
    sessions = database(signer.app).sessions

    written = [mailings.expand_next(sessions, utcnow(), chunk=2) for _ in range(3)]

    assert written == [2, 2, 1]
    with sessions() as session:
        rows = session.scalars(
            select(OutboxMessage.signature_id).where(OutboxMessage.kind == OutboxKind.UPDATE)
        ).all()
        assert len(set(rows)) == 5
        assert session.get(Mailing, mailing).expanded_at is not None
    assert mailings.expand_next(sessions, utcnow(), chunk=2) == 0


def test_a_signer_who_withdraws_after_the_update_was_written_out_is_skipped(signer):
    supporter(signer, "a@example.org")
    supporter(signer, "b@example.org")
    mailing = send(signer.app)
    mailings.expand_next(database(signer.app).sessions, utcnow())
    withdraw = signer.token("b@example.org", "withdraw")
    assert signer.client.post(f"/withdraw/{withdraw}").status_code == 200

    deliver_all(signer)

    assert updates(signer, "b@example.org") == []
    counts = progress(signer.app, mailing)
    assert (counts["sent"], counts["skipped"], counts["pending"]) == (1, 1, 0)


def test_a_sealed_petition_is_refused_because_the_server_cannot_read_addresses(signer, app):
    from undersign.core import sealing

    with database(app).sessions() as session:
        petition = petitions.find(session, "test-petition")
        petition.seal_key = sealing.generate().public
        session.commit()
        with pytest.raises(InvalidMailing, match="sealed"):
            mailings.send(session, petition, DRAFT, by=CLI)
        assert session.scalar(select(func.count()).select_from(Mailing)) == 0


# --- the unsubscribe page ---------------------------------------------------------


def test_the_unsubscribe_page_asks_in_the_signers_language_and_a_press_unsubscribes(signer):
    supporter(signer, "ru@example.org", locale="ru")
    send(signer.app)
    deliver_all(signer)
    (message,) = updates(signer, "ru@example.org")
    link = UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])[1]  # type: ignore[index]

    page = signer.client.get(link)
    assert page.status_code == 200
    assert 'lang="ru"' in page.text and "Отписаться" in page.text
    assert '<form method="post">' in page.text
    done = signer.client.post(link)
    assert "Вы отписались" in done.text
    assert "Вы отписались" in signer.client.get(link).text  # the link says so afterwards


def test_a_broken_unsubscribe_link_says_so(client, petition):
    page = client.post("/unsubscribe/not-a-token")

    assert page.status_code == 400
    assert "outcome-unsubscribe-invalid" in page.text


# --- the confirmation page ----------------------------------------------------------


def test_the_confirmation_page_offers_share_links(signer):
    page = signer.sign_and_confirm("a@example.org")

    assert page.status_code == 200
    assert "https://t.me/share/url?url=http%3A%2F%2Flocalhost%2Fp%2Ftest-petition" in page.text
    assert 'class="copy-link"' in page.text


def test_the_confirmation_page_sends_signers_on_to_the_organisers_page(signer, app):
    with database(app).sessions() as session:
        petitions.find(session, "test-petition").thanks_url = "https://campaign.example.org/next"
        session.commit()

    page = signer.sign_and_confirm("a@example.org", source="kz-union")

    assert 'href="https://campaign.example.org/next"' in page.text


def test_a_partners_thank_you_page_comes_before_the_petitions(signer, app):
    from undersign.organisers import partners

    with database(app).sessions() as session:
        petitions.find(session, "test-petition").thanks_url = "https://campaign.example.org/next"
        session.commit()
        partners.create(session, "kz-union", "KZ Union", [], by=CLI)
        partners.update(session, "kz-union", by=CLI, thanks_url="https://union.example.kz/thanks")

    ours = signer.sign_and_confirm("a@example.org", source="kz-union")
    direct = signer.sign_and_confirm("b@example.org")

    assert 'href="https://union.example.kz/thanks"' in ours.text
    assert "campaign.example.org" not in ours.text
    assert 'href="https://campaign.example.org/next"' in direct.text


def test_a_confirmation_page_without_a_thank_you_page_links_back_to_the_petition(signer):
    page = signer.sign_and_confirm("a@example.org")

    assert 'class="button" href="/p/test-petition?lang=en"' in page.text


def test_a_mail_providers_many_one_click_posts_from_one_address_are_never_turned_away(signer):
    supporter(signer, "a@example.org")
    send(signer.app)
    deliver_all(signer)
    (message,) = updates(signer, "a@example.org")
    link = UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])[1]  # type: ignore[index]

    # More than the per-address limit on the other links (60 a minute), as a provider sends them.
    answers = {
        signer.client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code
        for _ in range(70)
    }

    assert answers == {200}
