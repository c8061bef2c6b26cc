"""Business hours: where a call goes now, from the weekly ranges, dated holidays and a manual override.

A pure function of the moment and the schedule: the caller passes the time, the zone database is only
used to turn it into the company's wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from server.callcenter.destinations import Destination, destination_from_json

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
State = Literal["open", "closed", "holiday"]


@dataclass(frozen=True, slots=True)
class WeeklyRange:
    weekday: int  # 0 = Monday
    start: time
    end: time | None  # None: until midnight ("24:00")


@dataclass(frozen=True, slots=True)
class Holiday:
    name: str
    start: date
    end: date  # inclusive
    destination: Destination | None


@dataclass(frozen=True, slots=True)
class Schedule:
    zone: ZoneInfo
    weekly: tuple[WeeklyRange, ...]
    holidays: tuple[Holiday, ...]
    override: Literal["open", "closed"] | None
    open: Destination
    closed: Destination
    holiday: Destination | None


@dataclass(frozen=True, slots=True)
class Decision:
    state: State
    destination: Destination
    reason: str  # "override", "holiday <name>", "weekly"


def _clock(text: str) -> time | None:
    if text == "24:00":
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def schedule_from_json(config: Mapping[str, Any]) -> Schedule:
    weekly = []
    for r in config.get("weekly", ()):
        start = _clock(r["start"])
        weekly.append(WeeklyRange(DAYS.index(r["day"]), start or time(0), _clock(r["end"])))
    holidays = tuple(
        Holiday(
            h.get("name", ""),
            date.fromisoformat(h["start"]),
            date.fromisoformat(h["end"]),
            destination_from_json(h["destination"]) if h.get("destination") else None,
        )
        for h in config.get("holidays", ())
    )
    return Schedule(
        zone=ZoneInfo(config.get("timezone", "Asia/Ho_Chi_Minh")),
        weekly=tuple(weekly),
        holidays=holidays,
        override=config.get("override"),
        open=destination_from_json(config["open"]),
        closed=destination_from_json(config["closed"]),
        holiday=destination_from_json(config["holiday"]) if config.get("holiday") else None,
    )


def is_within_hours(schedule: Schedule, local: datetime) -> bool:
    now = local.time()
    for r in schedule.weekly:
        if r.weekday == local.weekday() and r.start <= now and (r.end is None or now < r.end):
            return True
    return False


def decide(schedule: Schedule, moment: datetime) -> Decision:
    """Where a call arriving at `moment` (timezone-aware) goes."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    if schedule.override == "open":
        return Decision("open", schedule.open, "override")
    if schedule.override == "closed":
        return Decision("closed", schedule.closed, "override")
    local = moment.astimezone(schedule.zone)
    for h in schedule.holidays:
        if h.start <= local.date() <= h.end:
            return Decision(
                "holiday", h.destination or schedule.holiday or schedule.closed, f"holiday {h.name}"
            )
    if is_within_hours(schedule, local):
        return Decision("open", schedule.open, "weekly")
    return Decision("closed", schedule.closed, "weekly")
