"""Updates to supporters as they arrive: list headers, the same words in both parts, a spam
filter's view. The app runs as an operator runs it (tests/mail/test_messages.py's fixtures)."""

# The fixtures imported below are used by name as arguments, which ruff reads as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from undersign.campaigns import petitions
from undersign.core import i18n
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.organisers import mailings
from undersign.organisers.mailings import Draft

from tests.conftest import Signer
from tests.mail.test_messages import (  # noqa: F401 - the fixtures, as an operator's app
    DOMAIN,
    LOCALES,
    SPAM_THRESHOLD,
    URL,
    Rendered,
    app,
    mail_from,
    signer,
    smtp,
    spamassassin,
    words,
)

# What organisers write: Markdown with a heading, a list and a link, in each language.
DRAFT = Draft(
    subjects={
        "en": "We handed in the signatures",
        "ru": "Мы передали подписи",
        "kk": "Қолтаңбаларды тапсырдық",
    },
    bodies={
        "en": "## Thank you\n\nOn Monday we handed **every signature** to the Ministry.\n\n"
        "- the next hearing is in March\n- [read the answer](https://qoltanba.kz/answer)\n",
        "ru": "## Спасибо\n\nВ понедельник мы передали **все подписи** в министерство.\n\n"
        "- следующее слушание в марте\n- [ответ министерства](https://qoltanba.kz/answer)\n",
        "kk": "## Рақмет\n\nДүйсенбі күні **барлық қолтаңбаны** министрлікке тапсырдық.\n\n"
        "- келесі тыңдау наурызда\n- [министрліктің жауабы](https://qoltanba.kz/answer)\n",
    },
)


def updates_in_every_language(signer: Signer) -> dict[str, EmailMessage]:
    """Sign and confirm once in each language, send the update, and return what each received."""
    for locale in LOCALES:
        address = f"{locale}@example.org"
        assert signer.sign(email=address, locale=locale, contact_consent=True).status_code == 202
        signer.deliver()
        text = signer.inbox(address)[-1].get_body(("plain",)).get_content()
        (token,) = re.findall(rf"https://{DOMAIN}/verify/([\w.\-]+)", text)
        assert signer.client.post(f"/verify/{token}").status_code == 200
    with database(signer.app).sessions() as session:
        petition = petitions.find(session, signer.slug)
        mailings.send(session, petition, DRAFT, by=CLI)
    while signer.deliver():
        pass
    return {locale: signer.inbox(f"{locale}@example.org")[-1] for locale in LOCALES}


def test_an_update_carries_list_headers_and_is_in_the_signers_language(signer):
    for locale, message in updates_in_every_language(signer).items():
        assert message["Subject"] == DRAFT.subjects[locale]
        assert message["Content-Language"] == locale
        assert message["List-Unsubscribe"].startswith(f"<https://{DOMAIN}/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] == f"<{signer.slug}.updates.{DOMAIN}>"
        assert message["Message-ID"].endswith(f"@{DOMAIN}>")


def test_an_updates_text_and_html_parts_say_the_same_words_with_the_same_links(signer):
    for locale, message in updates_in_every_language(signer).items():
        text_part, html_part = message.iter_parts()
        text, html = text_part.get_content(), Rendered(html_part.get_content())
        seen = " ".join(html.text)

        assert words(seen) == words(text), f"{locale}: the parts say different things"
        # The text part writes a link as "words (address)": the bracket is not the address's.
        in_text = {link.rstrip(").,") for link in URL.findall(text)}
        assert set(html.links) == in_text, f"{locale}: different links"
        # the organisers' link, the petition, its privacy notice, unsubscribe
        assert len(set(html.links)) == 4


def test_every_update_links_the_privacy_notice_in_the_signers_language(signer):
    for locale, message in updates_in_every_language(signer).items():
        notice = f"https://{DOMAIN}/p/{signer.slug}/privacy?lang={locale}"
        text = message.get_body(("plain",)).get_content()
        html = Rendered(message.get_body(("html",)).get_content())
        assert notice in URL.findall(text) and notice in html.links, locale
        page = signer.client.get(notice.removeprefix(f"https://{DOMAIN}"))
        assert page.status_code == 200
        title = i18n.messages(locale)["privacy"]["title"]
        assert f'<html lang="{locale}"' in page.get_data(as_text=True)
        assert f">{title}</h1>" in page.get_data(as_text=True), locale


@pytest.mark.slow
def test_an_update_scores_clean_with_a_spam_filters_local_rules(signer, smtp, tmp_path):
    updates_in_every_language(signer)
    smtp.mailbox.wire[:] = smtp.mailbox.wire[len(LOCALES) :]  # the updates, not the confirmations
    fired = spamassassin(smtp.mailbox.wire, tmp_path)

    scores = {to: sum(rules.values()) for to, rules in fired.items()}
    report = "\n".join(
        f"{to}: {scores[to]:.3f} "
        + ", ".join(f"{name}={score:g}" for name, score in sorted(fired[to].items()))
        for to in sorted(fired)
    )
    print(report)
    assert max(scores.values()) < SPAM_THRESHOLD, f"SpamAssassin's local rules:\n{report}"


def test_a_title_with_quotes_is_quoted_inside_the_update_as_in_print(signer):
    with database(signer.app).sessions() as session:
        petition = petitions.find(session, signer.slug)
        petitions.translate(session, petition, "ru", {"title": "Нет «консервации»"}, by=CLI)
    message = updates_in_every_language(signer)["ru"]
    for part in ("plain", "html"):
        assert "«Нет „консервации“»" in message.get_body((part,)).get_content(), part
