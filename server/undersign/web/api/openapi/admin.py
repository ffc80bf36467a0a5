"""The organiser API's part of the OpenAPI document: every route, its token rule and its answers."""

from __future__ import annotations

from typing import Any

from undersign.campaigns.images import ACCEPTED_TYPES, ALT_MOST, MAX_UPLOAD_BYTES
from undersign.campaigns.news import LIMITS as NEWS_LIMITS
from undersign.campaigns.petitions import SLUG as SLUG_PATTERN
from undersign.campaigns.petitions import TEXT_LIMITS
from undersign.core.i18n import LOCALES
from undersign.core.models import WallMode
from undersign.organisers import export, paper
from undersign.organisers.mailings import BODY_MOST, SUBJECT_MOST
from undersign.organisers.moderation import COMMENT_DECISIONS, MAX_REASON
from undersign.web.api.openapi.parts import (
    BOOLEAN,
    INTEGER,
    NULLABLE_STRING,
    PARTNER,
    SLUG,
    STRING,
    answer,
    as_files,
    object_,
    operation,
    paging,
)

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
ARRAY = {"type": "array"}


def _body(schema: dict[str, Any], *required: str) -> dict[str, Any]:
    described = {**schema, "required": list(required)} if required else schema
    return {"required": True, "content": {"application/json": {"schema": described}}}


