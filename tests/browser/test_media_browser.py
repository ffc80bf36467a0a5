"""A petition's picture, its updates and its share card, as a person sees them in Chromium."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image, ImageDraw
from playwright.sync_api import expect

from tests.admin.conftest import make_token
from tests.browser.conftest import SLUG, Service, axe_violations, texts
from tests.campaigns.test_images import GPS
from tests.conftest import SCREENSHOTS, screenshot

pytestmark = pytest.mark.slow  # a real Chromium

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1100, "height": 900}
NEWS = [
    {
        "en": {"title": "We delivered the signatures", "body": "To the **Ministry**, on Monday."},
        "ru": {"title": "Мы передали подписи", "body": "В **министерство**, в понедельник."},
    },
    {
        "en": {"title": "The court hears the case on Friday", "body": "Come at 10:00."},
        "ru": {"title": "Суд рассмотрит дело в пятницу", "body": "Приходите к 10:00."},
    },
]
ALT = {"en": "The smelter's gate at dawn", "ru": "Проходная завода на рассвете"}


def gate_photo() -> bytes:
    """A 2400x1600 picture of a plant gate at dawn, with where it was taken in its EXIF."""
    image = Image.new("RGB", (2400, 1600))
    pen = ImageDraw.Draw(image)
    for y in range(1000):  # the dawn sky
        pen.line((0, y, 2400, y), fill=(250 - y // 8, 170 - y // 10, 90 + y // 9))
    pen.rectangle((0, 1000, 2400, 1600), fill=(70, 66, 60))
    pen.rectangle((300, 420, 2100, 1000), fill=(110, 100, 92))  # the plant
    for x in range(420, 2000, 260):
        pen.rectangle((x, 520, x + 120, 700), fill=(240, 200, 120))  # lit windows
    pen.rectangle((1500, 120, 1600, 420), fill=(90, 84, 80))  # the chimney
    pen.rectangle((950, 700, 1450, 1000), fill=(40, 38, 36))  # the gate
    exif = image.getexif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def organise(service: Service) -> None:
    """Upload the picture, describe it and post two updates, as an organiser's script would."""
    headers = {"Authorization": f"Bearer {make_token(service.app, 'office')}"}
    api = f"{service.url}/api/v1/admin/petitions/{SLUG}"
    with httpx.Client(headers=headers) as http:
        sent = http.put(
            f"{api}/image", content=gate_photo(), headers={"Content-Type": "image/jpeg"}
        )
        assert sent.status_code == 200, sent.text
        assert http.patch(f"{api}/image", json={"alt": ALT}).status_code == 200
        for texts_ in NEWS:
            assert http.post(f"{api}/news", json={"texts": texts_}).status_code == 201


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_page_shows_the_picture_and_the_updates_newest_first(
    service: Service, context_factory: Any, lang: str, device: str
) -> None:
    organise(service)
    page = context_factory(viewport=PHONE if device == "phone" else DESKTOP).new_page()
    refused: list[str] = []  # what the page's policy blocked, and what did not load
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    page.goto(f"{service.url}/p/{SLUG}?lang={lang}")

    picture = page.get_by_role("img", name=ALT[lang])
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 1200
    box = picture.bounding_box()
    assert box and box["width"] <= (PHONE if device == "phone" else DESKTOP)["width"]

    updates = page.get_by_role("region", name=texts(lang)["news"]["heading"])
    headings = updates.get_by_role("heading", level=3)
    expect(headings).to_have_text([NEWS[1][lang]["title"], NEWS[0][lang]["title"]])
    expect(updates.locator("strong").first).to_have_text(
        "Ministry" if lang == "en" else "министерство"
    )
    assert updates.locator("time").first.inner_text().strip()

    preview = page.locator('meta[property="og:image"]').get_attribute("content")
    assert preview and "/share.jpg?v=" in preview
    assert refused == []  # /favicon.ico included, which the browser asks for by itself
    assert axe_violations(page) == []
    page.get_by_role("heading", name=texts(lang)["news"]["heading"]).scroll_into_view_if_needed()
    screenshot(page, f"media-{lang}-{device}")


