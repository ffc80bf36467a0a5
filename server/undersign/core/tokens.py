"""Signed, expiring tokens for the links in emails, and the plain form's: one salt per purpose.

The signature's id inside a token is encrypted: whoever sees a link (a shared
screenshot, a forwarded email) learns nothing from it, not even roughly how many
had signed before.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

from itsdangerous import (
    BadData,
    BadSignature,
    Serializer,
    SignatureExpired,
    Signer,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_encode
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox


@dataclass(frozen=True)
class Purpose:
    """A link's kind and how long it works.

    `until_erased`: as long as its signature's personal data is kept (Petition.erases_at),
    however long that is. The token alone cannot tell (it is read before the row is known),
    so it carries no age limit (`max_age` is timedelta.max); its reader checks the date
    once it has the row (signing.signature_for_link) and raises ExpiredToken then.
    """

    salt: str
    max_age: timedelta
    until_erased: bool = False


VERIFY = Purpose("undersign.verify", timedelta(days=14))
# Until the petition's retention erases the signer's data (Petition.erases_at): as long as
# there is anything to withdraw. An open petition's link has no end.
WITHDRAW = Purpose("undersign.withdraw", timedelta.max, until_erased=True)
# The no-JavaScript sign form's token, issued with the page that holds the form. A day:
# long enough for a page opened in the evening and signed the next morning (the page is
# kept by no shared cache, so its age is the reader's own), short enough that a token
# copied out of the page does not serve a forged form for long.
FORM = Purpose("undersign.form", timedelta(hours=24))


@dataclass(frozen=True)
class Link:
    """What a genuine token says: whose signature, and when the link was made."""

    signature_id: int
    issued_at: datetime

    def names(self, created_at: datetime) -> bool:
        """Tell whether this link can name a signature created at `created_at`.

        A link is made after its signature. A row created later holds someone
        else: on SQLite a purged row's id is given to the next signer, and an
        old withdraw link (valid while the data lasts) must not reach them. The token's
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
    return _serializer_for(tuple(keys), purpose)


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous's URL-safe serializer, minus the work that never changes a token of ours.

    Its tokens are the same, byte for byte, and it reads any it made (compressed ones too).
    The mailer makes two tokens for every verification email, and these were about half
    of building one (bench/README.md, "Sign to inbox").
    """

    def dump_payload(self, obj: Any) -> bytes:
        # An encrypted id is random: zlib makes it 8 bytes longer, never shorter (checked
        # on 200,000), so itsdangerous would throw the compressed copy away after making it.
        if self.salt == FORM.salt.encode():  # a slug, which might: as itsdangerous does
            return super().dump_payload(obj)
        return base64_encode(Serializer.dump_payload(self, obj))

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        # A signer holds only its keys and salt: one a salt, not one a token.
        if salt is None:
            salt = self.salt
        found = self._signers.get(salt)
        if found is None:
            found = self._signers[salt] = super().make_signer(salt)
        return found

    @cached_property
    def _signers(self) -> dict[str | bytes | None, Signer]:
        return {}


@lru_cache(maxsize=64)
def _serializer_for(keys: tuple[str, ...], purpose: Purpose) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any: key rotation. Made once a
    # key set and purpose, not once a token.
    return _Serializer(list(keys), salt=purpose.salt)


def make(keys: list[str], purpose: Purpose, signature_id: int) -> str:
    return _serializer(keys, purpose).dumps(_seal(keys[-1], purpose, signature_id))


@lru_cache(maxsize=64)
def _box(key: str, purpose: Purpose) -> SecretBox:
    # One key for each secret key and purpose, derived; never the signing key itself.
    derived = hashlib.blake2b(key.encode(), digest_size=32, person=b"undersign-link", salt=b"")
    derived.update(purpose.salt.encode())
    return SecretBox(derived.digest())


def _seal(key: str, purpose: Purpose, signature_id: int) -> str:
    sealed = _box(key, purpose).encrypt(signature_id.to_bytes(8, "big"))
    return base64.urlsafe_b64encode(bytes(sealed)).decode().rstrip("=")


def _opened(keys: list[str], purpose: Purpose, payload: Any) -> int | None:
    """Return the id a payload holds; None if it holds none we made.

    A bare number is a link sent before ids were encrypted: still honoured.
    """
    if isinstance(payload, int) and not isinstance(payload, bool):
        return payload
    if not isinstance(payload, str) or len(payload) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except ValueError:
        return None
    for key in reversed(keys):  # the newest key first; older ones for links made before
        try:
            return int.from_bytes(_box(key, purpose).decrypt(raw), "big")
        except (CryptoError, ValueError):
            continue
    return None


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
        signature_id = _opened(keys, purpose, payload)
        if signature_id is not None and expired.date_signed is not None:
            raise ExpiredToken(Link(signature_id, expired.date_signed)) from None
        raise InvalidToken from None
    except BadSignature:
        raise InvalidToken from None
    signature_id = _opened(keys, purpose, value)
    if signature_id is None:
        raise InvalidToken
    return Link(signature_id, issued_at)


def make_form(keys: list[str], slug: str) -> str:
    """Return a token for the sign form on one petition's page (its slug is public anyway)."""
    return _serializer(keys, FORM).dumps(slug)


def check_form(keys: list[str], slug: str, token: str) -> None:
    """Raise InvalidToken unless `token` is a live form token for this petition.

    An expired one is as invalid as a forged one: either way the signer reloads the page.
    """
    try:
        value = _serializer(keys, FORM).loads(token, max_age=int(FORM.max_age.total_seconds()))
    except BadData:  # forged, expired (SignatureExpired is one) or unreadable
        raise InvalidToken from None
    if value != slug:
        raise InvalidToken
