"""The links in emails: their purposes, lifetimes and formats, pinned.

A verify link lives in an inbox for two weeks, a withdraw link for a year, an
unsubscribe link for ten. The tokens written out below were made once with the key
"k" at a fixed time: if a salt, a lifetime or the key derivation of the box that hides
the signature's id changes, links already sent stop opening, and a test here fails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from undersign.core import auth, tokens
from undersign.core.tokens import VERIFY, WITHDRAW, ExpiredToken, InvalidToken, Link, Purpose
from undersign.organisers import webhooks
from undersign.organisers.mailings import SIGNATURE_BITS, UNSUBSCRIBE, unsubscribe_token

KEYS = ["k"]
MADE = 1_800_000_000  # when the tokens below were made (2027-01-15 08:00 UTC)
MADE_AT = datetime.fromtimestamp(MADE, UTC)

VERIFY_42 = (
    "IjNvRHNuTGZGSjlkc2hLcy1vRWNrZDh3c3J4czNXbTZEcEdVY3lHNlJUUXpsZi1BUE0waldSZ1Q3M0JMckZRelgi"
    ".a0nSAA.KQj_zBnDzFVoYj_fYuB6Gzl_a-U"
)
WITHDRAW_42 = (
    "Im1RcUdFYmp6LTE0enY1TTVVWXFSdXZpN1R1WEtGTTRnOHpIbTZQVkFhRzZUY2R6WWMyN3h0UndrSHFVcWdzbFEi"
    ".a0nSAA.0Hp2gK1Jm48rIMoG38Lxo9DknZE"
)
# Mailing 7, signature 42.
UNSUBSCRIBE_7_42 = (
    "Ikc3b0hfX2JmbFNnX0w3QzRFR09GLXhwMFIzWmJFQm0xcnNkeDNKTl9TTWVua2hROGZNZVBXNkdtZklWeW4zX1Yi"
    ".a0nSAA.MmPT5oK3S_ckyhSm7iXh6uSmiTQ"
)
# Signed with "new" after "old" in the rotation.
ROTATED_42 = (
    "Ill2ck85ZHZBeURlb0Nfa2g0R0FMUjJQdG9xYkdFR2tNX2lQT09nak4zVDhXbTIyajlRd28xUm41SHFqN3g2Nkwi"
    ".a0nSAA.aQzZ0AmG1G2gXhtjHrqvCWMq7J0"
)
# Made before ids were encrypted: the payload is the bare number 42.
LEGACY_42 = "NDI.a0nSAA.ipg6VvrkTBFWiS53kYr6gcTVvb0"
# Genuinely signed, but its payload is no box of ours.
NOT_A_BOX = "Im5vdC1hLWJveCI.a0nSAA.9aVYbZAJc49KprEl5GeTWK-Lrmg"
# Sealed boxes (the payload inside a token), the second ending in "X".
SEALED_42 = "UMumqUgAwWBbfvJN_siR5zvCXa0BK2z1zhZPv27mjMbCCAo8YjHorEL-j9C5YUE6"
SEALED_1013 = "XnPacds6sffk5D83ibkjD-jz6v3DLw3KIA_AfCE6aHHob2UknGXEJSosKqPzhXCX"


@pytest.fixture
def clock(monkeypatch):
    """Set itsdangerous's clock to `clock(after)`: that long after the tokens were made."""

    def at(after: timedelta) -> None:
        now = MADE + int(after.total_seconds())
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)

    return at


def test_each_purpose_has_its_salt_and_lifetime():
    assert Purpose("undersign.verify", timedelta(days=14)) == VERIFY
    # Withdrawing: as long as the signer's data is kept (signing.signature_for_link checks it).
    assert Purpose("undersign.withdraw", timedelta.max, until_erased=True) == WITHDRAW
    assert Purpose("undersign.unsubscribe", timedelta(days=3650)) == UNSUBSCRIBE


