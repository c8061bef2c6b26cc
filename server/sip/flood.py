"""Protection against floods and password guessing: per-source rate limit, temporary bans, auth lockout.

Every decision that drops or refuses traffic is logged once per ban/lockout (not once per packet),
so the log stays readable under attack.  Time is passed in; nothing here reads a clock.
"""

from __future__ import annotations

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
    exempt_hosts: frozenset[str] = frozenset()  # e.g. carrier trunks, the media service


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

    def allow(self, host: str, now: float) -> bool:
        """Whether to process a request from `host` at all (False: drop silently)."""
        p = self.policy
        if host in p.exempt_hosts:
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