# One language's texts: title, summary and target in plain text; the body in Markdown.
ONE_LANGUAGE = object_(
    **{field: {"type": "string", "maxLength": most} for field, most in TEXT_LIMITS.items()}
)
TEXTS = {
    "type": "object",
    "description": "Per language: title, summary and target in plain text; body in Markdown "
    "(CommonMark: headings, lists, links, emphasis; raw HTML and pictures are not shown).",
    "propertyNames": {"enum": list(LOCALES)},
    "additionalProperties": ONE_LANGUAGE,
}
LANG = {"name": "lang", "in": "path", "required": True, "schema": {"enum": list(LOCALES)}}
THANKS_URL = {
    "type": ["string", "null"],
    "format": "uri",
    "pattern": "^https://",
    "maxLength": 500,
    "description": "Where the confirmation page sends signers on (a button): https only.",
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
    thanks_url=THANKS_URL,
)
PARTNER_FIELDS = object_(
    code=PARTNER,
    name={"type": "string", "minLength": 1, "maxLength": 120},
    allowed_origins={"type": "array", "items": STRING},
    thanks_url=THANKS_URL,
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


NEWS_TEXTS = {
    "type": "object",
    "propertyNames": {"enum": list(LOCALES)},
    "minProperties": 1,
    "additionalProperties": {
        **object_(
            **{
                field: {"type": "string", "minLength": 1, "maxLength": most}
                for field, most in NEWS_LIMITS.items()
            }
        ),
        "required": list(NEWS_LIMITS),
    },
}
NO_PICTURE = {"404": "No such petition, or it has no picture."}


def _picture_upload() -> dict[str, Any]:
    """Describe PUT .../image: the body is the picture itself, not JSON."""
    described = _admin(
        "Upload the petition's picture (JPEG, PNG or WebP); it is re-encoded without metadata",
        ("200", "The picture's addresses, size and descriptions", OBJECT),
        {
            "404": "No such petition.",
            "415": "Not image/jpeg, image/png or image/webp.",
            "422": "Not a picture that can be read, more than 48 million pixels, or too small.",
        },
        parameters=[SLUG],
        requestBody={
            "required": True,
            "content": {
                kind: {"schema": {"type": "string", "contentMediaType": kind}}
                for kind in ACCEPTED_TYPES
            },
        },
    )
    described["responses"]["400"] = answer("A body that could not be read.")
    described["responses"]["413"] = answer(
        f"The picture is larger than {MAX_UPLOAD_BYTES // 2**20} MiB."
    )
    return described


# Emailing supporters (mailings.py): per language, a subject and a Markdown body.
UPDATE_TEXTS = {
    "subject": (SUBJECT_MOST, "One line per language; the default language is required."),
    "body": (BODY_MOST, "Markdown per language, in the same languages as the subject."),
}
UPDATE = object_(
    **{
        field: {
            "type": "object",
            "description": description,
            "propertyNames": {"enum": list(LOCALES)},
            "minProperties": 1,
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": most},
        }
        for field, (most, description) in UPDATE_TEXTS.items()
    },
    test_to={
        "type": ["string", "null"],
        "format": "email",
        "description": "Send only to this address, once in each language written: a test.",
    },
)
UPDATE_REFUSED = (
    "Invalid fields; or the petition is sealed (`petition`): its signers' addresses are "
    "encrypted to the organisers' key, so the server cannot email them."
)


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
    f"{PREFIX}/petitions/{{slug}}/texts/{{lang}}": {
        "put": _admin(
            "Set the texts in one language (body in Markdown); a text left out stays, "
            "an empty one is removed",
            ("200", "The petition", OBJECT),
            {"404": "No such petition or language.", "422": "Invalid fields."},
            parameters=[SLUG, LANG],
            requestBody=_body(ONE_LANGUAGE),
        ),
        "delete": _admin(
            "Remove the texts in one language (not the default one)",
            ("200", "The petition", OBJECT),
            {"404": "No such petition or language.", "422": "It is the default language."},
            parameters=[SLUG, LANG],
        ),
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
        "get": as_files(
            _admin(
                "Stream the signatures as CSV, XLSX or JSONL from one consistent read",
                ("200", "The export", {"type": "string"}),
                {"404": "No such petition.", "422": "A bad filter."},
                partners=True,
                description="Online signatures, then those typed in from paper (`channel`: online "
                "or paper; organisers only). CSV and XLSX write yes/no, times in UTC to the "
                "second and `country_name` beside `country`; JSONL keeps true/false. CSV "
                "prefixes `'` to a cell starting with =, +, -, @, TAB or CR; XLSX writes "
                "every text as text, never as a formula.",
                parameters=[
                    SLUG,
                    {"name": "format", "in": "query", "schema": {"enum": list(export.FORMATS)}},
                    {
                        "name": "bom",
                        "in": "query",
                        "description": "1: start the CSV with a byte-order mark, for Excel.",
                        "schema": {"enum": ["0", "1"]},
                    },
                    {
                        "name": "lang",
                        "in": "query",
                        "description": "The language of `country_name` (default: the petition's).",
                        "schema": {"enum": list(LOCALES)},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["verified", "pending", "all"]},
                    },
                    SOURCE,
                    *DATES,
                ],
            ),
            *export.MEDIA_TYPES.values(),
        )
    },
    f"{PREFIX}/petitions/{{slug}}/handover": {
        "get": _admin(
            "The printable list, in the petition's language (HTML)",
            ("200", "The page", {"type": "string"}),
            {"404": "No such petition."},
            description="The addressee, the text and the total first; then the signers who "
            "agreed to be named (online, and typed in from paper when the list said so), "
            "numbered; then how many others signed, per country (paper counts included).",
            parameters=[SLUG],
        )
    },
    f"{PREFIX}/petitions/{{slug}}/paper": {
        "get": _admin(
            "Signatures collected on paper: every count and list added, newest first",
            ("200", "The batches, and their total", object_(batches=ARRAY, total=INTEGER)),
            {"404": "No such petition."},
            parameters=[SLUG],
        ),
        "post": _admin(
            "Add a count from the sheets: how many signed in a country on a day",
            ("201", "The batch added", OBJECT),
            {"404": "No such petition.", "422": "Invalid fields."},
            parameters=[SLUG],
            requestBody=_body(
                object_(
                    count={"type": "integer", "minimum": 1, "maximum": paper.MAX_COUNT},
                    country={"type": "string", "description": "ISO code (KZ) or a name"},
                    date={"type": "string", "description": "2026-11-28 or 28.11.2026"},
                    note={"type": ["string", "null"], "maxLength": paper.MAX_NOTE},
                ),
                "count",
                "country",
                "date",
            ),
        ),
    },
    f"{PREFIX}/petitions/{{slug}}/paper/import": {
        "post": _admin(
            "Check a typed-in list (CSV: name, city, country, date, named); store it if clean",
            ("200", "A dry run: every error by line, what would be added", OBJECT),
            {
                "201": "Stored (dry_run false, no error).",
                "404": "No such petition.",
                "422": "The list cannot be read, or (dry_run false) has errors.",
            },
            parameters=[SLUG],
            requestBody=_body(
                object_(
                    csv={"type": "string", "maxLength": paper.MAX_CSV_CHARS},
                    note={"type": ["string", "null"], "maxLength": paper.MAX_NOTE},
                    dry_run={"type": "boolean", "default": True},
                ),
                "csv",
            ),
        ),
    },
    f"{PREFIX}/petitions/{{slug}}/paper/{{batch_id}}": {
        "delete": _admin(
            "Remove a count or list added from paper (and its signatures from the count)",
            ("204", "Removed", OBJECT),
            {"404": "No such petition or batch."},
            parameters=[SLUG, {**ID, "name": "batch_id"}],
        ),
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
    f"{PREFIX}/petitions/{{slug}}/image": {
        "get": _admin(
            "The petition's picture: addresses, size, descriptions",
            ("200", "The picture", OBJECT),
            NO_PICTURE,
            parameters=[SLUG],
        ),
        "put": _picture_upload(),
        "patch": _admin(
            "Describe the picture for screen readers, per language (alt text)",
            ("200", "The picture", OBJECT),
            {**NO_PICTURE, "422": "A wrong description (fields.alt)."},
            parameters=[SLUG],
            requestBody=_body(
                object_(
                    alt={
                        "type": "object",
                        "propertyNames": {"enum": list(LOCALES)},
                        "additionalProperties": {"type": "string", "maxLength": ALT_MOST},
                    }
                ),
                "alt",
            ),
        ),
        "delete": _admin(
            "Remove the picture: previews show the generated card again",
            ("204", "Removed", OBJECT),
            NO_PICTURE,
            parameters=[SLUG],
        ),
    },
    f"{PREFIX}/petitions/{{slug}}/news": {
        "get": _admin(
            "The updates on the petition's page, newest first",
            ("200", "Updates", object_(news={"type": "array"})),
            {"404": "No such petition."},
            parameters=[SLUG],
        ),
        "post": _admin(
            "Post an update on the petition's page: title and Markdown body per language",
            ("201", "Posted", object_(id=INTEGER, texts=OBJECT, published_at=STRING)),
            {"404": "No such petition.", "422": "A wrong text (fields names it)."},
            parameters=[SLUG],
            requestBody=_body(object_(texts=NEWS_TEXTS), "texts"),
        ),
    },
    f"{PREFIX}/petitions/{{slug}}/news/{{post_id}}": {
        "delete": _admin(
            "Take an update off the page",
            ("204", "Removed", OBJECT),
            {"404": "No such petition, or no such update on it."},
            parameters=[
                SLUG,
                {"name": "post_id", "in": "path", "required": True, "schema": INTEGER},
            ],
        )
    },
    f"{PREFIX}/petitions/{{slug}}/updates": {
        "get": _admin(
            "Updates sent to supporters, newest first: recipients, sent, failed, waiting, "
            "skipped and unsubscribed (a partner token: its own)",
            ("200", "Updates", object_(updates={"type": "array"})),
            {"404": "No such petition."},
            partners=True,
            parameters=[SLUG],
        ),
        "post": _admin(
            "Email an update to verified signers who agreed to be contacted (a partner token: "
            "those its site collected), each in their language; or a test to `test_to` alone",
            ("202", "Recorded; the mailer sends it (follow it with GET)", OBJECT),
            {"404": "No such petition.", "422": UPDATE_REFUSED},
            partners=True,
            parameters=[SLUG],
            requestBody=_body(UPDATE, "subject", "body"),
        ),
    },
    f"{PREFIX}/petitions/{{slug}}/updates/preview": {
        "post": _admin(
            "Render an update as signers will read it, per language (HTML and text); sends nothing",
            ("200", "The preview", object_(preview=OBJECT)),
            {"404": "No such petition.", "422": "Invalid fields."},
            partners=True,
            parameters=[SLUG],
            requestBody=_body(UPDATE, "subject", "body"),
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
