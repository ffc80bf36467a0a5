"""Updates to supporters: send one (or a test to one address), preview it, follow its progress."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from undersign.campaigns import petitions
from undersign.core import markup
from undersign.core.db import get_session
from undersign.core.models import Petition
from undersign.organisers import mailings
from undersign.organisers.mailings import Draft, InvalidMailing
from undersign.web import params
from undersign.web.access import rights

bp = Blueprint("admin_mailings", __name__)


def _draft(petition: Petition, body: dict[str, Any]) -> Draft:
    try:
        return mailings.check_draft(petition, body.get("subject"), body.get("body"))
    except InvalidMailing as problem:
        raise params.invalid(problem.field, str(problem)) from None


@bp.post("/petitions/<slug>/updates")
def send_update(slug: str) -> tuple[Response, int]:
    """Send an update to the petition's consenting signers (a partner's: its own), or a test."""
    session, body = get_session(), params.json_object()
    petition = petitions.find(session, slug)
    draft = _draft(petition, body)
    try:
        test_to = mailings.check_address(body.get("test_to"))
        mailing = mailings.send(session, petition, draft, by=rights(), test_to=test_to)
    except InvalidMailing as problem:
        raise params.invalid(problem.field, str(problem)) from None
    return jsonify(mailings.describe(mailing, mailings.Progress())), 202


@bp.get("/petitions/<slug>/updates")
def list_updates(slug: str) -> Response:
    """The updates sent about a petition, newest first, with how far each has gone."""
    session = get_session()
    petition = petitions.find(session, slug)
    sent = mailings.listed(session, petition, rights())
    progress = mailings.progress(session, sent)
    return jsonify(updates=[mailings.describe(m, progress[m.id]) for m in sent])


@bp.post("/petitions/<slug>/updates/preview")
def preview_update(slug: str) -> Response:
    """Show an update as signers will read it, language by language; nothing is sent."""
    petition = petitions.find(get_session(), slug)
    draft = _draft(petition, params.json_object())
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
