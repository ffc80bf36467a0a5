"""The organiser API's part of the OpenAPI document: every route, its token rule and its answers."""

from __future__ import annotations

from typing import Any

from undersign.api.openapi.parts import (
    BOOLEAN,
    INTEGER,
    NULLABLE_STRING,
    PARTNER,
    SLUG,
    STRING,
    object_,
    operation,
    paging,
)
from undersign.i18n import LOCALES
from undersign.models import WallMode
from undersign.moderation import COMMENT_DECISIONS, MAX_REASON
from undersign.petitions import SLUG as SLUG_PATTERN
from undersign.petitions import TEXT_LIMITS

PREFIX = "/api/v1/admin"
SECURITY: list[dict[str, list[str]]] = [{"organiserToken": []}]
SECURITY_SCHEMES = {
    "organiserToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `undersign token create NAME [--partner SOURCE]`.",
    }
}
ID = {"name": "id", "in": "path", "required": True, "schema": INTEGER}
PAGING = paging(200)
DATES = [
    {"name": "since", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "until", "in": "query", "schema": {"type": "string", "format": "date"}},
]
SOURCE = {"name": "source", "in": "query", "schema": STRING}
OBJECT = {"type": "object"}


def _body(schema: dict[str, Any], *required: str) -> dict[str, Any]:
    described = {**schema, "required": list(required)} if required else schema
    return {"required": True, "content": {"application/json": {"schema": described}}}


TEXTS = {
    "type": "object",
    "propertyNames": {"enum": list(LOCALES)},
    "additionalProperties": object_(
        **{field: {"type": "string", "maxLength": most} for field, most in TEXT_LIMITS.items()}
    ),
}
PETITION = object_(
    slug={"type": "string", "pattern": f"^{SLUG_PATTERN.pattern}$"},
    texts=TEXTS,
    goal={"type": ["integer", "null"], "minimum": 1},
    closes_at={"type": ["string", "null"], "format": "date-time"},
    default_locale={"enum": list(LOCALES)},
    named_default=BOOLEAN,
    wall_mode={"enum": list(WallMode)},
    organiser_name={"type": ["string", "null"], "maxLength": 120},
    organiser_contact={"type": ["string", "null"], "maxLength": 200},
    # A Curve25519 public key, 32 bytes in base64 (`undersign keys generate`); see sealing.py.
    seal_key={"type": ["string", "null"], "pattern": "^[A-Za-z0-9+/]{43}=$"},
)
PARTNER_FIELDS = object_(
    code=PARTNER,
    name={"type": "string", "minLength": 1, "maxLength": 120},
    allowed_origins={"type": "array", "items": STRING},
)
WEBHOOK = object_(url={"type": "string", "format": "uri"}, partner=PARTNER, petition=STRING)
REASON = object_(reason={"type": "string", "minLength": 1, "maxLength": MAX_REASON})
DECISION = object_(decision={"enum": list(COMMENT_DECISIONS)})
REFUSED = "A partner token may not do this, or asked for another partner's signatures."


