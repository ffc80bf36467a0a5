"""The one seam personal data passes through on its way to and from the database.

Every column that holds what a signer told us about themselves (name, address,
postcode, city, comment) is declared as ``PersonalText``. Encrypting those
columns at rest means changing this module alone: the queries, exports and
views above it never see anything but plain text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

PERSONAL_FIELDS = ("name", "email", "postcode", "city", "comment")


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
