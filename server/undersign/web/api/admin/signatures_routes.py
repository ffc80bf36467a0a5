"""Signatures as organisers see them: search, the review and comment queues, and decisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, BeforeValidator, Field

from undersign.campaigns import petitions
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.models import CommentStatus, Signature, SignatureStatus
from undersign.core.validation import LARGEST_INTEGER
from undersign.organisers import moderation
from undersign.web.access import needs, rights, source_filter
from undersign.web.api.contract import described
from undersign.web.api.fields import Moment, Number, OneOf, Paging, Request, Text, refuse

bp = Blueprint("admin_signatures", __name__)
F = TypeVar("F", bound=Callable[..., Any])

PER_PAGE, MAX_PER_PAGE = 50, 200
MAX_QUERY = 120
QUEUE_REFUSALS = {
    403: "Asked for another partner's signatures.",
    404: "No such petition.",
    422: "A bad filter.",
}
CHANGE_REFUSALS = {404: "No such signature.", 422: "A reason or decision is missing or wrong."}


class Queue(Paging):
    per_page: Annotated[int, Number(1, MAX_PER_PAGE)] = PER_PAGE
    source: Annotated[str | None, Field(description="A partner's code: what it collected.")] = None


class Search(Queue):
    q: Annotated[
        str | None,
        # Cut, not refused: a search box pasted full is still a search.
        BeforeValidator(lambda text: (text or "").strip()[:MAX_QUERY] or None),
        Field(description="Part of a name, or a whole email address."),
    ] = None
    state: Annotated[str, OneOf(moderation.STATES)] = "all"
    since: Annotated[datetime | None, Moment()] = None
    until: Annotated[datetime | None, Moment(until=True)] = None


class Comments(Queue):
    status: Annotated[str, OneOf(tuple(CommentStatus))] = CommentStatus.PENDING


class SignaturePage(BaseModel):
    signatures: list[dict[str, Any]]
    total: int
    page: int
    per_page: int


Decision = Annotated[
    str, Text(20), Field(json_schema_extra={"enum": list(moderation.COMMENT_DECISIONS)})
]


class ManyDecisions(Request):
    ids: Annotated[
        list[Annotated[int, Field(ge=1, le=LARGEST_INTEGER)]],
        Field(min_length=1, max_length=MAX_PER_PAGE),
        refuse(f"ids must be a list of 1 to {MAX_PER_PAGE} signature ids"),
    ]
    decision: Decision


class Decided(BaseModel):
    decided: int


class Reason(Request):
    reason: Annotated[str, Text(moderation.MAX_REASON)]


class CommentDecision(Request):
    decision: Decision


# A queue's page is judged after its petition is found; its filters before (as ever).
PAGING = frozenset(Paging.model_fields)


def _the_petition(slug: str, **_: str) -> object:
    """Look the path's petition up: an unknown one is a 404 before its paging is judged."""
    return petitions.find(get_session(), slug)


def _page(slug: str, search: moderation.Search, query: Queue) -> Response:
    session, who = get_session(), rights()
    petition = petitions.find(session, slug)
    found, total = moderation.browse(
        session, petition, search, who, settings().identity_key, (query.page, query.per_page)
    )
    return jsonify(
        query.answer("signatures", [moderation.describe(s, who) for s in found], total=total)
    )


@bp.get("/petitions/<slug>/signatures")
@needs("signatures.read")
@described(
    "Search: part of a name or a whole address, state, source, dates",
    (200, "One page", SignaturePage),
    QUEUE_REFUSALS,
    query=Search,
    lookup=_the_petition,
    looked_up_before=PAGING,
)
def search_signatures(slug: str, query: Search) -> Response:
    search = moderation.Search(
        text=query.q,
        state=query.state,
        source=source_filter(query.source),
        since=query.since,
        until=query.until,
    )
    return _page(slug, search, query)


@bp.get("/petitions/<slug>/review")
@needs("signatures.read")
@described(
    "Signatures flagged by the shared-address rule",
    (200, "One page", SignaturePage),
    QUEUE_REFUSALS,
    query=Queue,
    lookup=_the_petition,
    looked_up_before=PAGING,
)
def review_queue(slug: str, query: Queue) -> Response:
    return _page(slug, moderation.Search(flagged=True, source=source_filter(query.source)), query)


@bp.get("/petitions/<slug>/comments")
@needs("signatures.read")
@described(
    "Wall entries (name, city, message) by moderation state",
    (200, "One page", SignaturePage),
    QUEUE_REFUSALS,
    query=Comments,
    lookup=_the_petition,
    looked_up_before=PAGING,
)
def comment_queue(slug: str, query: Comments) -> Response:
    search = moderation.Search(
        comments=query.status,
        state=SignatureStatus.VERIFIED,
        source=source_filter(query.source),
    )
    return _page(slug, search, query)


@bp.post("/petitions/<slug>/comments")
@needs("signatures.moderate")
@described(
    "Approve or reject many pending wall entries at once",
    (200, "How many were decided", Decided),
    {404: "No such petition.", 422: "No ids, or a wrong decision."},
    body=ManyDecisions,
)
def decide_many(slug: str, body: ManyDecisions) -> Response:
    """Approve or reject many pending wall entries at once: {"ids": [...], "decision": ...}."""
    session = get_session()
    petition = petitions.find(session, slug)
    decided = moderation.decide_many(session, petition, body.ids, body.decision, rights())
    return jsonify(decided=decided)


def _change(
    signature_id: int, action: str, apply: Callable[[Signature], object], **detail: Any
) -> Response:
    who = rights()
    changed = moderation.change(
        get_session(), get_cache(), signature_id, who, action, apply, **detail
    )
    return jsonify(moderation.describe(changed, who))


def _changes(summary: str, body: type[Request] | None = None) -> Callable[[F], F]:
    """Describe a route that changes one signature and answers with it."""
    return described(
        summary, (200, "The signature as it is now", dict[str, Any]), CHANGE_REFUSALS, body=body
    )


@bp.post("/signatures/<row_id:signature_id>/invalidate")
@needs("signatures.moderate")
@_changes("Take out of the count, with a reason", Reason)
def invalidate(signature_id: int, body: Reason) -> Response:
    return _change(
        signature_id,
        "signature.invalidate",
        lambda s: moderation.invalidate(s, body.reason),
        reason=body.reason,
    )


@bp.post("/signatures/<row_id:signature_id>/restore")
@needs("signatures.moderate")
@_changes("Put back into the count, with a reason", Reason)
def restore(signature_id: int, body: Reason) -> Response:
    return _change(signature_id, "signature.restore", moderation.restore, reason=body.reason)


@bp.post("/signatures/<row_id:signature_id>/keep")
@needs("signatures.moderate")
@_changes("Keep a flagged signature")
def keep(signature_id: int) -> Response:
    return _change(signature_id, "signature.keep", moderation.clear_flag)


@bp.post("/signatures/<row_id:signature_id>/comment")
@needs("signatures.moderate")
@_changes("Approve or reject its comment", CommentDecision)
def moderate_comment(signature_id: int, body: CommentDecision) -> Response:
    return _change(
        signature_id,
        f"comment.{body.decision}",
        lambda s: moderation.moderate_comment(s, body.decision),
    )
