"""The pieces every part of the OpenAPI document is built from."""

from __future__ import annotations

from typing import Any

from undersign.i18n import LOCALES
from undersign.validation import MAX_LENGTH, PARTNER_CODE

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
    "schema": {"type": "string", "enum": list(LOCALES)},
    "description": "Language of the petition text; Accept-Language otherwise.",
}


def answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = schema or ERROR
    return {"description": description, "content": {"application/json": {"schema": body}}}


def operation(
    summary: str,
    ok: tuple[str, str, dict[str, Any]],
    errors: dict[str, str],
    **extra: Any,
) -> dict[str, Any]:
    status, description, schema = ok
    responses = {status: answer(description, schema)}
    for code, text in {**errors, **COMMON}.items():
        responses[code] = answer(text)
    responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return {"summary": summary, "responses": responses, **extra}


def paging(most_per_page: int) -> list[dict[str, Any]]:
    """Describe the `page` and `per_page` query parameters (see api/params.paging)."""
    return [
        {"name": "page", "in": "query", "schema": {**INTEGER, "minimum": 1}},
        {
            "name": "per_page",
            "in": "query",
            "schema": {**INTEGER, "minimum": 1, "maximum": most_per_page},
        },
    ]


def object_(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
TOKEN_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {**object_(token=STRING), "required": ["token"]}}},
}
PARTNER = {"type": "string", "pattern": f"^{PARTNER_CODE.pattern}$"}
SIGN_FIELDS = object_(
    name={"type": "string", "minLength": 1, "maxLength": MAX_LENGTH["name"]},
    email={"type": "string", "format": "email", "maxLength": MAX_LENGTH["email"]},
    country={"type": "string", "pattern": "^[A-Z]{2}$"},
    postcode={"type": "string", "maxLength": MAX_LENGTH["postcode"]},
    city={"type": "string", "maxLength": MAX_LENGTH["city"]},
    comment={"type": "string", "maxLength": MAX_LENGTH["comment"]},
    public=BOOLEAN,
    contact_consent=BOOLEAN,
    source=PARTNER,
    locale={"type": "string", "enum": list(LOCALES)},
    website={"type": "string", "description": "Honeypot: leave empty."},
)
SIGN_FIELDS["required"] = ["name", "email", "country"]
