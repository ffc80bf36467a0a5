"""The locale rules from CLDR (Babel) and Unicode collation (pyuca): names, order, plurals,
numbers and dates as a reader of each language expects them."""

from __future__ import annotations

from datetime import date

import pytest
from undersign.core import i18n
from undersign.core.i18n import (
    collation_key,
    count_text,
    countries,
    country_choices,
    format_date,
    format_number,
    inner_quotes,
    likely_country,
    plural,
)

KAZAKH_ALPHABET = (
    "А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І Ь Э Ю Я"
)


def names(locale: str) -> list[str]:
    return [name for _, name in countries(locale)]


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_kazakh_sorts_in_the_order_of_its_alphabet(case) -> None:
    letters = [case(letter) for letter in KAZAKH_ALPHABET.split()]
    assert sorted(reversed(letters), key=collation_key("kk")) == letters


def test_the_unicode_default_order_alone_gets_kazakh_wrong() -> None:
    """Why the tailoring exists: DUCET puts Ү before Ұ and І beside И."""
    default = collation_key("ru")
    assert default("Ү") < default("Ұ")
    assert default("І") < default("Й")


def test_kazakhstan_is_listed_among_the_k_letters_in_kazakh() -> None:
    listed = names("kk")
    kazakhstan = listed.index("Қазақстан")
    assert listed[kazakhstan - 1].startswith("К")  # after every К…
    assert listed[kazakhstan + 1].startswith(("Қ", "Л"))  # …and before Л
    assert listed.index("Әзірбайжан") < listed.index("Бельгия") < listed.index("Ұлыбритания")
    assert listed.index("Ұлыбритания") < listed.index("Үндістан") < listed.index("Фиджи")
    assert listed[-1].startswith("Я")


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_list_is_alphabetical_in_its_language(locale: str) -> None:
    listed = names(locale)
    key = collation_key(locale)
    assert listed == sorted(listed, key=key)
    assert len(listed) == 249  # every ISO 3166-1 country, no regions (EU, UN, "World")


@pytest.mark.parametrize(
    ("locale", "code", "everyday"),
    [
        ("en", "RU", "Russia"),
        ("en", "KR", "South Korea"),
        ("en", "GB", "United Kingdom"),
        ("ru", "RU", "Россия"),
        ("ru", "US", "США"),
        ("ru", "KG", "Кыргызстан"),
        ("ru", "KR", "Южная Корея"),
        ("ru", "SH", "Остров Святой Елены"),  # no "о-в Св." in a picker
        ("ru", "CD", "ДР Конго"),  # not "Конго - Киншаса"
        ("kk", "RU", "Ресей"),
        ("kk", "KZ", "Қазақстан"),
        ("kk", "AT", "Австрия"),  # not CLDR's "Аустрия"
        ("kk", "ZA", "Оңтүстік Африка Республикасы"),  # the state, not the region
    ],
)
def test_countries_carry_their_everyday_names(locale: str, code: str, everyday: str) -> None:
    assert dict(countries(locale))[code] == everyday


@pytest.mark.parametrize(
    ("locale", "accepted", "first"),
    [
        ("kk", [], "KZ"),
        ("ru", ["ru-KZ", "ru"], "KZ"),  # a Russian reader whose browser says Kazakhstan
        ("ru", ["ru"], "RU"),
        ("en", ["en-GB"], "GB"),
        ("en", ["ru-KZ", "en"], "US"),  # another language's region says nothing of this one
    ],
)
def test_the_likeliest_country_comes_first(locale: str, accepted: list[str], first: str) -> None:
    assert likely_country(locale, accepted) == first
    choices = country_choices(locale, accepted)
    assert choices[0][0] == first
    assert sorted(choices) == sorted(countries(locale))  # moved, not repeated


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", ["1 signature", "2 signatures", "5 signatures", "21 signatures"]),
        ("ru", ["1 подпись", "2 подписи", "5 подписей", "21 подпись"]),
        ("kk", ["1 қолтаңба", "2 қолтаңба", "5 қолтаңба", "21 қолтаңба"]),
    ],
)
def test_the_count_takes_the_plural_its_number_needs(locale: str, expected: list[str]) -> None:
    assert [count_text(locale, n) for n in (1, 2, 5, 21)] == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 день"),
        (3, "3 дня"),
        (7, "7 дней"),
        (11, "11 дней"),
        (12, "12 дней"),
        (21, "21 день"),
        (24, "24 дня"),
    ],
)
def test_the_email_says_how_long_its_link_works_in_good_russian(n: int, expected: str) -> None:
    expiry = plural("ru", i18n.messages("ru")["mail"]["verify_expiry"], n, "days")
    assert expiry.startswith(f"Ссылка действует {expected}.")


def test_numbers_are_grouped_as_each_language_groups_them() -> None:
    assert format_number("en", 12345) == "12,345"
    assert format_number("ru", 12345) == "12\u00a0345"
    assert format_number("kk", 1234567) == "1\u00a0234\u00a0567"
    assert count_text("ru", 10_001) == "10\u00a0001 подпись"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "30 November 2026"), ("ru", "30 ноября 2026\u202fг."), ("kk", "2026 жылғы 30 қараша")],
)
def test_dates_are_written_in_words(locale: str, expected: str) -> None:
    assert format_date(locale, date(2026, 11, 30)) == expected
    assert format_date(locale, "2026-11-30T08:15:00+00:00") == expected  # as the wall has them


def test_a_quoted_title_nests_its_own_quotation_marks() -> None:
    assert inner_quotes("ru", "Завод: «консервация»") == "Завод: „консервация“"
    assert inner_quotes("en", "Stop the “conservation”") == "Stop the ‘conservation’"
