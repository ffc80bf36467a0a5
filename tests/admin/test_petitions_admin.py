"""Creating, editing, opening and closing petitions through the organiser API."""

from __future__ import annotations

NEW = {
    "slug": "clean-water",
    "texts": {
        "en": {"title": "Clean water", "summary": "Fix the pipes.", "target": "The Akimat"},
        "ru": {"title": "Чистая вода", "summary": "Почините трубы."},
    },
    "goal": 1000,
    "closes_at": "2031-01-01T00:00:00+00:00",
}


def test_an_organiser_creates_a_petition_that_the_public_sees_in_each_language(client, organiser):
    created = organiser.post("/petitions", NEW)
    assert created.status_code == 201
    assert created.json["slug"] == "clean-water" and created.json["is_open"] is True
    english = client.get("/api/v1/petitions/clean-water?lang=en").json
    russian = client.get("/api/v1/petitions/clean-water?lang=ru").json
    assert english["title"] == "Clean water" and english["target"] == "The Akimat"
    assert russian["title"] == "Чистая вода" and russian["goal"] == 1000
    assert english["closes_at"].startswith("2031-01-01")


def test_editing_changes_only_what_is_sent(client, organiser):
    organiser.post("/petitions", NEW)
    edited = organiser.patch("/petitions/clean-water", {"goal": 5000})
    assert edited.status_code == 200 and edited.json["goal"] == 5000
    assert edited.json["texts"]["ru"]["title"] == "Чистая вода"
    texts = {**NEW["texts"], "kk": {"title": "Таза су"}}
    organiser.patch("/petitions/clean-water", {"texts": texts, "closes_at": None})
    kazakh = client.get("/api/v1/petitions/clean-water?lang=kk").json
    assert kazakh["title"] == "Таза су" and kazakh["closes_at"] is None and kazakh["goal"] == 5000


def test_invalid_petitions_are_422_with_the_reason(organiser, petition):
    taken = organiser.post("/petitions", {**NEW, "slug": petition})
    assert taken.status_code == 422 and "exists already" in taken.json["error"]["message"]
    untitled = organiser.post("/petitions", {**NEW, "texts": {"en": {"summary": "?"}}})
    assert untitled.status_code == 422 and "title" in untitled.json["error"]["message"]
    assert organiser.post("/petitions", {**NEW, "goal": -3}).json["error"]["fields"] == {
        "goal": "goal must be a positive whole number"
    }
    bad_date = organiser.patch(f"/petitions/{petition}", {"closes_at": "next tuesday"})
    assert bad_date.status_code == 422
    assert organiser.patch("/petitions/nope", {"goal": 3}).status_code == 404


def test_closing_stops_signing_and_opening_resumes_it(signer, organiser):
    closed = organiser.post("/petitions/test-petition/close")
    assert closed.json["status"] == "closed" and closed.json["is_open"] is False
    assert signer.sign(email="late@example.org").status_code == 409
    organiser.post("/petitions/test-petition/open")
    assert signer.sign(email="late@example.org").status_code == 202


def test_the_list_shows_every_petition_with_its_counts(signer, organiser):
    signer.sign_and_confirm("one@example.org")
    signer.sign(email="two@example.org")
    listed = organiser.get("/petitions").json["petitions"]
    assert [p["slug"] for p in listed] == ["test-petition"]
    counts = listed[0]["counts"]
    assert counts["verified"] == 1 and counts["pending"] == 1


def test_the_dashboard_shows_counts_days_countries_sources_and_queues(signer, organiser):
    signer.sign_and_confirm(
        "one@example.org", country="KZ", source="kz-union", comment="Hi", public=True
    )
    signer.sign_and_confirm("two@example.org", country="RU", comment="For us alone")
    signer.sign(email="three@example.org")
    board = organiser.get("/petitions/test-petition/dashboard").json
    assert board["petition"]["counts"]["verified"] == 2
    assert board["petition"]["counts"]["pending"] == 1
    assert board["by_country"] == {"KZ": 1, "RU": 1}
    assert board["by_source"] == {"direct": 1, "kz-union": 1}
    assert sum(day["count"] for day in board["by_day"]) == 2
    assert board["queues"] == {"review": 0, "comments": 1, "held_mail": 0}


def test_only_a_partners_own_sites_may_frame_its_embed(organiser, client, petition):
    created = organiser.post(
        "/partners",
        {"code": "kz-union", "name": "KZ union", "allowed_origins": ["https://union.example"]},
    )
    assert created.status_code == 201, created.json
    framed = client.get(f"/embed/{petition}?source=kz-union")
    assert framed.status_code == 200
    assert framed.headers["Content-Security-Policy"].endswith(
        "; frame-ancestors 'self' https://union.example"
    )
    anyone = client.get(f"/embed/{petition}?source=other-group")
    policy = anyone.headers["Content-Security-Policy"]
    assert "frame-ancestors" not in policy, "no partner, no restriction"


