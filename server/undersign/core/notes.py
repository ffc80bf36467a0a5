"""Signed notes, checkpoints and cosignatures: the C2SP text formats of a transparency log.

- Signed notes, https://c2sp.org/signed-note (v1.0.0): "Format", "Signatures", "Verifier keys";
  Ed25519 signatures (type 0x01). Keys are written as golang.org/x/mod/sumdb/note writes them:
  the verifier key ``<name>+<hex key id>+<base64(type || public key)>`` and the signer key
  ``PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>``.
- Checkpoints, https://c2sp.org/tlog-checkpoint (v1.0.0), "Note text": origin, decimal tree
  size, base64 root hash, then extension lines (Undersign adds ``count <N>``).
- Cosignatures, https://c2sp.org/tlog-cosignature, "Format" and "Ed25519 signed message":
  type 0x04; the signature is ``u64 big-endian timestamp || Ed25519 signature`` over
  ``cosignature/v1\\ntime <seconds>\\n`` followed by the checkpoint's note text.

A witness's key is a signer key of type 0x04, so the one key file says what it is for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.signing

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
# Go's sumdb/note refuses more; the spec asks every verifier to accept at least 16.
MAX_SIGNATURES = 100
_SIG_PREFIX = "— "  # em dash, space


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or does not verify."""


class UnverifiedNoteError(NoteError):
    """No signature of a known key is on the note; ``note`` holds what was read."""

    def __init__(self, note: Note) -> None:
        super().__init__("note has no verifiable signatures")
        self.note = note


class InvalidSignatureError(NoteError):
    """A known key's signature on the note does not verify."""

    def __init__(self, name: str, key_id: bytes) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id.hex()}")
        self.name = name
        self.key_id = key_id


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """Return the 4-byte key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise NoteError("malformed base64") from e


def _parse_key(parts: Sequence[str], what: str) -> tuple[str, bytes, int, bytes]:
    name, hex_id, key64 = parts
    if not _valid_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise NoteError(f"malformed {what}")
    raw = _b64decode(key64)
    if len(raw) != 33:
        raise NoteError(f"malformed {what}")
    if raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError(f"unknown {what} algorithm")
    return name, bytes.fromhex(hex_id), raw[0], raw[1:]


def _cosigned_message(text: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp + text


class Verifier:
    """A verifier key (vkey): Ed25519 (type 0x01) or an Ed25519 cosigner (type 0x04)."""

    def __init__(self, vkey: str) -> None:
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError("malformed verifier key")
        self.name, self.key_id, self.alg, self.public_key = _parse_key(parts, "verifier key")
        if key_id(self.name, self.alg, self.public_key) != self.key_id:
            raise NoteError("verifier key ID does not match its key")
        self._key = nacl.signing.VerifyKey(self.public_key)

    @property
    def vkey(self) -> str:
        raw = base64.b64encode(bytes([self.alg]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Check a signature (the bytes after the key ID) over a note's text."""
        if self.alg == COSIGNATURE_V1:
            if len(signature) != 72:
                return False
            (timestamp,) = struct.unpack(">Q", signature[:8])
            if timestamp >= 1 << 63:
                return False
            text, signature = _cosigned_message(text, timestamp), signature[8:]
        try:
            self._key.verify(text, signature)
        except (nacl.exceptions.BadSignatureError, ValueError):
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verifier) and other.vkey == self.vkey

    def __hash__(self) -> int:
        return hash(self.vkey)

    def __repr__(self) -> str:
        return f"Verifier({self.vkey!r})"


