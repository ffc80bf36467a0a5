"""Signing first with another spelling of someone's address cannot silence them.

Tried by an adversary with the staff list: `victim+x@domain` and `victim@domain` are one
mailbox, so signing first as `victim+x@...` used to own the person's row, and the victim's
own posts were answered by emails to the spelling the adversary chose. Now every email goes
to the spelling its post typed, whoever confirms from their own link owns the signature, and
the person still counts once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from undersign.core.db import database
from undersign.core.models import Signature
from undersign.signers.signing import TAGGED_SPELLINGS_PER_WINDOW

VICTIM = "aigerim@plant.example"
ALIAS = "aigerim+x@plant.example"


def verified(app) -> list[Signature]:
    with database(app).sessions() as session:
        query = select(Signature).where(Signature.status == "verified")
        return list(session.scalars(query))


def test_the_adversarys_spelling_first_cannot_take_the_victims_signature(signer, app):
    assert signer.sign(email=ALIAS, name="Signed by someone else").status_code == 202
    assert signer.sign(email=VICTIM, name="Aigerim Bekova").status_code == 202
    signer.deliver()
    # Each post's email went to the spelling it typed, and to no other.
    assert len(signer.inbox(VICTIM)) == 1
    assert len(signer.inbox(ALIAS)) == 1
    assert signer.confirm(VICTIM).status_code == 200
    late = signer.confirm(ALIAS)  # the adversary's link, if it ever arrives
    assert late.status_code == 409
    assert "signed already" in late.text
    assert signer.count() == 1
    [kept] = verified(app)
    assert (kept.email, kept.name) == (VICTIM, "Aigerim Bekova")


def test_the_api_answers_a_late_spelling_with_already_signed(signer, app):
    signer.sign(email=ALIAS)
    signer.sign_and_confirm(VICTIM)
    answer = signer.client.post("/api/v1/signatures/verify", json={"token": signer.token(ALIAS)})
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "already_signed"
    assert signer.count() == 1


def test_many_tagged_spellings_cannot_flood_the_inbox_nor_hold_back_the_plain_one(signer, app):
    tagged = [f"aigerim+{n}@plant.example" for n in range(20)]
    for address in tagged:
        assert signer.sign(email=address).status_code == 202
    assert signer.sign(email=VICTIM).status_code == 202
    signer.deliver()
    emailed = [address for address in tagged if signer.inbox(address)]
    assert emailed == tagged[:TAGGED_SPELLINGS_PER_WINDOW]
    assert len(signer.inbox(VICTIM)) == 1, "the plain spelling is never held back by the others"
    assert signer.confirm(VICTIM).status_code == 200
    assert signer.count() == 1


def test_two_spellings_confirmed_at_once_count_once(signer, app):
    signer.sign(email=ALIAS)
    signer.sign(email=VICTIM)
    signer.deliver()
    links = [signer.token(VICTIM), signer.token(ALIAS)]

    def confirm(token: str) -> int:
        return (
            app.test_client().post("/api/v1/signatures/verify", json={"token": token}).status_code
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(confirm, links))
    assert answers == [200, 409]
    assert signer.count() == 1
    assert len(verified(app)) == 1


def test_a_withdrawn_person_can_confirm_another_spelling_later(signer, app):
    signer.sign(email=ALIAS)
    signer.sign_and_confirm(VICTIM)
    signer.client.post(f"/withdraw/{signer.token(VICTIM, 'withdraw')}")
    assert signer.count() == 0
    assert signer.confirm(ALIAS).status_code == 200
    assert signer.count() == 1
