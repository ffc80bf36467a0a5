"""A supporter's side of updates in a real browser: the unsubscribe page, and the page after
confirming with its share links and the organisers' next page; desktop and phone, audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.campaigns import petitions
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.mail.worker import deliver_due
from undersign.organisers import mailings
from undersign.organisers.mailings import Draft

from tests.browser.conftest import SLUG, Service, add_signers, axe_violations, texts
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium

PHONE = {"width": 360, "height": 640}
THANKS = "https://campaign.example.org/next-steps"


def update_link(service: Service, locale: str) -> str:
    """Confirm a consenting signer in `locale`, email them an update; return its unsubscribe URL."""
    add_signers(service, [{"locale": locale, "contact_consent": True}])
    draft = Draft(
        {"en": "News", "ru": "Новости", "kk": "Жаңалық"}, {"en": "A", "ru": "Б", "kk": "В"}
    )
    with database(service.app).sessions() as session:
        mailings.send(session, petitions.find(session, SLUG), draft, by=CLI)
    while deliver_due(service.app):
        pass
    (update,) = [m for m in service.smtp.mailbox.messages if m["List-Unsubscribe"]]
    header = str(update["List-Unsubscribe"])
    found = re.fullmatch(r"<(.+/unsubscribe/[\w.\-]+)>", header)
    assert found, header
    return found[1]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_unsubscribe_page_asks_in_the_signers_language_and_one_press_unsubscribes(
    service: Service, context_factory: Any, lang: str
) -> None:
    t = texts(lang)["mailings"]
    link = update_link(service, lang)
    for device, options in {"desktop": {}, "phone": {"viewport": PHONE}}.items():
        page = context_factory(**options).new_page()
        page.goto(link)
        expect(page.locator("h1")).to_have_text(t["unsubscribe_ask_heading"])
        assert page.locator("html").get_attribute("lang") == lang
        assert axe_violations(page) == []
        screenshot(page, f"unsubscribe-{lang}-{device}-ask")

    page.get_by_role("button", name=t["unsubscribe_button"]).click()
    expect(page.locator("h1")).to_have_text(t["unsubscribe_done_heading"])
    expect(page.locator("[role=status]")).to_contain_text(t["unsubscribe_done_body"])
    assert axe_violations(page) == []
    screenshot(page, f"unsubscribe-{lang}-phone-done")


@pytest.mark.parametrize("lang", ["en", "kk"])
def test_after_confirming_a_signer_can_share_and_go_on_to_the_organisers_page(
    service: Service, context_factory: Any, lang: str
) -> None:
    with database(service.app).sessions() as session:
        petitions.find(session, SLUG).thanks_url = THANKS
        session.commit()
    client = service.app.test_client()
    body = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}
    signed = client.post(f"/api/v1/petitions/{SLUG}/signatures", json={**body, "locale": lang})
    assert signed.status_code == 202
    verify = service.link(service.deliver())
    t = texts(lang)

    for device, options in {"desktop": {}, "phone": {"viewport": PHONE}}.items():
        page = context_factory(**options).new_page()
        page.goto(verify)
        if device == "desktop":
            page.get_by_role("button", name=t["token"]["verify_button"]).click()
            expect(page.locator("h1").first).to_have_text(t["token"]["verified_heading"])
        else:  # the link opened again on the phone: done already, the same ways on from here
            expect(page.locator("h1").first).to_have_text(t["reach"]["already_heading"])
        go_on = page.get_by_role("link", name=t["after"]["continue"])
        expect(go_on).to_have_attribute("href", THANKS)
        share = page.get_by_role("region", name=t["share"]["heading"])
        expect(share.get_by_role("link", name="Telegram")).to_be_visible()
        expect(share.get_by_role("button", name=t["share"]["copy_link"])).to_be_visible()
        assert axe_violations(page) == []
        screenshot(page, f"confirmed-{lang}-{device}")
