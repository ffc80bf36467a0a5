"""api/contract and api/fields: a body or query read with its model refuses in the words
clients know, naming the first wrong field, and never in pydantic's."""

from __future__ import annotations

import inspect
import json
from typing import Annotated, Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from undersign.web import access
from undersign.web.api import admin, public
from undersign.web.api.contract import described, operation_of, read
from undersign.web.api.fields import Number, OneOf, Paging, Text
from undersign.web.errors import APIError


class Named(BaseModel):
    name: Annotated[str, Text(40)]
    note: Annotated[str, Text(200, multiline=True)] | None = None


class Listed(Paging):
    per_page: Annotated[int, Number(1, 200)] = 50
    order: Annotated[str, OneOf(("new", "old"))] = "new"


def refusal(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(APIError) as refused:
        read(model, data)
    assert refused.value.status == 422 and refused.value.code == "invalid_fields"
    return refused.value.fields or {}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("line\nbreak", "name holds characters that are not text"),
        ("bell\x07", "name holds characters that are not text"),
        ("lone \ud800 surrogate", "name holds characters that are not text"),
        ("right\u202eto left", "name holds characters that are not text"),
        ("", "name is required"),
        ("   ", "name is required"),
        (None, "name is required"),
        (5, "name is required"),
        ("x" * 41, "name must be at most 40 characters"),
    ],
)
def test_a_text_field_refuses_in_its_own_words(value: object, problem: str) -> None:
    assert refusal(Named, {"name": value}) == {"name": problem}


def test_a_text_field_is_trimmed_and_a_multiline_one_keeps_its_line_breaks() -> None:
    read_ = read(Named, {"name": "  Kazakh union  ", "note": "one\ntwo"})
    assert (read_.name, read_.note) == ("Kazakh union", "one\ntwo")


def test_a_required_field_left_out_is_answered_as_if_it_were_null() -> None:
    assert refusal(Named, {}) == {"name": "name is required"}


def test_only_the_first_wrong_field_is_named() -> None:
    assert refusal(Named, {"name": "", "note": 5}) == {"name": "name is required"}


@pytest.mark.parametrize(
    "query", ["page=0", "page=abc", "page=²", "page=1000001", "per_page=201", "per_page=-1"]
)
def test_bad_paging_names_the_parameter(query: str) -> None:
    name, _, raw = query.partition("=")
    fields = refusal(Listed, {name: raw})
    assert list(fields) == [name] and "must be a whole number from 1 to" in fields[name]


def test_paging_defaults_when_absent_and_pages_by_offset() -> None:
    listed = read(Listed, {})
    assert (listed.page, listed.per_page, listed.order) == (1, 50, "new")
    second = read(Listed, {"page": "3", "per_page": "20"})
    assert second.offset == 40
    assert second.answer("rows", [1], total=41) == {
        "rows": [1],
        "page": 3,
        "per_page": 20,
        "total": 41,
    }


def test_a_choice_names_what_it_takes_and_empty_is_its_default() -> None:
    assert refusal(Listed, {"order": "random"}) == {"order": "order must be one of new, old"}
    assert read(Listed, {"order": ""}).order == "new"


def test_the_view_gets_its_body_and_query_read() -> None:
    bare = Flask(__name__)

    @described("Test", (200, "OK", dict[str, Any]), body=Named, query=Listed)
    def view(body: Named, query: Listed) -> tuple[str, int]:
        return body.name, query.per_page

    with bare.test_request_context("/?per_page=7", method="POST", json={"name": " Ana "}):
        assert view() == ("Ana", 7)
    with bare.test_request_context("/", method="POST", data="x", content_type="text/plain"):
        with pytest.raises(APIError) as refused:
            view()
        assert refused.value.status == 415


def marked_models() -> list[tuple[type[BaseModel], bool]]:
    """Every body and query model a route of the API is read with; True for a query."""
    found: list[tuple[type[BaseModel], bool]] = []
    for module in [public, access, *admin.RESOURCES]:
        for _, view in inspect.getmembers(module, inspect.isfunction):
            operation = operation_of(view)
            if operation is not None and operation.reads:
                found += [(operation.body, False)] if operation.body else []
                found += [(operation.query, True)] if operation.query else []
    return found


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


@pytest.mark.parametrize(
    ("model", "query"), marked_models(), ids=lambda marked: getattr(marked, "__name__", "")
)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_json_is_read_or_refused_in_the_fields_own_words(
    model: type[BaseModel], query: bool, data: st.DataObject
) -> None:
    fields = [*model.model_fields, "other"]
    values = st.text() if query else JSON | st.text()  # a query's values are all text
    body = data.draw(st.dictionaries(st.sampled_from(fields), values))
    try:
        read(model, json.loads(json.dumps(body)))
    except APIError as refused:
        assert refused.status == 422
        [(name, message)] = (refused.fields or {}).items()
        assert not message.endswith(" is not valid"), f"{model.__name__}.{name}: {message}"
        assert "Input should" not in message and "Value error" not in message


def test_the_api_reads_with_models() -> None:
    assert len(marked_models()) >= 15
