"""The share card: a preview of a petition without a picture, in the reader's language."""

from __future__ import annotations

import io

from PIL import Image, ImageChops
from undersign.campaigns import cards

from tests.conftest import SCREENSHOTS


def png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def test_the_card_is_drawn_with_a_font_that_has_kazakh_letters():
    font = cards._font(60, bold=True)
    assert font.path.endswith(("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"))  # type: ignore[union-attr]
    # A letter the font lacks is drawn as the same empty box as any other it lacks.
    boxes = {font.getmask(letter).getbbox() for letter in "әғқңөұүһі"}
    assert len(boxes) > 5


def test_a_long_title_is_wrapped_smaller_and_at_last_cut_with_an_ellipsis():
    title = "Остановите преследование профсоюзных активистов"
    font, size, lines = cards._fitted(title, 1056, 300)
    # Wrapped at the largest size while the lines fit: two in Noto Sans, three in the wider DejaVu.
    assert size == max(cards.TITLE_SIZES) and len(lines) > 1
    font, size, lines = cards._fitted(title * 6, 1056, 300)
    assert size == min(cards.TITLE_SIZES) and lines[-1].endswith("…")
    assert len(lines) * size * cards.LINE_HEIGHT <= 300  # above the count, never over it
    assert all(font.getlength(line) <= 1056 for line in lines)
    assert png(cards.draw(title * 6, "ru", 1234, 5000)).size == (1200, 630)


def test_the_card_says_the_count(client, signer):
    before = png(client.get("/p/test-petition/card.png?lang=ru").data)
    assert before.size == (1200, 630)
    signer.sign_and_confirm("ana@example.org")
    # Kept briefly: a preview may be five minutes behind, the page is not.
    answer = client.get("/p/test-petition/card.png?lang=ru")
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert (
        ImageChops.difference(before.convert("RGB"), png(answer.data).convert("RGB")).getbbox()
        is None
    )
    fresh = png(cards.draw("Спасите завод", "ru", 1, 100))
    assert ImageChops.difference(fresh.convert("RGB"), before.convert("RGB")).getbbox() is not None


def test_each_language_gets_its_own_card_and_the_page_points_to_it(client, petition):
    english = client.get("/p/test-petition/card.png?lang=en")
    kazakh = client.get("/p/test-petition/card.png?lang=kk")
    assert english.status_code == kazakh.status_code == 200
    assert english.data != kazakh.data
    assert png(kazakh.data).tobytes() == png(cards.draw("Зауытты сақтаңыз", "kk", 0, 100)).tobytes()
    page = client.get("/p/test-petition?lang=kk").get_data(as_text=True)
    assert (
        '<meta property="og:image" content="http://localhost/p/test-petition/card.png?lang=kk">'
        in page
    )
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "card-kk.png").write_bytes(kazakh.data)  # for a person to look at


def test_no_card_for_a_petition_that_does_not_exist(client, petition):
    assert client.get("/p/nowhere/card.png").status_code == 404
