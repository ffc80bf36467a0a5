"""The organiser API: petitions, signatures, moderation, partners, webhooks, audit and exports.

Every route needs `Authorization: Bearer <token>`. No cookie is read and no
CORS header is sent, so another site can neither ride on a signed-in browser
(nothing to forge) nor read the answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    request,
    stream_template,
    stream_with_context,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from undersign import (
    audit,
    auth,
    counting,
    export,
    moderation,
    partners,
    petitions,
    signing,
    webhooks,
)
from undersign.api.errors import APIError
from undersign.cache import get_cache
from undersign.config import Settings
from undersign.db import database, get_session
from undersign.models import AuditEntry, Petition, Signature

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
MAX_PER_PAGE = 200
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


# --- who is asking -----------------------------------------------------------


@bp.before_request
def _authenticate() -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    rights = None
    if scheme.lower() == "bearer" and 0 < len(token.strip()) <= 200:
        rights = auth.authenticate(get_session(), token.strip())
    if rights is None:
        raise APIError(401, "unauthorized", "A valid organiser token is required.")
    g.rights = rights


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="undersign"'
    return response


def _rights() -> auth.Rights:
    return g.rights


def organisers_only(view: F) -> F:
    """Refuse partner tokens: the change or the data is not theirs."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not _rights().is_organiser:
            raise APIError(403, "forbidden", "This token may not do that.")
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def _settings() -> Settings:
    return current_app.extensions["undersign.settings"]


# --- reading the request -----------------------------------------------------


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    if not isinstance(body, dict):
        raise APIError(400, "bad_request", "Send a JSON object.")
    return body


def _invalid(field: str, message: str) -> APIError:
    return APIError(422, "invalid_fields", message, {field: message})


def _text(body: dict[str, Any], field: str, required: bool = True) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, f"{field} is required")
    return value.strip()


def _moment(raw: Any, field: str, end_of_day: bool = False) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        return export.moment(str(raw), until=end_of_day)
    except ValueError:
        raise _invalid(field, f"{field} must be an ISO date like 2026-11-27") from None


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name) or default
    if value not in allowed:
        raise _invalid(name, f"{name} must be one of {', '.join(allowed)}")
    return value


def _source() -> str | None:
    """The `source` filter; a partner token may ask only for its own."""
    source = request.args.get("source") or None
    rights = _rights()
    if rights.partner is not None and source not in (None, rights.partner):
        raise APIError(403, "forbidden", "This token sees only its own partner's signatures.")
    return source


def _positive(name: str, default: int, most: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise _invalid(name, f"{name} must be a whole number from 1 to {most}")
    return int(raw)


# --- petitions ---------------------------------------------------------------


def _petition(slug: str) -> Petition:
    try:
        return signing.find_petition(get_session(), slug)
    except signing.PetitionNotFound:
        raise APIError(404, "not_found", "There is no petition at this address.") from None


def _describe_petition(petition: Petition, tally: dict[str, int] | None) -> dict[str, Any]:
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
    }


@bp.get("/me")
def me() -> Response:
    rights = _rights()
    return jsonify(name=rights.name, partner=rights.partner)


@bp.get("/petitions")
def list_petitions() -> Response:
    session = get_session()
    tallies = moderation.tallies(session, _rights())
    found = session.scalars(select(Petition).order_by(Petition.created_at.desc())).all()
    return jsonify(petitions=[_describe_petition(p, tallies.get(p.id)) for p in found])


def _petition_fields(body: dict[str, Any], current: Petition | None) -> dict[str, Any]:
    """Read a petition's editable fields; what a PATCH leaves out keeps its value."""
    texts = body.get("texts", current.texts if current else None)
    valid_texts = isinstance(texts, dict) and all(
        isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())
        for fields in texts.values()
    )
    if not valid_texts:
        raise _invalid("texts", 'texts must look like {"en": {"title": "…", "summary": "…"}}')
    goal = body.get("goal", current.goal if current else None)
    if goal is not None and (not isinstance(goal, int) or isinstance(goal, bool) or goal < 1):
        raise _invalid("goal", "goal must be a positive whole number")
    if "closes_at" in body:
        closes_at = _moment(body["closes_at"], "closes_at")
    else:
        closes_at = current.closes_at if current else None
    locale = body.get("default_locale", current.default_locale if current else "en")
    return {"texts": texts, "goal": goal, "closes_at": closes_at, "default_locale": locale}


