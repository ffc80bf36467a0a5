"""The log's Merkle tree is RFC 9162's, byte for byte: other implementations agree with it.

The vectors in vectors/merkle/ are transparency-dev/merkle's (see vectors/README.md): a
witness or a checker written in Go against that library must accept exactly what ours
accepts. The properties below cover trees of every shape, not only the 8-leaf one.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from undersign.core import merkle

VECTORS = Path(__file__).parent / "vectors" / "merkle"
REFERENCE = json.loads((VECTORS / "reference.json").read_text())
LEAVES = [bytes.fromhex(h) for h in REFERENCE["leaf_inputs_hex"]]
HASHES = [merkle.leaf_hash(x) for x in LEAVES]


def _b64(s: str | None) -> bytes:
    return base64.b64decode(s) if s else b""


def _probes(kind: str) -> list[tuple[str, dict]]:
    files = sorted((VECTORS / "testdata" / kind).rglob("*.json"))
    return [(str(f.relative_to(VECTORS)), json.loads(f.read_text())) for f in files]


INCLUSION = _probes("inclusion")
CONSISTENCY = _probes("consistency")


def test_the_published_probes_are_all_there():
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    assert sum(not p["wantErr"] for _, p in INCLUSION + CONSISTENCY) > 10


@pytest.mark.parametrize(("name", "probe"), INCLUSION, ids=[n for n, _ in INCLUSION])
def test_inclusion_probe(name, probe):
    ok = merkle.verify_inclusion(
        probe["leafIdx"],
        probe["treeSize"],
        _b64(probe["leafHash"]),
        [_b64(h) for h in probe["proof"] or []],
        _b64(probe["root"]),
    )
    assert ok is not probe["wantErr"], probe["desc"]


@pytest.mark.parametrize(("name", "probe"), CONSISTENCY, ids=[n for n, _ in CONSISTENCY])
def test_consistency_probe(name, probe):
    ok = merkle.verify_consistency(
        probe["size1"],
        probe["size2"],
        _b64(probe["root1"]),
        _b64(probe["root2"]),
        [_b64(h) for h in probe["proof"] or []],
    )
    assert ok is not probe["wantErr"], probe["desc"]


def test_the_hashes_of_leaves_and_nodes_are_the_rfcs():
    hasher = REFERENCE["hasher"]
    assert merkle.leaf_hash(b"").hex() == hasher["empty_leaf"]
    assert merkle.leaf_hash(b"L123456").hex() == hasher["leaf L123456"]
    assert merkle.node_hash(b"N123", b"N456").hex() == hasher["node N123 N456"]


def test_the_reference_tree_has_the_published_root_at_every_size():
    roots = [merkle.root(HASHES[:n]).hex() for n in range(len(HASHES) + 1)]
    assert roots == REFERENCE["roots_by_size_hex"]
    assert merkle.root([]) == merkle.EMPTY_ROOT


@pytest.mark.parametrize("case", REFERENCE["inclusion"], ids=lambda c: f"{c['index']}of{c['size']}")
def test_inclusion_proofs_are_the_published_ones(case):
    proof = merkle.inclusion_proof(case["index"], HASHES[: case["size"]])
    assert [h.hex() for h in proof] == case["proof"]


@pytest.mark.parametrize(
    "case", REFERENCE["consistency"], ids=lambda c: f"{c['old_size']}to{c['new_size']}"
)
def test_consistency_proofs_are_the_published_ones(case):
    proof = merkle.consistency_proof(case["old_size"], HASHES[: case["new_size"]])
    assert [h.hex() for h in proof] == case["proof"]


def test_proofs_outside_the_tree_are_refused():
    with pytest.raises(ValueError):
        merkle.inclusion_proof(8, HASHES)
    with pytest.raises(ValueError):
        merkle.consistency_proof(9, HASHES)
    assert merkle.consistency_proof(0, HASHES) == []
    assert merkle.consistency_proof(8, HASHES) == []


# Random trees of 1 to 70 distinct leaves, so that sizes around 32 and 64 (a power of two and
# one either side) come up. Distinct, because two equal leaves may honestly swap places.
# A proof is made for the first n leaves; the rest are there to give other sizes their roots.
trees = st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True).map(
    lambda leaves: [merkle.leaf_hash(x) for x in leaves]
)


def _flip(proof: list[bytes], which: int) -> list[bytes]:
    changed = list(proof)
    h = changed[which % len(changed)]
    changed[which % len(changed)] = bytes([h[0] ^ 1]) + h[1:]
    return changed


@settings(max_examples=200, deadline=None)
@given(trees, st.data())
def test_every_inclusion_proof_verifies_and_no_changed_one_does(hashes, data):
    n = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, n - 1), label="index")
    proof = merkle.inclusion_proof(index, hashes[:n])
    root = merkle.root(hashes[:n])
    assert merkle.verify_inclusion(index, n, hashes[index], proof, root)

    # A leaf that is not there, or one that is there but elsewhere.
    assert not merkle.verify_inclusion(index, n, merkle.leaf_hash(b"not a leaf"), proof, root)
    if n > 1:
        wrong = data.draw(st.integers(0, n - 1).filter(lambda i: i != index), label="wrong")
        assert not merkle.verify_inclusion(wrong, n, hashes[index], proof, root)
        assert not merkle.verify_inclusion(wrong, n, hashes[wrong], proof, root)
        assert not merkle.verify_inclusion(index, n, hashes[index], _flip(proof, wrong), root)
        assert not merkle.verify_inclusion(index, n, hashes[index], proof[:-1], root)
    # The same proof claimed for another size, against that size's root.
    if len(hashes) > index + 1:
        other = data.draw(st.integers(index + 1, len(hashes)).filter(lambda s: s != n))
        assert not merkle.verify_inclusion(
            index, other, hashes[index], proof, merkle.root(hashes[:other])
        )
    assert not merkle.verify_inclusion(index, n, hashes[index], [*proof, root], root)
    assert not merkle.verify_inclusion(n, n, hashes[index], proof, root)


@settings(max_examples=200, deadline=None)
@given(trees, st.data())
def test_every_consistency_proof_verifies_and_no_changed_one_does(hashes, data):
    n = data.draw(st.integers(1, len(hashes)), label="new size")
    m = data.draw(st.integers(1, n), label="old size")
    proof = merkle.consistency_proof(m, hashes[:n])
    old, new = merkle.root(hashes[:m]), merkle.root(hashes[:n])
    assert merkle.verify_consistency(m, n, old, new, proof)

    # A rewritten history: one of the first m leaves changed after the fact, whether or not
    # the log makes a fresh proof for its new tree.
    i = data.draw(st.integers(0, m - 1), label="rewritten leaf")
    rewritten = [*hashes[:i], merkle.leaf_hash(b"rewritten"), *hashes[i + 1 : n]]
    assert not merkle.verify_consistency(m, n, old, merkle.root(rewritten), proof)
    assert not merkle.verify_consistency(
        m, n, old, merkle.root(rewritten), merkle.consistency_proof(m, rewritten)
    )
    # A dropped entry: the tree without leaf i, grown back to the same size or not.
    dropped = [*hashes[:i], *hashes[i + 1 : n]]
    if len(dropped) >= m:
        assert not merkle.verify_consistency(
            m, len(dropped), old, merkle.root(dropped), merkle.consistency_proof(m, dropped)
        )
    if m < n:
        assert not merkle.verify_consistency(m, n, old, new, _flip(proof, i))
        assert not merkle.verify_consistency(m, n, old, new, proof[:-1])
        assert not merkle.verify_consistency(n, m, new, old, proof)
    # The same proof claimed for other sizes, against their roots.
    other = data.draw(
        st.integers(1, len(hashes)).filter(lambda s: s not in (m, n))
        if len(hashes) > 2
        else st.just(0)
    )
    if other:
        assert not merkle.verify_consistency(m, other, old, merkle.root(hashes[:other]), proof)
        assert not merkle.verify_consistency(other, n, merkle.root(hashes[:other]), new, proof)
    # A shrunk log: the new tree is smaller than the old one.
    if m > 1:
        assert not merkle.verify_consistency(m, m - 1, old, merkle.root(hashes[: m - 1]), [])


def test_a_log_of_100000_entries_proves_in_a_fraction_of_a_second():
    import time

    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(100_000)]
    started = time.perf_counter()
    root = merkle.root(hashes)
    proof = merkle.inclusion_proof(77_777, hashes)
    consistency = merkle.consistency_proof(65_537, hashes)
    elapsed = time.perf_counter() - started
    assert merkle.verify_inclusion(77_777, 100_000, hashes[77_777], proof, root)
    assert merkle.verify_consistency(
        65_537, 100_000, merkle.root(hashes[:65_537]), root, consistency
    )
    assert len(proof) == 17
    assert elapsed < 2.0  # about 0.2 s here; quadratic work would take minutes
