"""Monthly outbound-minute quota: what is left at call start, and when a running call must end.

The domain layer resets `minutes_used` each month; the proxy only reads it at call start and reports
seconds back with `Directory.add_outbound_seconds` when the call ends.
"""

from __future__ import annotations

from server.sip.directory import UserRouting


def remaining_seconds(user: UserRouting) -> float | None:
    """Seconds of outbound talk time left this month; None when the user has no quota."""
    if user.monthly_minutes is None:
        return None
    return max(0.0, user.monthly_minutes * 60.0 - user.minutes_used * 60.0)


def may_start_outbound(user: UserRouting) -> bool:
    left = remaining_seconds(user)
    # Less than a second left would only produce a call cut off on answer.
    return left is None or left >= 1.0


def cutoff_time(answered_at: float, allowance: float | None) -> float | None:
    """When an answered call must be ended by the proxy (None: never)."""
    return None if allowance is None else answered_at + allowance
