"""Where carrier gateways are: the transport addresses a trunk given by host name resolves to (RFC 3263).

The core never waits for DNS.  The asyncio side (`server.sip.aio.dns`) does the NAPTR/SRV/A lookups and
stores the ordered targets here with their expiry; the core reads them when a call goes out (the first
target gets the INVITE, the next ones take over when a target fails) and marks the names it is missing or
holding stale, which the adapter then resolves.  A trunk given as an IP address needs no lookup.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from server.sip.address import Address
from server.sip.directory import Trunk

TrunkName = tuple[str, int, str]  # (host, port, transport) as configured


def trunk_name(trunk: Trunk) -> TrunkName:
    return (trunk.host.lower(), trunk.port, trunk.transport.lower())


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Located:
    targets: tuple[Address, ...]  # in the order to try them
    expires_at: float


class Locator:
    def __init__(self) -> None:
        self._found: dict[TrunkName, Located] = {}
        self._wanted: set[TrunkName] = set()

    def targets(self, trunk: Trunk, now: float) -> tuple[Address, ...]:
        """The addresses to try for `trunk`, best first; empty while its name is not resolved yet."""
        if is_address(trunk.host):
            return (Address(trunk.transport, trunk.host.strip("[]"), trunk.port),)
        name = trunk_name(trunk)
        found = self._found.get(name)
        if found is None or found.expires_at <= now:
            self._wanted.add(name)  # a stale answer is still used until the new one arrives
        return found.targets if found is not None else ()

    def want(self, trunks: list[Trunk], now: float) -> None:
        """Have these trunks' names resolved ahead of their first call."""
        for t in trunks:
            self.targets(t, now)

    def take_wanted(self) -> set[TrunkName]:
        wanted, self._wanted = self._wanted, set()
        return wanted

    def found(self, name: TrunkName, targets: tuple[Address, ...], expires_at: float) -> None:
        """The adapter's answer; an empty answer (the name does not resolve) keeps an older one."""
        if targets or name not in self._found:
            self._found[name] = Located(targets, expires_at)
