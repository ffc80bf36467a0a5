"""Petitions as organisers see them: create, edit, open and close, and the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field, model_validator

from undersign.campaigns import petitions
from undersign.campaigns.petitions import ORGANISER_LIMITS, RETENTION_DAYS, SLUG, TEXT_LIMITS
from undersign.core.cache import get_cache
from undersign.core.db import get_session
from undersign.core.i18n import LOCALES
from undersign.core.models import Petition, WallMode
from undersign.core.validation import LARGEST_INTEGER
from undersign.organisers import moderation
from undersign.web.access import needs, require, rights
from undersign.web.api.contract import described
from undersign.web.api.fields import (
    DescribedAs,
    Locale,
    Moment,
    Request,
    Text,
    ThanksURL,
    refuse,
    refused,
)

bp = Blueprint("admin_petitions", __name__)

NO_PETITION = {404: "No such petition."}
# What an editor may change with a PATCH; every other field needs petitions.settings.
TEXTS_ONLY = frozenset({"texts"})
PARTNERS_TOO = {403: "Asked for another partner's signatures."}


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
        "retention_days": petition.retention_days,
        "erases_at": _moment(petition.erases_at),
        "erased_at": _moment(petition.erased_at),
    }


def _moment(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class OneLanguage(Request):
    """A petition's texts in one language: title, summary and target in plain text; the body
    in Markdown (CommonMark: headings, lists, links, emphasis; raw HTML and pictures are not
    shown)."""

    # Their lengths are checked by campaigns.petitions, against the same TEXT_LIMITS.

    title: Annotated[str, Field(json_schema_extra={"maxLength": TEXT_LIMITS["title"]})] = ""
    summary: Annotated[str, Field(json_schema_extra={"maxLength": TEXT_LIMITS["summary"]})] = ""
    body: Annotated[str, Field(json_schema_extra={"maxLength": TEXT_LIMITS["body"]})] = ""
    target: Annotated[str, Field(json_schema_extra={"maxLength": TEXT_LIMITS["target"]})] = ""

    @model_validator(mode="before")
    @classmethod
    def _only_texts(cls, body: dict[str, Any]) -> dict[str, Any]:
        for name, value in body.items():  # in the body's order: the first mistake is named
            if name not in TEXT_LIMITS:
                use = ", ".join(TEXT_LIMITS)
                raise refused(f"{name} is not a text: use {use}", field=name)
            if not isinstance(value, str):
                raise refused(f"{name} must be a string", field=name)
        return body


class PetitionFields(Request):
    """What an organiser may set on a petition; a PATCH changes only what it names."""

    texts: Annotated[
        dict[str, dict[str, str]],
        refuse('texts must look like {"en": {"title": "…", "summary": "…"}}'),
        DescribedAs(dict[Locale, OneLanguage]),  # the languages and limits: petitions._check
    ] = Field(None)  # type: ignore[arg-type]  # left out of a PATCH: kept; null: refused
    goal: Annotated[
        Annotated[int, Field(ge=1, le=LARGEST_INTEGER)] | None,
        refuse("goal must be a positive whole number"),
    ] = None
    closes_at: Annotated[datetime | None, Moment()] = None
    default_locale: Annotated[Any, DescribedAs(Locale)] = "en"  # checked by petitions._check
    named_default: Annotated[bool, refuse("named_default must be true or false")] = False
    wall_mode: Annotated[Any, DescribedAs(WallMode)] = WallMode.APPROVE  # and this too
    organiser_name: Annotated[str, Text(ORGANISER_LIMITS["organiser_name"])] | None = None
    organiser_contact: Annotated[str, Text(ORGANISER_LIMITS["organiser_contact"])] | None = None
    # A Curve25519 public key, 32 bytes in base64 (`undersign keys generate`), which
    # sealing.check_public checks in its words.
    seal_key: Annotated[
        str | None,
        Field(json_schema_extra={"pattern": "^[A-Za-z0-9+/]{43}=$"}),
        refuse("seal_key must be a public key in base64, or null"),
    ] = None
    thanks_url: ThanksURL = None
    # Days after closing that signers' personal fields are erased (signers/retention.py).
    retention_days: Annotated[
        Annotated[int, Field(ge=RETENTION_DAYS[0], le=RETENTION_DAYS[1])],
        refuse(
            f"retention_days must be a whole number of days from {RETENTION_DAYS[0]} "
            f"to {RETENTION_DAYS[1]}"
        ),
    ] = 90

    def merged(self, current: Petition | None) -> dict[str, Any]:
        """Return every field: what this request names, the rest as `current` has it."""
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        if current is not None:
            fields |= {name: getattr(current, name) for name in fields}
            fields |= {name: getattr(self, name) for name in self.model_fields_set}
        return {name: fields[name] for name in PetitionFields.model_fields}


class _Named(Request):
    slug: Annotated[str, Text(80), Field(json_schema_extra={"pattern": f"^{SLUG.pattern}$"})]


class NewPetition(PetitionFields, _Named):  # the slug first: it is checked first
    texts: Annotated[
        dict[str, dict[str, str]],
        refuse('texts must look like {"en": {"title": "…", "summary": "…"}}'),
        DescribedAs(dict[Locale, OneLanguage]),
    ]


class Counted(BaseModel):
    """A petition as organisers see it, with its signatures counted by state."""

    slug: str
    title: str
    texts: dict[str, dict[str, str]]
    default_locale: str
    goal: int | None
    status: str
    is_open: bool
    closes_at: Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]
    created_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    counts: dict[str, int]
    named_default: bool
    wall_mode: str
    organiser_name: str | None
    organiser_contact: str | None
    seal_key: str | None
    thanks_url: str | None
    retention_days: int
    # When signers' personal fields are (or were) erased: retention_days after closing; null
    # while open with no closing time.
    erases_at: Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]
    erased_at: Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]


class Petitions(BaseModel):
    petitions: list[Counted]


class Dashboard(BaseModel):
    petition: Counted
    queues: dict[str, int]
    by_country: dict[str, int]
    by_day: list[dict[str, Any]]
    by_source: dict[str, int] = Field(default_factory=dict)
    paper: int = 0


def _the_petition(slug: str, **_: str) -> Petition:
    """Look the path's petition up: an unknown one is a 404 before any field is judged."""
    return petitions.find(get_session(), slug)


