"""Texts written in Markdown (a petition's body, an update to supporters): one rendering, safe.

`render` gives the HTML that the petition page, the widget and an email's HTML part show;
`plain` gives the same text for an email's text/plain part. Both read CommonMark
(markdown-it-py) with raw HTML off and pictures turned into links; the HTML then passes
through ammonia (nh3), so whatever a Markdown trick lets through, the page gets only the
tags listed here.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

# What a body may hold: headings, paragraphs, lists, quotes, code, emphasis and links.
# No h1: the page's one h1 is the petition's title.
TAGS = frozenset(
    {"h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "blockquote"}
    | {"pre", "code", "strong", "em", "a"}
)
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Links leave for the open web: no javascript:, data: or relative addresses (which would
# point into a partner's site inside the widget, and nowhere from an email).
SCHEMES = frozenset({"http", "https", "mailto"})
# "nofollow": organisers' links are no endorsement for search engines; "noopener noreferrer":
# the opened page can neither steer this one nor learn which petition a signer came from.
LINK_REL = "nofollow noopener noreferrer"

_SANITISE = nh3.Cleaner(
    tags=set(TAGS),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    url_schemes=set(SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)


def _markdown() -> MarkdownIt:
    """Return CommonMark with raw HTML off, pictures as links, links only to the open web."""
    md = MarkdownIt("commonmark", {"html": False})
    # A link markdown-it refuses stays as its text: better than an <a> without an address.
    md.validateLink = _leaves_for_the_web  # type: ignore[method-assign]
    # A picture from elsewhere would tell its host who reads the petition: it becomes a link.
    md.add_render_rule("image", _image_as_link)
    return md


def _leaves_for_the_web(url: str) -> bool:
    scheme, colon, _ = url.partition(":")
    return bool(colon) and scheme.lower() in SCHEMES


def _image_as_link(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    image = tokens[idx]
    alt = self.renderInlineAsText(image.children or [], options, env) or str(image.attrGet("src"))
    return f'<a href="{escapeHtml(str(image.attrGet("src")))}">{escapeHtml(alt)}</a>'


_MD = _markdown()


def _tokens(text: str, first_heading: int) -> list[Token]:
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + first_heading - 1)}"
    return tokens


@lru_cache(maxsize=256)
def render(text: str, first_heading: int = 2) -> Markup:
    """Return `text` (Markdown) as sanitised HTML, its "#" headings at `first_heading` (h2).

    A text under a heading of its own (an update under its h3 title) passes one level
    lower, so the page's outline stays whole. It is Markup: a template puts it in as it is,
    having nothing left to escape.
    """
    if not 2 <= first_heading <= 6:
        raise ValueError("the page's h1 is its title: a text's headings start from h2 to h6")
    html = _MD.renderer.render(_tokens(text, first_heading), _MD.options, {})
    return Markup(_SANITISE.clean(html).strip())  # noqa: S704 (ammonia allowed only TAGS)


def plain(text: str) -> str:
    """Return `text` (Markdown) as plain text for an email: links spelled out, marks dropped."""
    blocks: list[tuple[str, bool]] = []  # each block, and whether it is a tight list's item
    prefixes: list[str] = []  # the quote and list markers the current block sits inside
    numbers: list[int | None] = []  # per open list: the next item's number, None for bullets
    pending = ""  # a list item's marker, waiting for the item's first line
    tokens = _MD.parse(text)
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "blockquote_open":
            prefixes.append("> ")
        elif kind in ("blockquote_close", "bullet_list_close", "ordered_list_close"):
            prefixes.pop()
            if kind != "blockquote_close":
                numbers.pop()
        elif kind in ("bullet_list_open", "ordered_list_open"):
            numbers.append(
                int(token.attrGet("start") or 1) if kind == "ordered_list_open" else None
            )
            prefixes.append("")
        elif kind == "list_item_open":
            number = numbers[-1]
            pending = "- " if number is None else f"{number}. "
            if number is not None:
                numbers[-1] = number + 1
            prefixes[-1] = " " * len(pending)
        elif kind in ("inline", "fence", "code_block"):
            body = _inline_plain(token) if kind == "inline" else token.content.rstrip("\n")
            tight = index > 0 and tokens[index - 1].hidden  # a tight list hides its paragraphs
            blocks.append((_indent(body, "".join(prefixes), pending), tight))
            pending = ""
        elif kind == "hr":
            blocks.append(("".join(prefixes) + "* * *", False))
    return _join(blocks)


def _join(blocks: list[tuple[str, bool]]) -> str:
    """Put a blank line between blocks, but not between the items of a tight list."""
    out = ""
    for number, (block, tight) in enumerate(blocks):
        if number:
            out += "\n" if tight and blocks[number - 1][1] else "\n\n"
        out += block
    return out


def _inline_plain(token: Token) -> str:
    """Return an inline run's words, each link followed by its address in brackets."""
    out: list[str] = []
    href = ""
    link_start = 0
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "image":
            out.append(f"{child.content} ({child.attrGet('src')})")
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "link_open":
            href, link_start = str(child.attrGet("href") or ""), len(out)
        elif child.type == "link_close":
            words = "".join(out[link_start:])
            address = href.removeprefix("mailto:")
            if address and address != words:
                out.append(f" ({address})")
    return "".join(out)


def _indent(body: str, prefix: str, first: str) -> str:
    """Put a block's lines inside its quotes and lists; the first line gets the item's marker."""
    lines = body.split("\n")
    head = prefix[: len(prefix) - len(first)] + first if first else prefix
    return "\n".join([head + lines[0], *(prefix + line for line in lines[1:])])
