"""Protection against floods and password guessing: per-source rate limit, temporary bans, auth lockout.

Every decision that drops or refuses traffic is logged once per ban/lockout (not once per packet),
so the log stays readable under attack.  Time is passed in; nothing here reads a clock.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import deque
from dataclasses import dataclass, field

log = logging.getLogger("server.sip.flood")


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    rate: float = 300.0  # sustained requests per second per source host
    burst: float = 600.0  # bucket size
    ban_after_drops: int = 300  # drops within one refill period that turn into a ban
    ban_seconds: float = 60.0
    auth_failures: int = 10  # failed digest attempts per (source, username) within `auth_window`
    auth_window: float = 300.0
    lockout_seconds: float = 300.0
    exempt_hosts: frozenset[str] = frozenset()  # e.g. carrier trunks, the media engine's UAS
    # Networks never rate-limited or banned (CIDR, "10.0.0.0/8" or a single "203.0.113.7"): SBCs and
    # carrier gateways that carry many users' traffic from one address, load generators.
    trusted_networks: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the log: the policy the PBX runs with."""
        trusted = ", ".join(sorted(self.exempt_hosts) + list(self.trusted_networks)) or "none"
        return (
            f"{self.rate:g} requests/s per source (burst {self.burst:g}), "
            f"banned {self.ban_seconds:g} s after {self.ban_after_drops} drops; "
            f"{self.auth_failures} failed logins in {self.auth_window:g} s "
            f"lock a user out of that source for {self.lockout_seconds:g} s; trusted: {trusted}"
        )


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    drops: int = 0


@dataclass(slots=True)
class FloodGuard:
    policy: FloodPolicy = field(default_factory=FloodPolicy)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _banned: dict[str, float] = field(default_factory=dict)  # host -> until
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _locked: dict[tuple[str, str], float] = field(default_factory=dict)  # (host, user) -> until
    _last_sweep: float = 0.0
    _trusted_hosts: dict[str, bool] = field(default_factory=dict)
    _networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._networks = [ipaddress.ip_network(n, strict=False) for n in self.policy.trusted_networks]

    def trusted(self, host: str) -> bool:
        if host in self.policy.exempt_hosts:
            return True
        if not self._networks:
            return False
        found = self._trusted_hosts.get(host)
        if found is None:
            try:
                address = ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                found = False
            else:
                found = any(address in n for n in self._networks)
            if len(self._trusted_hosts) > 10_000:
                self._trusted_hosts.clear()
            self._trusted_hosts[host] = found
        return found

    def allow(self, host: str, now: float) -> bool:
        """Whether to process a request from `host` at all (False: drop silently)."""
        p = self.policy
        if self.trusted(host):
            return True
        until = self._banned.get(host)
        if until is not None:
            if now < until:
                return False
            del self._banned[host]
            log.warning("flood: ban on %s lifted", host)
        self._sweep(now)
        b = self._buckets.get(host)
        if b is None:
            b = self._buckets[host] = _Bucket(p.burst, now)
        b.tokens = min(p.burst, b.tokens + (now - b.updated) * p.rate)
        b.updated = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            if b.tokens > p.burst / 2:
                b.drops = 0
            return True
        b.drops += 1
        if b.drops == 1:
            log.warning("flood: %s exceeds %.0f requests/s, dropping", host, p.rate)
        if b.drops >= p.ban_after_drops:
            self._banned[host] = now + p.ban_seconds
            b.drops = 0
            log.warning("flood: %s banned for %.0f s", host, p.ban_seconds)
        return False

    def is_banned(self, host: str, now: float) -> bool:
        until = self._banned.get(host)
        return until is not None and now < until

    def locked_out(self, host: str, username: str, now: float) -> bool:
        until = self._locked.get((host, username))
        if until is None:
            return False
        if now >= until:
            del self._locked[(host, username)]
            log.warning("auth: lockout of %r from %s lifted", username, host)
            return False
        return True

    def auth_failed(self, host: str, username: str, now: float) -> None:
        p = self.policy
        key = (host, username)
        q = self._failures.setdefault(key, deque())
        q.append(now)
        while q and q[0] < now - p.auth_window:
            q.popleft()
        if len(q) >= p.auth_failures:
            self._locked[key] = now + p.lockout_seconds
            del self._failures[key]
            log.warning(
                "auth: %d failed attempts for %r from %s; locked out for %.0f s",
                p.auth_failures,
                username,
                host,
                p.lockout_seconds,
            )

    def auth_succeeded(self, host: str, username: str) -> None:
        self._failures.pop((host, username), None)

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < 30.0:
            return
        self._last_sweep = now
        idle = [h for h, b in self._buckets.items() if now - b.updated > 60.0]
        for h in idle:
            del self._buckets[h]
        self._locked = {k: v for k, v in self._locked.items() if v > now}
        self._failures = {
            k: q for k, q in self._failures.items() if q and q[-1] > now - self.policy.auth_window
        }
