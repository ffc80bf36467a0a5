"""The hand-written MIME writer says what the standard library's EmailMessage would say.

Each email is written by `mime.Email` and, from the same inputs, by `EmailMessage`; both are
parsed back with the standard library's parser, and every header and part must read the same:
what a mail client shows is what EmailMessage would have sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from io import BytesIO

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from undersign.mail.mime import Email, Sender

ADDRESS = "no-reply@qoltanba.kz"
# Words as the emails carry them, in each language, and what else a title or a name may hold.
WORDS = [
    "Confirm your signature",
    "Подтвердите подпись",
    "Қолтаңбаңызды растаңыз",
    "Save the plant!",
    "Әділет, ғылым, қоғам, өнер, ұлт, үміт, һ, і",
    "«Ёлка» — ёж",
    'a=b; c:d, (e) <f> [g] \\h\\ "i" @j .k',
    "https://qoltanba.kz/verify/AbC.dEf-gHi_jKl",
    "👩\u200d🔧 ✊",
    "tab\there",
    "  two  spaces  ",
    "x" * 90,
]
TEXT = st.characters(codec="utf-8", exclude_categories=("Cs",))
# A header's value: one line (a line break is refused, see the last test), and not broken by
# what str.splitlines() also takes for a break (U+2028, ...), which EmailMessage refuses.
ONE_LINE = st.lists(st.sampled_from(WORDS) | st.text(TEXT, max_size=30), max_size=6).map(
    lambda words: "".join(" ".join(words).splitlines())
)
BODY = st.lists(
    st.sampled_from([*WORDS, "", "=" * 3, "x" * 200, "Ж" * 100]) | st.text(TEXT, max_size=120),
    max_size=12,
).map("\n".join)
NAME = st.sampled_from(
    ["Undersign", "Qoltanba.kz", "Қолтаңба", "O'Brien, Ltd", 'Say "hi"', "Петиция «Завод»"]
) | st.text(TEXT, min_size=1, max_size=40).map(lambda name: "".join(name.splitlines()))
LOCALE = st.sampled_from(["en", "ru", "kk"])
EXTRA = st.sampled_from(
    [
        (),
        (
            ("List-Unsubscribe", "<https://qoltanba.kz/unsubscribe/AbC.dEf>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    ]
)
WHEN = datetime(2026, 12, 6, 21, 0, 5, tzinfo=UTC)


def written(email: Email) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(email.as_bytes())


def as_the_standard_library_writes(email: Email, name: str) -> EmailMessage:
    # As the mailer wrote it before mime.py, with bodies made 7-bit: 8bit would need the
    # receiving server to take 8BITMIME, and mime.py encodes every body that needs it.
    message = EmailMessage(policy=policy.default.clone(cte_type="7bit"))
    message["From"] = Address(name, addr_spec=email.sender.address)
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = email.date
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"
    for header, value in email.headers:
        message[header] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    message["Content-Language"] = email.locale
    # As smtplib's send_message wrote it onto the wire.
    wire = BytesIO()
    BytesGenerator(wire).flatten(message, linesep="\r\n")
    return BytesParser(policy=policy.default).parsebytes(wire.getvalue())


def headers(message: EmailMessage) -> dict[str, str]:
    """Each header but the boundary's, its runs of white space as one space.

    EmailMessage drops a value's leading and trailing space and may fold a run of spaces
    into one; a word run into the next would still show.
    """
    return {
        name: " ".join(str(value).split())
        for name, value in message.items()
        if name != "Content-Type"
    }


def parts(message: EmailMessage) -> list[tuple[str, str | None, bool, str]]:
    """Each part's type, charset, whether it went as 7bit, and its text.

    Which of quoted-printable and base64 encodes a body is a matter of size: EmailMessage
    weighs the first ten lines, mime.py the whole body, and a reader sees the same text.
    """
    return [
        (
            part.get_content_type(),
            part.get_content_charset(),
            part["Content-Transfer-Encoding"] == "7bit",
            part.get_content().replace("\r\n", "\n"),  # a 7bit body keeps the wire's CRLF
        )
        for part in message.iter_parts()
    ]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(name=NAME, subject=ONE_LINE, text=BODY, html=BODY, locale=LOCALE, extra=EXTRA)
@example("Қолтаңба", "Подтвердите подпись: " + "Спасите завод " * 8, "", "", "ru", ())
@example("Undersign", "x" * 200, "x" * 79, "=\n" * 3, "en", ())
def test_every_header_and_part_reads_as_emailmessage_writes_it(
    name, subject, text, html, locale, extra
):
    email = Email(
        sender=Sender.of(name, ADDRESS),
        to="signer@example.org",
        subject=subject,
        date=WHEN,
        message_id="<1.2@qoltanba.kz>",
        locale=locale,
        text=text,
        html=html,
        headers=extra,
    )
    ours, theirs = written(email), as_the_standard_library_writes(email, name)
    # The subject and the sender's name are checked against what was given: when
    # EmailMessage folds a long one in another script, it can lose a space between two
    # words or put one into a word.
    assert headers(ours)["Subject"] == " ".join(subject.split())
    (sender,) = ours["From"].addresses
    assert (" ".join(sender.display_name.split()), sender.addr_spec) == (
        " ".join(name.split()),
        ADDRESS,
    )
    for written_by in (ours, theirs):
        del written_by["Subject"], written_by["From"]
    assert headers(ours) == headers(theirs)
    assert ours.get_content_type() == "multipart/alternative"
    assert parts(ours) == parts(theirs)
    encodings = {part["Content-Transfer-Encoding"] for part in ours.iter_parts()}
    assert encodings <= {"7bit", "quoted-printable", "base64"}
    assert ours.defects == [] and all(part.defects == [] for part in ours.iter_parts())


@given(subject=ONE_LINE, text=BODY)
@settings(max_examples=100, deadline=None, derandomize=True)
def test_what_is_written_keeps_to_the_line_lengths_smtp_allows(subject, text):
    email = Email(
        sender=Sender.of("Қолтаңба", ADDRESS),
        to="signer@example.org",
        subject=subject,
        date=WHEN,
        message_id="<1.2@qoltanba.kz>",
        locale="kk",
        text=text,
        html=text,
    )
    raw = email.as_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.isascii()
    # RFC 5322: at most 998 characters on a line; the bodies are encoded to 78 or fewer.
    body = raw.partition(b"\r\n\r\n")[2]
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert max(len(line) for line in body.split(b"\r\n")) <= 78


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "Hi\r\nBcc: everyone@example.org"},
        {"to": "a@example.org\nBcc: b@example.org"},
        {"headers": (("List-Unsubscribe", "<https://x.example>\rBcc: b@example.org"),)},
    ],
)
def test_a_line_break_in_a_header_value_is_refused(change):
    fields = {
        "sender": Sender.of("Undersign", ADDRESS),
        "to": "signer@example.org",
        "subject": "Hi",
        "date": WHEN,
        "message_id": "<1.2@qoltanba.kz>",
        "locale": "en",
        "text": "Hi",
        "html": "<p>Hi</p>",
    }
    with pytest.raises(ValueError, match="line break"):
        Email(**{**fields, **change})
