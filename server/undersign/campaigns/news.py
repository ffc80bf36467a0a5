"""Organisers' updates on a petition's page: "we delivered the signatures", per language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from undersign.core import audit, markup
from undersign.core.auth import Rights
from undersign.core.i18n import LOCALES
from undersign.core.models import NewsPost, Petition
from undersign.core.validation import check_characters

# Each text's longest length; the title is one line, the body Markdown.
LIMITS = {"title": 200, "body": 20_000}
SHOWN = 20  # the newest this many on the page: older news is history, not news


class InvalidNews(ValueError):
    """A post that cannot be taken; `field` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NewsNotFound(LookupError):
    pass


def post(session: Session, petition: Petition, texts: Any, *, by: Rights) -> NewsPost:
    """Publish an update on the petition's page now; log it and commit."""
    created = NewsPost(petition_id=petition.id, texts=_checked(texts))
    session.add(created)
    session.flush()
    audit.record(session, by, "news.post", petition.slug, id=created.id, locales=sorted(texts))
    session.commit()
    return created


def _checked(texts: Any) -> dict[str, dict[str, str]]:
    """Return the texts trimmed; each language given needs a title and a body."""
    shape = 'texts must look like {"en": {"title": "…", "body": "…"}}'
    if not isinstance(texts, dict) or not texts:
        raise InvalidNews("texts", shape)
    unknown = set(texts) - set(LOCALES)
    if unknown:
        raise InvalidNews("texts", f"unsupported languages: {', '.join(sorted(unknown))}")
    checked: dict[str, dict[str, str]] = {}
    for locale, fields in texts.items():
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            raise InvalidNews("texts", shape)
        checked[locale] = {}
        for field, most in LIMITS.items():
            value = fields.get(field, "").strip()
            name = f"texts.{locale}.{field}"
            if not value:
                raise InvalidNews(name, f"{name} is required")
            if len(value) > most:
                raise InvalidNews(name, f"{name} must be at most {most} characters")
            try:
                check_characters(value, multiline=field == "body")
            except ValueError:
                raise InvalidNews(name, f"{name} holds characters that are not text") from None
            checked[locale][field] = value
    return checked


def every(session: Session, petition: Petition) -> list[NewsPost]:
    """Return the petition's posts, newest first."""
    return list(session.scalars(NewsPost.newest(petition.id)))


def delete(session: Session, petition: Petition, post_id: int, *, by: Rights) -> None:
    """Take a post off the page for good; log it and commit."""
    found = session.get(NewsPost, post_id)
    if found is None or found.petition_id != petition.id:
        raise NewsNotFound(post_id)
    session.delete(found)
    audit.record(session, by, "news.delete", petition.slug, id=post_id)
    session.commit()


def describe(found: NewsPost) -> dict[str, Any]:
    """Return the organiser API's view of a post."""
    return {"id": found.id, "texts": found.texts, "published_at": found.published_at.isoformat()}


def shown(session: Session, petition: Petition, locale: str) -> list[dict[str, Any]]:
    """Return the newest posts as the page shows them in `locale`.

    A post missing in `locale` is shown whole in the petition's language or another:
    title and body always in the same language, marked with it for screen readers.
    """
    posts = session.scalars(NewsPost.newest(petition.id).limit(SHOWN))
    chain = [locale, petition.default_locale, *LOCALES]
    return [_in_language(found, chain) for found in posts]


def _in_language(found: NewsPost, chain: list[str]) -> dict[str, Any]:
    language = next(lc for lc in [*chain, *found.texts] if lc in found.texts)
    texts = found.texts[language]
    published: datetime = found.published_at
    return {
        "id": found.id,
        "locale": language,
        "title": texts["title"],
        "body": _html(texts["body"]),
        "published_at": published.isoformat(),
    }


def _html(body: str) -> Markup:
    """Return the body as HTML: Markdown, sanitised by markup.render (only its listed tags)."""
    return Markup(markup.render(body))  # noqa: S704 - render() sanitises with nh3