@bp.post("/petitions")
@organisers_only
def create_petition() -> tuple[Response, int]:
    body, session = _body(), get_session()
    slug = _text(body, "slug") or ""
    try:
        created = petitions.create(session, slug, **_petition_fields(body, None))
    except petitions.InvalidPetition as error:
        raise APIError(422, "invalid_fields", str(error)) from None
    audit.record(session, _rights(), "petition.create", slug)
    session.commit()
    return jsonify(_describe_petition(created, None)), 201


@bp.get("/petitions/<slug>")
def get_petition(slug: str) -> Response:
    petition = _petition(slug)
    tally = moderation.tallies(get_session(), _rights()).get(petition.id)
    return jsonify(_describe_petition(petition, tally))


@bp.patch("/petitions/<slug>")
@organisers_only
def edit_petition(slug: str) -> Response:
    petition, session = _petition(slug), get_session()
    body = _body()
    try:
        petitions.edit(petition, **_petition_fields(body, petition))
    except petitions.InvalidPetition as error:
        raise APIError(422, "invalid_fields", str(error)) from None
    audit.record(session, _rights(), "petition.edit", slug, fields=sorted(body))
    session.commit()
    counting.forget(get_cache(), slug)
    return get_petition(slug)


@bp.post("/petitions/<slug>/<any(open, close):action>")
@organisers_only
def open_or_close(slug: str, action: str) -> Response:
    petition, session = _petition(slug), get_session()
    petitions.set_open(petition, action == "open")
    audit.record(session, _rights(), f"petition.{action}", slug)
    session.commit()
    return get_petition(slug)


@bp.get("/petitions/<slug>/dashboard")
def dashboard(slug: str) -> Response:
    petition, session, rights = _petition(slug), get_session(), _rights()
    return jsonify(
        petition=_describe_petition(petition, moderation.tallies(session, rights).get(petition.id)),
        queues=moderation.queues(session, petition, rights),
        **petitions.stats(session, petition, rights.partner),
    )


# --- signatures --------------------------------------------------------------


def _signature_page(slug: str, search: moderation.Search) -> Response:
    petition, rights = _petition(slug), _rights()
    query = moderation.matching(petition, search, rights, _settings().identity_key)
    number = _positive("page", 1, 1_000_000)
    size = _positive("per_page", 50, MAX_PER_PAGE)
    found, total = moderation.page(get_session(), query, number, size)
    return jsonify(
        signatures=[moderation.describe(s, rights) for s in found],
        total=total,
        page=number,
        per_page=size,
    )


@bp.get("/petitions/<slug>/signatures")
def search_signatures(slug: str) -> Response:
    args = request.args
    return _signature_page(
        slug,
        moderation.Search(
            text=(args.get("q") or "").strip()[:120] or None,
            state=_choice("state", moderation.STATES, "all"),
            source=_source(),
            since=_moment(args.get("since"), "since"),
            until=_moment(args.get("until"), "until", end_of_day=True),
        ),
    )


@bp.get("/petitions/<slug>/review")
def review_queue(slug: str) -> Response:
    return _signature_page(slug, moderation.Search(flagged=True, source=_source()))


@bp.get("/petitions/<slug>/comments")
def comment_queue(slug: str) -> Response:
    status = _choice("status", ("pending", *moderation.COMMENT_DECISIONS), "pending")
    search = moderation.Search(comments=status, state="verified", source=_source())
    return _signature_page(slug, search)


