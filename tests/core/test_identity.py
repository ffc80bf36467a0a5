"""Who is the same person, and the keyed hashes stored instead of addresses.

The hashes are written into every signature row. The literals here were computed once:
if a derivation changes (a purpose string, the canonical Gmail domain, the key), every
stored hash stops matching, and everyone who signed could sign again unnoticed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from undersign.core.config import load
from undersign.core.db import database
from undersign.core.identity import address_key, canonical_email, email_key, keyed_hash
from undersign.core.models import Signature, utcnow

from tests.conftest import create_petition

KEY = b"k"


@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("Worker@Example.org", "worker@example.org"),
        ("  worker@example.org \n", "worker@example.org"),
        ("worker+petitions@example.org", "worker@example.org"),
        # Only the first "+" starts the tag: `+a+1`, `+a+2`, ... are one person.
        ("worker+a+b@example.org", "worker@example.org"),
        ("a+b+c@example.org", "a@example.org"),
        ("A.I.Gerim+kz@GoogleMail.com", "aigerim@gmail.com"),
        ("ai.gerim@gmail.com", "aigerim@gmail.com"),
        ("a.b@example.org", "a.b@example.org"),  # dots count everywhere but at Gmail
        # The domain is what follows the last "@" (a quoted local part may hold one).
        ('"a.b@x"@GMail.com', '"ab@x"@gmail.com'),
    ],
)
def test_canonical_email(address, canonical):
    assert canonical_email(address) == canonical


def test_keyed_hash_is_hmac_sha256_of_purpose_nul_value():
    assert keyed_hash(KEY, "email", "a@b") == (
        "8dbf365184831ee32962351d32ec64f849f9d949ae6f60f21b79587f4bea1b5d"
    )


def test_the_stored_email_key_does_not_change():
    expected = "c395cf5352f0e878fbc64dc27d7b7fa4802f6ea5ea4c2171e27685c62e6df96e"
    assert email_key(KEY, "ab@gmail.com") == expected
    assert email_key(KEY, "A.B+x@googlemail.com") == expected
    assert email_key(KEY, "worker@example.org") == (
        "99471f45fc7b76586c75779bc989e26dae32b82cbcc9aa3471eff85ab5ddbf92"
    )


def test_the_stored_address_key_does_not_change():
    assert address_key(KEY, "1.2.3.4") == (
        "a17b026df6cb1c5575c8f091998c3031b307f919d228b852a6ff17a83ee859e8"
    )
    assert address_key(KEY, "2001:db8::1") == (
        "d87deccb7ba83678daad21d67188084f037958b6828e24f2e643ef9fc718d702"
    )
    assert address_key(KEY, "1.2.3.5") != address_key(KEY, "1.2.3.4")


def test_the_hashes_need_the_key():
    assert email_key(b"other", "ab@gmail.com") != email_key(KEY, "ab@gmail.com")
    assert address_key(b"other", "1.2.3.4") != address_key(KEY, "1.2.3.4")


def test_an_email_and_an_ip_with_the_same_text_hash_apart():
    assert keyed_hash(KEY, "email", "x") != keyed_hash(KEY, "ip", "x")


def test_the_identity_key_comes_from_the_secret_key_unless_set(tmp_path):
    derived = load({"SECRET_KEY": "s"}, str(tmp_path))
    assert derived.identity_key == b"identity:s"
    assert email_key(derived.identity_key, "Worker+Tag@Example.org") == (
        "32c25399e26aa7216c0f6a0b6c5eae03e3a2af313268d3f9b122ed4c669a8463"
    )
    assert load({"SECRET_KEY": "s", "IDENTITY_KEY": "kept"}, str(tmp_path)).identity_key == b"kept"


# --- through the API -------------------------------------------------------------


def signatures(app):
    with database(app).sessions() as session:
        return session.scalars(select(Signature).order_by(Signature.id)).all()


def test_a_tag_with_several_plus_signs_is_still_the_same_person(signer, app):
    assert signer.sign_and_confirm("worker@example.org").status_code == 200
    for variant in ("worker+a+1@example.org", "worker+a+b+c@example.org"):
        assert signer.sign(email=variant).status_code == 202
        signer.deliver()
        assert signer.confirm(variant).status_code == 409
    assert signer.count() == 1
    assert len([s for s in signatures(app) if s.status == "verified"]) == 1


def test_signers_on_different_networks_are_not_counted_together(signer, app):
    settings = app.extensions["undersign.settings"]
    app.extensions["undersign.settings"] = replace(settings, shared_address_threshold=2)
    for n, ip in enumerate(["10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1"]):
        signer.client.environ_base["REMOTE_ADDR"] = ip
        assert signer.sign(email=f"worker{n}@plant.example").status_code == 202
    assert [s.flagged for s in signatures(app)] == [False] * 4
    assert len({s.ip_key for s in signatures(app)}) == 4
    # Two more from the first network reach the threshold there, and only there.
    signer.client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    for n in (4, 5):
        assert signer.sign(email=f"worker{n}@plant.example").status_code == 202
    assert [s.flagged for s in signatures(app)] == [False] * 5 + [True]


# --- the shared-address rule: many signatures from one network in a day are flagged -------


def crowded_at(app, threshold: int) -> None:
    settings = app.extensions["undersign.settings"]
    app.extensions["undersign.settings"] = replace(settings, shared_address_threshold=threshold)


def test_a_signer_with_no_known_address_is_neither_keyed_nor_flagged(signer, app):
    crowded_at(app, 1)
    signer.client.environ_base["REMOTE_ADDR"] = ""
    for n in range(2):
        assert signer.sign(email=f"worker{n}@plant.example").status_code == 202
    assert [(s.ip_key, s.flagged) for s in signatures(app)] == [(None, False)] * 2


def test_signatures_on_another_petition_do_not_crowd_this_one(signer, app):
    crowded_at(app, 2)
    create_petition(app, "another-petition")
    other = "/api/v1/petitions/another-petition/signatures"
    for n in range(2):
        body = {"name": "Ana", "email": f"other{n}@plant.example", "country": "KZ"}
        assert signer.client.post(other, json=body).status_code == 202
    assert signer.sign(email="here@plant.example").status_code == 202
    assert [s.flagged for s in signatures(app)] == [False, False, False]


def test_signatures_older_than_a_day_do_not_crowd_the_address(signer, app):
    crowded_at(app, 2)
    for n in range(2):
        assert signer.sign(email=f"early{n}@plant.example").status_code == 202
    with database(app).sessions.begin() as session:
        session.execute(update(Signature).values(created_at=utcnow() - timedelta(hours=25)))
    assert signer.sign(email="today@plant.example").status_code == 202
    assert [s.flagged for s in signatures(app)] == [False, False, False]
