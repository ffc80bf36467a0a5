"""Updates to supporters: send one (or a test to one address), preview it, follow its progress."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field

from undersign.campaigns import petitions
from undersign.core import markup
from undersign.core.db import get_session
from undersign.core.models import Petition, utcnow
from undersign.organisers import mailings
from undersign.organisers.mailings import BODY_MOST, SUBJECT_MOST, Draft, InvalidMailing
from undersign.web import params
from undersign.web.access import needs, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import DescribedAs, Locale, Request
from undersign.web.errors import json_error

bp = Blueprint("admin_mailings", __name__)


def _per_language(most: int) -> DescribedAs:
    return DescribedAs(dict[Locale, Annotated[str, Field(min_length=1, max_length=most)]])


class Update(Request):
    """An update: per language a subject and a Markdown body."""

    # mailings.check_draft checks them against the petition's languages, in its own words.

    subject: Annotated[
        Any,
        _per_language(SUBJECT_MOST),
        Field(description="One line per language; the default language is required."),
    ] = None
    body: Annotated[
        Any,
        _per_language(BODY_MOST),
        Field(description="Markdown per language, in the same languages as the subject."),
    ] = None
    test_to: Annotated[
        Any,
        DescribedAs(str | None),
        Field(
            description="Send only to this address, once in each language written: a test.",
            json_schema_extra={"format": "email"},
        ),
    ] = None


class Preview(BaseModel):
    preview: dict[str, dict[str, str]]


class Updates(BaseModel):
    updates: list[dict[str, Any]]


PARTNERS_TOO = {403: "Asked for another partner's signatures."}


def _draft(petition: Petition, body: Update) -> Draft:
    try:
        return mailings.check_draft(petition, body.subject, body.body)
    except InvalidMailing as problem:
        raise params.invalid(problem.field, str(problem)) from None


@bp.post("/petitions/<slug>/updates")
@needs("updates.send")
@described(
    "Email an update to verified signers who agreed to be contacted (a partner token: those "
    "its site collected), each in their language; or a test to `test_to` alone",
    (202, "Recorded; the mailer sends it (follow it with GET)", dict[str, Any]),
    {
        **PARTNERS_TOO,
        404: "No such petition.",
        422: "Invalid fields; or the petition is sealed (`petition`): its signers' addresses are "
        "encrypted to the organisers' key, so the server cannot email them.",
        429: "A partner's token sent an update about this petition less than a day ago; "
        "Retry-After says when the next may go.",
    },
    body=Update,
)
def send_update(slug: str, body: Update) -> tuple[Response, int]:
    """Send an update to the petition's consenting signers (a partner's: its own), or a test."""
    session = get_session()
    petition = petitions.find(session, slug)
    draft = _draft(petition, body)
    try:
        test_to = mailings.check_address(body.test_to)
        mailing = mailings.send(session, petition, draft, by=rights(), test_to=test_to)
    except InvalidMailing as problem:
        raise params.invalid(problem.field, str(problem)) from None
    except mailings.TooSoon as wait:
        return _too_soon(wait.allowed_at)
    return jsonify(mailings.describe(mailing, mailings.Progress())), 202


def _too_soon(allowed_at: datetime) -> tuple[Response, int]:
    seconds = max(1, math.ceil((allowed_at - utcnow()).total_seconds()))
    when = allowed_at.isoformat(timespec="minutes")
    answer = json_error(
        429, "rate_limited", f"A partner may send one update a day here; the next from {when} UTC."
    )
    answer.headers["Retry-After"] = str(seconds)
    return answer, 429


@bp.get("/petitions/<slug>/updates")
@needs("petitions.read")
@described(
    "Updates sent to supporters, newest first: recipients, sent, failed, waiting, skipped and "
    "unsubscribed (a partner token: its own)",
    (200, "Updates", Updates),
    {**PARTNERS_TOO, 404: "No such petition."},
)
def list_updates(slug: str) -> Response:
    """The updates sent about a petition, newest first, with how far each has gone."""
    session = get_session()
    petition = petitions.find(session, slug)
    sent = mailings.listed(session, petition, rights())
    progress = mailings.progress(session, sent)
    return jsonify(updates=[mailings.describe(m, progress[m.id]) for m in sent])


@bp.post("/petitions/<slug>/updates/preview")
@needs("updates.send")
@described(
    "Render an update as signers will read it, per language (HTML and text); sends nothing",
    (200, "The preview", Preview),
    {**PARTNERS_TOO, 404: "No such petition.", 422: "Invalid fields."},
    body=Update,
)
def preview_update(slug: str, body: Update) -> Response:
    """Show an update as signers will read it, language by language; nothing is sent."""
    petition = petitions.find(get_session(), slug)
    draft = _draft(petition, body)
    return jsonify(
        preview={
            locale: {
                "subject": subject,
                "html": markup.render(draft.bodies[locale]),
                "text": markup.plain(draft.bodies[locale]),
            }
            for locale, subject in draft.subjects.items()
        }
    )
