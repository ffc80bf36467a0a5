"""Texts in Markdown: what the page, the widget and an email make of what organisers write."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from undersign.core import markup

BODY = """# Why we sign

The plant employs **3,000 people**; *closing* it ends a town.

## What we ask

1. Keep every job.
2. Pay the wages owed since [March](https://example.org/wages).
   - with interest
   - before winter

> We built this plant. — a welder, 31 years on the line

Write to [the committee](mailto:committee@example.org).
"""


class Elements(HTMLParser):
    """Every start tag of a fragment, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.found]


def test_headings_lists_links_and_emphasis_become_html_below_the_pages_one_h1():
    html = markup.render(BODY)
    found = Elements(html)
    assert found.tags()[:3] == ["h2", "p", "strong"]  # "#" is h2: the page's h1 is the title
    assert "<h3>What we ask</h3>" in html
    assert "<li>Keep every job.</li>" in html
    assert "<strong>3,000 people</strong>" in html and "<em>closing</em>" in html
    assert "h1" not in found.tags()
    assert found.tags().count("ol") == 1 and found.tags().count("ul") == 1
    assert "<blockquote>" in html


def test_the_deepest_heading_stays_a_heading():
    assert markup.render("###### Footnote") == "<h6>Footnote</h6>"


def test_links_open_in_a_new_tab_that_cannot_reach_back_nor_lend_rank():
    link = dict(Elements(markup.render("[wages](https://example.org/wages)")).found)["a"]
    assert link == {
        "href": "https://example.org/wages",
        "target": "_blank",
        "rel": "nofollow noopener noreferrer",
    }


def test_raw_html_is_shown_as_text_and_never_runs():
    html = markup.render('<script>alert(1)</script>\n\n<p onclick="x()">Hi</p>')
    assert Elements(html).tags() == ["p", "p"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_links_that_are_not_to_the_open_web_stay_text():
    for address in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/admin/"):
        html = markup.render(f"[click]({address})")
        assert "<a" not in html, address
        assert "click" in html


def test_a_picture_from_elsewhere_is_a_link_not_a_request_to_its_host():
    html = markup.render("![The plant at dawn](https://tracker.example/pixel.png)")
    assert "<img" not in html
    assert Elements(html).found[1] == (
        "a",
        {
            "href": "https://tracker.example/pixel.png",
            "target": "_blank",
            "rel": "nofollow noopener noreferrer",
        },
    )
    assert "The plant at dawn</a>" in html


def test_plain_text_for_an_email_keeps_the_shape_and_spells_out_links():
    text = markup.plain(BODY)
    assert text.startswith("Why we sign\n\nThe plant employs 3,000 people; closing it ends a town.")
    assert "1. Keep every job.\n2. Pay the wages owed since March (https://example.org/wages)." in (
        text
    )
    assert "   - with interest\n   - before winter" in text
    assert "> We built this plant." in text
    assert "the committee (committee@example.org)" in text
    assert "**" not in text and "](" not in text and "<" not in text


# Pieces an attacker, or a careless paste, might put in a body; joined at random with any text.
TRICKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](  javascript:alert(1) )",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    '![x](https://e.example/a.png "t onerror=alert(1)")',
    "<style>body{}</style>",
    '<span style="color:red">x</span>',
    "<svg onload=alert(1)>",
    "<iframe src=https://e.example>",
    '[x](https://e.example/"onmouseover="alert(1))',
    '<https://e.example/" onclick="x>',
    "<javascript:alert(1)>",
    "`<script>`",
    "```html\n<script>alert(1)</script>\n```",
    "# h\n",
    "- item\n",
    "> quote\n",
    "**b**",
    "*e*",
    "\n\n",
    "[",
    "](",
    ")",
    "<",
    ">",
    '"',
    "&",
]

ALLOWED_ATTRIBUTES = {"a": {"href", "title", "target", "rel"}, "ol": {"start"}}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TRICKS), st.text(max_size=20)), max_size=12))
def test_no_input_yields_a_script_an_event_attribute_a_javascript_link_or_a_style(pieces):
    html = markup.render("".join(pieces))
    lowered = html.lower()
    assert "<script" not in lowered and "<style" not in lowered
    for tag, attributes in Elements(html).found:
        assert tag in markup.TAGS, tag
        # So no on* handler, no style, no src: only these, as the browser will read them.
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set()), (tag, attributes)
        href = attributes.get("href")
        if href is not None:
            assert re.match(r"(https?|mailto):", href), href


def test_a_text_under_a_heading_of_its_own_starts_its_headings_lower():
    assert (
        markup.render("# Delivered\n\n## Next", first_heading=4)
        == "<h4>Delivered</h4>\n<h5>Next</h5>"
    )
