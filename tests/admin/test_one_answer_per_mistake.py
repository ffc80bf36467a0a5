"""The public and organiser APIs answer the same mistake the same way (api/params)."""

from __future__ import annotations

import pytest

# (route, a body it takes): one public, one organiser, each posting JSON.
PUBLIC = "/api/v1/signatures/verify"
ORGANISER = "/api/v1/admin/petitions"

MISTAKES = [
    ({"data": "token=x", "content_type": "application/x-www-form-urlencoded"}, 415),
    ({"data": "token", "content_type": "text/plain"}, 415),
    ({"data": "{", "content_type": "application/json"}, 400),
    ({"data": "[]", "content_type": "application/json"}, 400),
    ({"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"}, 400),
]


@pytest.mark.parametrize(("body", "status"), MISTAKES)
def test_an_unreadable_body_gets_the_same_answer_everywhere(client, organiser, body, status):
    public = client.post(PUBLIC, **body)
    admin = client.post(ORGANISER, headers=organiser.headers(), **body)
    assert (public.status_code, admin.status_code) == (status, status)
    assert public.json["error"]["code"] == admin.json["error"]["code"]


@pytest.mark.parametrize("query", ["page=0", "page=x", "page=²", "per_page=9999"])
def test_bad_paging_gets_the_same_answer_everywhere(client, petition, organiser, query):
    public = client.get(f"/api/v1/petitions/{petition}/signatures?{query}")
    admin = client.get(
        f"/api/v1/admin/petitions/{petition}/signatures?{query}", headers=organiser.headers()
    )
    assert (public.status_code, admin.status_code) == (422, 422)
    assert public.json["error"]["fields"].keys() == admin.json["error"]["fields"].keys()


def test_a_title_with_a_line_break_is_refused_and_nothing_is_made(organiser):
    texts = {"en": {"title": "Save the plant\r\nBcc: everyone@example.org"}}
    answer = organiser.post("/petitions", {"slug": "injected", "texts": texts})
    assert answer.status_code == 422
    assert organiser.get("/petitions/injected").status_code == 404


@pytest.mark.parametrize("goal", [99999999999999999999, 2**31, 0, 1.5, True, "100"])
def test_a_goal_the_database_cannot_keep_is_a_wrong_field_not_a_failure(organiser, petition, goal):
    answer = organiser.patch(f"/petitions/{petition}", {"goal": goal})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {"goal": "goal must be a positive whole number"}
    assert organiser.get(f"/petitions/{petition}").json["goal"] != goal


def test_the_largest_goal_the_database_keeps_is_taken(organiser, petition):
    answer = organiser.patch(f"/petitions/{petition}", {"goal": 2**31 - 1})
    assert answer.status_code == 200 and answer.json["goal"] == 2**31 - 1


def test_a_webhook_address_beyond_its_limit_is_refused_by_name(organiser):
    url = "https://example.org/" + "x" * 500
    answer = organiser.post("/webhooks", {"url": url, "petition": "nope"})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {"url": "url must be at most 500 characters"}


def said(schema: dict, key: str) -> object:
    """Return what a property's schema says of `key`, in it or in the non-null of its anyOf."""
    for part in [schema, *schema.get("anyOf", [])]:
        if key in part:
            return part[key]
    raise KeyError(key)


def test_the_document_states_each_limit_its_check_uses(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    petition = schemas["PetitionFields"]["properties"]
    assert said(petition["goal"], "maximum") == 2**31 - 1
    assert said(petition["organiser_name"], "maxLength") == 120
    assert said(petition["organiser_contact"], "maxLength") == 200
    assert said(petition["thanks_url"], "maxLength") == 500
    assert said(schemas["NewWebhook"]["properties"]["url"], "maxLength") == 500
