"""Bad input gets a clear 4xx in the one error shape, and changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.models import Signature
from undersign.core.validation import parse_signature

from tests.conftest import post_form

VALID = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}
# The longest address there can be: a 64-character local part and a 189-character domain of
# labels of at most 63. One character more in a valid label and it is one too many.
EMAIL_254 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"
EMAIL_255 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".org"


def stored(app) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(Signature)) or 0


def post(client, slug, **kwargs):
    return client.post(f"/api/v1/petitions/{slug}/signatures", **kwargs)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Bad\u0007Bell"}, "name"),
        ({"name": "Right\u202eLeft"}, "name"),
        ({"name": "Private\ue000Use"}, "name"),
        ({"name": "Ana\nBcc: x@example.org"}, "name"),
        ({"name": "Ana\tB"}, "name"),
        ({"name": 42}, "name"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"email": "a@" + "b" * 250 + ".org"}, "email"),
        ({"email": EMAIL_255}, "email"),
        ({"country": ""}, "country"),
        ({"country": "XX"}, "country"),
        ({"country": "KAZ"}, "country"),
        ({"postcode": "1" * 17}, "postcode"),
        ({"postcode": "050\n000"}, "postcode"),
        ({"postcode": "050\t000"}, "postcode"),
        ({"city": "c" * 81}, "city"),
        ({"city": "Almaty\nBcc: x"}, "city"),
        ({"city": "Almaty\tKZ"}, "city"),
        ({"comment": "m" * 1001}, "comment"),
        # Line breaks and tabs are the only controls a comment may hold, on any line.
        ({"comment": "ok\n\u0007"}, "comment"),
        ({"comment": "ok\n\u202eevil"}, "comment"),
        ({"comment": "ok\n\tstill\n\ue000"}, "comment"),
        ({"public": "maybe"}, "public"),
        ({"contact_consent": [1]}, "contact_consent"),
        ({"source": "Not Valid!"}, "source"),
        ({"source": "a" * 41}, "source"),
        ({"source": "a_b"}, "source"),
        ({"locale": "de"}, "locale"),
    ],
)
def test_each_invalid_field_is_named_in_a_422(client, app, petition, changes, field):
    answer = post(client, petition, json={**VALID, **changes})
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "invalid_fields"
    assert list(error["fields"]) == [field]
    assert error["fields"][field]
    assert stored(app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 120),
        ("email", EMAIL_254),
        ("postcode", "1" * 16),
        ("city", "c" * 80),
        ("comment", "m" * 1000),
        ("source", "a" * 40),
        # Joiners: Persian needs ZWNJ, an emoji sequence ZWJ (a woman mechanic).
        ("name", "Mehr\u200cdad \u0645\u0647\u0631\u200c\u062f\u0627\u062f"),
        ("comment", "\U0001f469\u200d\U0001f527 from the plant\n\tline two"),
    ],
)
def test_a_field_at_its_limit_or_with_a_joiner_is_kept_as_typed(
    client, app, petition, field, value
):
    answer = post(client, petition, json={**VALID, field: value})
    assert answer.status_code == 202
    with database(app).sessions() as session:
        assert session.scalar(select(getattr(Signature, field))) == value


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en", "Please keep this to 120 characters."),
        ("ru", "Не более 120 символов."),
        ("kk", "120 таңбадан аспауы керек."),
    ],
)
def test_too_long_says_the_limit_in_the_signers_language(client, petition, locale, message):
    answer = post(client, petition, json={**VALID, "name": "x" * 121, "locale": locale})
    assert answer.json["error"]["fields"] == {"name": message}


def test_a_too_long_comment_says_its_own_limit(client, petition):
    answer = post(client, petition, json={**VALID, "comment": "m" * 1001})
    assert answer.json["error"]["fields"] == {"comment": "Please keep this to 1,000 characters."}


def test_a_line_break_in_a_name_is_refused_in_words(client, petition):
    answer = post(client, petition, json={**VALID, "name": "Ana\nBcc: x@example.org"})
    assert answer.json["error"]["fields"] == {
        "name": "This contains characters that cannot be used."
    }


def test_what_a_request_leaves_out_is_no_consent_and_the_pages_language_or_english():
    parsed = parse_signature(VALID)
    assert (parsed.public, parsed.contact_consent, parsed.named) == (False, False, None)
    assert (parsed.postcode, parsed.city, parsed.comment, parsed.source) == (None,) * 4
    assert (parsed.locale, parsed.is_bot) == ("en", False)
    assert parse_signature(VALID, default_locale="kk").locale == "kk"
    assert parse_signature({**VALID, "locale": "RU"}, default_locale="kk").locale == "ru"


@pytest.mark.parametrize(("field", "value"), [("name", "Lone\ud800"), ("comment", "ok\n\udfff")])
def test_a_lone_surrogate_escaped_in_json_is_refused(client, app, petition, field, value):
    body = json.dumps({**VALID, field: value})  # "\ud800": valid JSON, no valid UTF-8
    answer = post(client, petition, data=body, content_type="application/json")
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {
        field: "This contains characters that cannot be used."
    }
    assert stored(app) == 0


def test_every_problem_is_reported_at_once(client, petition):
    answer = post(client, petition, json={"name": "", "email": "nope", "country": "??"})
    assert set(answer.json["error"]["fields"]) == {"name", "email", "country"}


def test_field_messages_come_in_the_signers_language(client, petition):
    answer = post(client, petition, json={**VALID, "email": "nope", "locale": "ru"})
    assert answer.json["error"]["fields"]["email"].startswith("Введите правильный адрес")


def test_a_lowercase_country_code_is_accepted(client, app, petition):
    assert post(client, petition, json={**VALID, "country": "kz"}).status_code == 202
    with database(app).sessions() as session:
        assert session.scalar(select(Signature.country)) == "KZ"


def test_comments_may_have_several_lines(client, petition):
    comment = "Solidarity from Glasgow.\nStay strong!"
    assert post(client, petition, json={**VALID, "comment": comment}).status_code == 202


def test_malformed_json_is_400(client, app, petition):
    answer = post(client, petition, data="{not json", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "bad_request"
    assert stored(app) == 0


@pytest.mark.parametrize("body", ["[]", '"text"', "null", "42"])
def test_json_that_is_not_an_object_is_400(client, petition, body):
    answer = post(client, petition, data=body, content_type="application/json")
    assert answer.status_code == 400


def test_an_unknown_content_type_is_415(client, app, petition):
    answer = post(client, petition, data="name=x", content_type="text/plain")
    assert answer.status_code == 415
    assert answer.json["error"]["code"] == "unsupported_media_type"
    assert stored(app) == 0


def test_a_body_over_16_kib_is_413(client, app, petition):
    answer = post(client, petition, json={**VALID, "comment": "x" * 20_000})
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == "body_too_large"
    assert stored(app) == 0


def test_an_overlong_url_is_414(client):
    answer = client.get("/api/v1/petitions/" + "a" * 5000)
    assert answer.status_code == 414
    assert answer.json["error"]["code"] == "uri_too_long"


def test_a_wrong_method_is_405_in_the_error_shape(client, petition):
    answer = client.delete(f"/api/v1/petitions/{petition}/signatures")
    assert answer.status_code == 405
    assert answer.json["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=-1", "page=abc", "per_page=0", "page=99999999", "per_page=101", "page=²"],
)
def test_bad_paging_is_422_naming_the_parameter(client, petition, query):
    answer = client.get(f"/api/v1/petitions/{petition}/signatures?{query}")
    assert answer.status_code == 422
    assert list(answer.json["error"]["fields"]) == [query.split("=")[0]]


def test_a_form_post_gets_a_page_and_the_same_validation(client, app, petition):
    answer = post_form(client, f"/p/{petition}", {"name": "", "email": "x", "country": "KZ"})
    assert answer.status_code == 422
    assert answer.mimetype == "text/html"
    assert "Please fill this in." in answer.get_data(as_text=True)
    assert stored(app) == 0
    ok = post_form(client, f"/p/{petition}", {**VALID, "public": "true"})
    assert ok.status_code == 202
    assert "check your email" in ok.get_data(as_text=True)
    assert stored(app) == 1


def test_a_form_cached_with_the_old_target_is_sent_on_to_the_page(client, app, petition):
    answer = post(client, petition, query_string={"lang": "ru"}, data=VALID)
    assert answer.status_code == 307  # a browser posts the same form again, there
    assert answer.headers["Location"] == f"/p/{petition}?lang=ru"
    # The test client cannot send a body twice; a browser does, as this second post. A page
    # that old holds no form token: it answers in the signer's language, asking to reload.
    followed = client.post(answer.headers["Location"], data=VALID)
    assert followed.status_code == 403
    assert followed.mimetype == "text/html"
    assert 'lang="ru"' in followed.text
    assert stored(app) == 0


def test_the_api_takes_json_only(client, app, petition):
    answer = post(client, petition, data="name=Ana", content_type="text/plain")
    assert answer.status_code == 415
    assert answer.json["error"]["code"] == "unsupported_media_type"
    assert stored(app) == 0


@pytest.mark.parametrize(
    "url",
    ["/api/v1/petitions/te%00st", "/api/v1/petitions/test-petition?lang=%00", "/p/te%00st"],
)
def test_a_nul_character_in_the_address_is_400_not_500(client, petition, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"json": {**VALID, "name": "Nul\u0000Name"}},
        {"data": {**VALID, "city": "Nul\x00City"}},
    ],
)
def test_a_nul_character_in_the_body_is_400_on_every_database(client, app, petition, body):
    answer = post(client, petition, **body)
    assert answer.status_code == 400
    assert stored(app) == 0
