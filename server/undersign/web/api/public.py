"""The public API: what signers and partner sites call, open to every origin. JSON only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from undersign.campaigns import petitions
from undersign.core import counting, i18n, tokens
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.models import WallMode
from undersign.core.validation import InvalidFields, SignatureInput, explain, parse_signature
from undersign.signers import flood, signing, transparency
from undersign.web import challenges, params, polls
from undersign.web.access import bearer_rights
from undersign.web.api.contract import described
from undersign.web.api.fields import Language, Number, Paging, Request, refuse
from undersign.web.api.openapi import for_browsers
from undersign.web.errors import FORM_TYPES, APIError
from undersign.web.headers import OPEN_TO_ALL, PREFLIGHT
from undersign.web.limits import PROOF_LIMIT, limiter, sign_limit, token_limit

bp = Blueprint("public_api", __name__, url_prefix="/api/v1")

WALL_PER_PAGE, WALL_MOST = 20, 100
MAX_TOKEN = 500
NO_PETITION = {404: "No such petition."}


class Petition(BaseModel):
    slug: str
    title: str
    summary: str
    body: Annotated[str, Field(description="The full text, in Markdown (CommonMark).")]
    body_html: Annotated[
        str,
        Field(
            description="The body rendered to HTML and sanitised, as the petition page shows it: "
            "headings from h2, paragraphs, lists, quotes, code, emphasis and links (http, https, "
            'mailto; with target="_blank" and rel="nofollow noopener noreferrer"); no raw HTML, '
            "pictures, scripts, styles or event attributes."
        ),
    ]
    target: str
    goal: int | None
    signature_count: int
    status: Annotated[
        Literal["open", "closed"],
        Field(description="closed once an organiser closed it or its closing time passed"),
    ]
    closes_at: Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]
    closes_on: Annotated[
        str | None, Field(description="The closing date (UTC) in words, in the answer's language.")
    ]
    locales: list[str]
    named_default: Annotated[
        bool,
        Field(
            description="Whether the form's box to show one's name to the addressee starts ticked."
        ),
    ]
    wall_mode: Annotated[
        WallMode,
        Field(
            description="When a signer who chose the public wall appears there: approve, once an "
            "organiser approved the entry; show, at once, until an organiser hides it. A form "
            "says which, next to its box."
        ),
    ]


class Count(BaseModel):
    slug: str
    signature_count: int
    goal: int | None


class WallQuery(Paging):
    per_page: Annotated[int, Number(1, WALL_MOST)] = WALL_PER_PAGE


class WallEntry(BaseModel):
    first_name: str
    country: str
    city: str | None
    comment: str | None
    signed_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class WallPage(BaseModel):
    signatures: list[WallEntry]
    page: int
    per_page: int
    has_more: bool


class Day(BaseModel):
    date: str
    count: int


class Stats(BaseModel):
    by_country: dict[str, int]
    by_day: list[Day]
    # With an organiser's or partner's token only.
    by_source: dict[str, int] = Field(default_factory=dict)
    paper: int = 0


class Pending(BaseModel):
    status: Literal["pending"]
    message: str


class Token(Request):
    """The token of an email link's action."""

    token: Annotated[
        str,
        Field(min_length=1, max_length=MAX_TOKEN),
        refuse("is required", summary="A token is required."),
    ]


class SignRequest(SignatureInput):
    altcha: Annotated[
        str | None,
        Field(
            max_length=flood.MAX_PAYLOAD,
            description="A solved challenge, as ALTCHA's widget sends it: base64 of the JSON "
            "{algorithm, challenge, number, salt, signature}. Needed only after a 428.",
        ),
    ] = None


class Challenge(BaseModel):
    """An ALTCHA challenge: find `number` ≤ `maxnumber` with SHA-256(salt + number) = challenge."""

    algorithm: Literal["SHA-256"]
    challenge: str
    maxnumber: int
    salt: Annotated[str, Field(description="Carries the petition and the expiry (`expires`).")]
    signature: str


class Verified(BaseModel):
    status: Literal["verified"]
    petition: str
    signature_count: int
    receipt: Annotated[
        str | None,
        Field(
            description="The signer's receipt for the signature log (docs/transparency.md): "
            "given by the confirmation that confirms, absent when confirming again.",
        ),
    ] = None


class Withdrawn(BaseModel):
    status: Literal["withdrawn"]
    petition: str


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    response.headers.update(OPEN_TO_ALL)
    if request.method == "OPTIONS":
        response.headers.update(PREFLIGHT)
    return response


