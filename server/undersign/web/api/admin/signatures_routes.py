"""Signatures as organisers see them: search, the review and comment queues, and decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from undersign.campaigns import petitions
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.models import CommentStatus, Signature, SignatureStatus
from undersign.organisers import moderation
from undersign.web import params
from undersign.web.access import organisers_only, rights, source_filter

bp = Blueprint("admin_signatures", __name__)

MAX_PER_PAGE = 200
MAX_QUERY = 120


def _page(slug: str, search: moderation.Search) -> Response:
    session, who = get_session(), rights()
    petition = petitions.find(session, slug)
    number, size = params.paging(50, MAX_PER_PAGE)
    found, total = moderation.browse(
        session, petition, search, who, settings().identity_key, (number, size)
    )
    return jsonify(
        signatures=[moderation.describe(s, who) for s in found],
        total=total,
        page=number,
        per_page=size,
    )


@bp.get("/petitions/<slug>/signatures")
def search_signatures(slug: str) -> Response:
    return _page(
        slug,
        moderation.Search(
            text=(request.args.get("q") or "").strip()[:MAX_QUERY] or None,
            state=params.choice("state", moderation.STATES, "all"),
            source=source_filter(),
            since=params.query_moment("since"),
            until=params.query_moment("until", until=True),
        ),
    )


@bp.get("/petitions/<slug>/review")
def review_queue(slug: str) -> Response:
    return _page(slug, moderation.Search(flagged=True, source=source_filter()))


@bp.get("/petitions/<slug>/comments")
def comment_queue(slug: str) -> Response:
    status = params.choice("status", tuple(CommentStatus), CommentStatus.PENDING)
    search = moderation.Search(
        comments=status, state=SignatureStatus.VERIFIED, source=source_filter()
    )
    return _page(slug, search)


@bp.post("/petitions/<slug>/comments")
@organisers_only
def decide_many(slug: str) -> Response:
    """Approve or reject many pending wall entries at once: {"ids": [...], "decision": ...}."""
    body = params.json_object()
    ids = body.get("ids")
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= MAX_PER_PAGE
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids)
    ):
        raise params.invalid("ids", f"ids must be a list of 1 to {MAX_PER_PAGE} signature ids")
    decision = params.text(body, "decision", most=20) or ""
    session = get_session()
    petition = petitions.find(session, slug)
    decided = moderation.decide_many(session, petition, ids, decision, rights())
    return jsonify(decided=decided)


def _change(
    signature_id: int, action: str, apply: Callable[[Signature], object], **detail: Any
) -> Response:
    who = rights()
    changed = moderation.change(
        get_session(), get_cache(), signature_id, who, action, apply, **detail
    )
    return jsonify(moderation.describe(changed, who))


@bp.post("/signatures/<row_id:signature_id>/invalidate")
@organisers_only
def invalidate(signature_id: int) -> Response:
    reason = params.text(params.json_object(), "reason", most=moderation.MAX_REASON) or ""
    return _change(
        signature_id,
        "signature.invalidate",
        lambda s: moderation.invalidate(s, reason),
        reason=reason,
    )


@bp.post("/signatures/<row_id:signature_id>/restore")
@organisers_only
def restore(signature_id: int) -> Response:
    reason = params.text(params.json_object(), "reason", most=moderation.MAX_REASON)
    return _change(signature_id, "signature.restore", moderation.restore, reason=reason)


@bp.post("/signatures/<row_id:signature_id>/keep")
@organisers_only
def keep(signature_id: int) -> Response:
    return _change(signature_id, "signature.keep", moderation.clear_flag)


@bp.post("/signatures/<row_id:signature_id>/comment")
@organisers_only
def moderate_comment(signature_id: int) -> Response:
    decision = params.text(params.json_object(), "decision", most=20) or ""
    return _change(
        signature_id,
        f"comment.{decision}",
        lambda s: moderation.moderate_comment(s, decision),
    )