def test_a_long_petition_in_three_languages_is_accepted(organiser, client, petition):
    # Long texts are the organisers' to write; the small body limit is for signing.
    body = "Абзац о заводе и о людях, которые на нём работают.\n\n" * 800  # ~42,000 characters
    texts = {lc: {"title": f"Long ({lc})", "body": body} for lc in ("en", "ru", "kk")}
    answer = organiser.post("/petitions", {"slug": "long-one", "texts": texts})
    assert answer.status_code == 201, answer.json
    shown = client.get("/api/v1/petitions/long-one?lang=kk").json
    assert shown["body"] == body
    # A signature of the same size is still refused at the door.
    huge = {"name": "A", "email": "a@example.org", "country": "KZ", "comment": body}
    assert client.post(f"/api/v1/petitions/{petition}/signatures", json=huge).status_code == 413


def test_stats_by_source_need_a_token_and_a_partner_sees_its_own(
    signer, client, organiser, as_partner
):
    signer.sign_and_confirm("a@example.org", source="kz-union")
    signer.sign_and_confirm("b@example.org", source="uk-solidarity")
    signer.sign_and_confirm("c@example.org")
    stats = "/api/v1/petitions/test-petition/stats"
    assert "by_source" not in client.get(stats).json
    full = client.get(stats, headers=organiser.headers()).json
    assert full["by_source"] == {"direct": 1, "kz-union": 1, "uk-solidarity": 1}
    own = client.get(stats, headers=as_partner("kz-union").headers()).json
    assert own["by_source"] == {"kz-union": 1}
    assert sum(own["by_country"].values()) == 1  # its own share, nothing else
    assert client.get(stats, headers={"Authorization": "Bearer us_wrong"}).status_code == 401


KAZAKH = {
    "title": "Зауытты сақтаңыз",
    "summary": "Жұмыс орындарын қорғайық.",
    "body": "# Талаптарымыз\n\n- Барлық жұмыс орнын сақтау\n- Жалақы қарызын [төлеу](https://example.org/kk)\n",
}


def put_texts(client, organiser, slug: str, lang: str, body):
    return client.put(
        f"/api/v1/admin/petitions/{slug}/texts/{lang}", json=body, headers=organiser.headers()
    )


def test_texts_are_set_one_language_at_a_time_and_the_public_gets_them_rendered(
    client, organiser, petition
):
    answer = put_texts(client, organiser, petition, "kk", KAZAKH)
    assert answer.status_code == 200, answer.json
    assert answer.json["texts"]["kk"] == {**KAZAKH, "body": KAZAKH["body"].strip()}
    assert answer.json["texts"]["en"]["title"] == "Save the plant"  # other languages untouched
    shown = client.get(f"/api/v1/petitions/{petition}?lang=kk").json
    assert shown["title"] == "Зауытты сақтаңыз"
    assert shown["body_html"].startswith("<h2>Талаптарымыз</h2>\n<ul>\n<li>Барлық жұмыс")
    assert (
        '<a href="https://example.org/kk" target="_blank" rel="nofollow noopener'
        in (shown["body_html"])
    )

    # One text changed, the others kept; an empty one removed, so English shows through.
    put_texts(client, organiser, petition, "kk", {"title": "Зауытты қорғайық", "summary": ""})
    shown = client.get(f"/api/v1/petitions/{petition}?lang=kk").json
    assert shown["title"] == "Зауытты қорғайық" and shown["body"] == KAZAKH["body"].strip()
    assert shown["summary"] == "Keep it open."
    entry = organiser.get("/audit").json["entries"][0]
    assert (entry["action"], entry["detail"]) == (
        "petition.translate",
        {"locale": "kk", "fields": ["summary", "title"]},
    )


def test_a_language_is_removed_but_never_the_default_one(client, organiser, petition):
    gone = client.delete(
        f"/api/v1/admin/petitions/{petition}/texts/ru", headers=organiser.headers()
    )
    assert gone.status_code == 200 and "ru" not in gone.json["texts"]
    assert client.get(f"/api/v1/petitions/{petition}?lang=ru").json["title"] == "Save the plant"
    kept = client.delete(
        f"/api/v1/admin/petitions/{petition}/texts/en", headers=organiser.headers()
    )
    assert kept.status_code == 422 and "default language" in kept.json["error"]["message"]


def test_bad_texts_in_one_language_are_refused_and_change_nothing(
    client, organiser, as_partner, petition
):
    refusals = [
        ({"title": "T", "colour": "red"}, "kk", 422, {"colour"}),
        ({"title": 5}, "kk", 422, {"title"}),
        ({"title": "a" * 201}, "kk", 422, None),
        ({"title": "Две\nстроки"}, "kk", 422, None),
        ({"title": ""}, "en", 422, None),  # the default language keeps a title
        ({"title": "T"}, "de", 404, None),
    ]
    for body, lang, status, fields in refusals:
        answer = put_texts(client, organiser, petition, lang, body)
        assert answer.status_code == status, (body, lang, answer.json)
        if fields:
            assert set(answer.json["error"]["fields"]) == fields
    url = f"/api/v1/admin/petitions/{petition}/texts/kk"
    as_text = client.put(url, data="title=T", headers=organiser.headers())
    assert as_text.status_code == 415
    listed = client.put(url, json=["title"], headers=organiser.headers())
    assert listed.status_code == 400
    partner = client.put(url, json={"title": "T"}, headers=as_partner("kz-union").headers())
    assert partner.status_code == 403
    assert client.put(url, json={"title": "T"}).status_code == 401
    assert organiser.get(f"/petitions/{petition}").json["texts"]["kk"] == {
        "title": "Зауытты сақтаңыз"
    }
