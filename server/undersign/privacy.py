"""The one seam personal data passes through on its way to and from the database.

Every column that holds what a signer told us about themselves (name, address,
postcode, city, comment) is declared as ``PersonalText``. Encrypting those
columns at rest means changing this module alone: the queries, exports and
views above it never see anything but plain text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

PERSONAL_FIELDS = ("name", "email", "postcode", "city", "comment")


class PersonalText(TypeDecorator[str]):
    """Text a signer gave us; stored as is today, the place to encrypt tomorrow."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return value


def erase(record: Any) -> None:
    """Blank every personal field of a signature, keeping what counting needs."""
    for field in PERSONAL_FIELDS:
        setattr(record, field, None if field in {"postcode", "city", "comment"} else "")
