"""The types a request's fields are declared with: each checks a value, describes itself in
the OpenAPI document, and refuses in the words clients already know ("name is required").

A refusal is a pydantic error of type "refused" whose text is final; contract.py hands it to
the client as it is, so pydantic's own English never reaches one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    TypeAdapter,
    ValidationInfo,
    WrapValidator,
)
from pydantic_core import CoreSchema, PydanticCustomError, PydanticUseDefault, core_schema

from undersign.campaigns import thanks
from undersign.core.i18n import LOCALES
from undersign.core.validation import check_characters
from undersign.web.params import MAX_PAGE, moment, whole_number


def refused(
    message: str, *, field: str | None = None, summary: str | None = None
) -> PydanticCustomError:
    """Return the refusal that says `message` of a field; `field` names it when the error has no
    place of its own, `summary` is the answer's message when it is not `message`."""
    context = {key: value for key, value in (("field", field), ("summary", summary)) if value}
    return PydanticCustomError("refused", message, context or None)


def refuse(message: str, *, summary: str | None = None) -> WrapValidator:
    """Answer any mistake in the field it marks with `message` ("{field}": the field's name)."""

    def check(value: Any, inner: Callable[[Any], Any], info: ValidationInfo) -> Any:
        try:
            return inner(value)
        except ValueError:  # pydantic's ValidationError is one
            said = message.replace("{field}", info.field_name or "")
            raise refused(said, summary=summary) from None

    return WrapValidator(check)


class Request(BaseModel):
    """A body or a query: nothing is converted (a "5" is no number in JSON), unknown keys pass."""

    model_config = ConfigDict(strict=True)


class _Checked:
    """A field type checked by a function of (value, field name) before its declared type."""

    def check(self, value: Any, field: str) -> Any:
        raise NotImplementedError

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        def checked(value: Any, info: ValidationInfo) -> Any:
            return self.check(value, info.field_name or "")

        return core_schema.with_info_before_validator_function(checked, handler(source))


@dataclass(frozen=True)
class Text(_Checked):
    """Trimmed text of 1 to `most` characters, without control characters (line breaks with
    `multiline`). Put it in `X | None` for a field that may be null or left out."""

    most: int
    multiline: bool = False

    def check(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise refused(f"{field} is required")
        value = value.strip()
        if len(value) > self.most:
            raise refused(f"{field} must be at most {self.most} characters")
        try:
            check_characters(value, self.multiline)
        except ValueError:
            raise refused(f"{field} holds characters that are not text") from None
        return value

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: Any) -> dict[str, Any]:
        return {**handler(schema), "minLength": 1, "maxLength": self.most}


@dataclass(frozen=True)
class Read(_Checked):
    """A field a service's reader checks: `read(value)` returns it clean or raises
    ValueError("must be …"), which is said of the field by name."""

    read: Callable[[Any], Any]

    def check(self, value: Any, field: str) -> Any:
        try:
            return self.read(value)
        except ValueError as problem:
            raise refused(f"{field} {problem}") from None


@dataclass(frozen=True)
class Number(_Checked):
    """A query parameter's whole number from `least` to `most`, in ASCII digits."""

    least: int
    most: int

    def check(self, value: Any, field: str) -> int:
        if type(value) is int:  # a page made in Python (pages.py), not read from a query
            value = str(value)
        try:
            return whole_number(value, self.least, self.most)
        except (TypeError, ValueError) as problem:
            raise refused(f"{field} {problem}") from None

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: Any) -> dict[str, Any]:
        return {**handler(schema), "minimum": self.least, "maximum": self.most}


@dataclass(frozen=True)
class OneOf(_Checked):
    """A query parameter that is one of `allowed`; empty, it takes the field's default."""

    allowed: tuple[str, ...]

    def check(self, value: Any, field: str) -> str:
        if value == "":
            raise PydanticUseDefault
        if value not in self.allowed:
            raise refused(f"{field} must be one of {', '.join(self.allowed)}")
        return str(value)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: Any) -> dict[str, Any]:
        return {**handler(schema), "enum": list(self.allowed)}


@dataclass(frozen=True)
class Moment(_Checked):
    """An ISO date or moment, in UTC (params.moment); empty or null: None. Use in `X | None`.

    `until`: a bare date takes in that whole day.
    """

    until: bool = False

    def check(self, value: Any, field: str) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            if not isinstance(value, str):
                raise ValueError("not text")
            return moment(value, until=self.until)
        except ValueError:
            raise refused(f"{field} must be an ISO date like 2026-11-27") from None


def _https_page(value: str | None) -> str | None:
    try:
        return thanks.check(value)
    except thanks.InvalidThanksURL as problem:
        raise refused(str(problem)) from None


# Where signers go after confirming: an https address, or null for none (thanks.check).
ThanksURL = Annotated[
    str | None,
    Field(
        description="Where the confirmation page sends signers on (a button): https only.",
        json_schema_extra={"format": "uri", "pattern": "^https://", "maxLength": thanks.MOST},
    ),
    refuse("thanks_url must be an https:// address, or null"),
    AfterValidator(_https_page),
]


# The languages a text may be written in, as i18n lists them (described, for DescribedAs:
# the service checks the language itself).
Locale = Annotated[str, Field(json_schema_extra={"enum": list(LOCALES)})]

# A page of a list; each list declares its own per_page (see Paging).
Page = Annotated[int, Number(1, MAX_PAGE)]


class Language(Request):
    # Asked for, not demanded: one the service does not speak falls back (i18n.negotiate).
    lang: Annotated[
        str | None,
        Field(
            description="Language of the petition text; Accept-Language otherwise.",
            json_schema_extra={"enum": list(LOCALES)},
        ),
    ] = None


class Paging(Request):
    """Where in a list: `page` from 1, and `per_page`, which each list declares with its range."""

    page: Page = 1
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def answer(self, key: str, items: list[Any], **more: Any) -> dict[str, Any]:
        """Return a page as every list answers it: its items under `key`, where it is, and
        what the list adds (`total`, `has_more`)."""
        return {key: items, "page": self.page, "per_page": self.per_page, **more}


@dataclass(frozen=True)
class DescribedAs:
    """Describe a field as `shape` while it is read as its own (looser) type.

    For what a service checks in its own words because the rule needs more than the
    request (a petition's languages, a partner's existence): the document still says
    what is accepted, from the same constants the service checks against.
    """

    shape: Any

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: Any) -> dict[str, Any]:
        described: dict[str, Any] = handler(TypeAdapter(self.shape).core_schema)
        return described
