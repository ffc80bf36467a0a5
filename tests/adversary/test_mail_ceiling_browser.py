"""Organisers see on /admin/ how many verification emails the mail ceiling holds back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from undersign.core.db import database
from undersign.core.models import OutboxMessage, utcnow

from tests.admin.conftest import make_token
from tests.browser.conftest import EVERY_IMPACT, axe_violations
from tests.conftest import screenshot, serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # What is shown does not depend on the database; SQLite keeps this quick.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

# What an organiser reads for three held emails (Russian: the "few" form).
HELD_THREE = {
    "en": "3 verification emails held back (mail ceiling)",
    "ru": "3 письма с подтверждением задержаны (ограничение рассылки)",
    "kk": "3 растау хаты кідіртілді (хат жіберу шегі)",
}


def hold_every_email(app) -> None:
    """Leave every queued verification email held, as the mail ceiling does in a flood."""
    now = utcnow()
    with database(app).sessions.begin() as session:
        session.execute(
            update(OutboxMessage).values(held_at=now, due_at=now + timedelta(minutes=15))
        )


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_dashboard_says_how_many_emails_are_held_back(app, signer, browser, lang):
    from playwright.sync_api import expect

    signer.sign_and_confirm("aigerim@example.org")
    for n in range(3):
        assert signer.sign(email=f"nobody{n}@invented.example").status_code == 202
    hold_every_email(app)
    server, origin = serve(app)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{origin}/admin/")
        page.locator("#language").select_option(lang)
        page.locator("input[name=token]").fill(make_token(app, "office"))
        page.locator("#sign-in-form button").click()
        expect(page.locator("#who-name")).to_have_text("office")
        page.evaluate("() => { location.hash = '#/p/test-petition/dashboard'; }")
        held = page.locator("[data-stat=held_mail]")
        expect(held.get_by_role("heading")).to_have_text(HELD_THREE[lang])
        assert axe_violations(page, EVERY_IMPACT) == []
        screenshot(page, f"admin-{lang}-held-mail")
        # Once they went, the notice goes too.
        with database(app).sessions.begin() as session:
            session.execute(update(OutboxMessage).values(released_at=utcnow()))
        page.reload()
        expect(page.locator(".stat").first).to_be_visible()
        expect(held).to_have_count(0)
    finally:
        context.close()
        server.shutdown()
