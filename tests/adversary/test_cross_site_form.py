"""Another website cannot make its visitors' browsers sign through the plain form.

Tried by an adversary: a page on https://evil.example that posts our no-JavaScript form
(the signer's browser sends it, with their address, or with anyone's, to make us mail
strangers), and forms that carry no token, a tampered one, an expired one, or one issued
for another petition. Each is answered with a page in the signer's language that says to
sign again from the petition's page, and nothing is stored or sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from undersign.core.db import database
from undersign.core.models import OutboxMessage, Signature

from tests.conftest import FORM_TOKEN, create_petition, post_form

PERSON = {"name": "Aigerim Bekova", "email": "stranger@example.org", "country": "KZ"}
EVIL = {"Origin": "https://evil.example"}
# What the refusal says, in the words a signer reads.
SIGN_AGAIN = {
    "en": "reload the petition page and sign again",
    "ru": "Обновите страницу петиции и подпишите снова",
    "kk": "Петиция бетін қайта жүктеп, қайта қол қойыңыз",
}


def stored(app) -> tuple[int, int]:
    """Count the signatures and the emails waiting to go out."""
    with database(app).sessions() as session:
        signatures = session.scalar(select(func.count()).select_from(Signature))
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    return signatures, outbox


def token_from(page) -> str:
    issued = FORM_TOKEN.search(page.text)
    assert issued, "the page has no sign form"
    return issued.group(1)


def assert_refused(answer, lang: str, slug: str = "test-petition") -> None:
    assert answer.status_code == 403
    assert answer.mimetype == "text/html"
    assert SIGN_AGAIN[lang] in answer.text
    assert f'<html lang="{lang}"' in answer.text
    assert f'href="/p/{slug}?lang={lang}"' in answer.text  # the way back to a fresh form


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_a_post_from_another_site_is_refused_in_the_signers_language(app, client, petition, lang):
    # A genuine token, fetched by the other site's server: the Origin still gives it away.
    token = token_from(client.get(f"/p/{petition}?lang={lang}"))
    form = {**PERSON, "locale": lang, "form_token": token}
    answer = client.post(f"/p/{petition}?lang={lang}", data=form, headers=EVIL)
    assert_refused(answer, lang)
    assert stored(app) == (0, 0)


def test_a_post_from_a_sandboxed_frame_is_refused(app, client, petition):
    """A sandboxed frame's form says `Origin: null`: anyone's page can make one."""
    token = token_from(client.get(f"/p/{petition}"))
    form = {**PERSON, "form_token": token}
    answer = client.post(f"/p/{petition}?lang=en", data=form, headers={"Origin": "null"})
    assert_refused(answer, "en")
    assert stored(app) == (0, 0)


def test_a_post_without_a_token_is_refused(app, client, petition):
    answer = client.post(f"/p/{petition}?lang=ru", data={**PERSON, "locale": "ru"}, headers=EVIL)
    assert_refused(answer, "ru")
    # And from no site at all (an old browser sends no Origin): still no token, no signature.
    answer = client.post(f"/p/{petition}?lang=kk", data={**PERSON, "locale": "kk"})
    assert_refused(answer, "kk")
    assert stored(app) == (0, 0)


def test_a_tampered_token_is_refused(app, client, petition):
    token = token_from(client.get(f"/p/{petition}"))
    # The signature's first character, which (unlike its last) carries six bits of it.
    payload, signature = token.rsplit(".", 1)
    flipped = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    for forged in (flipped, "", "x" * 5000, token + "."):
        answer = client.post(f"/p/{petition}?lang=en", data={**PERSON, "form_token": forged})
        assert_refused(answer, "en")
    assert stored(app) == (0, 0)


def test_a_token_older_than_a_day_is_refused(app, client, petition, monkeypatch):
    then = int((datetime.now(UTC) - timedelta(hours=25)).timestamp())
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: then)
        token = token_from(client.get(f"/p/{petition}"))
    answer = client.post(f"/p/{petition}?lang=en", data={**PERSON, "form_token": token})
    assert_refused(answer, "en")
    assert stored(app) == (0, 0)


def test_a_token_from_another_petitions_page_is_refused(app, client, petition):
    other = create_petition(app, "other-petition")
    token = token_from(client.get(f"/p/{other}"))
    answer = client.post(f"/p/{petition}?lang=en", data={**PERSON, "form_token": token})
    assert_refused(answer, "en")
    assert stored(app) == (0, 0)


def test_the_form_posted_from_the_page_signs_and_sends_one_email(app, client, signer):
    answer = signer.sign_on_page("ru", email="aigerim@example.org")
    assert answer.status_code == 202
    assert "Почти готово" in answer.text
    assert stored(app) == (1, 1)


def test_the_form_posted_from_our_own_origin_signs(app, client, petition):
    token = token_from(client.get(f"/p/{petition}"))
    form = {**PERSON, "form_token": token}
    answer = client.post(f"/p/{petition}", data=form, headers={"Origin": "http://localhost"})
    assert answer.status_code == 202
    assert stored(app) == (1, 1)


def test_the_embeds_form_signs_from_inside_a_partners_frame(app, client, petition):
    """The framed page is our own origin, so its form's post says so, whoever frames it."""
    page = client.get(f"/embed/{petition}?source=kz-union&lang=kk")
    form = {**PERSON, "source": "kz-union", "locale": "kk", "form_token": token_from(page)}
    answer = client.post(
        f"/p/{petition}?lang=kk", data=form, headers={"Origin": "http://localhost"}
    )
    assert answer.status_code == 202
    assert stored(app) == (1, 1)


def test_a_form_sent_back_with_its_errors_carries_a_token_that_signs(app, client, petition):
    refused = post_form(client, f"/p/{petition}?lang=en", {"name": "", "email": "x"})
    assert refused.status_code == 422
    fixed = {**PERSON, "form_token": token_from(refused)}
    assert client.post(f"/p/{petition}?lang=en", data=fixed).status_code == 202
    assert stored(app) == (1, 1)


@pytest.mark.parametrize("path", ["/p/test-petition", "/embed/test-petition"])
def test_a_page_with_the_form_is_kept_by_no_shared_cache(client, petition, path):
    """A proxy must not hand one token to every reader, for longer than it lives."""
    answer = client.get(path)
    assert answer.cache_control.private
    assert answer.cache_control.no_cache


def test_the_json_api_stays_open_to_every_origin(app, client, petition):
    """Partners' pages post signatures from any site on purpose; the form's rule is not theirs."""
    answer = client.post(f"/api/v1/petitions/{petition}/signatures", json=PERSON, headers=EVIL)
    assert answer.status_code == 202
    assert stored(app) == (1, 1)
