"""The public routes' part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from undersign.web.api.openapi.parts import (
    BOOLEAN,
    INTEGER,
    LANG,
    NULLABLE_STRING,
    SIGN_FIELDS,
    SLUG,
    STRING,
    TOKEN_BODY,
    for_browsers,
    object_,
    operation,
    page,
    paging,
)

FORM = "application/x-www-form-urlencoded"


def sign_with_json() -> dict[str, Any]:
    described = operation(
        "Sign with JSON (a plain form post is sent on to POST /p/{slug})",
        (
            "202",
            "Pending verification, whether or not the address signed before",
            object_(status=STRING, message=STRING),
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
            "content": {"application/json": {"schema": SIGN_FIELDS}, FORM: {"schema": SIGN_FIELDS}},
        },
    )
    described["responses"]["307"] = {
        **page("A plain form post, from a page cached before: post it again to /p/{slug}."),
        "headers": {"Location": {"schema": STRING}},
    }
    # A browser's form post is refused with a page, never JSON.
    return for_browsers(described, "404", "413", "429")


def form_post() -> dict[str, Any]:
    """The no-JavaScript form: every answer is a page in the signer's language."""
    described = operation(
        "Sign with the plain form; answered with the thank-you page, or the form and its errors",
        ("202", "Pending verification (the thank-you page)", {"type": "string"}),
        {
            "404": "No such petition.",
            "409": "The petition is closed (the form, saying so).",
            "422": "Invalid fields (the form, each error beside its field).",
        },
        parameters=[SLUG, LANG],
        requestBody={"required": True, "content": {FORM: {"schema": SIGN_FIELDS}}},
    )
    for code, answered in described["responses"].items():
        if code != "400":
            answered["content"] = page(answered["description"])["content"]
    return for_browsers(described)


PATHS: dict[str, Any] = {
    "/api/v1/petitions/{slug}": {
        "get": operation(
            "A petition in the requested language",
            ("200", "The petition", {"$ref": "#/components/schemas/Petition"}),
            {"404": "No such petition."},
            parameters=[SLUG, LANG],
        )
    },
    "/api/v1/petitions/{slug}/count": {
        "get": operation(
            "The verified count (cacheable for a few seconds, with an ETag)",
            (
                "200",
                "The count",
                object_(slug=STRING, signature_count=INTEGER, goal={"type": ["integer", "null"]}),
            ),
            {"304": "Not modified since the ETag sent.", "404": "No such petition."},
            parameters=[SLUG],
        )
    },
    "/p/{slug}": {
        "post": form_post(),
    },
    "/api/v1/petitions/{slug}/signatures": {
        "get": operation(
            "The public wall: verified signers who chose to be shown, newest first",
            ("200", "One page of the wall", {"$ref": "#/components/schemas/WallPage"}),
            {"404": "No such petition.", "422": "A paging parameter out of range."},
            parameters=[SLUG, *paging(100)],
        ),
        "post": sign_with_json(),
    },
    "/api/v1/petitions/{slug}/stats": {
        "get": {
            **operation(
                "Counted signatures by country and by day; by source with an organiser's or "
                "partner's token (a partner's: its own)",
                (
                    "200",
                    "Aggregates",
                    object_(
                        by_country={"type": "object"},
                        by_day={"type": "array"},
                        by_source={"type": "object"},
                    ),
                ),
                {
                    "401": "A token was sent, and it is wrong or revoked.",
                    "404": "No such petition.",
                },
                parameters=[SLUG],
            ),
            "security": [{}, {"organiserToken": []}],  # anyone; more with a token
        }
    },
    "/api/v1/signatures/verify": {
        "post": operation(
            "Confirm a signature with the token from its email (idempotent)",
            ("200", "Verified", object_(status=STRING, petition=STRING, signature_count=INTEGER)),
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
        "post": operation(
            "Withdraw a signature and erase its personal data (idempotent)",
            ("200", "Withdrawn", object_(status=STRING, petition=STRING)),
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
        "get": operation("This document", ("200", "OpenAPI 3.1", {"type": "object"}), {})
    },
    "/healthz": {"get": operation("Liveness", ("200", "Alive", object_(status=STRING)), {})},
    "/readyz": {
        "get": operation(
            "Readiness: the database, and Redis when configured",
            ("200", "Ready", object_(status=STRING, checks={"type": "object"})),
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
                **object_(
                    code=STRING,
                    message=STRING,
                    fields={"type": "object", "additionalProperties": STRING},
                ),
                "required": ["code", "message"],
            }
        },
    },
    "Petition": object_(
        slug=STRING,
        title=STRING,
        summary=STRING,
        body={**STRING, "description": "The full text, in Markdown (CommonMark)."},
        body_html={
            **STRING,
            "description": "The body rendered to HTML and sanitised, as the petition page shows "
            "it: headings from h2, paragraphs, lists, quotes, code, emphasis and links "
            '(http, https, mailto; with target="_blank" and rel="nofollow noopener '
            'noreferrer"); no raw HTML, pictures, scripts, styles or event attributes.',
        },
        target=STRING,
        goal={"type": ["integer", "null"]},
        signature_count=INTEGER,
        status={
            "type": "string",
            "enum": ["open", "closed"],
            "description": "closed once an organiser closed it or its closing time passed",
        },
        closes_at={"type": ["string", "null"], "format": "date-time"},
        closes_on={
            "type": ["string", "null"],
            "description": "The closing date (UTC) in words, in the answer's language.",
        },
        locales={"type": "array", "items": STRING},
        named_default={
            **BOOLEAN,
            "description": "Whether the form's box to show one's name to the addressee starts "
            "ticked.",
        },
        wall_mode={
            "type": "string",
            "enum": ["approve", "show"],
            "description": "When a signer who chose the public wall appears there: approve, once "
            "an organiser approved the entry; show, at once, until an organiser hides it. A form "
            "says which, next to its box.",
        },
    ),
    "WallPage": object_(
        signatures={
            "type": "array",
            "items": object_(
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
