"""The one seam personal data passes through on its way to and from the database.

Every column that holds what a signer told us about themselves (name, address,
postcode, city, comment) is declared as ``PersonalText``. Encrypting those
columns at rest means changing this module alone: the queries, exports and
views above it never see anything but plain text.

A sealed petition (one with a `seal_key`) goes further: what a signer typed is
sealed to the organisers' public key before it is written (`sealed`), and the
address, which the mailer needs while the signature waits for confirmation, is
sealed as soon as no email needs it (`settle`). The server cannot open either:
queries and exports above this module see the sealed text (``sealed:…``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from undersign.core import sealing

PERSONAL_FIELDS = ("name", "email", "postcode", "city", "comment")
# Sealed when written; the email waits until the last email to it is due (see `settle`).
SEALED_AT_ONCE = ("name", "postcode", "city", "comment")


class PersonalText(TypeDecorator[str]):
    """Text a signer gave us; stored as is today, the place to encrypt tomorrow.

    To encrypt, define ``process_bind_param`` and ``process_result_value`` here.
    Until then neither exists, so SQLAlchemy adds no per-value call: an export of
    a million rows does not pay for a seam that does nothing yet.
    """

    impl = Text
    cache_ok = True


def erase(record: Any) -> None:
    """Blank every personal field of a signature, keeping what counting needs."""
    for field in PERSONAL_FIELDS:
        setattr(record, field, None if field in {"postcode", "city", "comment"} else "")
    record.shown = None


def sealed(values: dict[str, Any], seal_key: str | None) -> dict[str, Any]:
    """Return a new signature's values, on a sealed petition with all but the address sealed.

    A signer who asked to be on the public wall chose to publish their first name,
    city and message: that entry alone stays readable (`shown`), for the wall.
    """
    if seal_key is None:
        return values
    sealed: dict[str, Any] = {
        field: sealing.seal_value(seal_key, values[field]) for field in SEALED_AT_ONCE
    }
    if values.get("public"):
        sealed["shown"] = wall_entry(values["name"], values["city"], values["comment"])
    return values | sealed


def wall_entry(name: str, city: str | None, comment: str | None) -> dict[str, str | None]:
    """Return what the public wall shows of a signer: the first name, never the whole."""
    return {"first_name": first_name(name), "city": city, "comment": comment}


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else ""


def settle(record: Any, seal_key: str | None) -> None:
    """Seal a signature's address once no email has to reach it (verified: none will)."""
    if seal_key is not None and not sealing.is_sealed(record.email):
        record.email = sealing.seal_value(seal_key, record.email)
