"""One validation path for a signature, whether it arrives as JSON or as a form."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any

import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import ErrorDetails

from undersign.core.i18n import LOCALES, plural

# A partner's code: on signatures (`source`), partners, partner tokens and embed links.
# "\-" for /admin/'s `pattern` attribute, as campaigns.petitions.SLUG says.
PARTNER_CODE = re.compile(r"[a-z0-9\-]{1,40}")
TRUE_WORDS = frozenset({"true", "1", "on", "yes"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", ""})
# Joiners are format characters that Persian, Indic scripts and emoji need.
ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})
# The sign form's limits, handed to the OpenAPI document, the templates and the widget.
MAX_LENGTH = {"name": 120, "email": 254, "postcode": 16, "city": 80, "comment": 1000}
# The largest number an INTEGER column holds (PostgreSQL's, and the ids' range): a goal or
# an id beyond it is the client's mistake (422), not a failed statement.
LARGEST_INTEGER = 2**31 - 1


class InvalidFields(Exception):
    """Some fields are wrong; `fields` maps each to a problem code (see `explain`)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields)
        self.fields = fields


def parse_signature(data: Mapping[str, Any], default_locale: str = "en") -> SignatureInput:
    """Check a sign request and return it clean, or raise InvalidFields naming each problem."""
    # Read with .get: a form's MultiDict gives a field's first value, as a JSON object its only.
    given = {name: data.get(name) for name in (*SignatureInput.model_fields, "website")}
    try:
        return SignatureInput.model_validate(given, context={"default_locale": default_locale})
    except ValidationError as invalid:
        raise InvalidFields(
            {str(error["loc"][0]): _problem(error) for error in invalid.errors()}
        ) from None


def _problem(error: ErrorDetails) -> str:
    """Return the problem code a check raised (a key of the locales' `errors` texts)."""
    return str(error.get("ctx", {}).get("error", "required"))


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


def _read(check: Any, *args: Any) -> BeforeValidator:
    """Check a field with `check(value, *args)`, which raises ValueError(problem code)."""
    return BeforeValidator(lambda value: check(value, *args))


def _most(field: str) -> Any:
    return Field(max_length=MAX_LENGTH[field])


class SignatureInput(BaseModel):
    """A signature: JSON, or a form's fields (where a yes or no may be a word: "on", "no")."""

    # The checks are the functions above, so a refusal is a problem code that each locale's
    # `errors` texts explain; the declared types describe the request in the OpenAPI document.

    model_config = ConfigDict(frozen=True, validate_by_name=True)

    name: Annotated[
        str, Field(min_length=1), _most("name"), _read(_text, 1, MAX_LENGTH["name"], False)
    ]
    email: Annotated[
        str,
        Field(json_schema_extra={"format": "email", "maxLength": MAX_LENGTH["email"]}),
        _read(_email),
    ]
    country: Annotated[str, Field(pattern="^[A-Z]{2}$"), _read(_country)]
    postcode: Annotated[
        Annotated[str, _most("postcode")] | None,
        _read(_optional_text, MAX_LENGTH["postcode"], False),
    ] = None
    city: Annotated[
        Annotated[str, _most("city")] | None, _read(_optional_text, MAX_LENGTH["city"], False)
    ] = None
    comment: Annotated[
        Annotated[str, _most("comment")] | None,
        _read(_optional_text, MAX_LENGTH["comment"], True),
    ] = None
    public: Annotated[bool, _read(_boolean)] = False
    contact_consent: Annotated[bool, _read(_boolean)] = False
    # May the list handed to the addressee name this signer; None: the petition's default.
    named: Annotated[
        bool | None,
        _read(_choice),
        Field(
            description="May the list handed to the addressee carry my name and city; absent: "
            "the petition's `named_default`. Either way the signature counts."
        ),
    ] = None
    source: Annotated[
        Annotated[str, Field(pattern=f"^{PARTNER_CODE.pattern}$")] | None, _read(_source)
    ] = None
    locale: Annotated[
        str,
        BeforeValidator(lambda value, info: _locale(value, info.context["default_locale"])),
        Field(json_schema_extra={"enum": list(LOCALES)}),
    ] = "en"
    # The honeypot: a person leaves it empty, a bot that fills every field does not.
    is_bot: Annotated[
        bool,
        BeforeValidator(bool),
        WithJsonSchema({"type": "string", "description": "Honeypot: leave empty."}),
    ] = Field(False, validation_alias="website")
