"""The hand-over list: in the petition's language; names only who agreed, counts the rest.

Paper signatures join it: every one of a count is counted by country; a typed-in
signer is named only when the list said so.
"""

from __future__ import annotations

import re

from undersign.campaigns import petitions
from undersign.core import auth, sealing
from undersign.core.db import database

NAMED_ROW = re.compile(
    r'<tr(?: class="paper")?><td class="n">\d+</td><td>([^<]*)</td><td>([^<]*)</td>'
)
COUNTED_ROW = re.compile(r'<tr><td class="country">([^<]+)</td><td class="n">(\d+)</td></tr>')


def handover(organiser, slug="test-petition"):
    answer = organiser.get(f"/petitions/{slug}/handover")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    return answer.get_data(as_text=True)


def test_the_list_names_only_those_who_agreed_and_counts_the_others_per_country(signer, organiser):
    signer.sign_and_confirm("a@example.org", name="Aigerim Named", city="Almaty", named=True)
    signer.sign_and_confirm("b@example.org", name="Boris Hidden", city="Secretburg")
    signer.sign_and_confirm(
        "c@example.org", name="Chloe Hidden", city="Hiddenville", country="FR", named=False
    )
    signer.sign_and_confirm("d@example.org", name="Dana Hidden", city="Quietown", country="FR")
    signer.sign_and_confirm("e@example.org", name="Erlan Named", country="KG", named=True)

    page = handover(organiser)

    assert "Save the plant&nbsp;— 5 signatures</th>" in page  # the total stays the total
    assert NAMED_ROW.findall(page) == [("Aigerim Named", "Almaty"), ("Erlan Named", "")]
    assert COUNTED_ROW.findall(page) == [("France", "2"), ("Kazakhstan", "1")]
    assert "Named in the list, as they agreed: 2" in page
    assert "counted by country at the end): 3" in page
    for hidden in ("Boris", "Secretburg", "Chloe", "Hiddenville", "Dana", "Quietown", "Hidden"):
        assert hidden not in page


def test_the_first_page_has_the_addressee_the_text_and_the_total(signer, organiser):
    signer.sign_and_confirm("a@example.org", named=True)
    page = handover(organiser)
    cover = page[page.index('<section class="cover">') : page.index("</section>")]
    assert "To: <strong>The Ministry</strong>" in cover
    assert "<h1>Save the plant</h1>" in cover and "Keep it open." in cover
    assert "Total: <strong>1 signature</strong>" in cover
    assert '<html lang="en">' in page


def test_the_list_speaks_the_petitions_language(app, signer, organiser):
    with database(app).sessions() as session:
        found = petitions.find(session, "test-petition")
        found.default_locale = "ru"
        session.commit()
    signer.sign_and_confirm("a@example.org", name="Айгерим Бекова", named=True)
    signer.sign_and_confirm("b@example.org", country="KG")
    page = handover(organiser)
    assert '<html lang="ru">' in page
    assert "<h1>Спасите завод</h1>" in page
    assert "Всего: <strong>2 подписи</strong>" in page
    assert "<th>Имя</th><th>Город</th><th>Страна</th><th>Дата</th>" in page
    assert COUNTED_ROW.findall(page) == [("Кыргызстан", "1")]
    assert "To:" not in page and "Total" not in page


def test_paper_counts_join_the_countries_and_typed_in_names_only_if_the_list_says(
    signer, organiser
):
    signer.sign_and_confirm("a@example.org", name="Online Named", named=True)
    organiser.post(
        "/petitions/test-petition/paper",
        {"count": 120, "country": "KZ", "date": "2026-11-28", "note": "plant gate"},
    )
    typed = "name,city,country,date,named\nPaper Named,Satpayev,KZ,2026-11-28,yes\n"
    typed += "Paper Unnamed,Secretburg,RU,2026-11-29,\n"
    stored = organiser.post(
        "/petitions/test-petition/paper/import", {"csv": typed, "dry_run": False}
    )
    assert stored.status_code == 201
    page = handover(organiser)
    assert "Total: <strong>123 signatures</strong>" in page
    assert NAMED_ROW.findall(page) == [("Online Named", ""), ("Paper Named", "Satpayev")]
    assert '<tr class="paper"><td class="n">2</td><td>Paper Named</td>' in page
    assert "signed on paper and typed in by the organisers" in page
    assert COUNTED_ROW.findall(page) == [("Kazakhstan", "120"), ("Russia", "1")]
    assert "Paper Unnamed" not in page and "Secretburg" not in page
    assert "Named in the list, as they agreed: 2" in page


def test_a_list_where_everyone_agreed_has_no_count_of_others(signer, organiser):
    signer.sign_and_confirm("a@example.org", name="Aigerim Named", named=True)
    page = handover(organiser)
    assert "Aigerim Named" in page and 'class="unnamed"' not in page
    assert "signed on paper" not in page  # no paper, no legend


def test_a_list_where_no_one_agreed_names_no_one_and_counts_everyone(signer, organiser):
    signer.sign_and_confirm("a@example.org", name="Aigerim Hidden", city="Almaty")
    page = handover(organiser)
    assert "Save the plant&nbsp;— 1 signature</th>" in page
    assert "Aigerim" not in page and "Almaty" not in page
    assert COUNTED_ROW.findall(page) == [("Kazakhstan", "1")]


def test_a_sealed_petition_lists_sealed_values_for_the_browser_to_open(app, client, smtp):
    from tests.admin.conftest import OrganiserAPI, make_token
    from tests.conftest import Signer

    key = sealing.generate()
    with database(app).sessions() as session:
        texts = {"en": {"title": "Sealed plant"}}
        petitions.create(session, "sealed", texts, by=auth.CLI, seal_key=key.public)
    signer = Signer(app, client, smtp, "sealed")
    signer.sign_and_confirm("a@example.org", name="Aigerim Bekova", city="Almaty", named=True)
    organiser = OrganiserAPI(client, make_token(app, "office"))
    typed = "name,city,country,date,named\nPaper Person,Satpayev,KZ,2026-11-28,yes\n"
    organiser.post("/petitions/sealed/paper/import", {"csv": typed, "dry_run": False})
    page = handover(organiser, "sealed")
    assert "Aigerim" not in page and "Almaty" not in page and "Paper Person" not in page
    sealed = re.findall(r'<span class="sealed" data-sealed="(sealed:[^"]+)">sealed</span>', page)
    assert len(sealed) == 4  # two names, two cities
    opened = [sealing.open_value([key.private], value) for value in sealed]
    assert opened == ["Aigerim Bekova", "Almaty", "Paper Person", "Satpayev"]
