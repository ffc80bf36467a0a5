"""Handing messages over: to an SMTP server, or to the console in development."""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from typing import Protocol, Self

from undersign.config import Settings


class Transport(Protocol):
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, message: EmailMessage) -> None: ...


class PermanentFailure(Exception):
    """The server refused this message for good (a 5xx): trying again will not help."""


class SMTPTransport:
    """One SMTP connection, opened on entry and reused for a whole batch."""

    def __init__(self, settings: Settings, timeout: float = 30) -> None:
        self.settings = settings
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        s = self.settings
        assert s.smtp_host
        if s.smtp_security == "tls":
            self.connection = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            self.connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
            if s.smtp_security == "starttls":
                self.connection.starttls(context=ssl.create_default_context())
        if s.smtp_username:
            self.connection.login(s.smtp_username, s.smtp_password or "")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()

    def send(self, message: EmailMessage) -> None:
        assert self.connection is not None
        try:
            self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused ({codes[0]})") from None
            raise
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500:
                # A 5xx for this message; the connection itself is still good.
                raise PermanentFailure(f"refused ({error.smtp_code})") from None
            raise


class ConsoleTransport:
    """Print each message, for development without a mail server."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(preferencelist=("plain",))
        body = text.get_content() if text is not None else ""
        print(
            f"\n----- email to {message['To']} -----\nSubject: {message['Subject']}\n\n{body}"
            "----- end of email -----",
            file=sys.stdout,
            flush=True,
        )


def transport_for(settings: Settings) -> Transport:
    return SMTPTransport(settings) if settings.smtp_host else ConsoleTransport()
