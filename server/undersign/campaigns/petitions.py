"""Petitions: creating and changing them, and what the public may see of them and their signers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from undersign.campaigns import paper, thanks
from undersign.core import audit, counting, i18n, markup, privacy, sealing
from undersign.core.auth import Rights
from undersign.core.cache import Cache
from undersign.core.i18n import LOCALES
from undersign.core.models import Petition, PetitionStatus, Signature, WallMode, utcnow
from undersign.core.validation import check_characters

# "\-", not a bare "-": /admin/ puts this very text in an input's `pattern`, which browsers
# compile with the v flag, where a bare "-" in a class is an error (and the field goes unchecked).
SLUG = re.compile(r"[a-z0-9][a-z0-9\-]{0,79}")
# Each text's longest length; only the body may hold line breaks (a title goes
# into an email's Subject header, where a line break cannot be).
TEXT_LIMITS = {"title": 200, "summary": 1000, "target": 300, "body": 100_000}
TEXT_FIELDS = tuple(TEXT_LIMITS)
# Who speaks for the petition, as its privacy notice and hand-over list name them.
ORGANISER_LIMITS = {"organiser_name": 120, "organiser_contact": 200}


class PetitionNotFound(LookupError):
    pass


class InvalidPetition(ValueError):
    pass


def find(session: Session, slug: str) -> Petition:
    petition = session.scalar(select(Petition).where(Petition.slug == slug))
    if petition is None:
        raise PetitionNotFound(slug)
    return petition


def open_and_closed(session: Session, now: datetime) -> tuple[list[Petition], list[Petition]]:
    """Return the home page's two lists, newest first: those taking signatures, and the rest.

    A petition past its closing time is closed even while its status still says open.
    """
    everything = every(session)
    return (
        [p for p in everything if p.is_open(now)],
        [p for p in everything if not p.is_open(now)],
    )


def every(session: Session) -> list[Petition]:
    """Return every petition, open or not, newest first."""
    return list(session.scalars(select(Petition).order_by(Petition.created_at.desc())))


def create(
    session: Session,
    slug: str,
    texts: dict[str, dict[str, str]],
    *,
    by: Rights,
    goal: int | None = None,
    closes_at: datetime | None = None,
    default_locale: str = "en",
    **policy: Any,
) -> Petition:
    """Add a petition with its count shards, log who did it, and commit.

    `policy`: named_default, wall_mode, organiser_name, organiser_contact, seal_key
    (see Petition).
    """
    if not SLUG.fullmatch(slug):
        raise InvalidPetition("the slug must be lowercase letters, digits and hyphens")
    _check(texts, goal, default_locale)
    _check_policy(policy)
    if session.scalar(select(Petition.id).where(Petition.slug == slug)) is not None:
        raise InvalidPetition(f"a petition called {slug!r} exists already")
    petition = Petition(
        slug=slug,
        texts=_known_fields(texts),
        goal=goal,
        closes_at=closes_at,
        default_locale=default_locale,
        **policy,
    )
    session.add(petition)
    session.flush()
    counting.create_shards(session, petition.id)
    audit.record(session, by, "petition.create", slug)
    session.commit()
    return petition


def edit(
    session: Session,
    cache: Cache,
    petition: Petition,
    *,
    by: Rights,
    changed: Iterable[str],
    texts: dict[str, dict[str, str]],
    goal: int | None,
    closes_at: datetime | None,
    default_locale: str,
    **policy: Any,
) -> None:
    """Change what an organiser may change after creation, log it, and commit.

    The slug stays: links in emails and on partner sites depend on it.
    """
    _check(texts, goal, default_locale)
    _check_policy(policy)
    if petition.seal_key and "seal_key" in policy and not policy["seal_key"]:
        # Signers were told their data is sealed: a new key rotates, none is not a choice.
        raise InvalidPetition("a sealed petition stays sealed: give a new seal key to rotate")
    for name, value in policy.items():
        setattr(petition, name, value)
    petition.texts = _known_fields(texts)
    petition.default_locale = default_locale
    petition.goal = goal
    petition.closes_at = closes_at
    audit.record(session, by, "petition.edit", petition.slug, fields=sorted(changed))
    session.commit()
    counting.forget(cache, petition.slug)  # the count's answer carries the goal


def translate(
    session: Session, petition: Petition, locale: str, fields: dict[str, str], *, by: Rights
) -> None:
    """Set the petition's texts in one language, log it, and commit.

    A field left out keeps its text; one given empty is removed, so the page falls back to
    the default language's.
    """
    if locale not in LOCALES:
        raise InvalidPetition(f"unsupported language: {locale}")
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise InvalidPetition(f"unknown texts: {', '.join(sorted(unknown))}")
    merged = {**petition.texts.get(locale, {}), **fields}
    texts = {**petition.texts, locale: {f: v for f, v in merged.items() if v}}
    _check(texts, petition.goal, petition.default_locale)
    petition.texts = texts  # a new dict: SQLAlchemy sees an assignment, not a change inside
    audit.record(
        session, by, "petition.translate", petition.slug, locale=locale, fields=sorted(fields)
    )
    session.commit()


def remove_translation(session: Session, petition: Petition, locale: str, *, by: Rights) -> None:
    """Drop the petition's texts in one language (not its default one), log it, and commit."""
    if locale == petition.default_locale:
        raise InvalidPetition("the default language's texts stay: choose another default first")
    petition.texts = {lc: fields for lc, fields in petition.texts.items() if lc != locale}
    audit.record(session, by, "petition.translate", petition.slug, locale=locale, removed=True)
    session.commit()


