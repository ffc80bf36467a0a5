"""The emails themselves: rendered in the signer's language when the mailer sends them."""

from __future__ import annotations

import re
from dataclasses import replace
from email.utils import make_msgid, parseaddr
from functools import cache
from typing import Any

from flask import current_app
from jinja2 import Template
from markupsafe import Markup

from undersign.core import i18n, markup, sealing, tokens
from undersign.core.config import Settings
from undersign.core.models import Signature, utcnow
from undersign.mail.mime import Email, Sender
from undersign.organisers.mailings import Letter
from undersign.signers import notice

DEFAULT_SENDER_NAME = "Undersign"


def verification(signature: Signature, settings: Settings) -> Email:
    """Build the email that asks a signer to confirm, with a way to withdraw."""
    keys = settings.signing_keys
    base = _base_for(signature, settings)
    # The address is not yet known to be the typist's: nothing they chose goes to it (a name
    # field would carry 120 characters of anyone's text to anyone). The petition's words only.
    words = i18n.messages(signature.locale)
    context: dict[str, Any] = {
        "t": {**words, "mail": {**words["mail"], "greeting": _nameless(words["mail"]["greeting"])}},
        "locale": signature.locale,
        "petition": signature.petition.text(signature.locale),
        "verify_url": _link(base, "verify", tokens.make(keys, tokens.VERIFY, signature.id)),
        "withdraw_url": _link(base, "withdraw", tokens.make(keys, tokens.WITHDRAW, signature.id)),
        "days": tokens.VERIFY.max_age.days,
        "privacy_url": base + notice.path(signature.petition.slug, signature.locale),
        "organiser": signature.petition.organiser_name,  # who signs the email
    }
    context["expiry"] = i18n.plural(
        signature.locale, context["t"]["mail"]["verify_expiry"], context["days"], "days"
    )
    context["quoted_title"] = i18n.inner_quotes(signature.locale, context["petition"]["title"])
    subject = context["t"]["mail"]["verify_subject"].format(
        title=_calm(context["petition"]["title"])
    )
    return _message(settings, signature.email, signature.locale, subject, "mail/verify", context)


def already_signed(signature: Signature, settings: Settings) -> Email:
    """Build the email that tells a verified signer who signed again that they had, and counted.

    The form answers everyone alike (no enumeration), so this email is the
    only place the signer learns it: nobody waits for a link that will not come.
    """
    words = _words_for(signature)
    petition = signature.petition.text(signature.locale)
    token = tokens.make(settings.signing_keys, tokens.WITHDRAW, signature.id)
    base = _base_for(signature, settings)
    context: dict[str, Any] = {
        "t": words,
        "locale": signature.locale,
        "name": signature.name,
        "quoted_title": i18n.inner_quotes(signature.locale, petition["title"]),
        "withdraw_url": _link(base, "withdraw", token),
        "privacy_url": base + notice.path(signature.petition.slug, signature.locale),
        "organiser": signature.petition.organiser_name,  # who signs the email
    }
    subject = words["mail_already"]["subject"].format(title=_calm(petition["title"]))
    return _message(settings, signature.email, signature.locale, subject, "mail/already", context)


def _words_for(signature: Signature) -> dict[str, Any]:
    """Return the signer's locale words, greeting them by name unless it is sealed.

    On a sealed petition the server cannot read the name.
    """
    words = i18n.messages(signature.locale)
    if not sealing.is_sealed(signature.name):
        return words
    return {**words, "mail": {**words["mail"], "greeting": _nameless(words["mail"]["greeting"])}}


def update(letter: Letter, locale: str, settings: Settings) -> Email:
    """Build an organisers' update in one language, with the unsubscribe headers of RFC 8058."""
    mailing, petition = letter.mailing, letter.petition
    page_url = f"{settings.base_url}/p/{petition.slug}?lang={locale}"
    unsubscribe_url = _link(settings.base_url, "unsubscribe", letter.unsubscribe_token)
    body = mailing.bodies[locale]
    context: dict[str, Any] = {
        "t": i18n.messages(locale),
        "locale": locale,
        "title": i18n.inner_quotes(locale, petition.text(locale)["title"]),  # inside «…»
        "body_html": Markup(markup.render(body)),  # noqa: S704 - render() sanitises with nh3
        "body_text": markup.plain(body),
        "page_url": page_url,
        "unsubscribe_url": unsubscribe_url,
        "privacy_url": settings.base_url + notice.path(petition.slug, locale),
    }
    subject = _calm(mailing.subjects[locale])
    message = _message(settings, letter.to, locale, subject, "mail/update", context)
    # A mail client shows its own "Unsubscribe" button from these; the POST it
    # sends to the address (RFC 8058, no page, no login) is enough.
    links = [f"<{unsubscribe_url}>"]
    if settings.unsubscribe_mailto:
        links.append(f"<mailto:{settings.unsubscribe_mailto}?subject=unsubscribe>")
    domain = message.sender.domain
    headers = (
        ("List-Unsubscribe", ", ".join(links)),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("List-Id", f"<{petition.slug}.updates.{domain}>"),
    )
    return replace(message, headers=headers)


def _nameless(greeting: str) -> str:
    """Drop the name from a greeting ("Hello {name}," to "Hello,")."""
    return re.sub(r",? ?\{name\}", "", greeting)


def _message(
    settings: Settings, to: str, locale: str, subject: str, template: str, context: dict[str, Any]
) -> Email:
    """Render a template's text and HTML parts, with the headers receiving servers expect."""
    sender = _sender(settings.mail_from)
    # The two parts say the same words and carry the same links (see the templates).
    text = _template(f"{template}.txt").render(context)
    html = _template(f"{template}.html").render(context)
    return Email(
        sender=sender,
        to=to,
        subject=subject,
        # Rendered when the mailer sends it, so this is the time it left, as RFC 5322 asks.
        date=utcnow(),
        # On the sender's domain, the one SPF, DKIM and DMARC vouch for, rather than the
        # machine's hostname (make_msgid's default) or a bare word, which filters count against.
        message_id=make_msgid(domain=sender.domain),
        locale=locale,
        text=text,
        html=html,
    )


def _template(name: str) -> Template:
    # Jinja's own, without Flask's render_template: no request context to fill, no signals.
    return current_app.jinja_env.get_template(name)


@cache
def _sender(mail_from: str) -> Sender:
    """Return UNDERSIGN_MAIL_FROM as a sender with a display name, adding one if it has none."""
    name, address = parseaddr(mail_from)
    return Sender.of(name or DEFAULT_SENDER_NAME, address)


def _calm(title: str) -> str:
    """Return an organiser's title fit for a subject: one line, not in capitals, one '!' at most."""
    # One line: a header cannot hold a line break, and a title from before they were
    # refused may have one.
    title = re.sub(r"([!?])[!?]+", r"\1", " ".join(title.split()))
    if title.isupper() and len(title.split()) > 1:
        # Sentence case loses an acronym's capitals; a subject in capitals costs more.
        title = title[:1] + title[1:].lower()
    return title


def _base_for(signature: Signature, settings: Settings) -> str:
    """Return where a signer's links lead: back to the onion service if they signed there."""
    if signature.by_onion and settings.onion_url:
        return settings.onion_url
    return settings.base_url


def _link(base: str, page: str, token: str) -> str:
    return f"{base}/{page}/{token}"
