"""The public API: what signers and partner sites call, open to every origin. JSON only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from undersign.campaigns import counting, petitions
from undersign.core import i18n, tokens
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.validation import InvalidFields, explain, parse_signature
from undersign.signers import signing
from undersign.web import params, polls
from undersign.web.access import bearer_rights
from undersign.web.errors import FORM_TYPES, APIError
from undersign.web.headers import OPEN_TO_ALL, PREFLIGHT
from undersign.web.limits import limiter, sign_limit, token_limit

bp = Blueprint("public_api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    response.headers.update(OPEN_TO_ALL)
    if request.method == "OPTIONS":
        response.headers.update(PREFLIGHT)
    return response


def _locale(*explicit: str | None) -> str:
    return i18n.negotiate([*explicit, request.args.get("lang")], request.accept_languages.values())


def _count(slug: str) -> dict[str, Any] | None:
    return counting.public_count(get_session(), get_cache(), slug, settings().count_cache_seconds)


@bp.get("/petitions/<slug>")
def petition(slug: str) -> Response:
    found = petitions.find(get_session(), slug)
    count = _count(slug) or {"signature_count": 0}
    return jsonify(petitions.describe(found, _locale(), count["signature_count"]))


@bp.get("/petitions/<slug>/count")
def count(slug: str) -> ResponseReturnValue:
    """Answer the widgets' poll: the cached JSON text as it is; no session unless it is cold."""
    ttl = settings().count_cache_seconds
    body = counting.public_count_json(get_session, get_cache(), slug, ttl).encode()
    if body == b"null":
        raise petitions.PetitionNotFound(slug)
    etag = polls.count_etag(body)
    # Only If-None-Match applies to a count. make_conditional would also parse
    # Range and date headers on every poll: a fifth of this route's time.
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304, mimetype="application/json")
    else:
        response = current_app.response_class(body, mimetype="application/json")
    response.headers.extend(polls.cache_headers(ttl, f'"{etag}"'))
    return response


@bp.get("/petitions/<slug>/signatures")
def wall(slug: str) -> Response:
    page, per_page = params.paging(20, MAX_PER_PAGE)
    found = petitions.find(get_session(), slug)
    return jsonify(petitions.wall(get_session(), found, page, per_page))


@bp.get("/petitions/<slug>/stats")
def stats(slug: str) -> Response:
    """Counted signatures by country and day; by source too with an organiser's or partner's."""
    session = get_session()
    found = petitions.find(session, slug)
    rights = bearer_rights()
    if rights is not None:
        return jsonify(petitions.stats(session, found, rights))
    cached = petitions.cached_stats(session, get_cache(), found)
    return current_app.response_class(cached, mimetype="application/json")


@bp.post("/petitions/<slug>/signatures")
@limiter.shared_limit(sign_limit, scope="sign")
def sign(slug: str) -> ResponseReturnValue:
    """Take a signature as JSON."""
    if request.mimetype in FORM_TYPES:
        # The no-JavaScript form posts to its page now; pages that partners
        # cached before still post here. 307 keeps the method and the body.
        target = url_for("pages.sign_page", slug=slug)
        if request.query_string:  # ?lang= chooses the page's language
            target += "?" + request.query_string.decode("latin-1")
        return redirect(target, code=307)
    body = params.json_object()
    locale = _locale(body["locale"] if isinstance(body.get("locale"), str) else None)
    try:
        signature = parse_signature(body, default_locale=locale)
        signing.sign(get_session(), slug, signature, settings=settings(), client=params.client())
    except InvalidFields as invalid:
        texts = i18n.messages(locale)["errors"]
        fields = explain(invalid.fields, texts, locale)
        raise APIError(422, "invalid_fields", texts["summary"], fields) from None
    message = i18n.messages(locale)["sign"]["success"]
    return jsonify(status="pending", message=message), 202


@bp.post("/signatures/verify")
@limiter.limit(token_limit)
def verify() -> Response:
    token = params.token(params.json_object())
    try:
        result = signing.verify(get_session(), get_cache(), token, settings().signing_keys)
    except signing.SignatureWithdrawn:
        raise APIError(409, "withdrawn", "This signature was withdrawn.") from None
    except tokens.ExpiredToken:
        raise APIError(410, "expired_token", "This link has expired; please sign again.") from None
    except tokens.InvalidToken:
        raise APIError(400, "invalid_token", "This link is not valid.") from None
    return jsonify(
        status="verified", petition=result.petition_slug, signature_count=result.signature_count
    )


@bp.post("/signatures/withdraw")
@limiter.limit(token_limit)
def withdraw() -> Response:
    token = params.token(params.json_object())
    try:
        result = signing.withdraw(get_session(), get_cache(), token, settings().signing_keys)
    except tokens.ExpiredToken:
        raise APIError(410, "expired_token", "This link has expired.") from None
    except tokens.InvalidToken:
        raise APIError(400, "invalid_token", "This link is not valid.") from None
    return jsonify(status="withdrawn", petition=result.petition_slug)
