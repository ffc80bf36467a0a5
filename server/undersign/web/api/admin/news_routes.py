"""Updates on a petition's page: post, list, delete."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from undersign.campaigns import news, petitions
from undersign.core.db import get_session
from undersign.web import params
from undersign.web.access import organisers_only, rights
from undersign.web.errors import APIError

bp = Blueprint("admin_news", __name__)


@bp.get("/petitions/<slug>/news")
def list_news(slug: str) -> Response:
    session = get_session()
    found = news.every(session, petitions.find(session, slug))
    return jsonify(news=[news.describe(p) for p in found])


@bp.post("/petitions/<slug>/news")
@organisers_only
def post_news(slug: str) -> tuple[Response, int]:
    body, session = params.json_object(), get_session()
    petition = petitions.find(session, slug)
    try:
        created = news.post(session, petition, body.get("texts"), by=rights())
    except news.InvalidNews as problem:
        raise params.invalid(problem.field, str(problem)) from None
    return jsonify(news.describe(created)), 201


@bp.delete("/petitions/<slug>/news/<row_id:post_id>")
@organisers_only
def delete_news(slug: str, post_id: int) -> tuple[str, int]:
    session = get_session()
    try:
        news.delete(session, petitions.find(session, slug), post_id, by=rights())
    except news.NewsNotFound:
        raise APIError(404, "not_found", "There is no such post on this petition.") from None
    return "", 204
