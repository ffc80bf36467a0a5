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
