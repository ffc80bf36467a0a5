"""A real browser on another site's page, made to post our plain form: refused, nothing kept.

The other site holds a genuine token, copied from our page by its server: what gives it
away is the Origin the browser itself puts on the post.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.models import OutboxMessage

from tests.browser.conftest import SLUG, Partner, Service, texts
from tests.conftest import FORM_TOKEN, screenshot

pytestmark = pytest.mark.slow


def outbox(service: Service) -> int:
    with database(service.app).sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_another_sites_copy_of_the_form_is_refused_and_the_page_leads_back_to_ours(
    service: Service, partner: Partner, context_factory: Any
) -> None:
    t = texts("ru")
    issued = FORM_TOKEN.search(service.app.test_client().get(f"/p/{SLUG}").text)
    assert issued
    fields = {
        "form_token": issued.group(1),
        "name": "Someone Else",
        "email": "stranger@example.org",
        "country": "KZ",
        "locale": "ru",
    }
    hidden = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    prize = partner.page(
        "prize",
        f'<form method="post" action="{service.url}/p/{SLUG}?lang=ru">{hidden}'
        "<button>Win a prize</button></form>",
    )
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(prize)
    page.get_by_role("button", name="Win a prize").click()
    expect(page.locator("h1")).to_have_text(t["error"]["form_heading"])
    expect(page.locator(".result")).to_contain_text(t["error"]["form_refused"])
    screenshot(page, "cross-site-form-refused-ru")
    assert service.signatures() == [] and outbox(service) == 0

    # The page's one link is the way back to a form of our own, which signs.
    page.get_by_role("link", name=t["token"]["back"]).click()
    page.get_by_label(t["form"]["name"]).fill("Айгерим Бекова")
    page.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    page.get_by_label(t["form"]["country"], exact=True).select_option("KZ")
    page.get_by_role("button", name=t["form"]["submit"]).click()
    expect(page.locator("h1")).to_have_text(t["sign"]["success_heading"])
    assert len(service.signatures()) == 1 and outbox(service) == 1
