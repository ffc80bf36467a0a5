"""Mail that arrives in the inbox: the headers receiving servers expect, and a spam filter's view.

Every message is taken from a real SMTP server (aiosmtpd) after a real sign, as it came over the
wire, from an app configured as an operator runs it: a sender on a real domain, links on https.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import update
from undersign.campaigns import petitions
from undersign.core import tokens
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.core.models import Petition, utcnow

from tests.conftest import Mailbox, Signer, SMTPServer, create_petition, make_app, unavailable

# An operator's domain, on the links and the sender. It has no Latin "e", on purpose: MIXED_ES
# (SpamAssassin's "too many es are not es", 1.0) counts Cyrillic е and ө as look-alikes and
# fires on Russian or Kazakh text once the body holds more than 20 Latin e's. The message adds
# four of its own ("verify" in a link and "Undersign", in each part); the signer's name, the
# domain (four times) and the tokens' random letters add the rest. With sign.example.org about
# 3 Russian or Kazakh emails in 100 cross the line: that is the operator's domain, not a fault
# of the message, and a test that failed on it at random would teach only to ignore it. The
# tokens are the same kind of chance (`tokens_without_e`).
DOMAIN = "qoltanba.kz"
# The petition's address is in every link too (the privacy notice's, the signer's page): for
# the same reason its slug, like an organiser's, is the operator's choice ("zauyt": the plant).
SLUG = "zauyt"
# As signers write their names: a Kazakh or Russian reader's in Cyrillic (a Latin name adds
# Latin e's to a Cyrillic text, MIXED_ES again).
NAMES = {"en": "Aigerim Bekova", "ru": "Айгерим Бекова", "kk": "Айгерім Бекова"}
SENDER = f"Undersign <no-reply@{DOMAIN}>"
LOCALES = ("en", "ru", "kk")
# A clean message scores 0.0 on SpamAssassin's local rules: only informational ones fire
# (HTML_MESSAGE +0.001, NO_RECEIVED and NO_RELAYS -0.001 each). The mildest rules that mark a
# real fault score about 0.5 (MISSING_MID 0.55, SUBJ_ALL_CAPS, SUBJECT_NEEDS_ENCODING and
# URI_NOVOWEL 0.5; MISSING_DATE is 2.7), so one such fault is enough to fail. Network rules
# come on top at the receiver, and 5 sends a message to spam: this leaves them the room.
SPAM_THRESHOLD = 0.5
URL = re.compile(r"https?://[^\s<>\"]+")


class WireMailbox(Mailbox):
    """A mailbox that also keeps each message's bytes as they came over SMTP."""

    def __init__(self) -> None:
        super().__init__()
        self.wire: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.wire.append(envelope.original_content)
        return await super().handle_DATA(server, session, envelope)


class WireSMTPServer(SMTPServer):
    def __init__(self) -> None:
        super().__init__()
        self.mailbox = WireMailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)


@pytest.fixture
def smtp() -> Iterator[WireSMTPServer]:
    server = WireSMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_from() -> str:
    """UNDERSIGN_MAIL_FROM; a test parametrizes it to try another."""
    return SENDER


@pytest.fixture
def app(
    sqlite_template: Path, smtp: WireSMTPServer, tmp_path: Path, mail_from: str
) -> Iterator[Flask]:
    """The app as an operator runs it; on SQLite alone, since what is judged is the message."""
    path = tmp_path / "undersign.sqlite"
    shutil.copy(sqlite_template, path)
    app = make_app(
        f"sqlite:///{path}",
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        MAIL_FROM=mail_from,
        BASE_URL=f"https://{DOMAIN}",
    )
    yield app
    database(app).engine.dispose()


@pytest.fixture
def signer(app: Flask, smtp: WireSMTPServer) -> Signer:
    return Signer(app, app.test_client(), smtp, create_petition(app, SLUG))