@pytest.mark.parametrize(
    ("token", "purpose", "lifetime"),
    [(VERIFY_42, VERIFY, timedelta(days=14))],
)
def test_a_link_already_sent_opens_for_its_whole_lifetime_and_not_a_second_more(
    clock, token, purpose, lifetime
):
    clock(timedelta(0))
    assert tokens.read(KEYS, purpose, token) == Link(42, MADE_AT)
    clock(lifetime)
    assert tokens.read(KEYS, purpose, token) == Link(42, MADE_AT)
    clock(lifetime + timedelta(seconds=1))
    with pytest.raises(ExpiredToken) as expired:
        tokens.read(KEYS, purpose, token)
    assert expired.value.link == Link(42, MADE_AT)


def test_a_withdraw_link_has_no_age_of_its_own(clock):
    # Its end is the data's (tests/signers/test_retention.py): ten years on, the token still reads.
    clock(timedelta(days=3650))
    assert tokens.read(KEYS, WITHDRAW, WITHDRAW_42) == Link(42, MADE_AT)


def test_an_unsubscribe_link_already_sent_still_names_its_mailing_and_signer(clock):
    clock(timedelta(days=3000))
    link = tokens.read(KEYS, UNSUBSCRIBE, UNSUBSCRIBE_7_42)
    assert link.signature_id == (7 << SIGNATURE_BITS) | 42
    assert SIGNATURE_BITS == 40


def test_a_link_signed_before_a_key_rotation_still_opens(clock):
    clock(timedelta(days=1))
    assert tokens.read(["old", "new"], VERIFY, ROTATED_42).signature_id == 42
    assert tokens.read(["new"], VERIFY, ROTATED_42).signature_id == 42
    with pytest.raises(InvalidToken):
        tokens.read(["old"], VERIFY, ROTATED_42)


def test_a_link_from_before_ids_were_encrypted_still_opens(clock):
    clock(timedelta(days=1))
    assert tokens.read(KEYS, VERIFY, LEGACY_42) == Link(42, MADE_AT)
    clock(timedelta(days=15))
    with pytest.raises(ExpiredToken) as expired:
        tokens.read(KEYS, VERIFY, LEGACY_42)
    assert expired.value.link.signature_id == 42


@pytest.mark.parametrize("after", [timedelta(days=1), timedelta(days=15)])
def test_a_genuine_token_without_one_of_our_boxes_is_invalid_fresh_or_expired(clock, after):
    clock(after)
    with pytest.raises(InvalidToken):
        tokens.read(KEYS, VERIFY, NOT_A_BOX)


@pytest.mark.parametrize("token", [VERIFY_42, WITHDRAW_42, UNSUBSCRIBE_7_42])
def test_a_link_opens_for_its_own_purpose_only(clock, token):
    clock(timedelta(days=1))
    purposes = {VERIFY_42: VERIFY, WITHDRAW_42: WITHDRAW, UNSUBSCRIBE_7_42: UNSUBSCRIBE}
    for purpose in {VERIFY, WITHDRAW, UNSUBSCRIBE} - {purposes[token]}:
        with pytest.raises(InvalidToken):
            tokens.read(KEYS, purpose, token)


def test_a_link_does_not_open_under_another_key(clock):
    clock(timedelta(days=1))
    with pytest.raises(InvalidToken):
        tokens.read(["another key"], VERIFY, VERIFY_42)


# --- the box that hides the signature's id --------------------------------------


def test_the_box_key_is_derived_from_the_secret_key_and_the_purpose():
    assert bytes(tokens._box("k", VERIFY)).hex() == (
        "b75f8b543b2fe74e48bb23635f6c08c172413c033dbd3492669bdebd251aa202"
    )
    assert bytes(tokens._box("k", WITHDRAW)) != bytes(tokens._box("k", VERIFY))
    assert bytes(tokens._box("another key", VERIFY)) != bytes(tokens._box("k", VERIFY))


