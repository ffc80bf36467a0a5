"""Handing messages over: to an SMTP server, or to the console in development.

A transport says what went wrong in one of three ways, because each asks the
mailer for something different: `PermanentFailure` (this message, never),
`TemporaryFailure` (this message, later) and `ServerUnavailable` (the server
or the connection to it: every message still waiting, later).
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from dataclasses import dataclass
from typing import NoReturn, Protocol, Self

from email_validator import EmailNotValidError, validate_email

from undersign.core.config import Settings
from undersign.mail.mime import Email

# "Service not available, closing transmission channel": whatever command it
# answers, the server is going away, not refusing one message.
CLOSING = 421


class Transport(Protocol):
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, message: Email) -> None:
        """Hand `message` to the server."""


class PermanentFailure(Exception):
    """This message cannot be delivered, and trying again will not help (a 5xx, an address
    the server cannot take, a message that cannot be built)."""


class TemporaryFailure(Exception):
    """The server put off this message alone (a 4xx for it): try it again later."""


class ServerUnavailable(Exception):
    """The server is unreachable, broke off, timed out or is closing: nothing more goes now."""


@dataclass(frozen=True)
class Envelope:
    """Whom SMTP hands a message to, as the server must see it."""

    recipient: str
    needs_smtputf8: bool


def envelope_of(address: str) -> Envelope:
    """Return a recipient in the form SMTP can carry.

    A domain in another script goes as its ASCII (punycode) form, which every
    server takes; only a local part in another script needs SMTPUTF8.
    """
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise PermanentFailure("the address cannot be delivered to") from None
    if checked.ascii_email is not None:
        return Envelope(checked.ascii_email, needs_smtputf8=False)
    return Envelope(checked.normalized, needs_smtputf8=True)


class SMTPTransport:
    """One SMTP connection, opened on entry and reused for a whole batch."""

    def __init__(self, settings: Settings, timeout: float = 30) -> None:
        self.settings = settings
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        s = self.settings
        assert s.smtp_host
        try:
            if s.smtp_security == "tls":
                context = ssl.create_default_context()
                self.connection = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=self.timeout, context=context
                )
            else:
                self.connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
                if s.smtp_security == "starttls":
                    self.connection.starttls(context=ssl.create_default_context())
            self.connection.ehlo_or_helo_if_needed()  # what it offers (SMTPUTF8) is known now
            if s.smtp_username:
                self.connection.login(s.smtp_username, s.smtp_password or "")
        except (smtplib.SMTPException, OSError) as error:
            self.__exit__()
            raise ServerUnavailable(_reason(error)) from error
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()

    def send(self, message: Email) -> None:
        assert self.connection is not None
        envelope = envelope_of(message.to)
        # SMTPUTF8 exactly when an address is not ASCII, as smtplib's send_message asks for it.
        international = envelope.needs_smtputf8 or not message.sender.address.isascii()
        if international and not self.connection.has_extn("smtputf8"):
            if envelope.needs_smtputf8:
                raise PermanentFailure("the mail server takes no international address (SMTPUTF8)")
            # The sender is the same for every message: a setting to fix, not this message.
            raise ServerUnavailable("the sender's address needs SMTPUTF8")
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        try:
            # The envelope's form in the header too: a Unicode domain in it would be mangled.
            data = message.as_bytes(to=envelope.recipient)
        except ValueError as error:  # it cannot be written out (UnicodeError among them)
            reason = f"the message cannot be encoded ({type(error).__name__})"
            raise PermanentFailure(reason) from None
        try:
            self.connection.sendmail(message.sender.address, [envelope.recipient], data, options)
        except smtplib.SMTPRecipientsRefused as refused:
            _refused(max(code for code, _ in refused.recipients.values()), "recipient refused")
        except smtplib.SMTPSenderRefused as refused:
            # The sender is the same for every message: the server's problem, not this one's.
            raise ServerUnavailable(f"sender refused ({refused.smtp_code})") from None
        except smtplib.SMTPDataError as error:
            _refused(error.smtp_code, "message refused")
        except (smtplib.SMTPException, OSError) as error:
            raise ServerUnavailable(_reason(error)) from error


def _refused(code: int, what: str) -> NoReturn:
    """Raise what a refusal of one message means for it: never, later, or the server is going."""
    # Only the code is kept: the server's text may quote the address.
    if code == CLOSING:
        raise ServerUnavailable(f"server closing ({code})")
    if code >= 500:
        raise PermanentFailure(f"{what} ({code})")
    raise TemporaryFailure(f"{what} ({code})")


def _reason(error: Exception) -> str:
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} ({code})" if code else type(error).__name__


class ConsoleTransport:
    """Print each message, for development without a mail server."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: Email) -> None:
        print(
            f"\n----- email to {message.to} -----\nSubject: {message.subject}\n\n{message.text}"
            "----- end of email -----",
            file=sys.stdout,
            flush=True,
        )


def transport_for(settings: Settings) -> Transport:
    return SMTPTransport(settings) if settings.smtp_host else ConsoleTransport()
