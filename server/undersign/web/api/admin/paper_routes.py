"""Paper signatures: counts from the sheets, typed-in lists (checked, then stored), removal."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field

from undersign.campaigns import paper, petitions
from undersign.core import i18n
from undersign.core.cache import get_cache
from undersign.core.db import get_session
from undersign.web import params
from undersign.web.access import needs, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import Read, Request, refuse
from undersign.web.errors import APIError

bp = Blueprint("admin_paper", __name__)

NO_PETITION = {404: "No such petition."}
Note = Annotated[
    str | None, Read(paper.note), Field(json_schema_extra={"maxLength": paper.MAX_NOTE})
]


class PaperCount(Request):
    """A count from the sheets: how many signed in a country on a day."""

    count: Annotated[int, Read(paper.number), Field(ge=1, le=paper.MAX_COUNT)]
    country: Annotated[str, Read(paper.country), Field(description="ISO code (KZ) or a name")]
    date: Annotated[date, Read(paper.day), Field(description="2026-11-28 or 28.11.2026")]
    note: Note = None


class TypedList(Request):
    """A list typed in from the sheets, as CSV: name, city, country, date, named."""

    csv: Annotated[
        str,
        Field(json_schema_extra={"maxLength": paper.MAX_CSV_CHARS}),
        refuse("csv must be the list's text"),
    ]
    dry_run: Annotated[bool, refuse("dry_run must be true or false")] = True
    note: Note = None


class Batches(BaseModel):
    batches: list[dict[str, Any]]
    total: int
    country: str | None = Field(
        description="The country most counted signers gave (online and paper): the form's "
        "first choice; null before anyone signed."
    )


@bp.get("/petitions/<slug>/paper")
@needs("paper.read")
@described(
    "Signatures collected on paper: every count and list added, newest first",
    (200, "The batches, and their total", Batches),
    NO_PETITION,
)
def list_paper(slug: str) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    return jsonify(
        batches=paper.listed(session, petition),
        total=paper.total(session, petition.id),
        country=paper.usual_country(session, petition.id),
    )


@bp.post("/petitions/<slug>/paper")
@needs("paper.write")
@described(
    "Add a count from the sheets: how many signed in a country on a day",
    (201, "The batch added", dict[str, Any]),
    {**NO_PETITION, 422: "Invalid fields."},
    body=PaperCount,
)
def add_count(slug: str, body: PaperCount) -> tuple[Response, int]:
    """Add a count from the sheets: {"count": 120, "country": "KZ", "date": "2026-11-28"}."""
    session = get_session()
    petition = petitions.find(session, slug)
    batch = paper.add_count(
        session,
        get_cache(),
        petition,
        count=body.count,
        country_code=body.country,
        signed_on=body.date,
        note=body.note,
        by=rights(),
    )
    spread = {"by_country": {body.country: body.count}, "first": body.date, "last": body.date}
    return jsonify(paper.describe(batch, spread)), 201


@bp.post("/petitions/<slug>/paper/import")
@needs("paper.write")
@described(
    "Check a typed-in list (CSV: name, city, country, date, named); store it if clean",
    (200, "A dry run: every error by line, what would be added", dict[str, Any]),
    {
        201: "Stored (dry_run false, no error).",
        **NO_PETITION,
        422: "The list cannot be read, or (dry_run false) has errors.",
    },
    body=TypedList,
)
def import_list(slug: str, body: TypedList) -> Response | tuple[Response, int]:
    """Check a typed-in list ({"csv": text, "note", "dry_run"}); store it only if it has no error.

    With `dry_run` (the default) nothing is stored: the answer shows every
    problem by line, what would be added per country, and the first rows.
    """
    # The problems in the organiser's language: /admin/ asks in the one it shows.
    locale = i18n.negotiate([], request.accept_languages.values())
    try:
        found = paper.read_csv(body.csv)
    except paper.InvalidPaper as problem:
        raise params.invalid(problem.field, problem.text(locale)) from None
    session = get_session()
    petition = petitions.find(session, slug)
    preview = found.preview(locale)
    if body.dry_run:
        return jsonify(dry_run=True, **preview)
    if found.problems:
        lines = len({problem.line for problem in found.problems})
        raise params.invalid("csv", paper.problem_text(locale, "lines_wrong", {"n": lines}))
    if not found.entries:
        raise params.invalid("csv", paper.problem_text(locale, "no_signers", {}))
    batch = paper.add_list(
        session, get_cache(), petition, found.entries, note=body.note, by=rights()
    )
    described = paper.describe(batch, found.spread())
    return jsonify(dry_run=False, batch=described, **preview), 201


@bp.delete("/petitions/<slug>/paper/<row_id:batch_id>")
@needs("paper.write")
@described(
    "Remove a count or list added from paper (and its signatures from the count)",
    (204, "Removed", None),
    {404: "No such petition or batch."},
)
def remove(slug: str, batch_id: int) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    try:
        paper.remove(session, get_cache(), petition, batch_id, by=rights())
    except paper.BatchNotFound:
        raise APIError(404, "not_found", "No such paper batch on this petition.") from None
    return Response(status=204)