def _locale(*explicit: str | None) -> str:
    """Choose the answer's language: what the request names, then ?lang=, then Accept-Language."""
    return i18n.negotiate([*explicit, request.args.get("lang")], request.accept_languages.values())


def _count(slug: str) -> dict[str, Any] | None:
    return counting.public_count(get_session(), get_cache(), slug, settings().count_cache_seconds)


@bp.get("/petitions/<slug>")
@described(
    "A petition in the requested language",
    (200, "The petition", Petition),
    NO_PETITION,
    query=Language,
)
def petition(slug: str, query: Language) -> Response:
    found = petitions.find(get_session(), slug)
    count = _count(slug) or {"signature_count": 0}
    return jsonify(petitions.describe(found, _locale(query.lang), count["signature_count"]))


@bp.get("/petitions/<slug>/count")
@described(
    "The verified count (cacheable for a few seconds, with an ETag)",
    (200, "The count", Count),
    {304: "Not modified since the ETag sent.", **NO_PETITION},
)
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
@described(
    "The public wall: verified signers who chose to be shown, newest first",
    (200, "One page of the wall", WallPage),
    {**NO_PETITION, 422: "A paging parameter out of range."},
    query=WallQuery,
)
def wall(slug: str, query: WallQuery) -> Response:
    found = petitions.find(get_session(), slug)
    entries, more = petitions.wall(get_session(), found, query.offset, query.per_page)
    return jsonify(query.answer("signatures", entries, has_more=more))


@bp.get("/petitions/<slug>/stats")
@described(
    "Counted signatures by country and by day; by source with an organiser's or partner's "
    "token (a partner's: its own)",
    (200, "Aggregates", Stats),
    {401: "A token was sent, and it is wrong or revoked.", **NO_PETITION},
    security=[{}, {"organiserToken": []}],  # anyone; more with a token
)
def stats(slug: str) -> Response:
    """Counted signatures by country and day; by source too with an organiser's or partner's."""
    session = get_session()
    found = petitions.find(session, slug)
    rights = bearer_rights()
    if rights is not None:
        return jsonify(petitions.stats(session, found, rights))
    cached = petitions.cached_stats(session, get_cache(), found)
    return current_app.response_class(cached, mimetype="application/json")


def _forms_too(described: dict[str, Any]) -> None:
    """Describe what the JSON route does with a plain form post: sends it on, or a page."""
    content = described["requestBody"]["content"]
    content[FORM_TYPES[0]] = content["application/json"]
    described["responses"]["307"] = {
        "description": "A plain form post, from a page cached before: post it again to /p/{slug}.",
        "content": {"text/html": {"schema": {"type": "string"}}},
        "headers": {"Location": {"schema": {"type": "string"}}},
    }
    for_browsers(described, "404", "413", "429")


def _challenge_asked(described: dict[str, Any]) -> None:
    """Describe the 428's body: the error, with the challenge to solve."""
    described["responses"]["428"]["content"]["application/json"]["schema"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "challenge"],
                "properties": {
                    "code": {"const": "challenge_required"},
                    "message": {"type": "string"},
                    "challenge": {"$ref": "#/components/schemas/Challenge"},
                },
            }
        },
    }


def _sign_described(described: dict[str, Any]) -> None:
    _forms_too(described)
    _challenge_asked(described)


@bp.get("/petitions/<slug>/challenge")
@described(
    "A proof-of-work challenge for signing this petition (ALTCHA; single-use, never cached)",
    (200, "A challenge, harder the faster this network or petition signs", Challenge),
    NO_PETITION,
)
def challenge(slug: str) -> Response:
    if _count(slug) is None:  # the cached count knows which petitions exist
        raise petitions.PetitionNotFound(slug)
    response = jsonify(challenges.challenge(slug))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/petitions/<slug>/signatures")
@limiter.shared_limit(sign_limit, scope="sign")
@described(
    "Sign with JSON (a plain form post is sent on to POST /p/{slug})",
    (202, "Pending verification, whether or not the address signed before", Pending),
    {
        **NO_PETITION,
        409: "The petition is closed.",
        415: "Neither JSON nor a form.",
        422: "Invalid fields; `fields` says which.",
        428: "Signing is fast here now: solve `challenge` and send the signature again with "
        "`altcha`.",
    },
    body=SignRequest,
    reads=False,  # read as the no-JavaScript form's is (core.validation), then localised
    adjust=_sign_described,
)
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
        challenges.admit(slug, body.get("altcha"))
        signing.sign(get_session(), slug, signature, settings=settings(), client=params.client())
    except InvalidFields as invalid:
        texts = i18n.messages(locale)["errors"]
        fields = explain(invalid.fields, texts, locale)
        raise APIError(422, "invalid_fields", texts["summary"], fields) from None
    except flood.ChallengeRequired as asked:
        return challenges.refusal(asked, locale)
    message = i18n.messages(locale)["sign"]["success"]
    return jsonify(status="pending", message=message), 202


