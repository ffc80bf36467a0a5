"""The pieces every part of the OpenAPI document is built from."""

from __future__ import annotations

from typing import Any

from undersign.core.i18n import LOCALES
from undersign.core.validation import MAX_LENGTH, PARTNER_CODE
from undersign.web.params import MAX_PAGE

ERROR = {"$ref": "#/components/schemas/Error"}
# Every route can be refused before it runs (too big, too long, too often), and
# answered 503 while its database does not answer (api/errors.database_unavailable).
COMMON = {
    "413": "The body is larger than 16 KiB.",
    "414": "The URL is longer than 4096 characters.",
    "429": "Rate limited; see Retry-After.",
    "503": "The database does not answer for now; try again after Retry-After seconds.",
}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
LANG = {
    "name": "lang",
    "in": "query",
    "schema": {"type": "string", "enum": list(LOCALES)},
    "description": "Language of the petition text; Accept-Language otherwise.",
}


# Refused at the door, before any route runs (api/errors.refuse_odd_requests).
AT_THE_DOOR = {"400": "A NUL character in the address or the body."}
PAGE = {"type": "string"}


def answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = schema or ERROR
    return {"description": description, "content": {"application/json": {"schema": body}}}


def page(description: str) -> dict[str, Any]:
    """An answer that is an HTML page in the reader's language."""
    return {"description": description, "content": {"text/html": {"schema": PAGE}}}


def as_files(described: dict[str, Any], *media_types: str) -> dict[str, Any]:
    """Let an operation's 200 be a file in any of `media_types` instead of JSON."""
    described["responses"]["200"]["content"] = {media: {"schema": PAGE} for media in media_types}
    return described


def for_browsers(described: dict[str, Any], *codes: str) -> dict[str, Any]:
    """Let `codes` of an operation also answer a browser's plain form post with a page.

    The door's 400 (a NUL character) answers such a post in plain text.
    """
    for code in (*codes, "503"):
        described["responses"][code]["content"]["text/html"] = {"schema": PAGE}
    for door in ("400", "414"):
        described["responses"][door]["content"]["text/plain"] = {"schema": PAGE}
    return described


def operation(
    summary: str,
    ok: tuple[str, str, dict[str, Any]],
    errors: dict[str, str],
    **extra: Any,
) -> dict[str, Any]:
    status, description, schema = ok
    responses = {status: answer(description, schema)}
    for code, text in {**AT_THE_DOOR, **COMMON, **errors}.items():  # a route's own words win
        responses[code] = answer(text)
    for waiting in ("429", "503"):
        responses[waiting]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return {"summary": summary, "responses": responses, **extra}


def paging(most_per_page: int) -> list[dict[str, Any]]:
    """Describe the `page` and `per_page` query parameters (see api/params.paging)."""
    return [
        {"name": "page", "in": "query", "schema": {**INTEGER, "minimum": 1, "maximum": MAX_PAGE}},
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
    named={
        "type": "boolean",
        "description": "May the list handed to the addressee carry my name and city; "
        "absent: the petition's `named_default`. Either way the signature counts.",
    },
    source=PARTNER,
    locale={"type": "string", "enum": list(LOCALES)},
    website={"type": "string", "description": "Honeypot: leave empty."},
)
SIGN_FIELDS["required"] = ["name", "email", "country"]
