"""Who may ask `/phones/` for files at all: plain HTTP only from configured networks, a rate limit per
address, and a temporary ban for addresses that keep guessing (pairing file names that pair nothing, unknown
tokens).  Sans-IO over the PBX's own `FloodGuard`: time comes in as `now`.

The ban only closes by-MAC requests: MAC guessing is the attack (a vendor's MAC prefix leaves 2^24
guesses), while a token (2^256) cannot be guessed, and a phone that already has its token keeps working even
when another device behind the same NAT got its address banned.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from server.domain.policy import PLAIN_HTTP_NETWORKS
from server.sip.flood import FloodGuard, FloodPolicy

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
GUESSES = "desk-phone files"  # the FloodGuard lockout key for a host's failed guesses


def parse_networks(values: Iterable[str]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def default_flood_policy() -> FloodPolicy:
    return FloodPolicy(
        rate=20.0,  # a booting phone asks for a handful of files; an office behind one NAT, many phones
        burst=200.0,
        ban_after_drops=400,
        ban_seconds=300.0,
        auth_failures=20,  # failed guesses from one address within `auth_window` ...
        auth_window=600.0,
        lockout_seconds=900.0,  # ... close by-MAC requests from it for this long
    )


@dataclass(frozen=True, slots=True)
class GatePolicy:
    plain_http_networks: tuple[IpNetwork, ...] = field(
        default_factory=lambda: parse_networks(PLAIN_HTTP_NETWORKS)
    )
    flood: FloodPolicy = field(default_factory=default_flood_policy)


class Verdict(Enum):
    PASS = "pass"
    RATE_LIMITED = "rate_limited"  # 429
    HTTPS_REQUIRED = "https_required"  # 403


class PhoneGate:
    def __init__(self, policy: GatePolicy | None = None) -> None:
        self.policy = policy or GatePolicy()
        self._guard = FloodGuard(self.policy.flood)

    def plain_http_allowed(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.policy.plain_http_networks)

    def admit(self, host: str, *, https: bool, now: float) -> Verdict:
        """Every request, before anything else is looked at."""
        if not https and not self.plain_http_allowed(host):
            return Verdict.HTTPS_REQUIRED
        if not self._guard.allow(host, now):
            return Verdict.RATE_LIMITED
        return Verdict.PASS

    def banned(self, host: str, now: float) -> bool:
        """Whether by-MAC requests from `host` are closed for now."""
        return self._guard.locked_out(host, GUESSES, now)

    def guessed(self, host: str, now: float) -> None:
        """`host` asked for something that would have needed a right guess, and guessed wrong."""
        self._guard.auth_failed(host, GUESSES, now)

    @property
    def retry_after(self) -> int:
        return int(self.policy.flood.lockout_seconds)
