"""Organiser tokens: made once, kept only as a hash, named, revocable; and what each may do and see.

The one table of who may do what is `ACTIONS`: each action an organiser route
declares (web.access.needs) with the least role that may do it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from undersign.core import audit
from undersign.core.models import OrganiserToken, Petition, Signature, SignatureStatus, utcnow
from undersign.core.validation import PARTNER_CODE

PREFIX = "us_"
NAME = re.compile(r"[\w.@-]{1,80}")
# Recording every use would turn each read into a write; a minute's precision
# tells an organiser whether a token is alive just as well.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(ValueError):
    pass


class TokenExists(TokenError):
    pass


class TokenNotFound(TokenError):
    pass


class Role(StrEnum):
    """A token's role, least first: each may do all that the roles before it may."""

    VIEWER = "viewer"  # counts and stats; no personal data
    MODERATOR = "moderator"  # and the signatures: the review queue and the wall
    EDITOR = "editor"  # and the texts, the picture, news and updates by email
    OWNER = "owner"  # everything

    def reaches(self, other: Role) -> bool:
        """Tell whether this role may do what `other` may."""
        return LADDER.index(self) >= LADDER.index(other)


LADDER = list(Role)

# Every action an organiser route declares, with the least role that may do it.
ACTIONS: dict[str, Role] = {
    "petitions.read": Role.VIEWER,  # the list, one petition, its dashboard, news, picture, updates
    "signatures.read": Role.MODERATOR,  # names and addresses: search, review and wall queues
    "signatures.moderate": Role.MODERATOR,  # invalidate, restore, keep, approve a wall entry
    "petitions.texts": Role.EDITOR,  # texts in every language
    "petitions.media": Role.EDITOR,  # the picture and its description
    "news.write": Role.EDITOR,
    "updates.send": Role.EDITOR,  # campaign updates by email, and their preview
    "petitions.settings": Role.OWNER,  # goal, dates, wall mode, sealing, organiser, open/close
    "signatures.export": Role.OWNER,  # CSV and XLSX (a partner: its consenting signers only)
    "signatures.handover": Role.OWNER,  # the printable list of names for the petition's target
    "paper.read": Role.OWNER,  # paper lists hold names
    "paper.write": Role.OWNER,
    "petitions.create": Role.OWNER,
    "partners.manage": Role.OWNER,
    "webhooks.manage": Role.OWNER,
    "audit.read": Role.OWNER,
    "tokens.manage": Role.OWNER,
}
# What a token limited to some petitions may never do, whatever its role: these reach
# every petition (a new one, partners, webhooks, the whole log, other tokens).
EVERYWHERE = frozenset(
    {"petitions.create", "partners.manage", "webhooks.manage", "audit.read", "tokens.manage"}
)
# A partner token is a kind of its own, whatever its role: it reads its partner's share (and,
# of that, the personal data of signers who agreed to be contacted), emails updates to those
# signers only (organisers.mailings narrows them), and changes nothing else.
PARTNER_ACTIONS = frozenset(
    {"petitions.read", "signatures.read", "signatures.export", "updates.send"}
)


@dataclass(frozen=True)
class Rights:
    """Who is asking, what their role lets them do, and how far they may see.

    `petitions` names the petitions a limited token reaches (None: every one).
    A partner counts everything its site collected (`share`), but reads only the
    signatures it could write to: verified, of its source, whose signers agreed
    to be contacted (`scope`). A consent never confirmed is no consent.
    """

    name: str
    partner: str | None = None
    role: Role = Role.OWNER
    petitions: frozenset[str] | None = None

    @property
    def is_organiser(self) -> bool:
        return self.partner is None

    def may(self, action: str) -> bool:
        """Tell whether these rights allow `action` (a key of ACTIONS)."""
        if action in EVERYWHERE and self.petitions is not None:
            return False
        if self.partner is not None:
            return action in PARTNER_ACTIONS
        return self.role.reaches(ACTIONS[action])

    def covers(self, slug: str) -> bool:
        """Tell whether these rights reach the petition `slug` at all."""
        return self.petitions is None or slug in self.petitions

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


def create(
    session: Session,
    name: str,
    partner: str | None = None,
    *,
    by: Rights,
    role: Role | str | None = None,
    petitions: Iterable[str] = (),
) -> str:
    """Store a new token under `name`, log it, commit, and return it: the only time it is seen.

    `role` defaults to owner; a partner token takes none (it is a reader of its
    partner's share, stored as a viewer). `petitions` limits the token to those
    slugs; none: every petition, present and future.
    """
    if not NAME.fullmatch(name):
        raise TokenError("a token name is 1-80 letters, digits, '.', '@', '_' or '-'")
    if partner is not None and not PARTNER_CODE.fullmatch(partner):
        raise TokenError("a partner source is 1-40 lowercase letters, digits and hyphens")
    if partner is not None and role is not None:
        raise TokenError("a partner token has no role: it reads only its partner's share")
    if role is not None and role not in LADDER:
        raise TokenError(f"a role is one of {', '.join(LADDER)}")
    chosen = Role.VIEWER if partner is not None else Role(role or Role.OWNER)
    slugs = sorted(set(petitions))
    known = set(session.scalars(select(Petition.slug).where(Petition.slug.in_(slugs))))
    if unknown := [slug for slug in slugs if slug not in known]:
        raise TokenError(f"no petition called {unknown[0]!r}")
    if not by.may("tokens.manage"):  # a token made by a token reaches no further than it
        raise TokenError("only an owner of every petition may make tokens")
    if find(session, name) is not None:
        raise TokenExists(f"a token called {name!r} exists already")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        OrganiserToken(
            name=name,
            token_hash=digest(token),
            partner=partner,
            role=chosen,
            petitions=slugs or None,
        )
    )
    audit.record(
        session, by, "token.create", name, partner=partner, role=chosen, petitions=slugs or None
    )
    session.commit()
    return token


def revoke(session: Session, name: str, *, by: Rights, now: datetime | None = None) -> None:
    """Revoke a token at once, log it, and commit."""
    found = find(session, name)
    if found is None:
        raise TokenNotFound(f"no token called {name!r}")
    if found.revoked_at is None:
        found.revoked_at = now or utcnow()
    audit.record(session, by, "token.revoke", name)
    session.commit()


def find(session: Session, name: str) -> OrganiserToken | None:
    return session.scalar(select(OrganiserToken).where(OrganiserToken.name == name))


def refused(session: Session, rights: Rights, action: str, target: str | None, route: str) -> None:
    """Log, and commit, that `rights` asked for `action` and were refused: owners see who tried."""
    audit.record(
        session, rights, "refused", target, asked=action, needs=ACTIONS[action], route=route
    )
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
    return rights_of(found)


def rights_of(token: OrganiserToken) -> Rights:
    limited = frozenset(token.petitions) if token.petitions is not None else None
    return Rights(name=token.name, partner=token.partner, role=Role(token.role), petitions=limited)


def describe(token: OrganiserToken) -> dict[str, Any]:
    """Return a token as owners see it listed: never its hash."""
    when = {"created_at": token.created_at, "last_used_at": token.last_used_at}
    return {
        "name": token.name,
        "role": token.role,
        "petitions": token.petitions,
        "partner": token.partner,
        **{key: at.isoformat() if at else None for key, at in when.items()},
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
