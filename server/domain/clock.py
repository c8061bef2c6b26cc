"""Time as an injected dependency: naive UTC datetimes, as stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def period_of(moment: datetime) -> str:
    """The month a usage counter belongs to, e.g. "2026-11"."""
    return moment.strftime("%Y-%m")


def to_posix(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()
