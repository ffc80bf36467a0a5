"""One validation path for a signature, whether it arrives as JSON or as a form."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email

from undersign.core.i18n import LOCALES, plural

# A partner's code: on signatures (`source`), partners, partner tokens and embed links.
PARTNER_CODE = re.compile(r"[a-z0-9-]{1,40}")
TRUE_WORDS = frozenset({"true", "1", "on", "yes"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", ""})
# Joiners are format characters that Persian, Indic scripts and emoji need.
ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})
# The sign form's limits, handed to the OpenAPI document, the templates and the widget.
MAX_LENGTH = {"name": 120, "email": 254, "postcode": 16, "city": 80, "comment": 1000}


@dataclass(frozen=True)
class SignatureInput:
    name: str
    email: str
    country: str
    postcode: str | None = None
    city: str | None = None
    comment: str | None = None
    public: bool = False
    contact_consent: bool = False
    # May the list handed to the addressee name this signer; None: the petition's default.
    named: bool | None = None
    source: str | None = None
    locale: str = "en"
    is_bot: bool = False


class InvalidFields(Exception):
    """Some fields are wrong; `fields` maps each to a problem code (see `explain`)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields)
        self.fields = fields


def parse_signature(data: Mapping[str, Any], default_locale: str = "en") -> SignatureInput:
    """Check a sign request and return it clean, or raise InvalidFields naming each problem."""
    errors: dict[str, str] = {}

    def field(name: str, check: Any, *args: Any) -> Any:
        try:
            return check(data.get(name), *args)
        except ValueError as problem:
            errors[name] = str(problem)
            return None

    values = {
        "name": field("name", _text, 1, MAX_LENGTH["name"], False),
        "email": field("email", _email),
        "country": field("country", _country),
        "postcode": field("postcode", _optional_text, MAX_LENGTH["postcode"], False),
        "city": field("city", _optional_text, MAX_LENGTH["city"], False),
        "comment": field("comment", _optional_text, MAX_LENGTH["comment"], True),
        "public": field("public", _boolean),
        "contact_consent": field("contact_consent", _boolean),
        "named": field("named", _choice),
        "source": field("source", _source),
        "locale": field("locale", _locale, default_locale),
    }
    if errors:
        raise InvalidFields(errors)
    return SignatureInput(**values, is_bot=bool(data.get("website")))


def explain(problems: Mapping[str, str], texts: Mapping[str, Any], locale: str) -> dict[str, str]:
    """Turn problem codes into sentences from `locale`'s `errors` texts, a limit in its plural."""
    return {
        field: plural(locale, texts[code], MAX_LENGTH.get(field, 0), "max")
        for field, code in problems.items()
    }


def _string(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("not_text")
    return value.strip()


def check_characters(text: str, multiline: bool) -> None:
    if text.isprintable():  # no control, format or private-use character: the common case, in C
        return
    for char in text:
        if multiline and char in "\n\t":
            continue
        if unicodedata.category(char) in {"Cc", "Cs", "Co"} or (
            unicodedata.category(char) == "Cf" and char not in ALLOWED_FORMAT
        ):
            raise ValueError("control_characters")


def _text(value: Any, minimum: int, maximum: int, multiline: bool) -> str:
    text = _string(value)
    if len(text) < minimum:
        raise ValueError("required")
    if len(text) > maximum:
        raise ValueError("too_long")
    check_characters(text, multiline)
    return text


def _optional_text(value: Any, maximum: int, multiline: bool) -> str | None:
    return _text(value, 0, maximum, multiline) or None


def _email(value: Any) -> str:
    text = _string(value)
    if not text:
        raise ValueError("required")
    if len(text) > MAX_LENGTH["email"]:
        raise ValueError("invalid_email")
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValueError("invalid_email") from None


def _country(value: Any) -> str:
    code = _string(value).upper()
    if not code:
        raise ValueError("required")
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("invalid_country")
    return code


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ValueError("not_boolean")


def _choice(value: Any) -> bool | None:
    """Read a yes or no that may be left unsaid (absent or null): None then."""
    return None if value is None else _boolean(value)


def _source(value: Any) -> str | None:
    text = _string(value)
    if not text:
        return None
    if not PARTNER_CODE.fullmatch(text):
        raise ValueError("invalid_source")
    return text


def _locale(value: Any, default: str) -> str:
    text = _string(value).lower()
    if not text:
        return default
    if text not in LOCALES:
        raise ValueError("invalid_locale")
    return text