def _answer(petition: Petition) -> Response:
    tally = moderation.tallies(get_session(), rights()).get(petition.id)
    return jsonify(describe(petition, tally))


@bp.get("/petitions")
@needs("petitions.read")
@described(
    "Every petition with its counts (a partner's share for a partner token)",
    (200, "Petitions", Petitions),
    PARTNERS_TOO,
)
def list_petitions() -> Response:
    session, who = get_session(), rights()
    tallies = moderation.tallies(session, who)
    found = [petition for petition in petitions.every(session) if who.covers(petition.slug)]
    return jsonify(petitions=[describe(p, tallies.get(p.id)) for p in found])


@bp.post("/petitions")
@needs("petitions.create")
@described(
    "Create a petition: slug, texts per language, goal, closing time",
    (201, "Created", Counted),
    {422: "Invalid fields."},
    body=NewPetition,
)
def create_petition(body: NewPetition) -> tuple[Response, int]:
    created = petitions.create(get_session(), body.slug, by=rights(), **body.merged(None))
    return jsonify(describe(created, None)), 201


@bp.get("/petitions/<slug>")
@needs("petitions.read")
@described(
    "One petition with its counts", (200, "The petition", Counted), NO_PETITION | PARTNERS_TOO
)
def get_petition(slug: str) -> Response:
    return _answer(petitions.find(get_session(), slug))


@bp.patch("/petitions/<slug>")
@needs("petitions.texts")
@described(
    "Edit texts, goal, closing time or language; what is left out stays",
    (200, "The petition", Counted),
    {**NO_PETITION, 422: "Invalid fields."},
    body=PetitionFields,
    lookup=_the_petition,
)
def edit_petition(slug: str, body: PetitionFields) -> Response:
    changed = body.model_fields_set
    if changed - TEXTS_ONLY:  # an editor may change the texts; the rest is the owner's
        require("petitions.settings", slug)
    session = get_session()
    petition = petitions.find(session, slug)
    petitions.edit(
        session, get_cache(), petition, by=rights(), changed=changed, **body.merged(petition)
    )
    return _answer(petition)


LANGUAGE = f"<any({', '.join(LOCALES)}):lang>"


@bp.put(f"/petitions/<slug>/texts/{LANGUAGE}")
@needs("petitions.texts")
@described(
    "Set the texts in one language (body in Markdown); a text left out stays, "
    "an empty one is removed",
    (200, "The petition", Counted),
    {404: "No such petition or language.", 422: "Invalid fields."},
    body=OneLanguage,
    lookup=_the_petition,
)
def translate(slug: str, lang: str, body: OneLanguage) -> Response:
    """Set the texts in one language; a text left out keeps its value, an empty one goes."""
    session = get_session()
    petition = petitions.find(session, slug)
    texts = {name: getattr(body, name).strip() for name in body.model_fields_set}
    petitions.translate(session, petition, lang, texts, by=rights())
    return _answer(petition)


@bp.delete(f"/petitions/<slug>/texts/{LANGUAGE}")
@needs("petitions.texts")
@described(
    "Remove the texts in one language (not the default one)",
    (200, "The petition", Counted),
    {404: "No such petition or language.", 422: "It is the default language."},
)
def remove_translation(slug: str, lang: str) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    petitions.remove_translation(session, petition, lang, by=rights())
    return _answer(petition)


@bp.post("/petitions/<slug>/<any(open, close):action>")
@needs("petitions.settings")
@described("Open or close a petition", (200, "The petition", Counted), NO_PETITION)
def open_or_close(slug: str, action: str) -> Response:
    session = get_session()
    petition = petitions.find(session, slug)
    petitions.set_open(session, petition, action == "open", by=rights())
    return _answer(petition)


@bp.get("/petitions/<slug>/dashboard")
@needs("petitions.read")
@described(
    "Counts by state, by day, by country, by source; queue sizes",
    (200, "The dashboard", Dashboard),
    NO_PETITION | PARTNERS_TOO,
)
def dashboard(slug: str) -> Response:
    session, who = get_session(), rights()
    petition = petitions.find(session, slug)
    return jsonify(
        petition=describe(petition, moderation.tallies(session, who).get(petition.id)),
        queues=moderation.queues(session, petition, who),
        **petitions.stats(session, petition, who),
    )
