"""Monthly outbound-minute quota: what is left at call start, and when a running call must end.

The counter belongs to a month (`usage_period`, UTC): a counter of an earlier month counts as zero.  The
proxy fills `minutes_used` from `Directory.seconds_used` at call start and adds the seconds of an ended
call with `Directory.add_usage` (the journal takes them to the database).
"""

from __future__ import annotations

import time

from server.sip.directory import UserRouting


def usage_period(now: float) -> str:
    """The month ("YYYY-MM", UTC) a usage counter at POSIX time `now` belongs to."""
    return time.strftime("%Y-%m", time.gmtime(now))


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