class Signer:
    """A signer key (skey) as golang.org/x/mod/sumdb/note writes it."""

    def __init__(self, skey: str) -> None:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("malformed signer key")
        self.name, self.key_id, self.alg, seed = _parse_key(parts[2:], "signer key")
        self._key = nacl.signing.SigningKey(seed)
        self.public_key = bytes(self._key.verify_key)
        if key_id(self.name, self.alg, self.public_key) != self.key_id:
            raise NoteError("signer key ID does not match its key")

    @property
    def vkey(self) -> str:
        raw = base64.b64encode(bytes([self.alg]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.vkey)

    def _sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature

    def __repr__(self) -> str:  # never the seed
        return f"Signer(vkey={self.vkey!r})"


def generate(name: str, *, cosigner: bool = False) -> tuple[str, str]:
    """Make a new key pair; return (skey, vkey). ``cosigner`` makes a witness key (0x04)."""
    if not _valid_name(name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")
    alg = COSIGNATURE_V1 if cosigner else ED25519
    key = nacl.signing.SigningKey.generate()
    public = bytes(key.verify_key)
    kid = key_id(name, alg, public).hex()
    seed = base64.b64encode(bytes([alg]) + bytes(key)).decode()
    vkey = base64.b64encode(bytes([alg]) + public).decode()
    return f"PRIVATE+KEY+{name}+{kid}+{seed}", f"{name}+{kid}+{vkey}"


@dataclass(frozen=True)
class Signature:
    """One signature line of a note; ``timestamp`` is set for a verified cosignature."""

    name: str
    key_id: bytes
    base64: str
    timestamp: int | None = None

    @property
    def line(self) -> str:
        return f"{_SIG_PREFIX}{self.name} {self.base64}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text, the signatures that verified, and those of unknown keys."""

    text: str
    verified_by: list[Signature] = field(default_factory=list)
    unverified: list[Signature] = field(default_factory=list)


def _check_text(text: str) -> None:
    if not text.endswith("\n") or any(c < " " and c != "\n" for c in text):
        raise NoteError("malformed note")


def sign(text: str, signers: Iterable[Signer]) -> str:
    """Sign a note's text (ending in a newline) with each Ed25519 signer."""
    _check_text(text)
    lines = []
    for s in signers:
        if s.alg != ED25519:
            raise NoteError("a cosigner key signs checkpoints with cosign()")
        raw = base64.b64encode(s.key_id + s._sign(text.encode())).decode()
        lines.append(f"{_SIG_PREFIX}{s.name} {raw}\n")
    if not lines:
        raise NoteError("a note needs at least one signature")
    return text + "\n" + "".join(lines)


def _split(note: str) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and signature lines, checking the syntax."""
    if any(c < " " and c != "\n" for c in note):
        raise NoteError("malformed note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note")
    sigs = []
    for line in block[:-1].split("\n"):
        if not line.startswith(_SIG_PREFIX):
            raise NoteError("malformed note")
        name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not _valid_name(name) or not b64:
            raise NoteError("malformed note")
        try:
            raw = _b64decode(b64)
        except NoteError:
            raise NoteError("malformed note") from None
        if len(raw) < 5:
            raise NoteError("malformed note")
        sigs.append(Signature(name, raw[:4], b64))
        if len(sigs) > MAX_SIGNATURES:
            raise NoteError("malformed note")
    return text, sigs


def open(note: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Read a signed note and verify the signatures of known keys.

    Signatures of unknown keys are kept in ``unverified`` and not checked (the spec's rule:
    they may be witnesses the reader does not know). A known key whose signature fails
    refuses the whole note; so does a note with no verified signature.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed note") from None
    text, sigs = _split(note)
    known: dict[tuple[str, bytes], Verifier | None] = {}
    for v in verifiers:
        k = (v.name, v.key_id)
        known[k] = None if k in known and known[k] != v else v  # None: ambiguous
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set[tuple[str, bytes]] = set()
    for sig in sigs:
        k = (sig.name, sig.key_id)
        if k not in known:
            if sig not in unverified:
                unverified.append(sig)
            continue
        verifier = known[k]
        if verifier is None:
            raise NoteError(f"ambiguous key {sig.name}+{sig.key_id.hex()}")
        if k in seen:
            continue
        seen.add(k)
        raw = base64.b64decode(sig.base64)[4:]
        if not verifier.verify(text.encode(), raw):
            raise InvalidSignatureError(sig.name, sig.key_id)
        stamp = struct.unpack(">Q", raw[:8])[0] if verifier.alg == COSIGNATURE_V1 else None
        verified.append(Signature(sig.name, sig.key_id, sig.base64, stamp))
    opened = Note(text, verified, unverified)
    if not verified:
        raise UnverifiedNoteError(opened)
    return opened


def add_signatures(note: str, lines: Iterable[str]) -> str:
    """Append signature lines (e.g. cosignatures) to a signed note, each line once."""
    _split(note)
    have = set(note.split("\n\n")[-1].splitlines(keepends=True))
    out = note
    for line in lines:
        line = line if line.endswith("\n") else line + "\n"
        _split("x\n\n" + line)  # one well-formed signature line
        if line not in have:
            have.add(line)
            out += line
    return out


def cosign(checkpoint_body: str, signer: Signer, timestamp: int) -> str:
    """Cosign a checkpoint's note text at ``timestamp`` (Unix seconds); return the line."""
    _check_text(checkpoint_body)
    if signer.alg != COSIGNATURE_V1:
        raise NoteError("a cosignature needs a cosigner key (type 0x04)")
    if not 0 <= timestamp < 1 << 63:
        raise NoteError("timestamp out of range")
    message = _cosigned_message(checkpoint_body.encode(), timestamp)
    stamped = struct.pack(">Q", timestamp) + signer._sign(message)
    return f"{_SIG_PREFIX}{signer.name} {base64.b64encode(signer.key_id + stamped).decode()}\n"


def verify_cosignature(checkpoint_body: str, line: str, verifier: Verifier) -> int:
    """Check one cosignature line by ``verifier`` over a checkpoint; return its timestamp."""
    if verifier.alg != COSIGNATURE_V1:
        raise NoteError("not a cosigner key")
    _check_text(checkpoint_body)
    _, (sig, *rest) = _split("x\n\n" + (line if line.endswith("\n") else line + "\n"))
    if rest or (sig.name, sig.key_id) != (verifier.name, verifier.key_id):
        raise NoteError("the cosignature is not by this key")
    raw = base64.b64decode(sig.base64)[4:]
    if not verifier.verify(checkpoint_body.encode(), raw):
        raise InvalidSignatureError(sig.name, sig.key_id)
    return int(struct.unpack(">Q", raw[:8])[0])


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint note text: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """Return the note text, each line ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        text = "\n".join([*lines, *self.extensions]) + "\n"
        Checkpoint.parse(text)  # never write what we would refuse to read
        return text

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint's note text (not the signatures; see ``open``)."""
        if not text.endswith("\n"):
            raise NoteError("malformed checkpoint: no final newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("malformed checkpoint: fewer than three lines")
        origin, size, root64, *extensions = lines
        if any(c < " " and c != "\n" for c in text):
            raise NoteError("malformed checkpoint: a control character")
        if not origin:
            raise NoteError("malformed checkpoint: empty origin")
        if not re.fullmatch(r"0|[1-9][0-9]*", size):
            raise NoteError("malformed checkpoint: tree size")
        try:
            root = _b64decode(root64)
        except NoteError:
            raise NoteError("malformed checkpoint: root hash") from None
        if len(root) != 32:
            raise NoteError("malformed checkpoint: root hash")
        if any(not line for line in extensions):
            raise NoteError("malformed checkpoint: empty extension line")
        return cls(origin, int(size), root, tuple(extensions))

    @property
    def count(self) -> int | None:
        """The ``count <N>`` extension line's N, if there is one."""
        for line in self.extensions:
            key, _, value = line.partition(" ")
            if key == "count" and re.fullmatch(r"0|[1-9][0-9]*", value):
                return int(value)
        return None
