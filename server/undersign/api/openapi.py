"""The OpenAPI 3.1 description of every route, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/schemas/Error"}
# Every route can be refused before it runs: too big, too long, too often.
COMMON = {
    "413": "The body is larger than 16 KiB.",
    "414": "The URL is longer than 4096 characters.",
    "429": "Rate limited; see Retry-After.",
}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
LANG = {
    "name": "lang",
    "in": "query",
    "schema": {"type": "string", "enum": ["en", "ru", "kk"]},
    "description": "Language of the petition text; Accept-Language otherwise.",
}


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = schema or ERROR
    return {"description": description, "content": {"application/json": {"schema": body}}}


def _operation(
    summary: str,
    ok: tuple[str, str, dict[str, Any]],
    errors: dict[str, str],
    **extra: Any,
) -> dict[str, Any]:
    status, description, schema = ok
    responses = {status: _answer(description, schema)}
    for code, text in {**errors, **COMMON}.items():
        responses[code] = _answer(text)
    responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return {"summary": summary, "responses": responses, **extra}


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
TOKEN_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {**_object(token=STRING), "required": ["token"]}}},
}
SIGN_FIELDS = _object(
    name={"type": "string", "minLength": 1, "maxLength": 120},
    email={"type": "string", "format": "email"},
    country={"type": "string", "pattern": "^[A-Z]{2}$"},
    postcode={"type": "string", "maxLength": 16},
    city={"type": "string", "maxLength": 80},
    comment={"type": "string", "maxLength": 1000},
    public=BOOLEAN,
    contact_consent=BOOLEAN,
    source={"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
    locale={"type": "string", "enum": ["en", "ru", "kk"]},
    website={"type": "string", "description": "Honeypot: leave empty."},
)
SIGN_FIELDS["required"] = ["name", "email", "country"]

PATHS: dict[str, Any] = {
    "/api/v1/petitions/{slug}": {
        "get": _operation(
            "A petition in the requested language",
            ("200", "The petition", {"$ref": "#/components/schemas/Petition"}),
            {"404": "No such petition."},
            parameters=[SLUG, LANG],
        )
    },
    "/api/v1/petitions/{slug}/count": {
        "get": _operation(
            "The verified count (cacheable for a few seconds, with an ETag)",
            ("200", "The count", _object(slug=STRING, signature_count=INTEGER, goal=INTEGER)),
            {"304": "Not modified since the ETag sent.", "404": "No such petition."},
            parameters=[SLUG],
        )
    },
    "/api/v1/petitions/{slug}/signatures": {
        "get": _operation(
            "The public wall: verified signers who chose to be shown, newest first",
            ("200", "One page of the wall", {"$ref": "#/components/schemas/WallPage"}),
            {"400": "Bad paging parameters.", "404": "No such petition."},
            parameters=[
                SLUG,
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 100}},
            ],
        ),
        "post": _operation(
            "Sign (JSON; a form post is answered with an HTML page)",
            (
                "202",
                "Pending verification, whether or not the address signed before",
                _object(status=STRING, message=STRING),
            ),
            {
                "400": "The body is not a JSON object.",
                "404": "No such petition.",
                "409": "The petition is closed.",
                "415": "Neither JSON nor a form.",
                "422": "Invalid fields; `fields` says which.",
            },
            parameters=[SLUG],
            requestBody={
                "required": True,
                "content": {
                    "application/json": {"schema": SIGN_FIELDS},
                    "application/x-www-form-urlencoded": {"schema": SIGN_FIELDS},
                },
            },
        ),
    },
    "/api/v1/petitions/{slug}/stats": {
        "get": _operation(
            "Counted signatures by country, by day and by source",
            (
                "200",
                "Aggregates",
                _object(
                    by_country={"type": "object"},
                    by_day={"type": "array"},
                    by_source={"type": "object"},
                ),
            ),
            {"404": "No such petition."},
            parameters=[SLUG],
        )
    },
    "/api/v1/signatures/verify": {
        "post": _operation(
            "Confirm a signature with the token from its email (idempotent)",
            ("200", "Verified", _object(status=STRING, petition=STRING, signature_count=INTEGER)),
            {
                "400": "Not a valid token, or not JSON.",
                "409": "The signature was withdrawn.",
                "410": "The token has expired.",
                "415": "Not JSON.",
                "422": "No token given.",
            },
            requestBody=TOKEN_BODY,
        )
    },
    "/api/v1/signatures/withdraw": {
        "post": _operation(
            "Withdraw a signature and erase its personal data (idempotent)",
            ("200", "Withdrawn", _object(status=STRING, petition=STRING)),
            {
                "400": "Not a valid token, or not JSON.",
                "410": "The token has expired.",
                "415": "Not JSON.",
                "422": "No token given.",
            },
            requestBody=TOKEN_BODY,
        )
    },
    "/api/openapi.json": {
        "get": _operation("This document", ("200", "OpenAPI 3.1", {"type": "object"}), {})
    },
    "/healthz": {"get": _operation("Liveness", ("200", "Alive", _object(status=STRING)), {})},
    "/readyz": {
        "get": _operation(
            "Readiness: the database, and Redis when configured",
            ("200", "Ready", _object(status=STRING, checks={"type": "object"})),
            {"503": "A dependency is unavailable."},
        )
    },
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                **_object(
                    code=STRING,
                    message=STRING,
                    fields={"type": "object", "additionalProperties": STRING},
                ),
                "required": ["code", "message"],
            }
        },
    },
    "Petition": _object(
        slug=STRING,
        title=STRING,
        summary=STRING,
        body=STRING,
        target=STRING,
        goal={"type": ["integer", "null"]},
        signature_count=INTEGER,
        status={"type": "string", "enum": ["open", "closed"]},
        closes_at={"type": ["string", "null"], "format": "date-time"},
        locales={"type": "array", "items": STRING},
    ),
    "WallPage": _object(
        signatures={
            "type": "array",
            "items": _object(
                first_name=STRING,
                country=STRING,
                city=NULLABLE_STRING,
                comment=NULLABLE_STRING,
                signed_at={"type": "string", "format": "date-time"},
            ),
        },
        page=INTEGER,
        per_page=INTEGER,
        has_more=BOOLEAN,
    ),
}


def document() -> dict[str, Any]:
    from undersign.api import admin_openapi  # it builds on the helpers above

    return {
        "openapi": "3.1.0",
        "info": {"title": "Undersign", "version": "1"},
        "paths": {**PATHS, **admin_openapi.PATHS},
        "components": {"schemas": SCHEMAS, "securitySchemes": admin_openapi.SECURITY_SCHEMES},
    }


@bp.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
