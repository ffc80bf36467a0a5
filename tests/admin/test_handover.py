"""The hand-over list names only the signers who agreed and counts the others by country."""

from __future__ import annotations

import re


def test_the_list_names_only_those_who_agreed_and_counts_the_others_per_country(signer, organiser):
    signer.sign_and_confirm("a@example.org", name="Aigerim Named", city="Almaty", named=True)
    signer.sign_and_confirm("b@example.org", name="Boris Hidden", city="Secretburg")
    signer.sign_and_confirm(
        "c@example.org", name="Chloe Hidden", city="Hiddenville", country="FR", named=False
    )
    signer.sign_and_confirm("d@example.org", name="Dana Hidden", city="Quietown", country="FR")
    signer.sign_and_confirm("e@example.org", name="Erlan Named", country="KG", named=True)

    page = organiser.get("/petitions/test-petition/handover").get_data(as_text=True)

    assert "Save the plant — 5 verified signatures" in page  # the total stays the total
    named_rows = re.findall(r'<tr><td class="n">\d+</td><td>([^<]*)</td><td>([^<]*)</td>', page)
    assert named_rows == [("Aigerim Named", "Almaty"), ("Erlan Named", "")]
    counted = re.findall(r'<tr><td class="country">(\w\w)</td><td class="n">(\d+)</td></tr>', page)
    assert counted == [("FR", "2"), ("KZ", "1")]
    assert "Named below, as they agreed: 2" in page
    assert "signed without being named, counted by country at the end: 3" in page
    for hidden in ("Boris", "Secretburg", "Chloe", "Hiddenville", "Dana", "Quietown", "Hidden"):
        assert hidden not in page


def test_a_list_where_everyone_agreed_has_no_count_of_others(signer, organiser):
    signer.sign_and_confirm("a@example.org", name="Aigerim Named", named=True)
    page = organiser.get("/petitions/test-petition/handover").get_data(as_text=True)
    assert "Aigerim Named" in page and 'class="unnamed"' not in page


def test_a_list_where_no_one_agreed_names_no_one_and_counts_everyone(signer, organiser):
    signer.sign_and_confirm("a@example.org", name="Aigerim Hidden", city="Almaty")
    page = organiser.get("/petitions/test-petition/handover").get_data(as_text=True)
    assert "Save the plant — 1 verified signatures" in page
    assert "Aigerim" not in page and "Almaty" not in page
    assert '<tr><td class="country">KZ</td><td class="n">1</td></tr>' in page
