"""Signed, expiring tokens for the links in emails: one salt per purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


@dataclass(frozen=True)
class Purpose:
    salt: str
    max_age: timedelta


VERIFY = Purpose("undersign.verify", timedelta(days=14))
WITHDRAW = Purpose("undersign.withdraw", timedelta(days=365))


class InvalidToken(Exception):
    """The token was not made by us for this purpose."""


class ExpiredToken(Exception):
    """The token is genuine but too old; `signature_id` says whose it was."""

    def __init__(self, signature_id: int) -> None:
        super().__init__(signature_id)
        self.signature_id = signature_id


def _serializer(keys: list[str], purpose: Purpose) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any: key rotation.
    return URLSafeTimedSerializer(keys, salt=purpose.salt)


def make(keys: list[str], purpose: Purpose, signature_id: int) -> str:
    return _serializer(keys, purpose).dumps(signature_id)


def read(keys: list[str], purpose: Purpose, token: str) -> int:
    """Return the signature id a token carries, or raise InvalidToken / ExpiredToken."""
    serializer = _serializer(keys, purpose)
    try:
        value = serializer.loads(token, max_age=int(purpose.max_age.total_seconds()))
    except SignatureExpired as expired:
        # The signature checked out, only the age did not: say whose it was, so a
        # link reused after success can still show that success.
        payload = serializer.load_payload(expired.payload) if expired.payload else None
        if isinstance(payload, int):
            raise ExpiredToken(payload) from None
        raise InvalidToken from None
    except BadSignature:
        raise InvalidToken from None
    if not isinstance(value, int):
        raise InvalidToken
    return value
