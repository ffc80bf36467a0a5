"""Partner organisations: their source code, name, allowed origins and the snippet to embed."""

from __future__ import annotations

import re
from html import escape
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from undersign.campaigns import thanks
from undersign.core import audit
from undersign.core.auth import Rights
from undersign.core.models import Partner
from undersign.core.validation import PARTNER_CODE

# A partner's name as organisers and its embed snippets show it.
NAME_MOST = 120


class InvalidPartner(ValueError):
    pass


class PartnerNotFound(LookupError):
    pass


def find(session: Session, code: str) -> Partner:
    partner = session.scalar(select(Partner).where(Partner.code == code))
    if partner is None:
        raise PartnerNotFound(code)
    return partner


def frame_ancestors(session: Session, code: str | None) -> str | None:
    """Return the CSP that lets only a partner's own sites frame its embed, if it named any.

    The partner code in an embed's address is public; without this, any site could
    frame the form and have its signatures counted as that partner's.
    """
    if not code:
        return None
    origins = session.scalar(select(Partner.allowed_origins).where(Partner.code == code))
    if not origins:
        return None
    return "frame-ancestors 'self' " + " ".join(origins)


def listed(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.code)))


def create(
    session: Session, code: str, name: str, allowed_origins: list[str], *, by: Rights
) -> Partner:
    """Add a partner, log who did it, and commit."""
    if not PARTNER_CODE.fullmatch(code):
        raise InvalidPartner("the code must be 1-40 lowercase letters, digits and hyphens")
    if session.scalar(select(Partner.id).where(Partner.code == code)) is not None:
        raise InvalidPartner(f"a partner with the code {code!r} exists already")
    partner = Partner(code=code, name=_name(name), allowed_origins=_origins(allowed_origins))
    session.add(partner)
    audit.record(session, by, "partner.create", code)
    session.commit()
    return partner


def update(
    session: Session,
    code: str,
    *,
    by: Rights,
    name: str | None = None,
    allowed_origins: list[str] | None = None,
    thanks_url: str | None = None,
) -> Partner:
    """Change a partner's name, allowed origins or thank-you page (what is None stays; a
    thank-you page of "" is none), log it, and commit."""
    partner = find(session, code)
    if name is not None:
        partner.name = _name(name)
    if allowed_origins is not None:
        partner.allowed_origins = _origins(allowed_origins)
    if thanks_url is not None:
        try:
            partner.thanks_url = thanks.check(thanks_url)
        except thanks.InvalidThanksURL as error:
            raise InvalidPartner(str(error)) from None
    given = {"name": name, "allowed_origins": allowed_origins, "thanks_url": thanks_url}
    audit.record(
        session, by, "partner.edit", code, fields=[f for f, v in given.items() if v is not None]
    )
    session.commit()
    return partner


def _name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= NAME_MOST:
        raise InvalidPartner(f"the name must be 1-{NAME_MOST} characters")
    return name


ORIGIN = re.compile(r"https?://[^/\s?#]+")


def _origins(origins: list[str]) -> list[str]:
    cleaned = []
    for origin in origins:
        origin = origin.strip().rstrip("/")
        parts = urlsplit(origin)
        if not ORIGIN.fullmatch(origin) or parts.path:
            raise InvalidPartner(f"{origin!r} is not an origin like https://example.org")
        cleaned.append(origin)
    return sorted(set(cleaned))


def embed(base_url: str, code: str, slug: str, lang: str = "en") -> dict[str, str]:
    """Return the two ways a partner puts a petition on its site, ready to copy."""
    base, code, slug, lang = (escape(part, quote=True) for part in (base_url, code, slug, lang))
    return {
        "widget": (
            f'<script src="{base}/widget.js" defer></script>\n'
            f'<undersign-petition petition="{slug}" lang="{lang}" source="{code}">'
            "</undersign-petition>"
        ),
        "iframe": (
            f'<iframe src="{base}/embed/{slug}?lang={lang}&amp;source={code}" '
            'width="100%" height="640" style="border:0"></iframe>'
        ),
    }


def describe(partner: Partner, base_url: str, slug: str | None) -> dict[str, Any]:
    return {
        "code": partner.code,
        "name": partner.name,
        "allowed_origins": partner.allowed_origins,
        "thanks_url": partner.thanks_url,
        "created_at": partner.created_at.isoformat(),
        "embed": embed(base_url, partner.code, slug) if slug else None,
    }
