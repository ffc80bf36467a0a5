"""The "already signed" email as a receiving server and a reader see it, in every language.

The same judges as the verification email's (test_messages.py): the two parts say
the same words with the same links, and a spam filter's local rules find nothing.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from sqlalchemy import update
from undersign.core.db import database
from undersign.core.models import Signature, utcnow
from undersign.signers.signing import RESEND_INTERVAL

from tests.conftest import Signer
from tests.mail import test_messages
from tests.mail.test_messages import (
    LOCALES,
    NAMES,
    SPAM_THRESHOLD,
    URL,
    Rendered,
    spamassassin,
    words,
)

# The same fixtures: the app as an operator runs it, an SMTP server that keeps the wire bytes.
app, mail_from, signer, smtp = (
    test_messages.app,
    test_messages.mail_from,
    test_messages.signer,
    test_messages.smtp,
)
VERIFY_LINK = re.compile(r"https://[^/\s]+(/verify/[\w.\-]+)")


def told_in_every_language(signer: Signer) -> dict[str, EmailMessage]:
    """Sign and confirm in each language, sign again later; return each one's second email.

    The greeting names the signer, as they write their name (MIXED_ES, in test_messages.py).
    """
    for locale in LOCALES:
        signed = signer.sign(email=f"{locale}@example.org", locale=locale, name=NAMES[locale])
        assert signed.status_code == 202
    signer.deliver()
    for locale in LOCALES:
        body = signer.inbox(f"{locale}@example.org")[-1].get_body(preferencelist=("plain",))
        (page,) = VERIFY_LINK.findall(body.get_content())
        assert signer.client.post(page).status_code == 200
    with database(signer.app).sessions.begin() as session:
        session.execute(update(Signature).values(last_email_at=utcnow() - RESEND_INTERVAL))
    for locale in LOCALES:
        signed = signer.sign(email=f"{locale}@example.org", locale=locale, name=NAMES[locale])
        assert signed.status_code == 202
    assert signer.deliver() == len(LOCALES)
    return {locale: signer.inbox(f"{locale}@example.org")[-1] for locale in LOCALES}


def test_its_text_and_html_parts_say_the_same_words_with_the_same_links(signer):
    for locale, message in told_in_every_language(signer).items():
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Content-Language"] == locale
        text_part, html_part = message.iter_parts()
        text, html = text_part.get_content(), Rendered(html_part.get_content())
        seen = " ".join(html.text)

        assert words(seen) == words(text), f"{locale}: the parts say different things"
        assert set(html.links) == set(URL.findall(text)), f"{locale}: different links"
        assert set(URL.findall(seen)) == set(html.links), f"{locale}: a link not written out"
        pages = sorted(link.split("/")[3] for link in html.links)
        assert pages == ["p", "withdraw"], f"{locale}: withdraw and the privacy notice"


@pytest.mark.slow
def test_it_scores_clean_with_a_spam_filters_local_rules(signer, smtp, tmp_path):
    told_in_every_language(signer)
    fired = spamassassin(smtp.mailbox.wire[len(LOCALES) :], tmp_path)
    scores = {to: sum(rules.values()) for to, rules in fired.items()}
    report = "\n".join(f"{to}: {scores[to]:.3f} {sorted(fired[to].items())}" for to in fired)
    assert max(scores.values()) < SPAM_THRESHOLD, f"SpamAssassin's local rules:\n{report}"
