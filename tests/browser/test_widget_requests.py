"""A partner's page with the widget: few requests before the form can be used, compressed bytes."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Partner, Service, texts
from tests.conftest import screenshot

pytestmark = pytest.mark.slow  # a real Chromium

# True once the person can type an address and press the button.
FORM_USABLE = """() => {
  const root = document.querySelector("undersign-petition").shadowRoot;
  const email = root && root.querySelector("input[type=email]");
  return Boolean(email && !email.disabled && root.querySelector("button[type=submit]"));
}"""


@pytest.mark.parametrize("lang", ["kk", "auto"])
def test_the_form_is_usable_after_three_requests_with_compressed_answers(
    service: Service, partner: Partner, context_factory: Any, lang: str
) -> None:
    page = context_factory(locale="ru-KZ").new_page()
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    attributes = {} if lang == "auto" else {"lang": lang}
    body = "".join(f' {k}="{v}"' for k, v in attributes.items())
    address = partner.page(
        f"requests-{lang}",
        f'<undersign-petition petition="zhezkazgan"{body}></undersign-petition>',
        head=f'<script src="{service.url}/widget.js" defer></script>',
    )
    page.goto(address)
    page.wait_for_function(FORM_USABLE)
    usable_at = page.evaluate("performance.now()")
    asked = [response.url for response in responses]
    figures = {
        response.url.removeprefix(service.url): (
            response.header_value("content-encoding"),
            response.request.sizes()["responseBodySize"],
            len(response.body()),
        )
        for response in responses
        if response.url.startswith(service.url)
    }
    print(f"\nform usable after {len(asked)} requests, at {usable_at:.0f} ms: {figures}")

    assert len(asked) <= 3, asked  # the page, widget.js and the widget's data
    for path, (encoding, sent, decoded) in figures.items():
        assert encoding == "gzip", path
        assert sent < decoded / 2, (path, sent, decoded)  # gzip at least halves words and code

    # Usable by a person: the words are Kazakh, Kazakhstan is offered first, the address takes text.
    words = texts("ru" if lang == "auto" else lang)["form"]
    widget = page.locator("undersign-petition")
    expect(widget.locator("[type=submit]")).to_have_text(words["submit"])
    assert widget.locator("select[name=country] option").nth(1).get_attribute("value") == "KZ"
    widget.get_by_label(words["email"]).fill("dana@example.org")
    expect(widget.get_by_label(words["email"])).to_have_value("dana@example.org")
    screenshot(page, f"widget-requests-{lang}")
