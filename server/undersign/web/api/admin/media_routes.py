"""A petition's picture: upload (the bytes as the body), describe, remove."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from pydantic import Field

from undersign.campaigns import images, petitions
from undersign.core.db import get_session
from undersign.web import params
from undersign.web.access import needs, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import DescribedAs, Locale, Request
from undersign.web.errors import APIError

bp = Blueprint("admin_media", __name__)

NO_PICTURE = {404: "No such petition, or it has no picture."}
PICTURE = (200, "The picture's addresses, size and descriptions", dict[str, Any])


class Descriptions(Request):
    """The picture described for screen readers, per language."""

    # images.describe_alt checks it, in its own words.

    alt: Annotated[
        Any, DescribedAs(dict[Locale, Annotated[str, Field(max_length=images.ALT_MOST)]])
    ] = None


def _the_picture_itself(described: dict[str, Any]) -> None:
    """Describe PUT .../image: the body is the picture, not JSON."""
    described["requestBody"] = {
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "contentMediaType": kind}}
            for kind in images.ACCEPTED_TYPES
        },
    }


def _refused(problem: images.InvalidImage) -> APIError:
    return params.invalid(problem.field, str(problem))


def _no_image() -> APIError:
    return APIError(404, "not_found", "This petition has no picture.")


@bp.get("/petitions/<slug>/image")
@needs("petitions.read")
@described("The petition's picture: addresses, size, descriptions", PICTURE, NO_PICTURE)
def get_image(slug: str) -> Response:
    session = get_session()
    try:
        row = images.current(session, petitions.find(session, slug))
    except images.NoImage:
        raise _no_image() from None
    return jsonify(images.describe(row, slug))


@bp.put("/petitions/<slug>/image")
@needs("petitions.media")
@described(
    "Upload the petition's picture (JPEG, PNG or WebP); it is re-encoded without metadata",
    PICTURE,
    {
        400: "A body that could not be read.",
        404: "No such petition.",
        413: f"The picture is larger than {images.MAX_UPLOAD_BYTES // 2**20} MiB.",
        415: "Not image/jpeg, image/png or image/webp.",
        422: "Not a picture that can be read, more than 48 million pixels, or too small.",
    },
    adjust=_the_picture_itself,
)
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
@needs("petitions.media")
@described(
    "Describe the picture for screen readers, per language (alt text)",
    PICTURE,
    {**NO_PICTURE, 422: "A wrong description (fields.alt)."},
    body=Descriptions,
)
def describe_image(slug: str, body: Descriptions) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    try:
        row = images.describe_alt(session, petition, body.alt, by=rights())
    except images.InvalidImage as problem:
        raise _refused(problem) from None
    except images.NoImage:
        raise _no_image() from None
    return jsonify(images.describe(row, slug))


@bp.delete("/petitions/<slug>/image")
@needs("petitions.media")
@described(
    "Remove the picture: previews show the generated card again",
    (204, "Removed", None),
    NO_PICTURE,
)
def delete_image(slug: str) -> tuple[str, int]:
    session = get_session()
    try:
        images.remove(session, petitions.find(session, slug), by=rights())
    except images.NoImage:
        raise _no_image() from None
    return "", 204