def test_a_sealed_id_opens_with_its_key_and_purpose_only():
    assert tokens._opened(KEYS, VERIFY, SEALED_42) == 42
    assert tokens._opened(KEYS, VERIFY, SEALED_1013) == 1013
    assert tokens._opened(["another key", "k"], VERIFY, SEALED_42) == 42
    assert tokens._opened(["another key"], VERIFY, SEALED_42) is None
    assert tokens._opened(KEYS, WITHDRAW, SEALED_42) is None


def test_a_box_is_64_characters_without_padding():
    sealed = tokens._seal("k", VERIFY, 2**64 - 1)
    assert len(sealed) == 64 and "=" not in sealed
    assert tokens._opened(KEYS, VERIFY, sealed) == 2**64 - 1


@pytest.mark.parametrize(
    "payload", [None, True, 4.2, [42], {"id": 42}, "", "not base64!", "A" * 201, SEALED_42[:-1]]
)
def test_a_payload_that_is_no_box_of_ours_holds_no_id(payload):
    assert tokens._opened(KEYS, VERIFY, payload) is None


@settings(max_examples=300, derandomize=True)
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_every_id_comes_back_from_its_link(signature_id):
    token = tokens.make(["old", "k"], WITHDRAW, signature_id)
    assert tokens.read(["old", "k"], WITHDRAW, token).signature_id == signature_id


# --- how long a link may reach a row ---------------------------------------------


def test_a_link_names_rows_created_up_to_a_second_after_it_and_no_later():
    link = Link(42, MADE_AT)
    assert link.names(MADE_AT - timedelta(days=1))
    assert link.names(MADE_AT)
    assert link.names(MADE_AT + timedelta(seconds=1))
    assert not link.names(MADE_AT + timedelta(seconds=1, microseconds=1))
    assert not link.names(MADE_AT + timedelta(seconds=2))


# --- the other formats stored or sent --------------------------------------------


def test_an_unsubscribe_link_packs_mailing_and_signer_into_one_id():
    token = unsubscribe_token(KEYS, 7, 42)
    assert tokens.read(KEYS, UNSUBSCRIBE, token).signature_id == 7 * 2**40 + 42


def test_the_stored_organiser_token_digest_does_not_change():
    assert auth.digest("us_example") == (
        "77eccb82dd8f1696d6423b806edd62f85f95570c89272a1792c7ba0b7be20508"
    )


def test_the_webhook_signature_header_does_not_change():
    body = b'{"event":"signature.verified"}'
    assert webhooks.sign("secret", str(MADE), body) == (
        "sha256=4e446aded28e5e089aff47346b41c26bbbf024ae4afd8ef4a8be8f9105c1733a"
    )


def test_a_token_signed_elsewhere_with_our_salt_but_not_our_key_is_refused(clock):
    clock(timedelta(0))
    forged = URLSafeTimedSerializer(["not ours"], salt=VERIFY.salt).dumps(SEALED_42)
    with pytest.raises(InvalidToken):
        tokens.read(KEYS, VERIFY, forged)


@pytest.mark.parametrize("purpose", [VERIFY, WITHDRAW, tokens.FORM], ids=lambda p: p.salt)
def test_a_link_made_now_is_byte_for_byte_what_itsdangerous_alone_makes(purpose, monkeypatch):
    # The mailer's cheaper serializer must not change a link: one made now opens on a
    # server rolled back to plain itsdangerous, and plain itsdangerous's links open here.
    keys = ["old-key", "new-key"]
    plain = URLSafeTimedSerializer(keys, salt=purpose.salt)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    payloads = (
        [tokens._seal(keys[-1], purpose, n) for n in range(300)]
        if purpose is not tokens.FORM
        else ["zhezkazgan", "a" * 80, "water-for-" * 6]  # slugs, some compressible
    )
    for payload in payloads:
        made = tokens._serializer(keys, purpose).dumps(payload)
        assert made == plain.dumps(payload)
        assert tokens._serializer(keys, purpose).loads(plain.dumps(payload)) == payload
