"""Sealed petitions: signers' data encrypted to the organisers' public key.

The server holds only the public key, so it can seal but never open: a
database (or a backup, or an export) taken from it reveals nothing a signer
typed, beyond the addresses of signatures still waiting for confirmation
(privacy.settle). Opening happens offline, with the private key file
(`undersign decrypt`).

A sealed value is text: ``sealed:`` and the base64 of a libsodium sealed box
(Curve25519, XSalsa20-Poly1305), 48 bytes longer than the UTF-8 it holds.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl import pwhash, secret
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

PREFIX = "sealed:"
KEY_FORMAT = "undersign-seal-key"
# Deriving the key that protects a key file: libsodium's "moderate" argon2id
# (3 passes over 256 MiB, about a second), since the file guards every signer.
OPSLIMIT = pwhash.argon2id.OPSLIMIT_MODERATE
MEMLIMIT = pwhash.argon2id.MEMLIMIT_MODERATE


class BadKey(ValueError):
    """A public key or key file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Generated:
    private: PrivateKey
    text: str  # the key file's contents

    @property
    def public(self) -> str:
        return public_text(self.private.public_key)


def public_text(key: PublicKey) -> str:
    return base64.b64encode(bytes(key)).decode("ascii")


def check_public(text: str) -> str:
    """Return `text` if it is a 32-byte public key in base64; raise BadKey otherwise."""
    if not isinstance(text, str):
        raise BadKey("the seal key must be a base64 text")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadKey(
            "the seal key must be base64 (as `undersign keys generate` prints it)"
        ) from None
    if len(raw) != PublicKey.SIZE:
        raise BadKey(f"the seal key must be {PublicKey.SIZE} bytes, not {len(raw)}")
    return base64.b64encode(raw).decode("ascii")


def generate(passphrase: str | None = None) -> Generated:
    """Make a new private key and its file's text, protected by `passphrase` if given."""
    private = PrivateKey.generate()
    document: dict[str, Any] = {
        "format": KEY_FORMAT,
        "version": 1,
        "public_key": public_text(private.public_key),
    }
    if passphrase is None:
        document["private_key"] = _b64(bytes(private))
    else:
        salt = os.urandom(pwhash.argon2id.SALTBYTES)
        box = secret.SecretBox(_derive(passphrase, salt, OPSLIMIT, MEMLIMIT))
        document["passphrase"] = {
            "kdf": "argon2id",
            "salt": _b64(salt),
            "opslimit": OPSLIMIT,
            "memlimit": MEMLIMIT,
        }
        document["private_key_box"] = _b64(bytes(box.encrypt(bytes(private))))
    return Generated(private, json.dumps(document, indent=2) + "\n")


def write_key_file(path: Path, text: str) -> None:
    """Write a key file readable by its owner alone; refuse to overwrite one."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)


def load(text: str, passphrase: Callable[[], str] | None = None) -> PrivateKey:
    """Read a key file's private key, asking `passphrase()` for one if the file has one."""
    document = _document(text)
    try:
        if "passphrase" not in document:
            return PrivateKey(_unb64(document["private_key"]))
        if passphrase is None:
            raise BadKey("this key file needs its passphrase")
        kdf = document["passphrase"]
        key = _derive(passphrase(), _unb64(kdf["salt"]), int(kdf["opslimit"]), int(kdf["memlimit"]))
        try:
            raw = secret.SecretBox(key).decrypt(_unb64(document["private_key_box"]))
        except CryptoError:
            raise BadKey("wrong passphrase for this key file") from None
        return PrivateKey(raw)
    except BadKey:
        raise
    except (KeyError, TypeError, ValueError):  # binascii.Error is a ValueError
        raise BadKey("this is not an undersign key file") from None


def seal_value(public_key: str, value: str | None) -> str | None:
    """Encrypt `value` to `public_key` (base64); None and "" stay as they are."""
    if not value:
        return value
    box = SealedBox(PublicKey(base64.b64decode(public_key)))
    return PREFIX + _b64(box.encrypt(value.encode("utf-8")))


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def open_value(keys: Sequence[PrivateKey], value: str | None) -> str | None:
    """Decrypt a sealed value with whichever of `keys` it was sealed to; plain text passes."""
    if not is_sealed(value):
        return value
    assert value is not None
    try:
        sealed = base64.b64decode(value[len(PREFIX) :], validate=True)
    except ValueError:
        raise BadKey("a sealed value is damaged (not base64)") from None
    for key in keys:
        try:
            return SealedBox(key).decrypt(sealed).decode("utf-8")
        except CryptoError:
            continue  # sealed to another key (rotation): try the next
    raise BadKey("a value is sealed to none of the keys given")


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return pwhash.argon2id.kdf(
        secret.SecretBox.KEY_SIZE,
        passphrase.encode("utf-8"),
        salt,
        opslimit=opslimit,
        memlimit=memlimit,
    )


def _document(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("format") != KEY_FORMAT:
        raise BadKey("this is not an undersign key file")
    return document


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError(text)
    return base64.b64decode(text, validate=True)
