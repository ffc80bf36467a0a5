"""When two addresses are the same person, and the keyed hashes we store instead of them."""

from __future__ import annotations

import hashlib
import hmac

# Google ignores dots in the local part and treats googlemail.com as gmail.com.
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def canonical_email(address: str) -> str:
    """Return the form shared by every spelling of one mailbox.

    Case, a ``+tag`` and, at Gmail, dots in the local part do not make another
    person: each would otherwise let one signer sign many times.
    """
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """Return an HMAC of `value`: stable for lookups, useless without the server's key."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def email_key(key: bytes, address: str) -> str:
    """Return the person's key: one per mailbox, however its address is spelt."""
    return keyed_hash(key, "email", canonical_email(address))


def spelling_key(key: bytes, address: str) -> str:
    """Return the key of one spelling of an address, as typed (case aside).

    Emails go to the spelling a post typed, never to another: a canonical
    address's key is its spelling's too, so the two agree wherever they can.
    """
    return keyed_hash(key, "email", address.strip().lower())


def address_key(key: bytes, ip: str) -> str:
    return keyed_hash(key, "ip", ip)