@bp.post("/signatures/verify")
@limiter.limit(token_limit)
@described(
    "Confirm a signature with the token from its email (idempotent)",
    (200, "Verified", Verified),
    {
        400: "Not a valid token, or not JSON.",
        409: "The signature was withdrawn (code withdrawn), or another spelling of its address"
        " was confirmed first (code already_signed).",
        410: "The token has expired.",
        415: "Not JSON.",
        422: "No token given.",
    },
    body=Token,
)
def verify(body: Token) -> Response:
    fresh = transparency.awaits_confirmation(get_session(), settings(), body.token)
    try:
        result = signing.verify(get_session(), get_cache(), body.token, settings().signing_keys)
    except signing.SignatureWithdrawn:
        raise APIError(409, "withdrawn", "This signature was withdrawn.") from None
    except signing.AlreadySigned:
        raise APIError(
            409, "already_signed", "This address had signed already, spelt another way."
        ) from None
    except tokens.ExpiredToken:
        raise APIError(410, "expired_token", "This link has expired; please sign again.") from None
    except tokens.InvalidToken:
        raise APIError(400, "invalid_token", "This link is not valid.") from None
    answer = {
        "status": "verified",
        "petition": result.petition_slug,
        "signature_count": result.signature_count,
    }
    if fresh:  # the receipt once: a link that leaked later does not give it away again
        answer["receipt"] = transparency.receipt_for_link(get_session(), settings(), body.token)
    return jsonify(answer)


@bp.post("/signatures/withdraw")
@limiter.limit(token_limit)
@described(
    "Withdraw a signature and erase its personal data (idempotent)",
    (200, "Withdrawn", Withdrawn),
    {
        400: "Not a valid token, or not JSON.",
        410: "The token has expired.",
        415: "Not JSON.",
        422: "No token given.",
    },
    body=Token,
)
def withdraw(body: Token) -> Response:
    try:
        result = signing.withdraw(get_session(), get_cache(), body.token, settings().signing_keys)
    except tokens.ExpiredToken:
        raise APIError(410, "expired_token", "This link has expired.") from None
    except tokens.InvalidToken:
        raise APIError(400, "invalid_token", "This link is not valid.") from None
    return jsonify(status="withdrawn", petition=result.petition_slug)


# --- the signature log (signers/transparency.py; docs/transparency.md) -------------------

LOG_SIZE_MOST = 999_999_999  # what a query's nine digits can say
NO_LOG = {404: "No such petition, or its log has no entries yet."}
# A checkpoint is replaced within seconds of a change; what a fixed size names never changes.
CHECKPOINT_SECONDS, FIXED_SECONDS = 5, 86_400
LOG_TEXT = ("text/plain",)


class LogRange(Request):
    start: Annotated[int, Number(0, LOG_SIZE_MOST)] = 0
    end: Annotated[
        int | None,
        Number(1, LOG_SIZE_MOST),
        Field(description=f"Up to the tree size, and at most {transparency.PAGE_MOST} past start."),
    ] = None


class LogEntry(BaseModel):
    index: int
    kind: Annotated[
        Literal["signed", "withdrawn", "invalidated", "restored", "paper", "paper_removed"],
        Field(description="What moved the count: see docs/transparency.md."),
    ]
    minute: Annotated[str, Field(description="When, UTC, to the minute: 2026-12-06T23:50Z.")]
    country: str
    channel: Literal["online", "paper"]
    delta: Annotated[int, Field(description="What the entry does to the count: +1, -1, +N, -N.")]
    commitment: Annotated[
        str | None,
        Field(description="Hex SHA-256 of the signer's receipt (a paper batch: random)."),
    ]
    cancels: Annotated[str | None, Field(description="The commitment this entry cancels.")]
    leaf: Annotated[
        str,
        Field(
            description="Base64 of the leaf: the fields above but `index`, as JSON with sorted "
            "keys and no spaces. Its RFC 9162 leaf hash is in the tree."
        ),
    ]


class LogEntries(BaseModel):
    tree_size: int
    entries: list[LogEntry]


class CheckpointQuery(Request):
    size: Annotated[
        int | None,
        Number(1, LOG_SIZE_MOST),
        Field(description="An older checkpoint, by its tree size; the latest otherwise."),
    ] = None


