"""Business hours: weekly ranges in the company's zone, dated holidays, the manual override."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from server.callcenter.destinations import Destination
from server.callcenter.schedule import decide, schedule_from_json

pytestmark = pytest.mark.unit

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
OPEN = {"kind": "ivr", "id": 1}
CLOSED = {"kind": "prompt_hangup", "prompt": "closed"}
TET = {"kind": "voicemail", "id": 7}
CONFIG = {
    "weekly": [
        {"day": d, "start": "08:00", "end": "17:30"} for d in ("mon", "tue", "wed", "thu", "fri", "sat")
    ]
    + [{"day": "sun", "start": "20:00", "end": "24:00"}],
    "holidays": [
        {"name": "Tết", "start": "2027-02-05", "end": "2027-02-09", "destination": TET},
        {"name": "Quốc khánh", "start": "2026-09-02", "end": "2026-09-02"},
    ],
    "open": OPEN,
    "closed": CLOSED,
}


def _at(y: int, mo: int, d: int, h: int, mi: int = 0, zone: ZoneInfo = HCM) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone)


def test_weekly_ranges_in_the_company_zone() -> None:
    s = schedule_from_json(CONFIG)
    # Friday 2026-12-04
    assert decide(s, _at(2026, 12, 4, 7, 59)).state == "closed"
    assert decide(s, _at(2026, 12, 4, 8, 0)).state == "open"
    assert decide(s, _at(2026, 12, 4, 17, 29)).destination == Destination("ivr", id=1)
    assert decide(s, _at(2026, 12, 4, 17, 30)).state == "closed"  # the end is exclusive
    # 01:30 UTC is 08:30 in Ho Chi Minh City (UTC+7): open, though UTC's clock says night
    assert decide(s, datetime(2026, 12, 4, 1, 30, tzinfo=UTC)).state == "open"
    assert decide(s, datetime(2026, 12, 4, 0, 30, tzinfo=UTC)).state == "closed"
    # Sunday: only the evening range, which runs to midnight
    assert decide(s, _at(2026, 12, 6, 10)).state == "closed"
    assert decide(s, _at(2026, 12, 6, 23, 59)).state == "open"
    assert decide(s, _at(2026, 12, 7, 0, 0)).state == "closed"  # Monday 00:00
    closed = decide(s, _at(2026, 12, 5, 18))
    assert closed.destination == Destination("prompt_hangup", prompt="closed") and closed.reason == "weekly"


def test_naive_moment_refused() -> None:
    with pytest.raises(ValueError):
        decide(schedule_from_json(CONFIG), datetime(2026, 12, 4, 9))


def test_holidays_are_dated_ranges_with_their_own_destination() -> None:
    s = schedule_from_json(CONFIG)
    # Tết 2027: Friday 5 to Tuesday 9 February, in hours of a working day
    for day in (5, 6, 7, 8, 9):
        d = decide(s, _at(2027, 2, day, 10))
        assert d.state == "holiday" and d.destination == Destination("voicemail", id=7)
        assert d.reason == "holiday Tết"
    assert decide(s, _at(2027, 2, 10, 10)).state == "open"
    assert decide(s, _at(2027, 2, 4, 10)).state == "open"
    # the holiday's start is a local date: 23:30 UTC on 4 Feb is 06:30 on 5 Feb in Vietnam
    assert decide(s, datetime(2027, 2, 4, 23, 30, tzinfo=UTC)).state == "holiday"
    # a holiday without its own destination: the schedule's holiday destination, else closed
    assert decide(s, _at(2026, 9, 2, 10)).destination == Destination("prompt_hangup", prompt="closed")
    with_default = schedule_from_json({**CONFIG, "holiday": {"kind": "queue", "id": 3}})
    assert decide(with_default, _at(2026, 9, 2, 10)).destination == Destination("queue", id=3)
    # not recurring: the same date a year later is an ordinary Thursday
    assert decide(s, _at(2027, 9, 2, 10)).state == "open"


def test_manual_override_wins_over_hours_and_holidays() -> None:
    closed_now = schedule_from_json({**CONFIG, "override": "closed"})
    d = decide(closed_now, _at(2026, 12, 4, 10))
    assert (d.state, d.reason) == ("closed", "override")
    open_now = schedule_from_json({**CONFIG, "override": "open"})
    assert decide(open_now, _at(2026, 12, 4, 3)).state == "open"
    assert decide(open_now, _at(2027, 2, 6, 10)).state == "open"  # even on Tết


def test_other_zone() -> None:
    s = schedule_from_json(
        {
            "timezone": "Europe/Paris",
            "weekly": [{"day": "mon", "start": "09:00", "end": "12:00"}],
            "open": OPEN,
            "closed": CLOSED,
        }
    )
    assert decide(s, _at(2026, 12, 7, 9, zone=ZoneInfo("Europe/Paris"))).state == "open"
    assert decide(s, _at(2026, 12, 7, 9)).state == "closed"  # 09:00 in Vietnam is 03:00 in Paris
    assert decide(s, _at(2026, 12, 7, 15)).state == "open"  # 15:00 in Vietnam is 09:00 in Paris
