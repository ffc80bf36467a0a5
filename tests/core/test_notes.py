"""Signed notes, checkpoints and cosignatures read and write as the C2SP documents say.

The keys, notes and signatures in vectors/notes/ were made by golang.org/x/mod's sumdb/note,
by transparency-dev/formats and by the signed-note specification itself: a witness or a
verifier built on those accepts what Undersign signs, and the other way round.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from undersign.core import notes
from undersign.core.notes import Checkpoint, NoteError, Signer, Verifier

VECTORS = Path(__file__).parent / "vectors" / "notes"
GO = json.loads((VECTORS / "golang-mod.json").read_text())
FORMATS = json.loads((VECTORS / "transparency-dev-formats.json").read_text())
C2SP = json.loads((VECTORS / "c2sp-signed-note.json").read_text())
TEXT = GO["text"]
PETER, ENOCH = Verifier(GO["peter_vkey"]), Verifier(GO["enoch_vkey"])


def test_a_go_verifier_key_reads_back_to_itself():
    assert PETER.name == "PeterNeumann"
    assert PETER.key_id.hex() == "c74f20a3"
    assert PETER.alg == notes.ED25519
    assert PETER.vkey == GO["peter_vkey"]


def test_every_mangled_verifier_key_is_refused():
    vkey = GO["peter_vkey"]
    mangled = {vkey[i:j] for i in range(len(vkey) + 1) for j in range(i + 1, len(vkey) + 1)}
    mangled |= {vkey[:i] + chr(ord(vkey[i]) + 1) + vkey[i + 1 :] for i in range(len(vkey))}
    mangled |= set(GO["bad_vkeys"]) | set(FORMATS["bad_vkeys"])
    mangled.discard(vkey)
    for bad in mangled:
        with pytest.raises(NoteError):
            Verifier(bad)


def test_the_go_signer_key_signs_the_go_note_byte_for_byte():
    signer = Signer(GO["peter_skey"])
    assert signer.vkey == GO["peter_vkey"]
    assert notes.sign(TEXT, [signer]) == TEXT + "\n" + GO["peter_sig"]
    assert "AYEKFALV" not in repr(signer)


def test_every_mangled_signer_key_is_refused():
    skey = GO["peter_skey"]
    mangled = {skey[i:j] for i in range(len(skey) + 1) for j in range(i + 1, len(skey) + 1)}
    mangled |= {skey[:i] + chr(ord(skey[i]) + 1) + skey[i + 1 :] for i in range(len(skey))}
    mangled.discard(skey)
    for bad in mangled:
        with pytest.raises(NoteError):
            Signer(bad)


def test_the_specifications_example_note_verifies():
    note = notes.open(C2SP["note"], [Verifier(C2SP["vkey"])])
    assert note.text == "This is an example message.\n"
    assert [s.name for s in note.verified_by] == ["example.com/foo"]


def test_a_live_witnesses_cosigner_key_has_the_spec_key_id():
    # Its key ID is SHA-256(name || 0x0A || 0x04 || key)[:4]: the constructor checks it.
    witness = Verifier(FORMATS["cosigner_vkey"])
    assert witness.alg == notes.COSIGNATURE_V1
    assert witness.key_id.hex() == "da77ade7"


def test_a_note_keeps_unknown_signatures_without_trusting_them():
    note = notes.open(TEXT + "\n" + GO["peter_sig"] + GO["enoch_sig"], [PETER])
    assert note.text == TEXT
    assert [(s.name, s.key_id.hex()) for s in note.verified_by] == [("PeterNeumann", "c74f20a3")]
    assert [(s.name, s.key_id.hex()) for s in note.unverified] == [("EnochRoot", "af0cfe78")]

    both = notes.open(TEXT + "\n" + GO["peter_sig"] + GO["enoch_sig"], [PETER, ENOCH])
    assert [s.name for s in both.verified_by] == ["PeterNeumann", "EnochRoot"]
    assert both.unverified == []


def test_a_note_no_known_key_signed_is_refused():
    with pytest.raises(notes.UnverifiedNoteError) as refused:
        notes.open(TEXT + "\n" + GO["peter_sig"] + GO["enoch_sig"], [])
    assert str(refused.value) == "note has no verifiable signatures"
    assert [s.name for s in refused.value.note.unverified] == ["PeterNeumann", "EnochRoot"]


def test_a_known_keys_bad_signature_refuses_the_note():
    sig = GO["peter_sig"]
    with pytest.raises(notes.InvalidSignatureError, match="PeterNeumann\\+c74f20a3"):
        notes.open(TEXT + "\n" + sig[:60] + "ABCD" + sig[60:], [PETER])
    with pytest.raises(notes.InvalidSignatureError):
        notes.open(TEXT.replace("problem", "answer") + "\n" + sig, [PETER])


def test_two_different_keys_with_one_name_and_id_are_ambiguous():
    twin = Verifier(GO["enoch_vkey"])
    assert notes.open(TEXT + "\n" + GO["enoch_sig"], [ENOCH, twin])  # the same key twice
    forged = Verifier(GO["enoch_vkey"])
    forged.public_key = bytes(32)  # the same name and ID, another key
    with pytest.raises(NoteError, match="ambiguous key EnochRoot\\+af0cfe78"):
        notes.open(TEXT + "\n" + GO["enoch_sig"], [ENOCH, forged])


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + GO["peter_sig"][:-1],
        "\x01" + TEXT + "\n" + GO["peter_sig"],
        TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg",
        TEXT + "\n" + GO["peter_sig"] + "Unexpected line.\n",
        TEXT + "\n" + GO["peter_sig"] * 101,
    ],
    ids=["no-sigs", "blank-only", "no-final-newline", "control", "bad-name", "junk", "101-sigs"],
)
def test_a_malformed_note_is_refused(note):
    with pytest.raises(NoteError, match="malformed note"):
        notes.open(note, [PETER])


def test_a_note_that_is_not_utf8_is_refused():
    with pytest.raises(NoteError, match="malformed note"):
        notes.open(b"\xff" + (TEXT + "\n" + GO["peter_sig"]).encode(), [PETER])


def test_a_generated_key_pair_signs_and_verifies_and_nothing_else_does():
    skey, vkey = notes.generate("undersign.example/p/clean-air")
    assert skey.startswith("PRIVATE+KEY+undersign.example/p/clean-air+")
    signer, verifier = Signer(skey), Verifier(vkey)
    assert signer.vkey == vkey and verifier.key_id == signer.key_id
    signed = notes.sign("hello\n", [signer])
    assert notes.open(signed, [verifier]).text == "hello\n"
    with pytest.raises(notes.UnverifiedNoteError):
        notes.open(signed, [Verifier(notes.generate("undersign.example/p/other")[1])])
    for bad in ["has space", "has+plus", ""]:
        with pytest.raises(NoteError):
            notes.generate(bad)
    with pytest.raises(NoteError):
        notes.sign("no final newline", [signer])


ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")


def test_a_checkpoint_body_is_the_three_lines_then_extensions():
    cp = Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    assert cp.body() == (
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    counted = Checkpoint("undersign.example/p/clean-air", 3, ROOT, ("count 2",))
    assert counted.body().endswith("=\ncount 2\n")
    assert Checkpoint.parse(counted.body()) == counted
    assert counted.count == 2 and cp.count is None


@pytest.mark.parametrize(
    "body",
    [
        "origin\n3\n",
        "origin\n03\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n-3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
        "origin\n3\nAAAA\n",
        "\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\ncount 2\n",
        "origin\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
    ],
    ids=[
        "two-lines",
        "leading-zero",
        "negative",
        "bad-base64",
        "short-root",
        "no-origin",
        "empty-extension",
        "no-final-newline",
    ],
)
def test_a_malformed_checkpoint_is_refused(body):
    with pytest.raises(NoteError, match="malformed checkpoint"):
        Checkpoint.parse(body)


def test_the_specifications_cosignature_message_is_what_a_witness_signs():
    body = Checkpoint("example.com/behind-the-sofa", 20852163, ROOT).body()
    skey, vkey = notes.generate("witness.example.com/w1", cosigner=True)
    line = notes.cosign(body, Signer(skey), 1679315147)
    raw = base64.b64decode(line.split(" ")[-1])
    witness = Verifier(vkey)
    assert (
        raw[:4] == witness.key_id == notes.key_id("witness.example.com/w1", 4, witness.public_key)
    )
    assert raw[4:12] == (1679315147).to_bytes(8, "big") and len(raw) == 76
    # The message of tlog-cosignature's "Ed25519 signed message" example, signed by that key.
    message = (
        "cosignature/v1\ntime 1679315147\n"
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    from nacl.signing import VerifyKey

    VerifyKey(witness.public_key).verify(message.encode(), raw[12:])
    assert notes.verify_cosignature(body, line, witness) == 1679315147


def test_the_published_cosignature_carries_its_timestamp():
    raw = base64.b64decode(FORMATS["cosignature_base64"])
    assert int.from_bytes(raw[4:12], "big") == FORMATS["cosignature_timestamp"]


def test_a_cosignature_over_another_checkpoint_or_by_another_key_is_refused():
    body = Checkpoint("undersign.example/p/clean-air", 5, ROOT, ("count 5",)).body()
    skey, vkey = notes.generate("partner.example/witness", cosigner=True)
    line = notes.cosign(body, Signer(skey), 1_800_000_000)
    for other in [
        Checkpoint("undersign.example/p/clean-air", 6, ROOT, ("count 5",)).body(),
        Checkpoint("undersign.example/p/clean-air", 5, ROOT, ("count 6",)).body(),
    ]:
        with pytest.raises(notes.InvalidSignatureError):
            notes.verify_cosignature(other, line, Verifier(vkey))
    stranger = Verifier(notes.generate("partner.example/witness", cosigner=True)[1])
    with pytest.raises(NoteError, match="not by this key"):
        notes.verify_cosignature(body, line, stranger)
    # A changed timestamp is a changed message.
    raw = bytearray(base64.b64decode(line.split(" ")[-1]))
    raw[11] ^= 1
    forged = f"— partner.example/witness {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(notes.InvalidSignatureError):
        notes.verify_cosignature(body, forged, Verifier(vkey))


def test_a_log_key_cannot_cosign_and_a_witness_key_cannot_sign_notes():
    log_skey, log_vkey = notes.generate("undersign.example/p/clean-air")
    witness_skey, _ = notes.generate("partner.example/witness", cosigner=True)
    with pytest.raises(NoteError):
        notes.cosign("a\n1\n" + base64.b64encode(ROOT).decode() + "\n", Signer(log_skey), 1)
    with pytest.raises(NoteError):
        notes.sign("hello\n", [Signer(witness_skey)])
    with pytest.raises(NoteError):
        notes.verify_cosignature("hello\n", "— x AAAAAAA=\n", Verifier(log_vkey))


def test_a_checkpoint_served_with_cosignatures_opens_with_every_key_known():
    log_skey, log_vkey = notes.generate("undersign.example/p/clean-air")
    body = Checkpoint("undersign.example/p/clean-air", 5, ROOT, ("count 5",)).body()
    signed = notes.sign(body, [Signer(log_skey)])
    witnesses = [notes.generate(f"partner{i}.example/w", cosigner=True) for i in range(2)]
    lines = [notes.cosign(body, Signer(s), 1_800_000_000 + i) for i, (s, _) in enumerate(witnesses)]
    served = notes.add_signatures(signed, [*lines, lines[0]])
    assert served.count("partner0.example/w") == 1

    only_log = notes.open(served, [Verifier(log_vkey)])
    assert [s.name for s in only_log.unverified] == ["partner0.example/w", "partner1.example/w"]
    everyone = notes.open(served, [Verifier(log_vkey), *(Verifier(v) for _, v in witnesses)])
    assert [(s.name, s.timestamp) for s in everyone.verified_by] == [
        ("undersign.example/p/clean-air", None),
        ("partner0.example/w", 1_800_000_000),
        ("partner1.example/w", 1_800_000_001),
    ]
    assert Checkpoint.parse(everyone.text).count == 5
    with pytest.raises(NoteError):
        notes.add_signatures(signed, ["not a signature line"])


@settings(max_examples=50, deadline=None)
@given(
    st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), max_size=40).map(
        lambda t: t + "\n"
    ),
    st.integers(0, (1 << 63) - 1),
)
def test_any_text_signs_and_any_checkpoint_cosigns_round_trip(text, timestamp):
    skey, vkey = notes.generate("a.example/log")
    assert notes.open(notes.sign(text, [Signer(skey)]), [Verifier(vkey)]).text == text
    wkey, wvkey = notes.generate("w.example/w", cosigner=True)
    body = Checkpoint("a.example/log", timestamp, ROOT).body()
    line = notes.cosign(body, Signer(wkey), timestamp)
    assert notes.verify_cosignature(body, line, Verifier(wvkey)) == timestamp
