"""Exports: the signatures streamed as CSV, XLSX or JSONL, and the printable hand-over list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from flask import Blueprint, Response, stream_template, stream_with_context
from pydantic import Field

from undersign.campaigns import petitions
from undersign.core import i18n, markup, sealing
from undersign.core.db import database, get_session
from undersign.core.models import SignatureStatus
from undersign.organisers import export
from undersign.web.access import needs, rights, source_filter
from undersign.web.api.contract import described
from undersign.web.api.fields import Moment, OneOf, Request
from undersign.web.errors import APIError

bp = Blueprint("admin_exports", __name__)


class Export(Request):
    format: Annotated[str, OneOf(export.FORMATS)] = "csv"
    bom: Annotated[
        str,
        OneOf(("0", "1")),
        Field(description="1: start the CSV with a byte-order mark, for Excel."),
    ] = "0"
    lang: Annotated[
        str | None,
        OneOf(i18n.LOCALES),
        Field(description="The language of `country_name` (default: the petition's)."),
    ] = None
    status: Annotated[str, OneOf(export.STATUSES)] = SignatureStatus.VERIFIED
    source: Annotated[str | None, Field(description="A partner's code: what it collected.")] = None
    since: Annotated[datetime | None, Moment()] = None
    until: Annotated[datetime | None, Moment(until=True)] = None


class Handover(Request):
    lang: Annotated[
        str | None,
        OneOf(i18n.LOCALES),
        Field(description="One of the petition's languages (default: its first)."),
    ] = None


@bp.get("/petitions/<slug>/export")
@needs("signatures.export")
@described(
    "Stream the signatures as CSV, XLSX or JSONL from one consistent read",
    (200, "The export", str),
    {
        403: "Asked for another partner's signatures.",
        404: "No such petition.",
        422: "A bad filter.",
    },
    query=Export,
    files=tuple(export.MEDIA_TYPES.values()),
    description="Online signatures, then those typed in from paper (`channel`: online or paper; "
    "organisers only). CSV and XLSX write yes/no, times in UTC to the second and "
    "`country_name` beside `country`; JSONL keeps true/false. CSV prefixes `'` to a cell "
    "starting with =, +, -, @, TAB or CR; XLSX writes every text as text, never as a formula.",
)
def export_signatures(slug: str, query: Export) -> Response:
    layout = export.Layout(fmt=query.format, bom=query.bom == "1", locale=query.lang)
    filters = export.Filters(
        status=query.status,
        source=source_filter(query.source),
        since=query.since,
        until=query.until,
    )
    snapshot = export.open_snapshot(
        database().sessions, get_session(), slug, filters, rights(), "export", format=layout.fmt
    )
    body = stream_with_context(snapshot.stream(layout))
    media_type = export.MEDIA_TYPES[layout.fmt]
    if layout.fmt != "xlsx":  # a zip of XML, no text: no charset to name
        media_type += "; charset=utf-8"
    response = Response(body, content_type=media_type)
    response.call_on_close(snapshot.close)  # also when the body is never read
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-{stamp}.{layout.fmt}"'
    response.headers["X-Total-Rows"] = str(snapshot.total)
    return response


@bp.get("/petitions/<slug>/handover")
@needs("signatures.handover")
@described(
    "The printable list, in any of the petition's languages (HTML)",
    (200, "The page", str),
    {404: "No such petition.", 422: "A language the petition is not written in."},
    query=Handover,
    files=("text/html",),
    description="The addressee, the text and the total first; then the signers who agreed to be "
    "named (online, and typed in from paper when the list said so), numbered; then how many "
    "others signed, per country (paper counts included).",
)
def handover(slug: str, query: Handover) -> Response:
    """The printable list for the addressee, in the language asked for (else the petition's).

    The first page carries the addressee, the petition's text and the total;
    then the named signers (online and typed-in from paper), then how many
    signed without being named, per country (paper counts included).
    """
    petition = petitions.find(get_session(), slug)
    locale = query.lang or petition.default_locale
    if query.lang and query.lang not in petition.texts:  # the text would be in another language
        written = ", ".join(sorted(petition.texts))
        message = f"This petition is written in {written} only."
        raise APIError(422, "invalid_fields", message, {"lang": message})
    filters = export.Filters(status=SignatureStatus.VERIFIED)
    snapshot = export.open_snapshot(
        database().sessions, get_session(), slug, filters, rights(), "handover", lang=locale
    )
    try:  # counted before the named rows stream, since reading them to the end closes it
        unnamed = snapshot.unnamed_by_country()
        total = snapshot.counted()
        on_paper = snapshot.named_on_paper()
    except BaseException:
        snapshot.close()
        raise
    petition = snapshot.petition
    names = dict(i18n.countries(locale))

    def entries() -> Iterator[dict[str, Any]]:
        # Only what the page shows: an unnamed signer's row never reaches the template.
        for item in snapshot.records(named_only=True):
            moment = item["verified_at"] or item["signed_at"]
            day = moment.date() if isinstance(moment, datetime) else moment
            yield {
                "name": item["name"],
                "city": item["city"],
                "country": names.get(item["country"], item["country"]),
                "date": i18n.format_date(locale, day) if isinstance(day, date) else "",
                "paper": item["channel"] == export.PAPER,
            }

    text = petition.text(locale)
    named = total - sum(number for _, number in unnamed)
    page = stream_template(
        "admin/handover.html",
        t=i18n.messages(locale)["handover"],
        locale=locale,
        title=text["title"],
        target=text["target"],
        summary=text["summary"],
        body=markup.render(text["body"]) if text["body"] else "",
        total=total,
        count_text=lambda n: i18n.count_text(locale, n),
        number=lambda n: i18n.format_number(locale, n),
        entries=entries(),
        named=named,
        on_paper=on_paper,
        unnamed=sorted(
            ((names.get(code, code), code, number) for code, number in unnamed),
            key=lambda row: (-row[2], row[0].casefold()),  # the most first
        ),
        is_sealed=sealing.is_sealed,
        printed=i18n.format_date(locale, datetime.now(UTC).date())
        + datetime.now(UTC).strftime(" %H:%M UTC"),
    )
    response = Response(page, mimetype="text/html")
    response.call_on_close(snapshot.close)
    return response
