"""Where the confirmation page sends a signer on: a page organisers or a partner chose.

Only an address stored here is ever linked to, never one a request carries, so
the confirmation page cannot be made to send anyone elsewhere (no open redirect).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from undersign.core.models import Partner, Signature

MOST = 500


class InvalidThanksURL(ValueError):
    pass


def check(url: str | None) -> str | None:
    """Return an https address fit to send signers to; None (or "") clears it."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if (
        len(url) > MOST
        or parts.scheme != "https"
        or not parts.hostname
        or parts.username is not None
        or any(c.isspace() or ord(c) < 32 for c in url)
    ):
        raise InvalidThanksURL(
            f"thanks_url must be an https:// address of at most {MOST} characters"
        )
    return url


def destination(session: Session, signature: Signature) -> str | None:
    """Return where a signer goes after confirming: their partner's page, else the petition's."""
    if signature.source:
        chosen = session.scalar(select(Partner.thanks_url).where(Partner.code == signature.source))
        if chosen:
            return chosen
    return signature.petition.thanks_url