def set_open(session: Session, petition: Petition, is_open: bool, *, by: Rights) -> None:
    """Open or close a petition for signing, log it, and commit."""
    petition.status = PetitionStatus.OPEN if is_open else PetitionStatus.CLOSED
    # When it closed, for its retention (Petition.closing); closing again keeps the first.
    if is_open:
        petition.closed_at = None
    elif petition.closed_at is None:
        petition.closed_at = utcnow()
    action = "petition.open" if is_open else "petition.close"
    audit.record(session, by, action, petition.slug)
    session.commit()


def _check(texts: dict[str, dict[str, str]], goal: int | None, default_locale: str) -> None:
    unknown = set(texts) - set(LOCALES)
    if unknown:
        raise InvalidPetition(f"unsupported languages: {', '.join(sorted(unknown))}")
    if default_locale not in LOCALES or not texts.get(default_locale, {}).get("title"):
        raise InvalidPetition(f"a title in the default language ({default_locale}) is required")
    if goal is not None and goal < 1:
        raise InvalidPetition("the goal must be a positive number")
    for locale, fields in texts.items():
        for field, most in TEXT_LIMITS.items():
            _check_text(f"{locale} {field}", fields.get(field, ""), most, field == "body")


POLICY = (
    "named_default",
    "wall_mode",
    "organiser_name",
    "organiser_contact",
    "seal_key",
    "thanks_url",
    "retention_days",
)
# Days a closed petition's personal data may be kept (signers/retention.py): at least one,
# at most ten years.
RETENTION_DAYS = (1, 3650)


def _check_policy(policy: dict[str, Any]) -> None:
    unknown = set(policy) - set(POLICY)
    if unknown:
        raise InvalidPetition(f"unknown settings: {', '.join(sorted(unknown))}")
    if "wall_mode" in policy and policy["wall_mode"] not in tuple(WallMode):
        raise InvalidPetition("the wall's mode must be approve or show")
    if "retention_days" in policy:
        days, (least, most) = policy["retention_days"], RETENTION_DAYS
        if isinstance(days, bool) or not isinstance(days, int) or not least <= days <= most:
            raise InvalidPetition(f"retention_days must be a whole number from {least} to {most}")
    try:
        if "thanks_url" in policy:
            policy["thanks_url"] = thanks.check(policy["thanks_url"])
    except thanks.InvalidThanksURL as error:
        raise InvalidPetition(str(error)) from None
    if policy.get("seal_key") is not None:
        try:
            policy["seal_key"] = sealing.check_public(policy["seal_key"])
        except sealing.BadKey as error:
            raise InvalidPetition(str(error)) from None
    for name, most in ORGANISER_LIMITS.items():
        value = policy.get(name)
        if value is not None:
            _check_text(name.replace("_", " "), value, most, multiline=False)


