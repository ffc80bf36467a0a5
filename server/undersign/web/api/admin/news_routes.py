"""Updates on a petition's page: post, list, delete."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field

from undersign.campaigns import news, petitions
from undersign.core.db import get_session
from undersign.web import params
from undersign.web.access import needs, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import DescribedAs, Locale, Request
from undersign.web.errors import APIError

bp = Blueprint("admin_news", __name__)

NO_PETITION = {404: "No such petition."}


class NewsText(BaseModel):
    """A post in one language: a title, and a Markdown body."""

    title: Annotated[str, Field(min_length=1, max_length=news.LIMITS["title"])]
    body: Annotated[str, Field(min_length=1, max_length=news.LIMITS["body"])]


class NewPost(Request):
    """A post's texts, per language."""

    # news.post checks them against the petition's languages, in its own words.

    texts: Annotated[Any, DescribedAs(Annotated[dict[Locale, NewsText], Field(min_length=1)])] = (
        None
    )


class Post(BaseModel):
    id: int
    texts: dict[str, dict[str, str]]
    published_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Posts(BaseModel):
    news: list[Post]


@bp.get("/petitions/<slug>/news")
@needs("petitions.read")
@described("The updates on the petition's page, newest first", (200, "Updates", Posts), NO_PETITION)
def list_news(slug: str) -> Response:
    session = get_session()
    found = news.every(session, petitions.find(session, slug))
    return jsonify(news=[news.describe(p) for p in found])


@bp.post("/petitions/<slug>/news")
@needs("news.write")
@described(
    "Post an update on the petition's page: title and Markdown body per language",
    (201, "Posted", Post),
    {**NO_PETITION, 422: "A wrong text (fields names it)."},
    body=NewPost,
)
def post_news(slug: str, body: NewPost) -> tuple[Response, int]:
    session = get_session()
    petition = petitions.find(session, slug)
    try:
        created = news.post(session, petition, body.texts, by=rights())
    except news.InvalidNews as problem:
        raise params.invalid(problem.field, str(problem)) from None
    return jsonify(news.describe(created)), 201


@bp.delete("/petitions/<slug>/news/<row_id:post_id>")
@needs("news.write")
@described(
    "Take an update off the page",
    (204, "Removed", None),
    {404: "No such petition, or no such update on it."},
)
def delete_news(slug: str, post_id: int) -> tuple[str, int]:
    session = get_session()
    try:
        news.delete(session, petitions.find(session, slug), post_id, by=rights())
    except news.NewsNotFound:
        raise APIError(404, "not_found", "There is no such post on this petition.") from None
    return "", 204
