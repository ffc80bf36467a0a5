"""Signed, expiring tokens for the links in emails: one salt per purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


@dataclass(frozen=True)
class Purpose:
    salt: str
    max_age: timedelta


VERIFY = Purpose("undersign.verify", timedelta(days=14))
WITHDRAW = Purpose("undersign.withdraw", timedelta(days=365))


@dataclass(frozen=True)
class Link:
    """What a genuine token says: whose signature, and when the link was made."""

    signature_id: int
    issued_at: datetime

    def names(self, created_at: datetime) -> bool:
        """Tell whether this link can name a signature created at `created_at`.

        A link is made after its signature. A row created later holds someone
        else: on SQLite a purged row's id is given to the next signer, and an
        old withdraw link (valid for a year) must not reach them. The token's
        time is whole seconds, hence the second of grace.
        """
        return created_at <= self.issued_at + timedelta(seconds=1)


class InvalidToken(Exception):
    """The token was not made by us for this purpose."""


class ExpiredToken(Exception):
    """The token is genuine but too old; `link` says whose it was."""

    def __init__(self, link: Link) -> None:
        super().__init__(link.signature_id)
        self.link = link


def _serializer(keys: list[str], purpose: Purpose) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any: key rotation.
    return URLSafeTimedSerializer(keys, salt=purpose.salt)


def make(keys: list[str], purpose: Purpose, signature_id: int) -> str:
    return _serializer(keys, purpose).dumps(signature_id)


def read(keys: list[str], purpose: Purpose, token: str) -> Link:
    """Return what a token says, or raise InvalidToken / ExpiredToken."""
    serializer = _serializer(keys, purpose)
    try:
        value, issued_at = serializer.loads(
            token, max_age=int(purpose.max_age.total_seconds()), return_timestamp=True
        )
    except SignatureExpired as expired:
        # The signature checked out, only the age did not: say whose it was, so a
        # link reused after success can still show that success.
        payload = serializer.load_payload(expired.payload) if expired.payload else None
        if isinstance(payload, int) and expired.date_signed is not None:
            raise ExpiredToken(Link(payload, expired.date_signed)) from None
        raise InvalidToken from None
    except BadSignature:
        raise InvalidToken from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidToken
    return Link(value, issued_at)
