"""Exports: the signatures streamed as CSV or JSONL, and the printable hand-over list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, stream_template, stream_with_context

from undersign import export
from undersign.api import params
from undersign.api.admin.access import organisers_only, rights, source_filter
from undersign.db import database, get_session
from undersign.models import SignatureStatus

bp = Blueprint("admin_exports", __name__)

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


@bp.get("/petitions/<slug>/export")
def export_signatures(slug: str) -> Response:
    fmt = params.choice("format", export.FORMATS, "csv")
    filters = export.Filters(
        status=params.choice("status", export.STATUSES, SignatureStatus.VERIFIED),
        source=source_filter(),
        since=params.query_moment("since"),
        until=params.query_moment("until", until=True),
    )
    snapshot = export.open_snapshot(
        database().sessions, get_session(), slug, filters, rights(), "export", format=fmt
    )
    response = Response(stream_with_context(snapshot.stream(fmt)), mimetype=MEDIA_TYPES[fmt])
    response.call_on_close(snapshot.close)  # also when the body is never read
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-{stamp}.{fmt}"'
    response.headers["X-Total-Rows"] = str(snapshot.total)
    return response


@bp.get("/petitions/<slug>/handover")
@organisers_only
def handover(slug: str) -> Response:
    """The printable list for the addressee: the named signers, the others counted by country."""
    filters = export.Filters(status=SignatureStatus.VERIFIED)
    snapshot = export.open_snapshot(
        database().sessions, get_session(), slug, filters, rights(), "handover"
    )
    try:  # counted before the named rows stream, since reading them to the end closes it
        unnamed = snapshot.unnamed_by_country()
    except BaseException:
        snapshot.close()
        raise

    def entries() -> Iterator[dict[str, Any]]:
        # Only what the page shows: an unnamed signer's row never reaches the template.
        for item in snapshot.records(named_only=True):
            date = (item["verified_at"] or item["signed_at"])[:10]
            yield {field: item[field] for field in ("name", "city", "country")} | {"date": date}

    petition = snapshot.petition
    text = petition.text(petition.default_locale)
    page = stream_template(
        "admin/handover.html",
        title=text["title"],
        target=text["target"],
        total=snapshot.total,
        locale=petition.default_locale,
        entries=entries(),
        named=snapshot.total - sum(number for _, number in unnamed),
        unnamed=unnamed,
        printed=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    response = Response(page, mimetype="text/html")
    response.call_on_close(snapshot.close)
    return response
