"""Petitions as organisers see them: create, edit, open and close, and the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from undersign.campaigns import petitions
from undersign.core.cache import get_cache
from undersign.core.db import get_session
from undersign.core.i18n import LOCALES
from undersign.core.models import Petition
from undersign.organisers import moderation
from undersign.signers import thanks
from undersign.web import params
from undersign.web.access import organisers_only, rights

bp = Blueprint("admin_petitions", __name__)


def describe(petition: Petition, tally: dict[str, int] | None) -> dict[str, Any]:
    """Return a petition with its signatures counted by state."""
    return {
        "slug": petition.slug,
        "title": petition.text(petition.default_locale)["title"],
        "texts": petition.texts,
        "default_locale": petition.default_locale,
        "goal": petition.goal,
        "status": petition.status,
        "is_open": petition.is_open(datetime.now(UTC)),
        "closes_at": petition.closes_at.isoformat() if petition.closes_at else None,
        "created_at": petition.created_at.isoformat(),
        "counts": tally or dict.fromkeys(moderation.STATES[:-1], 0),
        "named_default": petition.named_default,
        "wall_mode": petition.wall_mode,
        "organiser_name": petition.organiser_name,
        "organiser_contact": petition.organiser_contact,
        "seal_key": petition.seal_key,
        "thanks_url": petition.thanks_url,
    }


def _answer(petition: Petition) -> Response:
    tally = moderation.tallies(get_session(), rights()).get(petition.id)
    return jsonify(describe(petition, tally))


def _fields(body: dict[str, Any], current: Petition | None) -> dict[str, Any]:
    """Read a petition's editable fields; what a PATCH leaves out keeps its value."""
    texts = body.get("texts", current.texts if current else None)
    valid_texts = isinstance(texts, dict) and all(
        isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())
        for fields in texts.values()
    )
    if not valid_texts:
        raise params.invalid("texts", 'texts must look like {"en": {"title": "…", "summary": "…"}}')
    goal = body.get("goal", current.goal if current else None)
    if goal is not None and (not isinstance(goal, int) or isinstance(goal, bool) or goal < 1):
        raise params.invalid("goal", "goal must be a positive whole number")
    if "closes_at" in body:
        closes_at = params.body_moment(body, "closes_at")
    else:
        closes_at = current.closes_at if current else None
    locale = body.get("default_locale", current.default_locale if current else "en")
    fields = {"texts": texts, "goal": goal, "closes_at": closes_at, "default_locale": locale}
    return fields | _policy(body, current)


def _policy(body: dict[str, Any], current: Petition | None) -> dict[str, Any]:
    """Read how the petition treats its signers; what a PATCH leaves out keeps its value."""
    policy: dict[str, Any] = {}
    named = body.get("named_default", current.named_default if current else False)
    if not isinstance(named, bool):
        raise params.invalid("named_default", "named_default must be true or false")
    policy["named_default"] = named
    policy["wall_mode"] = body.get("wall_mode", current.wall_mode if current else "approve")
    for name in ("organiser_name", "organiser_contact"):
        if name in body and body[name] is not None:
            policy[name] = params.text(body, name, required=False, most=200)
        elif name in body or current is None:
            policy[name] = None
    seal_key = body.get("seal_key", current.seal_key if current else None)
    if seal_key is not None and not isinstance(seal_key, str):
        raise params.invalid("seal_key", "seal_key must be a public key in base64, or null")
    policy["seal_key"] = seal_key  # petitions checks it is a key
    policy["thanks_url"] = _thanks_url(body, current)
    return policy


def _thanks_url(body: dict[str, Any], current: Petition | None) -> str | None:
    """Read where signers go after confirming: an https address, or null for none."""
    if "thanks_url" not in body:
        return current.thanks_url if current else None
    if body["thanks_url"] is not None and not isinstance(body["thanks_url"], str):
        raise params.invalid("thanks_url", "thanks_url must be an https:// address, or null")
    try:
        return thanks.check(body["thanks_url"])
    except thanks.InvalidThanksURL as problem:
        raise params.invalid("thanks_url", str(problem)) from None


@bp.get("/petitions")
def list_petitions() -> Response:
    session = get_session()
    tallies = moderation.tallies(session, rights())
    found = petitions.every(session)
    return jsonify(petitions=[describe(p, tallies.get(p.id)) for p in found])


@bp.post("/petitions")
@organisers_only
def create_petition() -> tuple[Response, int]:
    body = params.json_object()
    slug = params.text(body, "slug", most=80) or ""
    created = petitions.create(get_session(), slug, by=rights(), **_fields(body, None))
    return jsonify(describe(created, None)), 201


@bp.get("/petitions/<slug>")
def get_petition(slug: str) -> Response:
    return _answer(petitions.find(get_session(), slug))


@bp.patch("/petitions/<slug>")
@organisers_only
def edit_petition(slug: str) -> Response:
    session, body = get_session(), params.json_object()
    petition = petitions.find(session, slug)
    fields = _fields(body, petition)
    petitions.edit(session, get_cache(), petition, by=rights(), changed=body, **fields)
    return _answer(petition)


LANGUAGE = f"<any({', '.join(LOCALES)}):lang>"


@bp.put(f"/petitions/<slug>/texts/{LANGUAGE}")
@organisers_only
def translate(slug: str, lang: str) -> Response:
    """Set the texts in one language; a text left out keeps its value, an empty one goes."""
    session, body = get_session(), params.json_object()
    petition = petitions.find(session, slug)
    petitions.translate(session, petition, lang, _one_language(body), by=rights())
    return _answer(petition)


@bp.delete(f"/petitions/<slug>/texts/{LANGUAGE}")
@organisers_only
def remove_translation(slug: str, lang: str) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    petitions.remove_translation(session, petition, lang, by=rights())
    return _answer(petition)


def _one_language(body: dict[str, Any]) -> dict[str, str]:
    """Read {"title": …, "summary": …, "body": … (Markdown), "target": …}, any of them."""
    for name, value in body.items():
        if name not in petitions.TEXT_FIELDS:
            raise params.invalid(
                name, f"{name} is not a text: use {', '.join(petitions.TEXT_FIELDS)}"
            )
        if not isinstance(value, str):
            raise params.invalid(name, f"{name} must be a string")
    return {name: value.strip() for name, value in body.items()}


@bp.post("/petitions/<slug>/<any(open, close):action>")
@organisers_only
def open_or_close(slug: str, action: str) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    petitions.set_open(session, petition, action == "open", by=rights())
    return _answer(petition)


@bp.get("/petitions/<slug>/dashboard")
def dashboard(slug: str) -> Response:
    session, who = get_session(), rights()
    petition = petitions.find(session, slug)
    return jsonify(
        petition=describe(petition, moderation.tallies(session, who).get(petition.id)),
        queues=moderation.queues(session, petition, who),
        **petitions.stats(session, petition, who),
    )