class InclusionQuery(Request):
    commitment: Annotated[
        str,
        Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of a receipt (lowercase)."),
        refuse("commitment must be 64 lowercase hex digits"),
    ]
    size: Annotated[
        int | None,
        Number(1, LOG_SIZE_MOST),
        Field(description="The tree size to prove against; the latest otherwise."),
    ] = None


class Inclusion(BaseModel):
    leaf_index: int
    tree_size: int
    hashes: Annotated[list[str], Field(description="The audit path, base64, leaf upwards.")]
    entry: Annotated[
        LogEntry,
        Field(description="The newest entry naming the commitment: its signature, or a cancel."),
    ]


class ConsistencyQuery(Request):
    # Optional to the model only: "from" is no Python name, and an alias would answer its
    # absence in pydantic's words. The view refuses a missing one as any field is refused.
    from_: Annotated[
        int | None,
        Number(0, LOG_SIZE_MOST),
        Field(alias="from", description="The older tree size (required)."),
    ] = None
    to: Annotated[
        int | None,
        Number(1, LOG_SIZE_MOST),
        Field(description="The newer tree size; the latest otherwise."),
    ] = None


class Consistency(BaseModel):
    from_: Annotated[int, Field(alias="from")]
    to: int
    hashes: list[str]


class CosignatureBody(Request):
    cosignature: Annotated[
        str,
        Field(
            min_length=1,
            max_length=400,
            description="The witness's tlog-cosignature line: `— <name> <base64>`.",
        ),
        refuse("cosignature is required"),
    ]
    key: Annotated[
        str | None,
        Field(
            max_length=200,
            description="The witness's verifier key (type 0x04); needed the first time, "
            "then pinned to the partner.",
        ),
        refuse("key must be a witness's verifier key, as text"),
    ] = None
    size: Annotated[
        int | None,
        Number(1, LOG_SIZE_MOST),
        Field(description="The cosigned checkpoint's size; else one of the newest is matched."),
    ] = None


class Cosigned(BaseModel):
    status: Literal["cosigned"]
    size: int
    witness: str


def _log_answer(response: Response, seconds: int) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


def _refused(error: transparency.LogError) -> APIError:
    return APIError(error.status, error.code, error.message)


def _text(body: str, seconds: int) -> Response:
    return _log_answer(current_app.response_class(body, mimetype="text/plain"), seconds)


@bp.get("/petitions/<slug>/log/checkpoint")
@described(
    "The log's latest signed checkpoint, with its witnesses' cosignatures (C2SP signed note)",
    (200, "The checkpoint: origin, tree size, root, `count <N>`; signatures", str),
    NO_LOG,
    query=CheckpointQuery,
    files=LOG_TEXT,
)
def log_checkpoint(slug: str, query: CheckpointQuery) -> Response:
    try:
        note = transparency.checkpoint_note(get_session(), slug, query.size)
    except transparency.LogError as refused:
        raise _refused(refused) from None
    return _text(note, CHECKPOINT_SECONDS)


class CheckpointsQuery(Request):
    start: Annotated[
        int,
        Number(0, LOG_SIZE_MOST),
        Field(description="How many checkpoints to skip, oldest first."),
    ] = 0


class KeptCheckpoint(BaseModel):
    size: Annotated[int, Field(description="Its tree size: `checkpoint?size=` gives its note.")]
    count: int
    signed_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class KeptCheckpoints(BaseModel):
    checkpoints: list[KeptCheckpoint]
    has_more: bool


@bp.get("/petitions/<slug>/log/checkpoints")
@described(
    f"Every checkpoint the log kept, oldest first, {transparency.PAGE_MOST} at a time",
    (200, "The checkpoints' sizes, counts and times", KeptCheckpoints),
    {**NO_PETITION, 422: "start is not a number."},
    query=CheckpointsQuery,
)
def log_checkpoints(slug: str, query: CheckpointsQuery) -> Response:
    found = transparency.checkpoints(get_session(), slug, query.start)
    return _log_answer(jsonify(found), CHECKPOINT_SECONDS)


@bp.get("/petitions/<slug>/log/key")
@described(
    "The log's verifier key (signed-note vkey; its name is the checkpoints' origin)",
    (200, "The key, on one line", str),
    NO_PETITION,
    files=LOG_TEXT,
)
def log_key(slug: str) -> Response:
    return _text(transparency.verifier_key(get_session(), settings(), slug) + "\n", FIXED_SECONDS)


