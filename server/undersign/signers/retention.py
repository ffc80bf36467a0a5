"""Retention: delete personal data as soon as it has served its purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.orm import Session

from undersign.core import tokens
from undersign.core.models import Signature, SignatureStatus, utcnow
from undersign.signers.signing import SHARED_ADDRESS_WINDOW


def purge(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Delete unconfirmed signatures whose link has expired, forget old address hashes; commit."""
    now = now or utcnow()
    unconfirmed = session.execute(
        delete(Signature).where(
            Signature.status == SignatureStatus.PENDING,
            Signature.last_email_at < now - tokens.VERIFY.max_age,
        )
    )
    # The address hash only serves the shared-address rule, which looks back one window.
    forgotten = session.execute(
        update(Signature)
        .where(Signature.ip_key.is_not(None), Signature.created_at < now - SHARED_ADDRESS_WINDOW)
        .values(ip_key=None)
    )
    session.commit()
    return {
        "unconfirmed signatures deleted": cast(CursorResult[Any], unconfirmed).rowcount,
        "address hashes forgotten": cast(CursorResult[Any], forgotten).rowcount,
    }
