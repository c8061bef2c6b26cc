import logging

import pytest

from server.sip.flood import FloodGuard, FloodPolicy

pytestmark = pytest.mark.unit


def test_rate_limit_then_ban_then_lifted(caplog: pytest.LogCaptureFixture) -> None:
    g = FloodGuard(FloodPolicy(rate=10, burst=20, ban_after_drops=5, ban_seconds=60))
    caplog.set_level(logging.WARNING, "server.sip.flood")
    now = 100.0
    assert all(g.allow("10.0.0.1", now) for _ in range(20))
    assert not g.allow("10.0.0.1", now)
    assert g.allow("10.0.0.2", now)  # other sources are not affected
    for _ in range(5):
        g.allow("10.0.0.1", now)
    assert g.is_banned("10.0.0.1", now)
    assert not g.allow("10.0.0.1", now + 30)  # banned even though tokens refilled
    assert g.allow("10.0.0.1", now + 61)
    text = caplog.text
    assert "exceeds 10 requests/s" in text and "banned for 60 s" in text and "lifted" in text


def test_sustained_rate_within_limit_never_dropped() -> None:
    g = FloodGuard(FloodPolicy(rate=50, burst=10))
    assert all(g.allow("h", 1000 + i * 0.025) for i in range(400))  # 40/s


def test_exempt_hosts() -> None:
    g = FloodGuard(FloodPolicy(rate=1, burst=1, exempt_hosts=frozenset({"127.0.0.2"})))
    assert all(g.allow("127.0.0.2", 0.0) for _ in range(100))


def test_trusted_networks_are_never_limited_and_the_policy_describes_itself() -> None:
    policy = FloodPolicy(rate=1, burst=1, trusted_networks=("10.1.0.0/16", "2001:db8::/32", "203.0.113.7"))
    g = FloodGuard(policy)
    for host in ("10.1.2.3", "2001:db8::5", "[2001:db8::6]", "203.0.113.7"):
        assert all(g.allow(host, 0.0) for _ in range(50)), host
    assert g.allow("10.2.0.1", 0.0) and not g.allow("10.2.0.1", 0.0)  # outside: limited
    assert g.allow("not-an-address", 0.0) and not g.allow("not-an-address", 0.0)
    line = policy.describe()
    assert "1 requests/s per source" in line and "10.1.0.0/16" in line and "203.0.113.7" in line


def test_auth_lockout_per_source_and_user(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "server.sip.flood")
    g = FloodGuard(FloodPolicy(auth_failures=3, auth_window=60, lockout_seconds=300))
    for t in (0.0, 1.0):
        g.auth_failed("1.2.3.4", "101", t)
    assert not g.locked_out("1.2.3.4", "101", 2.0)
    g.auth_failed("1.2.3.4", "101", 2.0)
    assert g.locked_out("1.2.3.4", "101", 3.0)
    assert not g.locked_out("5.6.7.8", "101", 3.0)  # the real user elsewhere is not locked out
    assert not g.locked_out("1.2.3.4", "102", 3.0)
    assert not g.locked_out("1.2.3.4", "101", 303.0)
    assert "3 failed attempts for '101' from 1.2.3.4" in caplog.text


def test_failures_outside_window_do_not_count_and_success_resets() -> None:
    g = FloodGuard(FloodPolicy(auth_failures=3, auth_window=60))
    g.auth_failed("h", "u", 0.0)
    g.auth_failed("h", "u", 1.0)
    g.auth_failed("h", "u", 100.0)
    assert not g.locked_out("h", "u", 100.0)
    g.auth_succeeded("h", "u")
    g.auth_failed("h", "u", 101.0)
    g.auth_failed("h", "u", 102.0)
    assert not g.locked_out("h", "u", 102.0)
