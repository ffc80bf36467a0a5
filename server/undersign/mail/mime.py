"""An email's bytes as SMTP carries them, written out directly.

Every email the service sends has one shape: a few headers and the same words
twice, as text and as HTML (multipart/alternative). The standard library's
`EmailMessage` parses every header into objects and folds it again on the way
out, which was most of the mailer's time (bench/README.md, "The mailer"). Here
the shape is written out as it goes over the wire, with the standard library's
encoders for what needs encoding (RFC 2047 words for a header in another script,
quoted-printable or base64 for a body), choosing them as `EmailMessage` does.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from email.charset import Charset
from email.header import Header
from email.utils import format_datetime

CRLF = "\r\n"
# RFC 5322 asks lines to keep to 78 characters; a longer header is folded.
LINE = 78
# What quoted-printable writes as three characters (=XX): bytes outside ASCII, "=" and
# controls other than the line break and tab.
# What a display name must be quoted for (RFC 5322's specials).
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_ESCAPED = bytes([*range(0, 9), *range(11, 32), ord("="), *range(127, 256)])


@dataclass(frozen=True)
class Sender:
    """UNDERSIGN_MAIL_FROM: the From header as written, the address alone, and its domain."""

    header: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @classmethod
    def of(cls, name: str, address: str) -> Sender:
        """Write a display name as a header must carry it: quoted, or as RFC 2047 words."""
        if not name.isascii():
            name = Charset("utf-8").header_encode(name)
        elif _SPECIALS.search(name):
            name = '"' + re.sub(r'([\\"])', r"\\\1", name) + '"'
        return cls(f"{name} <{address}>", address)


@dataclass(frozen=True)
class Email:
    """One email, ready to be written out: whom it is for, what it says, and its headers.

    `headers` are any further ones (the unsubscribe headers of an update). A line
    break in any header value is refused when the email is made: it would start
    a header of its own (a Bcc, say).
    """

    sender: Sender
    to: str
    subject: str
    date: datetime
    message_id: str
    locale: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        values = (self.sender.header, self.to, self.subject, self.message_id, self.locale)
        if any("\r" in v or "\n" in v for v in (*values, *(v for _, v in self.headers))):
            raise ValueError("a header value may not contain a line break")

    def as_bytes(self, to: str | None = None) -> bytes:
        """Write the email out, with `to` in the To header instead of the address as typed.

        A `to` outside ASCII (a local part in another script) is written as UTF-8:
        only a server that takes SMTPUTF8 may be handed that.
        """
        boundary = _boundary()
        text, html = _part("plain", self.text), _part("html", self.html)
        while boundary in text or boundary in html:  # never in an encoded body; 7bit might
            boundary = _boundary()
        head = "".join(
            (
                f"From: {self.sender.header}{CRLF}",
                f"To: {to or self.to}{CRLF}",
                _header("Subject", self.subject),
                f"Date: {format_datetime(self.date)}{CRLF}",
                f"Message-ID: {self.message_id}{CRLF}",
                # RFC 3834: written by a program, so vacation responders and the like do not answer.
                f"Auto-Submitted: auto-generated{CRLF}",
                *(_header(name, value) for name, value in self.headers),
                f"MIME-Version: 1.0{CRLF}",
                f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}',
                f"Content-Language: {self.locale}{CRLF}",
            )
        )
        # The plainer part first, as RFC 2046 asks; the CRLF before a boundary belongs to it.
        parts = "".join(f"{CRLF}--{boundary}{CRLF}{part}" for part in (text, html))
        return f"{head}{parts}{CRLF}--{boundary}--{CRLF}".encode()


def _header(name: str, value: str) -> str:
    """Write one header, folded to LINE, as RFC 2047 words if it is not ASCII."""
    if not value.isascii():
        return f"{name}: {Header(value, 'utf-8', LINE, name).encode(linesep=CRLF)}{CRLF}"
    # Folded at spaces only: unfolding (taking out the CRLF) gives the value back.
    lines, line = [], f"{name}:"
    for word in value.split(" "):
        if len(line) + 1 + len(word) > LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    return CRLF.join([*lines, line]) + CRLF


def _part(subtype: str, content: str) -> str:
    """Write one text part, its headers and its body, in the encoding that suits it.

    As `EmailMessage.set_content` chooses: 7bit for short lines of ASCII, otherwise
    whichever of quoted-printable (mostly Latin text) and base64 (Cyrillic) is shorter.
    """
    data = b"\n".join(content.encode().splitlines()) + b"\n"
    if data.isascii() and max(map(len, data.split(b"\n"))) <= LINE:
        encoding, body = "7bit", data
    else:
        escaped = len(data) - len(data.translate(None, _ESCAPED))
        if len(data) + 2 * escaped <= len(data) * 4 // 3:
            encoding, body = "quoted-printable", binascii.b2a_qp(data, istext=True)
        else:
            encoding, body = "base64", base64.encodebytes(data)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}"
        + body.decode("ascii").replace("\n", CRLF)
    )


def _boundary() -> str:
    # The shape the standard library uses; random, so that no body holds it by chance.
    return f"{'=' * 15}{random.randrange(sys.maxsize):019d}=="