def _admin(
    summary: str,
    ok: tuple[str, str, dict[str, Any]],
    errors: dict[str, str] | None = None,
    *,
    partners: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Describe one organiser operation: 401 always, 403 outside the token's rights."""
    answers = {"401": "No token, or a wrong or revoked one.", "403": REFUSED, **(errors or {})}
    if partners:
        answers["403"] = "Asked for another partner's signatures."
    answers["413"] = "The body is larger than 4 MiB."
    if "requestBody" in extra:  # api/params.json_object: one answer for each unreadable body
        answers.setdefault("400", "The body is not a JSON object.")
        answers.setdefault("415", "The body is not JSON.")
    return {**operation(summary, ok, answers, **extra), "security": SECURITY}


def _signature_change(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {"parameters": [ID]}
    if body:
        extra["requestBody"] = body
    return {
        "post": _admin(
            summary,
            ("200", "The signature as it is now", OBJECT),
            {"404": "No such signature.", "422": "A reason or decision is missing or wrong."},
            **extra,
        )
    }


def _queue(summary: str, *params: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": _admin(
            summary,
            ("200", "One page", object_(signatures={"type": "array"}, total=INTEGER)),
            {"404": "No such petition.", "422": "A bad filter."},
            partners=True,
            parameters=[SLUG, *params, *PAGING],
        )
    }


PATHS: dict[str, Any] = {
    f"{PREFIX}/me": {
        "get": _admin(
            "Who this token is",
            ("200", "Name and partner", object_(name=STRING, partner=NULLABLE_STRING)),
            partners=True,
        )
    },
    f"{PREFIX}/petitions": {
        "get": _admin(
            "Every petition with its counts (a partner's share for a partner token)",
            ("200", "Petitions", object_(petitions={"type": "array"})),
            partners=True,
        ),
        "post": _admin(
            "Create a petition: slug, texts per language, goal, closing time",
            ("201", "Created", OBJECT),
            {"422": "Invalid fields."},
            requestBody=_body(PETITION, "slug", "texts"),
        ),
    },
    f"{PREFIX}/petitions/{{slug}}": {
        "get": _admin(
            "One petition with its counts",
            ("200", "The petition", OBJECT),
            {"404": "No such petition."},
            partners=True,
            parameters=[SLUG],
        ),
        "patch": _admin(
            "Edit texts, goal, closing time or language; what is left out stays",
            ("200", "The petition", OBJECT),
            {"404": "No such petition.", "422": "Invalid fields."},
            parameters=[SLUG],
            requestBody=_body(PETITION),
        ),
    },
    f"{PREFIX}/petitions/{{slug}}/{{action}}": {
        "post": _admin(
            "Open or close a petition",
            ("200", "The petition", OBJECT),
            {"404": "No such petition."},
            parameters=[
                SLUG,
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["open", "close"]},
                },
            ],
        )
    },
    f"{PREFIX}/petitions/{{slug}}/dashboard": {
        "get": _admin(
            "Counts by state, by day, by country, by source; queue sizes",
            ("200", "The dashboard", OBJECT),
            {"404": "No such petition."},
            partners=True,
            parameters=[SLUG],
        )
    },
    f"{PREFIX}/petitions/{{slug}}/signatures": _queue(
        "Search: part of a name or a whole address, state, source, dates",
        {"name": "q", "in": "query", "schema": STRING},
        {"name": "state", "in": "query", "schema": STRING},
        SOURCE,
        *DATES,
    ),
    f"{PREFIX}/petitions/{{slug}}/review": _queue("Signatures flagged by the shared-address rule"),
    f"{PREFIX}/petitions/{{slug}}/comments": {
        **_queue(
            "Wall entries (name, city, message) by moderation state",
            {
                "name": "status",
                "in": "query",
                "schema": {"enum": ["pending", "approved", "rejected"]},
            },
        ),
        "post": _admin(
            "Approve or reject many pending wall entries at once",
            ("200", "How many were decided", object_(decided=INTEGER)),
            {"404": "No such petition.", "422": "No ids, or a wrong decision."},
            parameters=[SLUG],
            requestBody=_body(
                object_(
                    ids={
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 200,
                        "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                    },
                    decision={"enum": list(COMMENT_DECISIONS)},
                ),
                "ids",
                "decision",
            ),
        ),
    },
    f"{PREFIX}/petitions/{{slug}}/export": {
        "get": _admin(
            "Stream the signatures as CSV or JSONL from one consistent read",
            ("200", "The export", {"type": "string"}),
            {"404": "No such petition.", "422": "A bad filter."},
            partners=True,
            parameters=[
                SLUG,
                {"name": "format", "in": "query", "schema": {"enum": ["csv", "jsonl"]}},
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"enum": ["verified", "pending", "all"]},
                },
                SOURCE,
                *DATES,
            ],
        )
    },
    f"{PREFIX}/petitions/{{slug}}/handover": {
        "get": _admin(
            "The printable list: numbered name, city, country, date (HTML)",
            ("200", "The page", {"type": "string"}),
            {"404": "No such petition."},
            parameters=[SLUG],
        )
    },
    f"{PREFIX}/signatures/{{id}}/invalidate": _signature_change(
        "Take out of the count, with a reason", _body(REASON, "reason")
    ),
    f"{PREFIX}/signatures/{{id}}/restore": _signature_change(
        "Put back into the count, with a reason", _body(REASON, "reason")
    ),
    f"{PREFIX}/signatures/{{id}}/keep": _signature_change("Keep a flagged signature"),
    f"{PREFIX}/signatures/{{id}}/comment": _signature_change(
        "Approve or reject its comment", _body(DECISION, "decision")
    ),
    f"{PREFIX}/partners": {
        "get": _admin("Partners with their embed snippets", ("200", "Partners", OBJECT)),
        "post": _admin(
            "Add a partner: code, name, allowed origins",
            ("201", "Created", OBJECT),
            {"422": "Invalid fields."},
            requestBody=_body(PARTNER_FIELDS, "code", "name"),
        ),
    },
    f"{PREFIX}/partners/{{code}}": {
        "patch": _admin(
            "Change a partner's name or allowed origins",
            ("200", "The partner", OBJECT),
            {"404": "No such partner.", "422": "Invalid fields."},
            parameters=[{"name": "code", "in": "path", "required": True, "schema": STRING}],
            requestBody=_body(PARTNER_FIELDS),
        )
    },
    f"{PREFIX}/webhooks": {
        "get": _admin("Webhooks (without their secrets)", ("200", "Webhooks", OBJECT)),
        "post": _admin(
            "Add a webhook for a partner or a petition; its secret is shown once",
            ("201", "Created", object_(id=INTEGER, url=STRING, secret=STRING)),
            {"422": "Invalid fields."},
            requestBody=_body(WEBHOOK, "url"),
        ),
    },
    f"{PREFIX}/webhooks/{{id}}": {
        "delete": _admin(
            "Remove a webhook",
            ("204", "Removed", OBJECT),
            {"404": "No such webhook."},
            parameters=[ID],
        )
    },
    f"{PREFIX}/audit": {
        "get": _admin(
            "The audit log, newest first",
            ("200", "Entries", object_(entries={"type": "array"}, page=INTEGER)),
            {"422": "Bad paging."},
            parameters=PAGING,
        )
    },
}
