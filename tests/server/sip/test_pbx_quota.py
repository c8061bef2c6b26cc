import pytest

from server.sip.directory import UserRouting
from server.sip.quota import cutoff_time, may_start_outbound, remaining_seconds

pytestmark = pytest.mark.unit


def user(monthly: int | None, used: float) -> UserRouting:
    return UserRouting(1, 1, "d", ("101",), "A", monthly_minutes=monthly, minutes_used=used)


def test_unlimited() -> None:
    assert remaining_seconds(user(None, 1000)) is None
    assert may_start_outbound(user(None, 1000))
    assert cutoff_time(10.0, None) is None


def test_remaining_and_cutoff() -> None:
    u = user(10, 9.5)
    assert remaining_seconds(u) == pytest.approx(30.0)
    assert may_start_outbound(u)
    assert cutoff_time(100.0, remaining_seconds(u)) == pytest.approx(130.0)


def test_used_up() -> None:
    assert remaining_seconds(user(10, 12)) == 0.0
    assert not may_start_outbound(user(10, 10))
