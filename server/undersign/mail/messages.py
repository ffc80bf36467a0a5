"""The emails themselves: rendered in the signer's language when the mailer sends them."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import render_template

from undersign import i18n, tokens
from undersign.config import Settings
from undersign.models import Signature


def verification(signature: Signature, settings: Settings) -> EmailMessage:
    """Build the email that asks a signer to confirm, with a way to withdraw."""
    keys = settings.signing_keys
    context: dict[str, Any] = {
        "t": i18n.messages(signature.locale),
        "locale": signature.locale,
        "name": signature.name,
        "petition": signature.petition.text(signature.locale),
        "verify_url": _link(settings, "verify", tokens.make(keys, tokens.VERIFY, signature.id)),
        "withdraw_url": _link(
            settings, "withdraw", tokens.make(keys, tokens.WITHDRAW, signature.id)
        ),
        "days": tokens.VERIFY.max_age.days,
    }
    message = EmailMessage()
    message["Subject"] = context["t"]["mail"]["verify_subject"].format(
        title=context["petition"]["title"]
    )
    message["From"] = settings.mail_from
    message["To"] = signature.email
    message["Message-ID"] = make_msgid(domain="undersign")
    message.set_content(render_template("mail/verify.txt", **context))
    message.add_alternative(render_template("mail/verify.html", **context), subtype="html")
    return message


def _link(settings: Settings, page: str, token: str) -> str:
    return f"{settings.base_url}/{page}/{token}"
