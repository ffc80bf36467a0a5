"""Merkle trees of a transparency log, exactly as RFC 9162 section 2.1 defines them.

SHA-256; a leaf hashes as ``H(0x00 || leaf)`` and a node as ``H(0x01 || left || right)``
(2.1.1). The proof builders are ``PATH(m, D[n])`` (2.1.3.1) and ``PROOF(m, D[n])``
(2.1.4.1); the checkers follow the verification algorithms of 2.1.3.2 and 2.1.4.2 step by
step. Everything works on leaf hashes, so a caller keeps the hashes of its entries and never
has to hand the entries themselves around. Each builder hashes every leaf at most once per
level it descends (O(n) for a proof, no quadratic work), which is quick enough for a
petition of 100,000 signatures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an inner node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) from leaf hashes, without copying slices."""
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash of the leaves (SHA-256 of nothing for no leaves)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PATH(index, D[n]): the audit path of leaf ``index``, nearest sibling first."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n}")
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    # Walk from the root down to the leaf; each step keeps the half that holds the leaf
    # and records the other half's hash. The RFC lists them from the leaf up.
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(leaf_hashes, lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PROOF(old_size, D[n]); empty when old_size is 0 or n (nothing to prove)."""
    n = len(leaf_hashes)
    if not 0 <= old_size <= n:
        raise ValueError(f"cannot prove {old_size} leaves consistent with {n}")
    if old_size in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, m, whole = 0, n, old_size, True
    # SUBPROOF(m, D[lo:hi], whole), unrolled: top-down, then reversed to the RFC's order.
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_mth(leaf_hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(_mth(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof by the algorithm of RFC 9162 2.1.3.2."""
    if not 0 <= index < size or len(leaf_hash) != HASH_SIZE:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof by the algorithm of RFC 9162 2.1.4.2.

    As in transparency-dev/merkle, a proof from the empty tree is refused as meaningless:
    a caller that starts from size 0 has nothing to compare and should say so itself.
    """
    if old_size <= 0 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof or any(len(c) != HASH_SIZE for c in proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
