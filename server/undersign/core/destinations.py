"""Where the server may send a request of its own: out to the internet, never into its own network.

A webhook's URL is an organiser's or a partner's to choose, and the server POSTs signer data to
it. Pointed at 127.0.0.1, a cloud's metadata address or a database on the private network, it
would make the server a door into what only the server can reach (SSRF). So the address is
judged as it resolves when the request is made, not as it was typed (a name can resolve
elsewhere tomorrow, and `2130706433`, `127.1` or `[::ffff:127.0.0.1]` are loopback in
disguise), and the connection goes to the very address judged, so that a second lookup cannot
answer differently. Operators who deliver to their own network name those hosts.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForbiddenDestination(ValueError):
    """The host resolves to an address the server must not send to, or to none."""


def is_public(address: IPAddress) -> bool:
    """Tell whether `address` is on the public internet (not loopback, private, link-local...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global leaves out loopback, private, link-local, unspecified, reserved and shared
    # (carrier NAT) ranges; multicast is "global" to it, and no webhook listens there.
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, internal_hosts: Collection[str] = ()) -> str:
    """Return the address to connect to for `host`; raise ForbiddenDestination if it may not be.

    Every address the host resolves to must be public, unless the operator named the host
    in `internal_hosts`: one private answer among public ones is enough to refuse.
    """
    # A name that does not resolve raises OSError (socket.gaierror): a passing fault, not a
    # verdict on the destination.
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if host.lower() not in internal_hosts and not all(is_public(a) for a in addresses):
        raise ForbiddenDestination(f"{host} is not on the public internet")
    return str(addresses[0])


def check_literal(host: str, internal_hosts: Collection[str] = ()) -> None:
    """Refuse, as it is typed, a host that can only be internal: a name for this machine, or an
    address in any spelling (`127.1`, `2130706433`, `0x7f.1`, `[::1]`) that is not public.

    A name is judged when a request is made (`resolve`): it needs DNS, which is not asked here.
    """
    name = host.lower().rstrip(".")
    if name in internal_hosts:
        return
    if name == "localhost" or name.endswith(".localhost"):
        raise ForbiddenDestination(f"{host} is not on the public internet")
    try:  # the C library's own reading of an address, as a connection would read it
        found = socket.getaddrinfo(name, None, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return  # a name, not an address
    for info in found:
        if not is_public(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])):
            raise ForbiddenDestination(f"{host} is not on the public internet")
