"""The petition page's plain form, shed under overload: the page in the signer's language says
so and sends the same signature again by itself (js/retry.js), taken once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.web import overload

from tests.browser.conftest import SLUG, Service, axe_violations, texts
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium


@pytest.mark.parametrize(("lang", "form"), [("kk", "other"), ("ru", "few")])
def test_the_form_shed_under_overload_is_sent_again_by_the_page_and_taken_once(
    service: Service, page: Any, monkeypatch: Any, lang: str, form: str
) -> None:
    monkeypatch.setattr(overload.GATE, "retry_after", (2, 2))
    t = texts(lang)
    statuses: list[int] = []
    page.on(
        "response",
        lambda answer: (
            statuses.append(answer.status) if answer.request.resource_type == "document" else None
        ),
    )
    shed: list[int] = []

    def first_waited_long(route: Any) -> None:
        """The first post reaches the service as if it had queued 5 s behind the proxy."""
        if route.request.method == "POST" and not shed:
            shed.append(1)
            late = f"t={int((time.time() - 5) * 1000)}"
            route.continue_(headers={**route.request.headers, "x-request-start": late})
        else:
            route.continue_()

    page.route(f"**/p/{SLUG}?lang={lang}", first_waited_long)
    page.goto(f"{service.url}/p/{SLUG}?lang={lang}")
    page.get_by_label(t["form"]["name"]).fill("Aigerim Bekova")
    page.get_by_label(t["form"]["email"]).fill("aigerim@example.org")
    page.get_by_label(t["form"]["country"], exact=True).select_option("KZ")
    page.get_by_role("button", name=t["form"]["submit"]).click()

    expect(page.locator("h1")).to_have_text(t["overload"]["heading"])
    expect(page.get_by_role("status")).to_contain_text(
        t["overload"]["again_in"][form].format(count=2)
    )
    expect(page.get_by_role("button", name=t["overload"]["send_now"])).to_be_visible()
    assert service.signatures() == []  # nothing taken
    assert axe_violations(page) == []
    screenshot(page, f"overloaded-{lang}")
    # No click: the page sends the same fields again after Retry-After.
    expect(page.locator("h1")).to_have_text(t["sign"]["success_heading"], timeout=15_000)
    assert statuses == [200, 503, 202]
    assert shed == [1]
    assert [s.email for s in service.signatures()] == ["aigerim@example.org"]
