"""A signer keeps the receipt the confirmation page gives, and checks it in the browser."""

from __future__ import annotations

from typing import Any

import httpx
from undersign.core import auth, notes
from undersign.core.auth import CLI
from undersign.core.config import settings
from undersign.core.db import database
from undersign.organisers import partners
from undersign.signers import transparency

from tests.browser.conftest import EVERY_IMPACT, SLUG, Service, axe_violations
from tests.conftest import screenshot


def log_now(service: Service) -> None:
    """What the mailer does every few seconds: append the changes, sign a checkpoint."""
    transparency.append(database(service.app).sessions, settings(service.app))


def witnesses_cosign(service: Service) -> None:
    """Two partners abroad run `undersign witness`: each cosigns the latest checkpoint."""
    log = f"{service.url}/api/v1/petitions/{SLUG}/log"
    with database(service.app).sessions() as session:
        for code, name in (("ituc", "ITUC Brussels"), ("lo-norway", "LO Norway")):
            partners.create(session, code, name, [], by=CLI)
            token = auth.create(session, f"{code}-witness", code, by=CLI)
            witness = notes.Signer(notes.generate(code, cosigner=True)[0])
            body = httpx.get(f"{log}/checkpoint").text.split("\n\n", 1)[0] + "\n"
            answer = httpx.post(
                f"{log}/cosignatures",
                json={
                    "cosignature": notes.cosign(body, witness, 1_765_000_000),
                    "key": witness.vkey,
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 200, answer.text


def confirm_in_the_browser(service: Service, page: Any, address: str) -> str:
    """Sign, open the email's link, press confirm; return the receipt the page shows."""
    answer = httpx.post(
        f"{service.url}/api/v1/petitions/{SLUG}/signatures",
        json={"name": "Aigerim Bekova", "email": address, "country": "KZ"},
    )
    assert answer.status_code == 202
    count = len(service.smtp.mailbox.messages) + 1
    page.goto(service.link(service.deliver(count)))
    page.get_by_role("button").first.click()
    receipt = page.locator("#receipt")
    receipt.wait_for()
    return str(receipt.text_content())


def test_a_receipt_is_checked_in_the_browser_and_names_the_witnesses(
    service: Service, page: Any
) -> None:
    errors: list[str] = []

    def keep_errors(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep_errors)
    receipt = confirm_in_the_browser(service, page, "aigerim@example.org")
    assert transparency.normalised(receipt) == receipt
    screenshot(page, "receipt-confirmation-en")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Copy the receipt").wait_for()
    log_now(service)
    witnesses_cosign(service)

    page.get_by_role("link", name="Check a receipt").click()
    result = page.locator("#check-result")
    result.get_by_text("Your signature is in the log").wait_for()
    size = httpx.get(f"{service.url}/api/v1/petitions/{SLUG}/log/checkpoint").text.split("\n")[1]
    assert f"of {size}." in result.inner_text()
    assert "signed by the campaign and by these witnesses: ITUC Brussels, LO Norway" in (
        result.inner_text()
    )
    assert page.locator("#receipt-input").input_value() == receipt
    screenshot(page, "receipt-check-en")
    assert errors == []
    assert axe_violations(page, EVERY_IMPACT) == []

    petition = page.goto(f"{service.url}/p/{SLUG}?lang=en")
    assert petition is not None
    line = page.locator(".witnessed")
    assert "Count verified by: ITUC Brussels, LO Norway, just now" in line.inner_text()


def test_a_withdrawn_receipt_and_a_mistyped_one_say_so_in_russian(
    service: Service, page: Any
) -> None:
    receipt = confirm_in_the_browser(service, page, "dana@example.org")
    log_now(service)
    body = service.smtp.mailbox.messages[-1].get_body(preferencelist=("plain",))
    assert body is not None
    withdraw = service.link(body.get_content(), "withdraw")
    page.goto(withdraw)
    page.get_by_role("button").first.click()
    log_now(service)

    page.goto(f"{service.url}/p/{SLUG}/check?lang=ru")
    page.locator("#receipt-input").fill(receipt.lower().replace("-", " "))
    page.get_by_role("button", name="Проверить").click()
    result = page.locator("#check-result")
    result.get_by_text("Эта подпись отозвана").wait_for()
    assert "Журнал подписан организаторами кампании." in result.inner_text()
    screenshot(page, "receipt-check-withdrawn-ru")

    page.locator("#receipt-input").fill("ABCD-1234")
    page.get_by_role("button", name="Проверить").click()
    result.get_by_text("Это не контрольный код").wait_for()
    page.locator("#receipt-input").fill("AAAA-AAAA-AAAA-AAAA-AAAA")
    page.get_by_role("button", name="Проверить").click()
    result.get_by_text("В этом журнале нет записи с таким кодом").wait_for()


def test_a_forged_checkpoint_is_caught_by_the_browser(service: Service, page: Any) -> None:
    receipt = confirm_in_the_browser(service, page, "forged@example.org")
    log_now(service)
    # Someone with the database rewrites the newest checkpoint's count without the key.
    from sqlalchemy import update
    from undersign.core.models import LogCheckpoint

    with database(service.app).sessions.begin() as session:
        latest = session.query(LogCheckpoint).order_by(LogCheckpoint.size.desc()).first()
        assert latest is not None
        forged = latest.note.replace(f"count {latest.count}\n", f"count {latest.count + 500}\n")
        session.execute(
            update(LogCheckpoint).where(LogCheckpoint.id == latest.id).values(note=forged)
        )
    page.goto(f"{service.url}/p/{SLUG}/check?lang=kk#{receipt}")
    page.locator("#check-result").get_by_text("Журналдың жауабы тексеруден өтпеді").wait_for()
    screenshot(page, "receipt-check-forged-kk")