def received_in_every_language(signer: Signer) -> dict[str, EmailMessage]:
    """Sign once in each language, run the mailer, and return each language's email."""
    for locale in LOCALES:
        body = {"email": f"{locale}@example.org", "locale": locale, "name": NAMES[locale]}
        assert signer.sign(**body).status_code == 202
    assert signer.deliver() == len(LOCALES)
    return {locale: signer.inbox(f"{locale}@example.org")[-1] for locale in LOCALES}


# --- the headers -------------------------------------------------------------


def test_every_email_carries_the_headers_receiving_servers_expect(signer):
    before = utcnow()
    received = received_in_every_language(signer)
    after = utcnow()

    for locale, message in received.items():
        sent = parsedate_to_datetime(message["Date"])
        assert before - timedelta(seconds=1) <= sent <= after, "Date is the time it was sent"
        assert re.fullmatch(rf"<[^@<>\s]+@{re.escape(DOMAIN)}>", message["Message-ID"])
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["From"].addresses[0].display_name == "Undersign"
        assert message["From"].addresses[0].addr_spec == f"no-reply@{DOMAIN}"
        assert message["MIME-Version"] == "1.0"
        assert message["Content-Language"] == locale
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"], "the plainer part first, as RFC 2046 asks"
    assert len({message["Message-ID"] for message in received.values()}) == len(LOCALES)
    assert received["ru"]["Subject"] == "Подтвердите подпись: Спасите завод"
    assert received["kk"]["Subject"] == "Қолтаңбаңызды растаңыз: Зауытты сақтаңыз"


@pytest.mark.parametrize("mail_from", [f"no-reply@{DOMAIN}"])
def test_a_sender_configured_without_a_name_is_shown_with_one(signer):
    signer.sign(email="bare@example.org")
    signer.deliver()
    (message,) = signer.inbox("bare@example.org")
    assert message["From"] == f"Undersign <no-reply@{DOMAIN}>"
    assert message["Message-ID"].endswith(f"@{DOMAIN}>")


def test_a_title_in_capitals_does_not_make_a_shouting_subject(app, smtp):
    with database(app).sessions() as session:
        petitions.create(
            session,
            "shouting",
            {"en": {"title": "SAVE THE PLANT!!!"}, "ru": {"title": "СПАСИТЕ ЗАВОД!!!"}},
            goal=100,
            by=CLI,
        )
    signer = Signer(app, app.test_client(), smtp, "shouting")
    signer.sign(email="en@example.org")
    signer.sign(email="ru@example.org", locale="ru")
    signer.deliver()
    assert signer.inbox("en@example.org")[0]["Subject"] == (
        "Please confirm your signature: Save the plant!"
    )
    assert signer.inbox("ru@example.org")[0]["Subject"] == "Подтвердите подпись: Спасите завод!"


def test_a_title_saved_with_a_line_break_still_makes_a_one_line_subject(signer, app):
    # Titles are refused a line break now; one saved before still gets its signers their email.
    with database(app).sessions.begin() as session:
        session.execute(update(Petition).values(texts={"en": {"title": "Save\nthe plant"}}))
    signer.sign(email="old@example.org")
    assert signer.deliver() == 1
    (message,) = signer.inbox("old@example.org")
    assert message["Subject"] == "Please confirm your signature: Save the plant"


# --- the two parts -----------------------------------------------------------


