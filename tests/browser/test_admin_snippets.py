"""The snippets /admin/ offers a partner, pasted as they are into a partner's page, work there."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from undersign.campaigns import demo

from tests.admin.conftest import OrganiserAPI, make_token
from tests.browser.conftest import SLUG, Partner, Service, texts
from tests.conftest import screenshot


def copy_snippets(service: Service, page: Any, lang: str) -> dict[str, str]:
    """Sign in to /admin/, choose the snippets' language, and copy both snippets."""
    page.goto(f"{service.url}/admin/")
    page.get_by_label("Token").fill(make_token(service.app, "office"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Partners").click()
    page.get_by_label("Language of the snippets").select_option(lang)
    frame = page.get_by_role("textbox", name="Without scripts from us (iframe)")
    expect(frame).to_have_value(re.compile(re.escape(f"/embed/{SLUG}?lang={lang}&source=kz-union")))
    screenshot(page, f"admin-snippets-{lang}")
    return {
        "widget": page.get_by_role("textbox", name="Widget (script)").input_value(),
        "iframe": frame.input_value(),
    }


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_iframe_snippet_names_its_frame_and_fits_it_to_the_form(
    service: Service, partner: Partner, page: Any, lang: str
) -> None:
    organiser = OrganiserAPI(service.app.test_client(), make_token(service.app, "setup"))
    made = {"code": "kz-union", "name": "Miners' union", "allowed_origins": [partner.url]}
    assert organiser.post("/partners", made).status_code == 201
    snippet = copy_snippets(service, page, lang)["iframe"]
    assert f'title="{demo.TEXTS[lang]["title"]}"' in snippet

    page.goto(partner.page(f"frame-{lang}", snippet, lang=lang))
    form = page.frame_locator("iframe").locator("undersign-petition [type=submit]")
    expect(form).to_have_text(texts(lang)["form"]["submit"])
    # Unsized, a frame is 150 px tall; the snippet's few lines grow it to the whole form.
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 900")
    assert page.locator("iframe").get_attribute("title") == demo.TEXTS[lang]["title"]
    screenshot(page, f"admin-snippet-iframe-{lang}")


def test_the_widget_snippet_speaks_the_language_chosen(
    service: Service, partner: Partner, page: Any
) -> None:
    organiser = OrganiserAPI(service.app.test_client(), make_token(service.app, "setup"))
    made = {"code": "kz-union", "name": "Miners' union", "allowed_origins": [partner.url]}
    assert organiser.post("/partners", made).status_code == 201
    snippet = copy_snippets(service, page, "kk")["widget"]
    assert 'lang="kk" source="kz-union"' in snippet

    page.goto(partner.page("widget-snippet", snippet, lang="kk"))
    expect(page.locator("undersign-petition [type=submit]")).to_have_text(
        texts("kk")["form"]["submit"]
    )