class Witness(BaseModel):
    name: Annotated[str, Field(description="The partner's name, as the petition page shows it.")]
    key: Annotated[str, Field(description="Its pinned witness key (signed-note vkey, 0x04).")]


class Witnesses(BaseModel):
    witnesses: list[Witness]


@bp.get("/petitions/<slug>/log/witnesses")
@described(
    "The witnesses who cosigned the log lately, with the keys their cosignatures verify by",
    (200, "The witnesses", Witnesses),
    NO_PETITION,
    description="The keys are the ones each partner's first cosignature pinned: compare them "
    "with what the partners publish before trusting a cosignature.",
)
def log_witnesses(slug: str) -> Response:
    found = transparency.witness_keys(get_session(), slug)
    return _log_answer(jsonify(witnesses=found), CHECKPOINT_SECONDS)


@bp.get("/petitions/<slug>/log/entries")
@described(
    f"Entries [start, end) of the log, at most {transparency.PAGE_MOST}",
    (200, "The entries", LogEntries),
    {**NO_LOG, 416: "The range is outside the tree.", 422: "A parameter is not a number."},
    query=LogRange,
)
def log_entries(slug: str, query: LogRange) -> Response:
    try:
        found = transparency.entries(get_session(), slug, query.start, query.end)
    except transparency.LogError as refused:
        raise _refused(refused) from None
    fixed = query.end is not None and query.end <= found["tree_size"]
    return _log_answer(jsonify(found), FIXED_SECONDS if fixed else CHECKPOINT_SECONDS)


@bp.get("/petitions/<slug>/log/inclusion")
@limiter.limit(PROOF_LIMIT)
@described(
    "Prove a receipt's entry is in the tree (RFC 9162 inclusion proof)",
    (200, "The newest entry naming the commitment, and its audit path", Inclusion),
    {
        404: "No such petition; no entries yet; or no entry names this commitment.",
        416: "size is outside the tree.",
        422: "commitment or size is malformed.",
    },
    query=InclusionQuery,
)
def log_inclusion(slug: str, query: InclusionQuery) -> Response:
    try:
        found = transparency.inclusion(get_session(), slug, query.commitment, query.size)
    except transparency.LogError as refused:
        raise _refused(refused) from None
    return _log_answer(jsonify(found), FIXED_SECONDS if query.size else CHECKPOINT_SECONDS)


@bp.get("/petitions/<slug>/log/consistency")
@limiter.limit(PROOF_LIMIT)
@described(
    "Prove the tree of `from` leaves is the start of the tree of `to` (RFC 9162)",
    (200, "The consistency proof", Consistency),
    {**NO_LOG, 416: "from or to is outside the tree.", 422: "A parameter is not a number."},
    query=ConsistencyQuery,
)
def log_consistency(slug: str, query: ConsistencyQuery) -> Response:
    if query.from_ is None:
        message = f"from must be a whole number from 0 to {LOG_SIZE_MOST}"
        raise APIError(422, "invalid_fields", message, {"from": message})
    try:
        found = transparency.consistency(get_session(), slug, query.from_, query.to)
    except transparency.LogError as refused:
        raise _refused(refused) from None
    return _log_answer(jsonify(found), FIXED_SECONDS if query.to else CHECKPOINT_SECONDS)


@bp.post("/petitions/<slug>/log/cosignatures")
@described(
    "A witness's cosignature of a checkpoint (a partner's token)",
    (200, "Recorded (again, it is the same answer)", Cosigned),
    {
        401: "No partner token, or a wrong one.",
        403: "An organiser's token: only a partner witnesses.",
        404: "No such petition, or no checkpoint of that size.",
        409: "The partner's pinned witness key is another.",
        415: "Not JSON.",
        422: "The cosignature or key is malformed, or does not verify.",
    },
    body=CosignatureBody,
    security=[{"organiserToken": []}],
    description="A partner's first cosignature brings its witness key (`key`), which is pinned "
    "to the partner; later ones are checked against it. docs/transparency.md says more.",
)
def log_cosign(slug: str, body: CosignatureBody) -> Response:
    rights = bearer_rights()
    if rights is None:
        raise APIError(401, "unauthorized", "A partner's token is required.")
    if rights.partner is None:
        raise APIError(403, "forbidden", "Only a partner's token may witness a log.")
    try:
        found = transparency.cosign(
            get_session(), slug, rights.partner, body.cosignature, body.key, body.size
        )
    except transparency.LogError as refused:
        raise _refused(refused) from None
    response = jsonify(found)
    response.headers["Cache-Control"] = "no-store"
    return response
