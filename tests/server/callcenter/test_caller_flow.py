"""The caller's way through the call center (server/callcenter/flow.py), driven with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

from server.callcenter.destinations import Destination
from server.callcenter.flow import CallCenter, CallerFlow, VoicemailBox
from server.callcenter.ivr import ivr_from_json
from server.callcenter.schedule import schedule_from_json
from server.media.logic import (
    Answered,
    CancelTimer,
    Dial,
    Dtmf,
    HangUp,
    HungUp,
    Play,
    PromptFinished,
    Record,
    SetTimer,
    Stop,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
SCHEDULE = {
    "timezone": "Asia/Ho_Chi_Minh",
    "weekly": [{"day": d, "start": "08:00", "end": "17:30"} for d in WEEKDAYS],
    "holidays": [{"name": "Tet", "start": "2027-02-05", "end": "2027-02-09"}],
    "open": {"kind": "ivr", "id": 5},
    "closed": {"kind": "voicemail", "id": 9},
}
MENU = {
    "greeting": "greeting",
    "options": {"1": {"kind": "queue", "id": 1}, "0": {"kind": "extension", "extension": "101"}},
    "timeout": 8,
    "retries": 0,
    "timeout_destination": {"kind": "queue", "id": 2},
}
CENTER = CallCenter(
    1,
    schedules={3: schedule_from_json(SCHEDULE)},
    menus={5: ivr_from_json(5, MENU)},
    voicemail={9: VoicemailBox(9, greeting="closed", queue_id=1, max_seconds=60)},
    extensions=frozenset({"101", "102"}),
)
ENTRY = Destination("schedule", id=3)


def flow_at(local: str) -> CallerFlow:
    """A flow whose `now` = 0 is `local` (Asia/Ho_Chi_Minh, UTC+7)."""
    moment = datetime.fromisoformat(local + "+07:00").astimezone(UTC)
    return CallerFlow(CENTER, ENTRY, wall_offset=moment.timestamp())


def test_in_hours_greeting_then_digit_one_enters_the_queue_with_hold_music() -> None:
    flow = flow_at("2026-12-07T10:00")  # a Monday
    assert flow.handle(Answered(), 0.0) == [Play("greeting")]
    assert flow.handle(PromptFinished(), 2.0) == [SetTimer("ivr", 10.0)]
    assert flow.handle(Dtmf("1"), 3.0) == [CancelTimer("ivr"), Play("moh", loop=True), Dial("queue:1")]
    assert flow.path == ["schedule 3 open", "ivr 5", "queue 1"] and flow.stage == "queue"


def test_a_digit_during_the_greeting_barges_in() -> None:
    flow = flow_at("2026-12-07T10:00")
    flow.handle(Answered(), 0.0)
    actions = flow.handle(Dtmf("0"), 0.5)
    assert actions[0] == Stop() and actions[-1] == Dial("extension:101")
    assert flow.path[-1] == "extension 101"


def test_silence_goes_to_the_timeout_destination() -> None:
    flow = flow_at("2026-12-07T10:00")
    flow.handle(Answered(), 0.0)
    flow.handle(PromptFinished(), 2.0)
    assert flow.due(9.0) == []
    assert flow.due(10.0)[-1] == Dial("queue:2")


def test_after_hours_closed_prompt_beep_then_recording_until_the_limit() -> None:
    flow = flow_at("2026-12-07T18:00")
    assert flow.handle(Answered(), 0.0) == [Stop(), Play("closed")]
    assert flow.path == ["schedule 3 closed", "voicemail 9"] and flow.box_id == 9
    assert flow.handle(PromptFinished(), 2.0) == [Play("beep")]
    assert flow.handle(PromptFinished(), 2.5) == [Record(), SetTimer("record", 62.5)]
    assert flow.due(62.5) == [HangUp("voicemail time limit")]


def test_sunday_and_the_dated_holiday_are_closed() -> None:
    assert flow_at("2026-12-06T10:00").handle(Answered(), 0.0)[-1] == Play("closed")  # Sunday
    flow = flow_at("2027-02-08T10:00")  # a Monday inside Tet
    flow.handle(Answered(), 0.0)
    assert flow.path[0] == "schedule 3 holiday"


def test_a_queue_giving_the_caller_back_routes_on_and_hang_up_ends() -> None:
    flow = flow_at("2026-12-07T10:00")
    flow.handle(Answered(), 0.0)
    flow.handle(Dtmf("1"), 1.0)
    assert flow.route(Destination("voicemail", id=9), 30.0) == [Stop(), Play("closed")]
    assert flow.handle(HungUp(), 31.0) == [] and flow.stage == "done"
    assert flow_at("2026-12-07T10:00").route(Destination("ring_group", id=1), 0.0) == [
        HangUp("destination ring_group")
    ]


def test_a_ring_group_rings_with_hold_music() -> None:
    from server.callcenter.ringgroup import ring_plan

    center = CallCenter(1, ring_groups={4: ring_plan({"mode": "ordered", "extensions": ["101", "102"]})})
    flow = CallerFlow(center, Destination("ring_group", id=4), wall_offset=0.0)
    assert flow.handle(Answered(), 0.0) == [Play("moh", loop=True), Dial("ring_group:4")]
    assert flow.path == ["ring_group 4"] and flow.stage == "ring_group"


def test_an_external_destination_dials_out_through_its_hotline() -> None:
    flow = CallerFlow(
        CENTER, Destination("external", number="0903123456", hotline="02873009999"), wall_offset=0
    )
    assert flow.handle(Answered(), 0.0) == [Play("moh", loop=True), Dial("external:02873009999:0903123456")]
    assert flow.path == ["external 0903123456"]


def test_the_recording_notice_plays_once_before_the_ivr_and_not_before_voicemail() -> None:
    moment = datetime.fromisoformat("2026-12-07T10:00+07:00").astimezone(UTC).timestamp()
    flow = CallerFlow(CENTER, ENTRY, wall_offset=moment, notice="recording_notice")
    assert flow.handle(Answered(), 0.0) == [Play("recording_notice")]
    assert flow.stage == "notice" and flow.path == ["schedule 3 open"]
    assert flow.handle(Dtmf("1"), 1.0) == []  # no menu yet: digits wait for it
    assert flow.handle(PromptFinished(), 4.0) == [Play("greeting")]
    assert flow.path == ["schedule 3 open", "ivr 5"] and flow.stage == "ivr"
    flow.handle(Dtmf("1"), 5.0)
    assert flow.route(Destination("queue", id=2), 30.0)[-1] == Dial("queue:2")  # said once only

    closed = datetime.fromisoformat("2026-12-07T18:00+07:00").astimezone(UTC).timestamp()
    after_hours = CallerFlow(CENTER, ENTRY, wall_offset=closed, notice="recording_notice")
    assert after_hours.handle(Answered(), 0.0) == [Stop(), Play("closed")]  # a voicemail is not a call


def test_the_notice_can_be_the_companys_own_prompt_before_a_queue() -> None:
    flow = CallerFlow(CENTER, Destination("queue", id=1), wall_offset=0.0, notice="our-notice")
    assert flow.handle(Answered(), 0.0) == [Play("our-notice")]
    assert flow.handle(PromptFinished(), 3.0) == [Play("moh", loop=True), Dial("queue:1")]
