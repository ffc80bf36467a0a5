"""Bad input gets a clear 4xx in the one error shape, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.models import Signature

VALID = {"name": "Aigerim Bekova", "email": "aigerim@example.org", "country": "KZ"}


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
        ({"name": 42}, "name"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"email": "a@" + "b" * 250 + ".org"}, "email"),
        ({"country": ""}, "country"),
        ({"country": "XX"}, "country"),
        ({"country": "KAZ"}, "country"),
        ({"postcode": "1" * 17}, "postcode"),
        ({"city": "c" * 81}, "city"),
        ({"comment": "m" * 1001}, "comment"),
        ({"public": "maybe"}, "public"),
        ({"contact_consent": [1]}, "contact_consent"),
        ({"source": "Not Valid!"}, "source"),
        ({"source": "a" * 41}, "source"),
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
    answer = client.post(f"/p/{petition}", data={"name": "", "email": "x", "country": "KZ"})
    assert answer.status_code == 422
    assert answer.mimetype == "text/html"
    assert "Please fill this in." in answer.get_data(as_text=True)
    assert stored(app) == 0
    ok = client.post(f"/p/{petition}", data={**VALID, "public": "true"})
    assert ok.status_code == 202
    assert "check your email" in ok.get_data(as_text=True)
    assert stored(app) == 1


def test_a_form_cached_with_the_old_target_is_sent_on_to_the_page(client, app, petition):
    answer = post(client, petition, query_string={"lang": "ru"}, data=VALID)
    assert answer.status_code == 307  # a browser posts the same form again, there
    assert answer.headers["Location"] == f"/p/{petition}?lang=ru"
    # The test client cannot send a body twice; a browser does, as this second post.
    followed = client.post(answer.headers["Location"], data=VALID)
    assert followed.status_code == 202
    assert followed.mimetype == "text/html"
    assert 'lang="ru"' in followed.text
    assert stored(app) == 1


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