def _check_text(name: str, value: str, most: int, multiline: bool) -> None:
    if len(value) > most:
        raise InvalidPetition(f"the {name} must be at most {most} characters")
    try:
        check_characters(value, multiline)
    except ValueError:
        raise InvalidPetition(f"the {name} holds control characters") from None


def _known_fields(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {
        lc: {f: v for f, v in fields.items() if f in TEXT_FIELDS} for lc, fields in texts.items()
    }


def describe(petition: Petition, locale: str, signature_count: int) -> dict[str, Any]:
    """Return the public view of a petition in `locale`.

    `body_html` is the body rendered and sanitised (markup.render); `closes_on` the closing
    date in words in `locale`, so that a widget need not know how Kazakh writes a date.
    """
    text = petition.text(locale)
    closes_at = petition.closes_at
    return {
        "slug": petition.slug,
        **text,
        "body_html": markup.render(text["body"]),
        "goal": petition.goal,
        "signature_count": signature_count,
        # Past its closing time a petition is closed, whatever its status says.
        "status": "open" if petition.is_open(datetime.now(UTC)) else "closed",
        "closes_at": closes_at.isoformat() if closes_at else None,
        "closes_on": i18n.format_date(locale, closes_at.date()) if closes_at else None,
        "locales": sorted(petition.texts),
        "named_default": petition.named_default,
        "wall_mode": str(petition.wall_mode),
    }


def wall(
    session: Session, petition: Petition, offset: int, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Return `limit` entries of the public wall from `offset`, and whether more follow.

    An entry is a first name, place and approved comment only. A sealed petition's
    entries come from what each public signer chose to publish (Signature.shown),
    since everything else of theirs is sealed.
    """
    rows = session.scalars(Signature.wall(petition).offset(offset).limit(limit + 1)).all()
    return [_wall_entry(s) for s in rows[:limit]], len(rows) > limit


def _wall_entry(signature: Signature) -> dict[str, Any]:
    # The wall's query let only a shown entry through.
    shown = signature.shown or privacy.wall_entry(signature.name, signature.city, signature.comment)
    return {
        **shown,
        "country": signature.country,
        "signed_at": signature.verified_at.isoformat() if signature.verified_at else None,
    }


STATS_CACHE_SECONDS = 30


def cached_stats(session: Session, cache: Cache, petition: Petition) -> str:
    """Return the public `stats` as JSON at most 30 s old: one read a petition, however many ask."""
    key = f"undersign:stats:{petition.slug}"
    cached = cache.get(key)
    if cached is None:
        cached = json.dumps(stats(session, petition))
        cache.set(key, cached, STATS_CACHE_SECONDS)
    return cached


def stats(session: Session, petition: Petition, rights: Rights | None = None) -> dict[str, Any]:
    """Return counted signatures by country and by day, within `rights`; by source too for them.

    Which partners collect is not the public's to learn (nor a partner's, beyond its own).
    """
    counted_query = Signature.counted(petition.id)
    if rights is not None:
        counted_query = rights.share(counted_query)
    counted = counted_query.subquery()

    def grouped(column: Any) -> list[tuple[Any, int]]:
        query = select(column, func.count()).group_by(column).order_by(column)
        return [(key, n) for key, n in session.execute(query)]

    day = func.date(counted.c.verified_at)
    countries = [(str(c), n) for c, n in grouped(counted.c.country)]
    days = [(str(d), n) for d, n in grouped(day)]
    # Signatures collected on paper count like online ones, except in a partner's share.
    with_paper = rights is None or rights.is_organiser
    if with_paper:
        countries += paper.by_country(session, petition.id).items()
        days += paper.by_day(session, petition.id).items()
    found: dict[str, Any] = {
        "by_country": paper.merged(countries),
        "by_day": [{"date": d, "count": n} for d, n in paper.merged(days).items()],
    }
    if rights is not None:
        found["by_source"] = {(s or "direct"): n for s, n in grouped(counted.c.source)}
    if rights is not None and with_paper:
        found["paper"] = paper.total(session, petition.id)
    return found