def test_without_a_picture_the_preview_is_the_generated_card(
    service: Service, context_factory: Any
) -> None:
    page = context_factory(viewport=DESKTOP).new_page()
    page.goto(f"{service.url}/p/{SLUG}?lang=ru")
    assert page.locator(".petition-picture").count() == 0
    preview = page.locator('meta[property="og:image"]').get_attribute("content")
    assert preview == f"{service.url}/p/{SLUG}/card.png?lang=ru"
    card = page.context.request.get(preview)
    assert card.status == 200 and card.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(card.body())).size == (1200, 630)
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "card-ru.png").write_bytes(card.body())  # for a person to look at
    page.goto(preview)
    screenshot(page, "card-ru-in-browser", full_page=False)


@pytest.mark.parametrize(("lang", "device"), [("en", "desktop"), ("ru", "phone")])
def test_an_organiser_sets_the_picture_and_posts_an_update_from_the_admin_page(
    service: Service, context_factory: Any, tmp_path: Any, lang: str, device: str
) -> None:
    t = texts(lang)["news"]
    context = context_factory(
        viewport=PHONE if device == "phone" else DESKTOP,
        locale="ru-RU" if lang == "ru" else "en-GB",
    )
    page = context.new_page()
    page.goto(f"{service.url}/admin/")
    page.locator("input[name=token]").fill(make_token(service.app, "office"))
    page.locator("#sign-in-form button[type=submit]").click()
    # Signed in first: finishing sign-in draws the page again, and a picture chosen in a view
    # drawn before that would be in an input that is gone.
    expect(page.locator("#who-name")).to_have_text("office")
    page.goto(f"{service.url}/admin/#/p/{SLUG}/media")
    expect(page.get_by_role("heading", name=t["picture_heading"])).to_be_visible()
    expect(page.get_by_text(t["no_picture"])).to_be_visible()
    # Every drawing asked for is done (each asks the API): a file chosen now stays chosen.
    page.wait_for_load_state("networkidle")

    (tmp_path / "gate.jpg").write_bytes(gate_photo())
    page.get_by_label(t["file"]).set_input_files(str(tmp_path / "gate.jpg"))
    page.get_by_role("button", name=t["upload"]).click()
    # Decoding, stripping and re-encoding a camera-sized photo takes a while on a busy machine.
    expect(page.locator(".media-picture img")).to_be_visible(timeout=30_000)
    assert page.locator(".media-picture img").evaluate("img => img.naturalWidth") == 1200
    page.locator(f"input[name={lang}]").fill(ALT[lang])
    page.get_by_role("button", name=t["save"]).click()
    # Saved and drawn again: the picture is now named by what it shows.
    expect(page.get_by_role("img", name=ALT[lang])).to_be_visible()

    update = NEWS[0]
    for code in ("en", "ru"):
        group = page.locator(f"fieldset[lang={code}]")
        group.get_by_label(t["title"]).fill(update[code]["title"])
        group.get_by_label(t["body"]).fill(update[code]["body"])
    page.get_by_role("button", name=t["post"], exact=True).click()
    expect(page.locator(".media-posts li")).to_have_count(1)
    expect(page.locator(".media-posts strong")).to_have_text(update[lang]["title"])
    assert axe_violations(page) == []
    screenshot(page, f"admin-media-{lang}-{device}")

    # What a supporter then sees.
    public = context.new_page()
    public.goto(f"{service.url}/p/{SLUG}?lang={lang}")
    expect(public.get_by_role("img", name=ALT[lang])).to_be_visible()
    expect(public.locator(".news-post h3")).to_have_text([update[lang]["title"]])

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"{t['delete']}: {update[lang]['title']}").click()
    expect(page.get_by_text(t["none"])).to_be_visible()
