"""A petition's picture: upload (the bytes as the body), describe, remove."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from undersign.campaigns import images, petitions
from undersign.core.db import get_session
from undersign.web import params
from undersign.web.access import organisers_only, rights
from undersign.web.errors import APIError

bp = Blueprint("admin_media", __name__)


def _refused(problem: images.InvalidImage) -> APIError:
    return params.invalid(problem.field, str(problem))


def _no_image() -> APIError:
    return APIError(404, "not_found", "This petition has no picture.")


@bp.get("/petitions/<slug>/image")
def get_image(slug: str) -> Response:
    session = get_session()
    try:
        row = images.current(session, petitions.find(session, slug))
    except images.NoImage:
        raise _no_image() from None
    return jsonify(images.describe(row, slug))


@bp.put("/petitions/<slug>/image")
@organisers_only
def put_image(slug: str) -> Response:
    if request.mimetype not in images.ACCEPTED_TYPES:
        raise APIError(
            415,
            "unsupported_media_type",
            "Send the image itself, as image/jpeg, image/png or image/webp.",
        )
    session = get_session()
    petition = petitions.find(session, slug)  # before reading a body that may be large
    request.max_content_length = images.MAX_UPLOAD_BYTES  # a photo, not a form
    try:
        row = images.store(session, petition, request.get_data(cache=False), by=rights())
    except images.InvalidImage as problem:
        raise _refused(problem) from None
    return jsonify(images.describe(row, slug))


@bp.patch("/petitions/<slug>/image")
@organisers_only
def describe_image(slug: str) -> Response:
    body, session = params.json_object(), get_session()
    petition = petitions.find(session, slug)
    try:
        row = images.describe_alt(session, petition, body.get("alt"), by=rights())
    except images.InvalidImage as problem:
        raise _refused(problem) from None
    except images.NoImage:
        raise _no_image() from None
    return jsonify(images.describe(row, slug))


@bp.delete("/petitions/<slug>/image")
@organisers_only
def delete_image(slug: str) -> tuple[str, int]:
    session = get_session()
    try:
        images.remove(session, petitions.find(session, slug), by=rights())
    except images.NoImage:
        raise _no_image() from None
    return "", 204
