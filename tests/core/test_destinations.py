"""The server sends requests of its own only to the public internet (no SSRF)."""

from __future__ import annotations

import pytest
from undersign.core.destinations import ForbiddenDestination, check_literal, resolve

# Every spelling the adversary tried, and a few more: each is this machine or its network.
INSIDE = [
    "127.0.0.1", "localhost", "LOCALHOST.", "api.localhost", "0.0.0.0", "2130706433", "127.1",
    "0x7f.1", "017700000001", "::1", "::ffff:127.0.0.1", "::", "10.1.2.3", "172.16.0.9",
    "192.168.1.1", "169.254.169.254", "100.64.0.1", "fd00::1", "fe80::1", "224.0.0.1",
    "ff02::1", "0.0.0.0",
]  # fmt: skip


@pytest.mark.parametrize("host", INSIDE)
def test_an_address_inside_is_refused_as_typed(host):
    with pytest.raises(ForbiddenDestination):
        check_literal(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "2130706433", "127.1"])
def test_an_address_inside_is_refused_when_resolved(host):
    with pytest.raises(ForbiddenDestination):
        resolve(host, 80)


@pytest.mark.parametrize("host", ["93.184.215.14", "2606:4700::6810:84e5", "hooks.example.org"])
def test_a_public_address_or_a_name_passes_as_typed(host):
    check_literal(host)


def test_a_public_address_resolves_to_itself():
    assert resolve("93.184.215.14", 443) == "93.184.215.14"


def test_the_operator_may_name_an_internal_host():
    check_literal("127.0.0.1", internal_hosts={"127.0.0.1"})
    assert resolve("127.0.0.1", 80, internal_hosts={"127.0.0.1"}) == "127.0.0.1"
    with pytest.raises(ForbiddenDestination):  # only the host named
        resolve("127.0.0.2", 80, internal_hosts={"127.0.0.1"})


def test_a_name_that_does_not_resolve_is_a_passing_fault_not_a_verdict():
    with pytest.raises(OSError) as failed:
        resolve("nowhere.invalid", 443)
    assert not isinstance(failed.value, ForbiddenDestination)