def _change_signature(
    signature_id: int, action: str, change: Callable[[Signature], Any]
) -> Response:
    """Apply `change` to one signature under its row lock, log it, answer the new state."""
    session, rights = get_session(), _rights()
    try:
        signature = moderation.find(session, signature_id, rights)
        slug = signature.petition.slug
        change(signature)
    except moderation.SignatureNotFound:
        raise APIError(404, "not_found", "There is no such signature.") from None
    except moderation.InvalidAction as error:
        session.rollback()
        raise APIError(422, "invalid_fields", str(error)) from None
    audit.record(session, rights, action, f"{slug}#{signature_id}", 1, **_reason_detail())
    session.commit()
    counting.forget(get_cache(), slug)
    return jsonify(moderation.describe(signature, rights))


def _reason_detail() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None
    reason = body.get("reason") if isinstance(body, dict) else None
    return {"reason": reason} if isinstance(reason, str) and reason else {}


@bp.post("/signatures/<row_id:signature_id>/invalidate")
@organisers_only
def invalidate(signature_id: int) -> Response:
    reason = _text(_body(), "reason") or ""
    return _change_signature(
        signature_id, "signature.invalidate", lambda s: moderation.invalidate(s, reason)
    )


@bp.post("/signatures/<row_id:signature_id>/restore")
@organisers_only
def restore(signature_id: int) -> Response:
    _text(_body(), "reason")
    return _change_signature(signature_id, "signature.restore", moderation.restore)


@bp.post("/signatures/<row_id:signature_id>/keep")
@organisers_only
def keep(signature_id: int) -> Response:
    return _change_signature(signature_id, "signature.keep", moderation.clear_flag)


@bp.post("/signatures/<row_id:signature_id>/comment")
@organisers_only
def moderate_comment(signature_id: int) -> Response:
    decision = _text(_body(), "decision") or ""
    return _change_signature(
        signature_id,
        f"comment.{decision}"[:40],
        lambda s: moderation.moderate_comment(s, decision),
    )


# --- exports -----------------------------------------------------------------


def _export_filters() -> export.Filters:
    return export.Filters(
        status=_choice("status", export.STATUSES, "verified"),
        source=_source(),
        since=_moment(request.args.get("since"), "since"),
        until=_moment(request.args.get("until"), "until", end_of_day=True),
    )


def _snapshot(
    slug: str, action: str, filters: export.Filters, **detail: Any
) -> tuple[Session, Petition, int]:
    """Open one consistent read of a petition and log the export with its size.

    The audit entry is committed before the first row leaves: no export goes unrecorded.
    """
    _petition(slug)  # 404 before anything is opened
    rights = _rights()
    snapshot = export.consistent_session(database().sessions)
    try:
        petition = signing.find_petition(snapshot, slug)
        total = export.count(snapshot, petition, filters, rights)
        log = get_session()
        audit.record(log, rights, action, slug, total, **detail, **filters.described())
        log.commit()
    except BaseException:
        snapshot.close()
        raise
    return snapshot, petition, total


def _closing(snapshot: Session, items: Iterator[T]) -> Iterator[T]:
    """Yield `items`, ending the snapshot's transaction as soon as the last is read."""
    try:
        yield from items
    finally:
        snapshot.close()


@bp.get("/petitions/<slug>/export")
def export_signatures(slug: str) -> Response:
    fmt = _choice("format", export.FORMATS, "csv")
    filters = _export_filters()
    snapshot, petition, total = _snapshot(slug, "export", filters, format=fmt)
    chunks = _closing(snapshot, export.stream(snapshot, petition, filters, fmt, _rights()))
    response = Response(stream_with_context(chunks), mimetype=MEDIA_TYPES[fmt])
    response.call_on_close(snapshot.close)  # also when the body is never read
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-{stamp}.{fmt}"'
    response.headers["X-Total-Rows"] = str(total)
    return response


