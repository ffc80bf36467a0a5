"""The public API: what signers and partner sites call, open to every origin."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from undersign import counting, i18n, pages, petitions, signing, tokens
from undersign.api.errors import APIError
from undersign.cache import get_cache
from undersign.config import Settings
from undersign.db import get_session
from undersign.limits import limiter, sign_limit, token_limit
from undersign.validation import InvalidFields, explain, parse_signature

bp = Blueprint("public_api", __name__, url_prefix="/api/v1")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_PER_PAGE = 100


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    # Partner sites on any origin read counts and post signatures from the
    # signer's browser; nothing here relies on cookies, so "*" is safe.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept-Language"
    response.headers["Access-Control-Expose-Headers"] = "Retry-After, ETag"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _settings() -> Settings:
    return current_app.extensions["undersign.settings"]


def _not_found() -> APIError:
    return APIError(404, "not_found", "There is no petition at this address.")


def _count(slug: str) -> dict[str, Any] | None:
    return counting.public_count(get_session(), get_cache(), slug, _settings().count_cache_seconds)


def _petition(slug: str) -> Any:
    try:
        return signing.find_petition(get_session(), slug)
    except signing.PetitionNotFound:
        raise _not_found() from None


@bp.get("/petitions/<slug>")
def petition(slug: str) -> Response:
    found = _petition(slug)
    count = _count(slug) or {"signature_count": 0}
    return jsonify(petitions.describe(found, pages.request_locale(), count["signature_count"]))


@bp.get("/petitions/<slug>/count")
def count(slug: str) -> ResponseReturnValue:
    payload = _count(slug)
    if payload is None:
        raise _not_found()
    response = jsonify(payload)
    response.cache_control.public = True
    response.cache_control.max_age = _settings().count_cache_seconds
    response.add_etag()
    # Only If-None-Match applies to a count. make_conditional would also parse
    # Range and date headers on every poll: a fifth of this route's time.
    etag, _ = response.get_etag()
    if etag is not None and request.if_none_match.contains(etag):
        response.status_code = 304
        response.set_data(b"")
    return response


@bp.get("/petitions/<slug>/signatures")
def wall(slug: str) -> Response:
    page = _positive_int("page", 1)
    per_page = min(_positive_int("per_page", 20), MAX_PER_PAGE)
    return jsonify(petitions.wall(get_session(), _petition(slug), page, per_page))


@bp.get("/petitions/<slug>/stats")
def stats(slug: str) -> Response:
    cached = petitions.cached_stats(get_session(), get_cache(), _petition(slug))
    return current_app.response_class(cached, mimetype="application/json")


def _positive_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        raise APIError(400, "bad_request", f"{name} must be a positive whole number")
    return int(raw)


@bp.post("/petitions/<slug>/signatures")
@limiter.limit(sign_limit)
def sign(slug: str) -> Any:
    """Take a signature; a form post (no JavaScript) is answered with a page."""
    is_form = request.mimetype in FORM_TYPES
    data = request.form if is_form else _json_body()
    locale = i18n.negotiate(
        [_text_value(data.get("locale")), request.args.get("lang")],
        request.accept_languages.values(),
    )
    settings = _settings()
    try:
        signing.sign(
            get_session(),
            slug,
            parse_signature(data, default_locale=locale),
            identity_key=settings.identity_key,
            ip=request.remote_addr,
            shared_address_threshold=settings.shared_address_threshold,
        )
    except InvalidFields as invalid:
        if is_form:
            return pages.sign_form_answer(slug, locale, data, invalid.fields, 422)
        texts = i18n.messages(locale)["errors"]
        fields = explain(invalid.fields, texts)
        raise APIError(422, "invalid_fields", texts["summary"], fields) from None
    except signing.PetitionNotFound:
        raise _not_found() from None
    except signing.PetitionClosed:
        if is_form:
            return pages.sign_form_answer(slug, locale, data, {}, 409)
        raise APIError(
            409, "petition_closed", "This petition no longer takes signatures."
        ) from None
    if is_form:
        return pages.sign_form_answer(slug, locale, data, None, 202)
    message = i18n.messages(locale)["sign"]["success"]
    return jsonify(status="pending", message=message), 202


def _text_value(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _json_body() -> MultiDict[str, Any] | dict[str, Any]:
    if request.mimetype != "application/json":
        raise APIError(415, "unsupported_media_type", "Send JSON or a form.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise APIError(400, "bad_request", "The body is not a JSON object.")
    return body


def _token() -> str:
    body = _json_body()
    token = body.get("token")
    if not isinstance(token, str) or not token or len(token) > 500:
        raise APIError(422, "invalid_fields", "A token is required.", {"token": "is required"})
    return token


@bp.post("/signatures/verify")
@limiter.limit(token_limit)
def verify() -> Response:
    try:
        result = signing.verify(get_session(), get_cache(), _token(), _settings().signing_keys)
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
    try:
        result = signing.withdraw(get_session(), get_cache(), _token(), _settings().signing_keys)
    except tokens.ExpiredToken:
        raise APIError(410, "expired_token", "This link has expired.") from None
    except tokens.InvalidToken:
        raise APIError(400, "invalid_token", "This link is not valid.") from None
    return jsonify(status="withdrawn", petition=result.petition_slug)