class Rendered(HTMLParser):
    """What a reader of the HTML part sees: its text, and where its links go."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if tag == "a" and name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", URL.sub(" ", text))


def test_the_text_and_html_parts_say_the_same_words_with_the_same_links(signer):
    for locale, message in received_in_every_language(signer).items():
        text_part, html_part = message.iter_parts()
        text, html = text_part.get_content(), Rendered(html_part.get_content())
        seen = " ".join(html.text)

        assert words(seen) == words(text), f"{locale}: the parts say different things"
        assert set(html.links) == set(URL.findall(text)), f"{locale}: different links"
        assert set(URL.findall(seen)) == set(html.links), (
            f"{locale}: every link's address is written out, not only behind a button"
        )
        assert len(set(html.links)) == 3  # confirm, withdraw, and the privacy notice


# --- a spam filter's view -----------------------------------------------------


def spamassassin(messages: list[bytes], workdir: Path) -> dict[str, dict[str, float]]:
    """Score every message in one SpamAssassin run; return the rules each one fired, by To.

    Local rules only: `--local` turns off every network test (DNS blocklists, URIBL, Razor,
    Pyzor, DCC, DKIM and SPF lookups) and `dns_available no` keeps it from even probing DNS;
    Bayes is off and HOME is a scratch folder, so nothing learnt on this machine counts.
    One process for all: SpamAssassin spends about a second loading its rules.
    """
    if shutil.which("spamassassin") is None:
        unavailable("spamassassin is not installed (apt-get install spamassassin)")
    files = []
    for n, message in enumerate(messages):
        files.append(workdir / f"{n}.eml")
        files[-1].write_bytes(message)
    run = subprocess.run(
        [
            "spamassassin",
            "--local",
            "--nocreate-prefs",
            "--cf=dns_available no",
            "--cf=use_bayes 0",
            "--cf=add_header all Undersign-Rules _HEADER(To)_ _TESTSSCORES(,)_",
            *map(str, files),
        ],
        env={**os.environ, "HOME": str(workdir)},
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    rules: dict[str, dict[str, float]] = {}
    for header in re.findall(r"^X-Spam-Undersign-Rules: (.*(?:\r?\n[ \t].*)*)", run.stdout, re.M):
        to, fired = header.split(None, 1)
        pairs = [rule.partition("=") for rule in re.sub(r"\s+", "", fired).split(",")]
        rules[to] = {name: float(score) for name, _, score in pairs if name != "none"}
    assert len(rules) == len(messages), run.stdout
    return rules


@pytest.fixture
def tokens_without_e(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the links' tokens as usual, then spell each Latin "e" in them as "f".

    A token's letters are random, and each is shown twice (in the text and the HTML): two
    tokens carry 3 Latin e's on average, but 9 or more (MIXED_ES on a Russian email, as above)
    in about 1 pair in 500, measured on 200,000. A CI run failed on one such pair. What this
    test judges is the words around the links, so the draw is taken out; the tokens keep
    their length and every other letter.
    """
    make = tokens.make
    monkeypatch.setattr(tokens, "make", lambda *args: make(*args).replace("e", "f"))


@pytest.mark.slow
@pytest.mark.usefixtures("tokens_without_e")
def test_the_verification_email_scores_clean_with_a_spam_filters_local_rules(
    signer, smtp, tmp_path
):
    received_in_every_language(signer)
    fired = spamassassin(smtp.mailbox.wire, tmp_path)

    scores = {to: sum(rules.values()) for to, rules in fired.items()}
    report = "\n".join(
        f"{to}: {scores[to]:.3f} "
        + ", ".join(f"{name}={score:g}" for name, score in sorted(fired[to].items()))
        for to in sorted(fired)
    )
    print(report)
    assert max(scores.values()) < SPAM_THRESHOLD, f"SpamAssassin's local rules:\n{report}"


# --- what a stranger can put in someone else's inbox ------------------------------------------


def test_a_verification_email_carries_no_word_the_person_at_the_form_chose(signer):
    """The address may not be the typist's: a name field would carry their spam to it."""
    spam = "Cheap loans at loans.example, call +7 700 000 0000"
    assert signer.sign(email="someone@example.org", name=spam, locale="ru").status_code == 202
    assert signer.deliver() == 1
    message = signer.inbox("someone@example.org")[-1]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for shown in (text, html, str(message["Subject"])):
        assert "loans" not in shown and "700" not in shown
    assert text.startswith("Здравствуйте!")
