"""web/params: an unreadable body is one answer everywhere; numbers and moments read strictly."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from undersign.web import params
from undersign.web.errors import APIError

# A bare app: parsing needs a request, not a database.
bare = Flask(__name__)


def refusal(**request: object) -> tuple[int, dict[str, str] | None]:
    """Return (status, fields) of what json_object() makes of a request, or (200, None)."""
    with bare.test_request_context("/", method="POST", **request):  # type: ignore[arg-type]
        try:
            params.json_object()
        except APIError as error:
            return error.status, error.fields
    return 200, None


@given(st.text(max_size=12))
def test_a_whole_number_is_ascii_digits_in_range_or_refused(raw: str) -> None:
    try:
        number = params.whole_number(raw, 1, 1000)
    except ValueError:
        assert not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 1000)
    else:
        assert raw.isascii() and raw.isdigit() and number == int(raw)
        assert 1 <= number <= 1000


@pytest.mark.parametrize("raw", ["²", "١٢", "１", " 5", "5 ", "+5", "1_0", "0x1", ""])
def test_numbers_that_python_would_half_read_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        params.whole_number(raw, 0, 10**9)


@given(st.text(max_size=40))
def test_any_text_is_a_moment_in_utc_or_a_value_error(raw: str) -> None:
    for until in (False, True):
        try:
            parsed = params.moment(raw, until=until)
        except ValueError:
            continue
        assert parsed.tzinfo is not None and parsed.utcoffset() == UTC.utcoffset(None)


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_moment_reads_back_what_isoformat_wrote(moment: datetime) -> None:
    assert params.moment(moment.isoformat()) == moment


@pytest.mark.parametrize(
    ("raw", "until"),
    [
        ("9999-12-31", True),  # the day after the calendar's last
        ("0001-01-01T00:00:00+01:00", False),  # before the first moment in UTC
        ("9999-12-31T23:59:59-01:00", False),  # after the last
    ],
)
def test_moments_beyond_the_calendar_are_refused(raw: str, until: bool) -> None:
    with pytest.raises(ValueError):
        params.moment(raw, until=until)


def test_until_a_bare_date_takes_that_whole_day() -> None:
    assert params.moment("2026-11-27", until=True) == datetime(2026, 11, 28, tzinfo=UTC)
    assert params.moment("2026-11-27T10:00", until=True) == datetime(2026, 11, 27, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        ({"data": "name=Ana", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "{}", "content_type": "text/plain"}, 415),
        ({"data": "{", "content_type": "application/json"}, 400),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400),
        ({"data": "null", "content_type": "application/json"}, 400),
        ({"data": b"\xff\xfe{}", "content_type": "application/json"}, 400),
        ({"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"}, 400),
        ({"data": '{"a": 1}', "content_type": "application/json"}, 200),
    ],
)
def test_a_body_is_a_json_object_or_refused_with_one_answer(request_, status) -> None:
    assert refusal(**request_)[0] == status


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), st.lists, max_leaves=20))
def test_any_json_that_is_not_an_object_is_400(value: object) -> None:
    assert refusal(data=json.dumps(value), content_type="application/json")[0] == 400
