"""The gate in front of /phones/: plain HTTP only from configured networks, rate limit, ban after guesses."""

from __future__ import annotations

import pytest

from server.phones.gate import GatePolicy, PhoneGate, Verdict, default_flood_policy, parse_networks

pytestmark = pytest.mark.unit


def test_plain_http_only_from_configured_networks() -> None:
    gate = PhoneGate()
    for host in ("127.0.0.1", "10.1.2.3", "172.20.0.9", "192.168.1.50", "::1", "fd00::5"):
        assert gate.admit(host, https=False, now=0.0) is Verdict.PASS, host
    for host in ("203.0.113.9", "8.8.8.8", "2001:db8::1", "testclient", ""):
        assert gate.admit(host, https=False, now=0.0) is Verdict.HTTPS_REQUIRED, host
        assert gate.admit(host, https=True, now=0.0) is Verdict.PASS, host


def test_networks_are_configurable() -> None:
    gate = PhoneGate(GatePolicy(plain_http_networks=parse_networks(["198.51.100.0/24"])))
    assert gate.admit("198.51.100.77", https=False, now=0.0) is Verdict.PASS
    assert gate.admit("192.168.1.50", https=False, now=0.0) is Verdict.HTTPS_REQUIRED


def test_guesses_ban_by_mac_requests_for_a_while() -> None:
    policy = default_flood_policy()
    gate = PhoneGate()
    host, now = "198.51.100.7", 1000.0
    for i in range(policy.auth_failures - 1):
        gate.guessed(host, now + i)
        assert not gate.banned(host, now + i)
    gate.guessed(host, now + 30)
    assert gate.banned(host, now + 31)
    assert not gate.banned("198.51.100.8", now + 31)  # per address
    assert gate.banned(host, now + 30 + policy.lockout_seconds - 1)
    assert not gate.banned(host, now + 30 + policy.lockout_seconds)
    assert gate.retry_after == int(policy.lockout_seconds)


def test_guesses_spread_over_more_than_the_window_do_not_ban() -> None:
    policy = default_flood_policy()
    gate = PhoneGate()
    step = policy.auth_window / (policy.auth_failures - 1) + 1
    for i in range(policy.auth_failures * 2):
        gate.guessed("198.51.100.7", i * step)
    assert not gate.banned("198.51.100.7", policy.auth_failures * 2 * step)


def test_rate_limit_per_address() -> None:
    policy = default_flood_policy()
    gate = PhoneGate()
    answers = [gate.admit("10.0.0.5", https=False, now=5.0) for _ in range(int(policy.burst) + 10)]
    assert answers.count(Verdict.PASS) == int(policy.burst)
    assert answers[-1] is Verdict.RATE_LIMITED
    assert gate.admit("10.0.0.6", https=False, now=5.0) is Verdict.PASS
    assert gate.admit("10.0.0.5", https=False, now=6.0) is Verdict.PASS  # the bucket refills
