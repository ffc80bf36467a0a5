"""Paper signatures: counts from the sheets, typed-in lists (checked, then stored), removal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify

from undersign.campaigns import petitions
from undersign.core.cache import get_cache
from undersign.core.db import get_session
from undersign.organisers import paper
from undersign.web import params
from undersign.web.access import organisers_only, rights
from undersign.web.errors import APIError

bp = Blueprint("admin_paper", __name__)

T = TypeVar("T")


def _field(body: dict[str, Any], name: str, read: Callable[[Any], T]) -> T:
    try:
        return read(body.get(name))
    except ValueError as problem:
        raise params.invalid(name, f"{name} {problem}") from None


@bp.get("/petitions/<slug>/paper")
@organisers_only
def list_paper(slug: str) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    return jsonify(batches=paper.listed(session, petition), total=paper.total(session, petition.id))


@bp.post("/petitions/<slug>/paper")
@organisers_only
def add_count(slug: str) -> tuple[Response, int]:
    """Add a count from the sheets: {"count": 120, "country": "KZ", "date": "2026-11-28"}."""
    body = params.json_object()
    count = _field(body, "count", paper.number)
    country = _field(body, "country", paper.country)
    signed_on = _field(body, "date", paper.day)
    note = _field(body, "note", paper.note)
    session = get_session()
    petition = petitions.find(session, slug)
    batch = paper.add_count(
        session,
        get_cache(),
        petition,
        count=count,
        country_code=country,
        signed_on=signed_on,
        note=note,
        by=rights(),
    )
    spread = {"by_country": {country: count}, "first": signed_on, "last": signed_on}
    return jsonify(paper.describe(batch, spread)), 201


@bp.post("/petitions/<slug>/paper/import")
@organisers_only
def import_list(slug: str) -> Response | tuple[Response, int]:
    """Check a typed-in list ({"csv": text, "note", "dry_run"}); store it only if it has no error.

    With `dry_run` (the default) nothing is stored: the answer shows every
    problem by line, what would be added per country, and the first rows.
    """
    body = params.json_object()
    text = body.get("csv")
    if not isinstance(text, str):
        raise params.invalid("csv", "csv must be the list's text")
    dry_run = body.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise params.invalid("dry_run", "dry_run must be true or false")
    note = _field(body, "note", paper.note)
    try:
        found = paper.read_csv(text)
    except paper.InvalidPaper as problem:
        raise params.invalid(problem.field, str(problem)) from None
    session = get_session()
    petition = petitions.find(session, slug)
    preview = found.preview()
    if dry_run:
        return jsonify(dry_run=True, **preview)
    if found.problems:
        lines = len({problem.line for problem in found.problems})
        raise params.invalid("csv", f"{lines} lines have errors (see a dry run): nothing stored")
    if not found.entries:
        raise params.invalid("csv", "the list has no signers")
    batch = paper.add_list(session, get_cache(), petition, found.entries, note=note, by=rights())
    described = paper.describe(batch, found.spread())
    return jsonify(dry_run=False, batch=described, **preview), 201


@bp.delete("/petitions/<slug>/paper/<row_id:batch_id>")
@organisers_only
def remove(slug: str, batch_id: int) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    try:
        paper.remove(session, get_cache(), petition, batch_id, by=rights())
    except paper.BatchNotFound:
        raise APIError(404, "not_found", "No such paper batch on this petition.") from None
    return Response(status=204)
