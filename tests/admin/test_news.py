"""Updates on the petition page: organisers post them, everyone reads them, newest first."""

from __future__ import annotations

import json
import re

import pytest

from tests.cli import test_cli

DELIVERED = {
    "en": {"title": "We delivered the signatures", "body": "To the **Ministry**, on Monday."},
    "ru": {"title": "Мы передали подписи", "body": "В **министерство**, в понедельник."},
}
HEARING = {"en": {"title": "The court hears the case", "body": "Come at 10:00.\n\nBring a friend."}}


def page(client, lang: str) -> str:
    answer = client.get(f"/p/test-petition?lang={lang}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def titles(html: str) -> list[str]:
    return re.findall(r'<h3 id="news-\d+">([^<]+)</h3>', html)


def test_posts_are_shown_newest_first_in_the_readers_language(organiser, client, petition):
    first = organiser.post("/petitions/test-petition/news", {"texts": DELIVERED})
    assert first.status_code == 201, first.json
    assert first.json["texts"] == DELIVERED
    organiser.post("/petitions/test-petition/news", {"texts": HEARING})

    english = page(client, "en")
    assert titles(english) == ["The court hears the case", "We delivered the signatures"]
    assert "<strong>Ministry</strong>" in english  # Markdown, rendered
    assert "<p>Come at 10:00.</p>" in english
    # Russian where there is Russian; the hearing only in English, marked as English.
    russian = page(client, "ru")
    assert titles(russian) == ["The court hears the case", "Мы передали подписи"]
    assert re.search(r'<article class="news-post" aria-labelledby="news-\d+" lang="en">', russian)
    listed = organiser.get("/petitions/test-petition/news").json["news"]
    assert [p["texts"] for p in listed] == [HEARING, DELIVERED]


def test_a_post_with_html_shows_it_as_text_not_as_markup(organiser, client, petition):
    texts = {"en": {"title": "<script>alert(1)</script>", "body": '<img src=x onerror="x()">'}}
    organiser.post("/petitions/test-petition/news", {"texts": texts})
    html = page(client, "en")
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_deleted_post_leaves_the_page_and_the_audit_log_keeps_both(organiser, client, petition):
    made = organiser.post("/petitions/test-petition/news", {"texts": DELIVERED}).json
    assert organiser.delete(f"/petitions/test-petition/news/{made['id']}").status_code == 204
    assert titles(page(client, "en")) == []
    assert 'id="news"' not in page(client, "en")  # no empty heading either
    assert organiser.delete(f"/petitions/test-petition/news/{made['id']}").status_code == 404
    entries = organiser.get("/audit").json["entries"]
    logged = [(e["action"], e["target"], e["detail"].get("id")) for e in entries[:2]]
    assert logged == [
        ("news.delete", "test-petition", made["id"]),
        ("news.post", "test-petition", made["id"]),
    ]


def test_a_post_of_another_petition_cannot_be_deleted_through_this_one(organiser, petition):
    organiser.post("/petitions", {"slug": "other", "texts": {"en": {"title": "Other"}}})
    made = organiser.post("/petitions/other/news", {"texts": HEARING}).json
    assert organiser.delete(f"/petitions/test-petition/news/{made['id']}").status_code == 404
    assert len(organiser.get("/petitions/other/news").json["news"]) == 1


def test_a_partner_may_read_but_not_post_or_delete(organiser, as_partner, petition):
    made = organiser.post("/petitions/test-petition/news", {"texts": DELIVERED}).json
    partner = as_partner("kz-union")
    assert partner.get("/petitions/test-petition/news").status_code == 200
    assert partner.post("/petitions/test-petition/news", {"texts": HEARING}).status_code == 403
    assert partner.delete(f"/petitions/test-petition/news/{made['id']}").status_code == 403
    assert len(organiser.get("/petitions/test-petition/news").json["news"]) == 1


@pytest.mark.parametrize(
    ("texts", "field"),
    [
        (None, "texts"),
        ({}, "texts"),
        ({"de": {"title": "Neu", "body": "Text"}}, "texts"),
        ({"en": "We delivered"}, "texts"),
        ({"en": {"title": "No body"}}, "texts.en.body"),
        ({"en": {"title": "  ", "body": "Text"}}, "texts.en.title"),
        ({"ru": {"title": "Два\nряда", "body": "Текст"}}, "texts.ru.title"),
        ({"en": {"title": "x" * 201, "body": "Text"}}, "texts.en.title"),
        ({"kk": {"title": "Жаңалық", "body": "x" * 20_001}}, "texts.kk.body"),
    ],
    ids=[
        "absent",
        "empty",
        "language",
        "not-an-object",
        "no-body",
        "blank-title",
        "line-break-in-title",
        "long-title",
        "long-body",
    ],
)
def test_a_wrong_post_is_refused_by_name_and_nothing_is_posted(organiser, petition, texts, field):
    answer = organiser.post("/petitions/test-petition/news", {"texts": texts})
    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]
    assert organiser.get("/petitions/test-petition/news").json["news"] == []


def test_a_body_that_is_not_json_is_refused(organiser, petition):
    answer = organiser.client.post(
        "/api/v1/admin/petitions/test-petition/news",
        data="title=We delivered",
        content_type="application/x-www-form-urlencoded",
        headers=organiser.headers(),
    )
    assert answer.status_code == 415
    assert organiser.post("/petitions/nowhere/news", {"texts": HEARING}).status_code == 404


# --- the command line: `undersign petition news` ---------------------------------------------

invoke, run = test_cli.invoke, test_cli.run  # its fixtures: the command run in this process


def test_the_command_line_posts_an_update_in_one_language(run, tmp_path):
    run("petition", "create", "plant", "--title", "Save the plant")
    (tmp_path / "news.md").write_text("Подписи **переданы**.", encoding="utf-8")
    done = run(
        "petition", "news", "plant", "--lang", "ru",
        "--title", "Мы передали подписи", "--body-file", "news.md",
    )  # fmt: skip
    posted = json.loads(done.stdout)
    assert posted["texts"] == {
        "ru": {"title": "Мы передали подписи", "body": "Подписи **переданы**."}
    }
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    refused = run(
        "petition", "news", "plant", "--title", "T", "--body-file", "empty.md", check=False
    )
    assert refused.exit_code != 0 and "texts.en.body is required" in refused.stderr
