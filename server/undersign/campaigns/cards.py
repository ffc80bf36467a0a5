"""The share card: a 1200x630 PNG of a petition's title and count, for link previews.

A petition without a picture of its own still gets a preview worth clicking on
messengers and social sites. It carries only what the page says to anyone: the
title, the count, the goal and the service's name; nothing of any signer.
"""

from __future__ import annotations

import base64
import io
import logging
from functools import cache

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.orm import Session

from undersign.core import counting, i18n
from undersign.core.cache import Cache
from undersign.core.models import Petition

log = logging.getLogger(__name__)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

SIZE = (1200, 630)
MARGIN = 72
# Fonts with Cyrillic and Kazakh letters (ә ғ қ ң ө ұ ү һ і), as Debian installs them
# (fonts-noto-core, fonts-dejavu-core); the first one present is used.
FONT_FILES = (
    "/usr/share/fonts/truetype/noto/NotoSans-{weight}.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans{dejavu}.ttf",
    "/usr/share/fonts/noto/NotoSans-{weight}.ttf",  # Fedora, Arch
    "/usr/share/fonts/TTF/DejaVuSans{dejavu}.ttf",
)
TITLE_SIZES = (68, 60, 52, 46, 40)  # the largest at which the whole title fits is used
LINE_HEIGHT = 1.2
INK, MUTED, PAPER, ACCENT, TRACK = "#1d1d1b", "#4a4a48", "#f7f4ee", "#a3261b", "#d6d0c4"
# A count on a preview may be this old; the page's own count is fresher.
CACHE_SECONDS = 300


def cached_png(
    session: Session, cache_: Cache, petition: Petition, locale: str, count_ttl: int
) -> bytes:
    """Return the petition's card in `locale`, drawn at most CACHE_SECONDS ago."""
    key = f"undersign:card:{petition.slug}:{locale}"
    found = cache_.get(key)
    if found is not None:
        return base64.b64decode(found)
    count = counting.public_count(session, cache_, petition.slug, count_ttl) or {}
    png = draw(
        petition.text(locale)["title"], locale, count.get("signature_count", 0), petition.goal
    )
    cache_.set(key, base64.b64encode(png).decode("ascii"), CACHE_SECONDS)
    return png


def draw(title: str, locale: str, count: int, goal: int | None) -> bytes:
    """Draw the card: the title, wrapped, the count in `locale`, a bar toward the goal."""
    t = i18n.messages(locale)
    image = Image.new("RGB", SIZE, PAPER)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, 16, SIZE[1]), fill=ACCENT)
    width, bottom = SIZE[0] - 2 * MARGIN, SIZE[1] - MARGIN
    pen.text((MARGIN, bottom), t["site"]["name"], font=_font(30), fill=MUTED, anchor="ls")
    count_line = i18n.count_text(locale, count)
    if goal:
        count_line += " · " + t["petition"]["goal"].format(goal=i18n.format_number(locale, goal))
        bar_top = bottom - 86
        pen.rounded_rectangle((MARGIN, bar_top, MARGIN + width, bar_top + 16), 8, fill=TRACK)
        if count:
            done = MARGIN + max(16, round(width * min(count / goal, 1.0)))
            pen.rounded_rectangle((MARGIN, bar_top, done, bar_top + 16), 8, fill=ACCENT)
        count_baseline = bar_top - 24
    else:
        count_baseline = bottom - 60
    pen.text(
        (MARGIN, count_baseline), count_line, font=_font(44, bold=True), fill=ACCENT, anchor="ls"
    )
    # The title has what is left above the count, less a gap.
    title_font, size, lines = _fitted(title, width, count_baseline - 44 - 36 - MARGIN)
    for number, line in enumerate(lines):
        pen.text(
            (MARGIN, MARGIN + number * round(size * LINE_HEIGHT)), line, font=title_font, fill=INK
        )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _fitted(title: str, width: int, height: int) -> tuple[Font, int, list[str]]:
    """Return the largest title font at which the title fits in width x height, and its lines.

    A title too long even at the smallest size is cut short with an ellipsis.
    """
    for size in TITLE_SIZES:
        font = _font(size, bold=True)
        lines = _wrapped(title, font, width)
        room = int(height // (size * LINE_HEIGHT))
        if len(lines) <= room:
            return font, size, lines
    lines = lines[: max(room, 1)]
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return font, size, lines


def _wrapped(text: str, font: Font, width: int) -> list[str]:
    """Break `text` into lines no wider than `width`, between words where a word fits."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width:  # a word longer than a line: cut it
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


@cache
def _font(size: int, *, bold: bool = False) -> Font:
    weight, dejavu = ("Bold", "-Bold") if bold else ("Regular", "")
    for pattern in FONT_FILES:
        try:
            return ImageFont.truetype(pattern.format(weight=weight, dejavu=dejavu), size)
        except OSError:
            continue
    # Pillow's own font has no Cyrillic: install fonts-dejavu-core or fonts-noto-core.
    log.warning("no font with Cyrillic letters found for the share card")
    return ImageFont.load_default(size)