@bp.get("/petitions/<slug>/handover")
@organisers_only
def handover(slug: str) -> Response:
    """The printable list for the authorities: numbered, name, city, country, date."""
    filters = export.Filters(status="verified")
    snapshot, petition, total = _snapshot(slug, "handover", filters)

    def entries() -> Iterator[dict[str, Any]]:
        for values in _closing(snapshot, export.rows(snapshot, petition, filters, _rights())):
            item = export.record(values)
            yield {**item, "date": (item["verified_at"] or item["signed_at"])[:10]}

    text = petition.text(petition.default_locale)
    page = stream_template(
        "admin/handover.html",
        title=text["title"],
        target=text["target"],
        total=total,
        locale=petition.default_locale,
        entries=entries(),
        printed=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    response = Response(page, mimetype="text/html")
    response.call_on_close(snapshot.close)
    return response


# --- partners and webhooks ---------------------------------------------------


def _origins(body: dict[str, Any]) -> list[str] | None:
    origins = body.get("allowed_origins")
    if origins is None:
        return None
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise _invalid("allowed_origins", "allowed_origins must be a list of origins")
    return origins


@bp.get("/partners")
@organisers_only
def list_partners() -> Response:
    slug = request.args.get("petition") or None
    base = _settings().base_url
    return jsonify(
        partners=[partners.describe(p, base, slug) for p in partners.listed(get_session())]
    )


@bp.post("/partners")
@organisers_only
def create_partner() -> tuple[Response, int]:
    body, session = _body(), get_session()
    code, name = _text(body, "code") or "", _text(body, "name") or ""
    try:
        created = partners.create(session, code, name, _origins(body) or [])
    except partners.InvalidPartner as error:
        raise APIError(422, "invalid_fields", str(error)) from None
    audit.record(session, _rights(), "partner.create", code)
    session.commit()
    slug = request.args.get("petition") or None
    return jsonify(partners.describe(created, _settings().base_url, slug)), 201


@bp.patch("/partners/<code>")
@organisers_only
def edit_partner(code: str) -> Response:
    body, session = _body(), get_session()
    try:
        partner = partners.find(session, code)
        partners.update(partner, _text(body, "name", required=False), _origins(body))
    except partners.PartnerNotFound:
        raise APIError(404, "not_found", "There is no such partner.") from None
    except partners.InvalidPartner as error:
        raise APIError(422, "invalid_fields", str(error)) from None
    audit.record(session, _rights(), "partner.edit", code, fields=sorted(body))
    session.commit()
    return jsonify(partners.describe(partner, _settings().base_url, request.args.get("petition")))


@bp.get("/webhooks")
@organisers_only
def list_webhooks() -> Response:
    return jsonify(webhooks=[webhooks.describe(w) for w in webhooks.listed(get_session())])


@bp.post("/webhooks")
@organisers_only
def create_webhook() -> tuple[Response, int]:
    body, session = _body(), get_session()
    url = _text(body, "url") or ""
    partner_code, slug = _text(body, "partner", False), _text(body, "petition", False)
    try:
        partner = partners.find(session, partner_code) if partner_code else None
        petition = _petition(slug) if slug else None
        created = webhooks.create(session, url, partner=partner, petition=petition)
    except partners.PartnerNotFound:
        raise _invalid("partner", "there is no such partner") from None
    except webhooks.InvalidWebhook as error:
        raise APIError(422, "invalid_fields", str(error)) from None
    audit.record(
        session, _rights(), "webhook.create", url[:120], partner=partner_code, petition=slug
    )
    session.commit()
    # The secret is shown here, once, for the receiver to check signatures with.
    return jsonify(webhooks.describe(created, with_secret=True)), 201


@bp.delete("/webhooks/<row_id:webhook_id>")
@organisers_only
def delete_webhook(webhook_id: int) -> tuple[str, int]:
    session = get_session()
    try:
        found = webhooks.find(session, webhook_id)
    except webhooks.WebhookNotFound:
        raise APIError(404, "not_found", "There is no such webhook.") from None
    audit.record(session, _rights(), "webhook.delete", found.url[:120])
    session.delete(found)
    session.commit()
    return "", 204


# --- the audit log -----------------------------------------------------------


@bp.get("/audit")
@organisers_only
def audit_log() -> Response:
    number = _positive("page", 1, 1_000_000)
    size = _positive("per_page", 100, MAX_PER_PAGE)
    found = get_session().scalars(AuditEntry.newest().offset((number - 1) * size).limit(size))
    return jsonify(entries=[audit.describe(e) for e in found], page=number, per_page=size)
