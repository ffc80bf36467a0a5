"""Organiser tokens: made once, kept only as a hash, named, revocable; and what each may see."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from undersign.core import audit
from undersign.core.models import OrganiserToken, Signature, SignatureStatus, utcnow
from undersign.core.validation import PARTNER_CODE

PREFIX = "us_"
NAME = re.compile(r"[\w.@-]{1,80}")
# Recording every use would turn each read into a write; a minute's precision
# tells an organiser whether a token is alive just as well.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class Rights:
    """Who is asking, and how far they may see: everything, or one partner's share.

    A partner counts everything its site collected (`share`), but reads only the
    signatures it could write to: verified, of its source, whose signers agreed
    to be contacted (`scope`). A consent never confirmed is no consent.
    """

    name: str
    partner: str | None = None

    @property
    def is_organiser(self) -> bool:
        return self.partner is None

    def may_see_personal(self, signature_source: str | None, contact_consent: bool) -> bool:
        """A partner sees a signer's personal data only if that signer agreed to be contacted."""
        return self.partner is None or (signature_source == self.partner and contact_consent)

    def share(self, query: Select[Any]) -> Select[Any]:
        """Narrow a query of signatures to those these rights may count."""
        return query if self.partner is None else query.where(Signature.source == self.partner)

    def scope(self, query: Select[Any]) -> Select[Any]:
        """Narrow a query of signatures to those these rights may read, one by one."""
        if self.partner is None:
            return query
        return self.share(query).where(
            Signature.status == SignatureStatus.VERIFIED, Signature.contact_consent.is_(True)
        )


CLI = Rights(name="cli")


def digest(token: str) -> str:
    # The token is 256 random bits, so a plain SHA-256 cannot be reversed by
    # guessing; a slow password hash would only slow every API request.
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, name: str, partner: str | None = None, *, by: Rights) -> str:
    """Store a new token under `name`, log it, commit, and return it: the only time it is seen."""
    if not NAME.fullmatch(name):
        raise TokenError("a token name is 1-80 letters, digits, '.', '@', '_' or '-'")
    if partner is not None and not PARTNER_CODE.fullmatch(partner):
        raise TokenError("a partner source is 1-40 lowercase letters, digits and hyphens")
    if session.scalar(select(OrganiserToken.id).where(OrganiserToken.name == name)) is not None:
        raise TokenError(f"a token called {name!r} exists already")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(OrganiserToken(name=name, token_hash=digest(token), partner=partner))
    audit.record(session, by, "token.create", name, partner=partner)
    session.commit()
    return token


def revoke(session: Session, name: str, *, by: Rights, now: datetime | None = None) -> None:
    """Revoke a token at once, log it, and commit."""
    found = session.scalar(select(OrganiserToken).where(OrganiserToken.name == name))
    if found is None:
        raise TokenError(f"no token called {name!r}")
    if found.revoked_at is None:
        found.revoked_at = now or utcnow()
    audit.record(session, by, "token.revoke", name)
    session.commit()


def listed(session: Session) -> list[OrganiserToken]:
    return list(session.scalars(select(OrganiserToken).order_by(OrganiserToken.name)))


def authenticate(session: Session, token: str, now: datetime | None = None) -> Rights | None:
    """Return the rights of a live token, or None for a wrong or revoked one."""
    now = now or utcnow()
    found = session.scalar(select(OrganiserToken).where(OrganiserToken.token_hash == digest(token)))
    if found is None or found.revoked_at is not None:
        return None
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_PRECISION:
        found.last_used_at = now
        session.commit()
    return Rights(name=found.name, partner=found.partner)
