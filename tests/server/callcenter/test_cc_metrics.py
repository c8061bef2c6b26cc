"""Queue and agent figures from the log of a scripted day equal the figures worked out by hand
(see scripted_day.py), per hour and for the whole morning; the live board mid-morning."""

from __future__ import annotations

from datetime import datetime

import pytest
from scripted_day import HCM, T0, A, B, scripted_day

from server.callcenter.metrics import (
    AgentMetrics,
    agent_metrics,
    agent_metrics_by_interval,
    by_interval,
    calls_entered,
    interval_bounds,
    live_board,
    queue_metrics,
)
from server.callcenter.queue import LogEntry

pytestmark = pytest.mark.unit


def test_the_log_of_the_day() -> None:
    log = scripted_day()
    calls = [e for e in log if e.call_id == "c2"]
    assert [(e.event, e.at - T0, e.user_id) for e in calls] == [
        ("ENTERQUEUE", 100, None),
        ("RINGNOANSWER", 115, B),
        ("CONNECT", 130, B),
        ("COMPLETECALLER", 310, B),
        ("WRAPUP", 310, B),
    ]
    assert [e.event for e in log if e.call_id == "c10"] == ["ENTERQUEUE", "EXITEMPTY"]


def test_queue_figures_per_hour_equal_the_hand_computed_ones() -> None:
    log = scripted_day()
    hours = by_interval(log, "hour", HCM)
    assert list(hours) == [datetime(2026, 12, 7, 8, tzinfo=HCM), datetime(2026, 12, 7, 9, tzinfo=HCM)]
    m = queue_metrics(hours[datetime(2026, 12, 7, 8, tzinfo=HCM)], now=T0 + 7200)
    assert (m.offered, m.answered, m.abandoned, m.short_abandoned) == (9, 6, 2, 1)
    assert m.answered_within == 4 and m.abandoned_within == 1
    assert m.service_level == pytest.approx(4 / 6)
    assert m.service_level_with_abandons == pytest.approx(5 / 8)
    assert m.asa == pytest.approx(85 / 6)
    assert m.aht == pytest.approx(140.0)
    assert m.abandon_rate == pytest.approx(0.25)
    assert m.longest_wait == 30.0 and m.waiting == 0 and m.transferred == 1
    assert (m.talk, m.wrapup) == (780.0, 60.0)
    nine = queue_metrics(hours[datetime(2026, 12, 7, 9, tzinfo=HCM)], now=T0 + 7200)
    assert (nine.offered, nine.exited_empty, nine.answered) == (1, 1, 0)
    assert nine.service_level is None and nine.asa is None and nine.abandon_rate == 0.0

    morning = queue_metrics(calls_entered(log, T0, T0 + 4 * 3600), now=T0 + 7200)
    assert (morning.offered, morning.exited_empty) == (10, 1)
    assert morning.abandon_rate == pytest.approx(2 / 9)
    assert morning.service_level == pytest.approx(4 / 6)
    days = by_interval(log, "day", HCM)
    assert list(days) == [datetime(2026, 12, 7, tzinfo=HCM)]
    assert queue_metrics(days[datetime(2026, 12, 7, tzinfo=HCM)], now=T0 + 7200) == morning


def test_short_abandon_threshold_is_configurable() -> None:
    log = calls_entered(scripted_day(), T0, T0 + 3600)
    m = queue_metrics(log, now=T0 + 3600, short_abandon=0)
    assert (m.abandoned, m.short_abandoned) == (3, 0)
    assert m.abandon_rate == pytest.approx(3 / 9)
    m = queue_metrics(log, now=T0 + 3600, short_abandon=15, service_level=10)
    assert (m.abandoned, m.short_abandoned, m.answered_within, m.abandoned_within) == (1, 2, 3, 0)
    assert m.service_level_with_abandons == pytest.approx(3 / 7)


def test_agent_figures_equal_the_hand_computed_ones() -> None:
    agents = agent_metrics(scripted_day(), start=T0, end=T0 + 3600)
    assert agents[A] == AgentMetrics(
        user_id=A,
        answered=3,
        missed=0,
        transferred=1,
        talk=480.0,
        wrapup=30.0,
        aht=170.0,
        staffed=700.0,
        paused=300.0,
        busy=510.0,
        occupancy=pytest.approx(510 / 700),  # type: ignore[arg-type]
        handled=3,
    )
    b = agents[B]
    assert (b.answered, b.missed, b.talk, b.wrapup, b.aht) == (3, 2, 300.0, 30.0, 110.0)
    assert (b.staffed, b.paused, b.busy) == (1000.0, 0.0, 330.0)
    assert b.occupancy == pytest.approx(0.33)


def test_agent_figures_cut_to_the_period() -> None:
    log = scripted_day()
    # 08:05-08:10 (300-600 s), A paused since 280 and B staffed at its start: A paused 300-580, staffed
    # 580-600
    part = agent_metrics(
        [e for e in log if e.at >= T0 + 300 or e.call_id != "NONE"],
        start=T0 + 300,
        end=T0 + 600,
        initial={(A, 1): (True, True), (B, 1): (True, False)},
    )
    assert (part[A].staffed, part[A].paused, part[A].busy) == (20.0, 280.0, 0.0)
    # B: c2's talk to 310 and wrap-up to 320, c6 340-410: 20 + 70 busy of 300 staffed
    assert (part[B].staffed, part[B].busy, part[B].answered) == (300.0, 90.0, 1)
    assert part[B].occupancy == pytest.approx(0.3)


def test_live_board() -> None:
    log = scripted_day()
    board = live_board(log, now=T0 + 360)  # c7 waits since 350; B talks to c6; A paused
    assert [(w.call_id, w.wait) for w in board.waiting] == [("c7", 10.0)]
    assert board.busy[B].state == "on_call" and board.busy[B].call_id == "c6"
    assert A not in board.busy
    board = live_board(log, now=T0 + 405)
    assert board.busy[B].state == "wrapup" and board.busy[B].until == T0 + 410
    assert live_board(log, now=T0 + 415).busy == {}
    wrapup = next(e for e in log if e.event == "WRAPUP" and e.call_id == "c6")
    ready = [*log, LogEntry(T0 + 403, wrapup.queue_id, "c6", "READY", B)]  # "ready now" 7 s early
    assert live_board(ready, now=T0 + 402).busy[B].state == "wrapup"
    assert B not in live_board(ready, now=T0 + 405).busy


def test_staffed_while_logged_in_and_unpaused_in_any_queue() -> None:
    def line(at: float, queue: int, event: str) -> LogEntry:
        return LogEntry(at, queue, "NONE", event, A)

    lines = [
        line(0, 1, "AGENTLOGIN"),
        line(0, 2, "AGENTLOGIN"),
        line(100, 1, "PAUSE"),  # still staffed in queue 2
        line(200, 2, "PAUSE"),  # paused everywhere
        line(300, 1, "UNPAUSE"),
        line(400, 1, "AGENTLOGOFF"),  # only queue 2 is left, paused
        line(500, 2, "AGENTLOGOFF"),
    ]
    a = agent_metrics(lines, start=0, end=1000)[A]
    assert (a.staffed, a.paused) == (300.0, 200.0)
    only_one = agent_metrics([e for e in lines if e.queue_id == 1], start=0, end=1000)[A]
    assert (only_one.staffed, only_one.paused) == (200.0, 200.0)


def test_agent_figures_per_hour_add_up() -> None:
    at = T0 - 600  # 07:50
    lines = [
        LogEntry(at, 1, "NONE", "AGENTLOGIN", A),
        LogEntry(at + 300, 1, "x", "ENTERQUEUE"),
        LogEntry(at + 300, 1, "x", "CONNECT", A, {"hold": 0.0}),  # 07:55
        LogEntry(at + 1200, 1, "x", "COMPLETEAGENT", A, {"talk": 900.0}),  # 08:10
        LogEntry(at + 1200, 1, "x", "WRAPUP", A, {"wrapup": 60.0}),
        LogEntry(at + 2400, 1, "NONE", "AGENTLOGOFF", A),  # 08:30
    ]
    hours = agent_metrics_by_interval(lines, start=T0 - 3600, end=T0 + 3600, interval="hour", zone=HCM)
    seven, eight = (
        hours[datetime(2026, 12, 7, 7, tzinfo=HCM)][A],
        hours[datetime(2026, 12, 7, 8, tzinfo=HCM)][A],
    )
    assert (seven.staffed, seven.busy, seven.answered, seven.talk) == (600.0, 300.0, 1, 0.0)
    assert (eight.staffed, eight.busy, eight.answered, eight.talk, eight.wrapup) == (
        1800.0,
        660.0,
        0,
        900.0,
        60.0,
    )
    whole = agent_metrics(lines, start=T0 - 3600, end=T0 + 3600)[A]
    assert whole.staffed == seven.staffed + eight.staffed and whole.busy == seven.busy + eight.busy
    # days follow the zone's calendar
    days = agent_metrics_by_interval(
        scripted_day(), start=T0 - 8 * 3600, end=T0 + 86400, interval="day", zone=HCM
    )
    assert list(days) == [datetime(2026, 12, 7, tzinfo=HCM)]  # 8 December: nothing done, left out
    assert interval_bounds(T0 - 8 * 3600, T0 + 86400, "day", HCM) == [
        (datetime(2026, 12, 7, tzinfo=HCM), T0 - 8 * 3600, T0 + 16 * 3600),
        (datetime(2026, 12, 8, tzinfo=HCM), T0 + 16 * 3600, T0 + 86400),
    ]
    assert days[datetime(2026, 12, 7, tzinfo=HCM)][A].occupancy == pytest.approx(510 / 700)


def _ready_early(queue_id: int = 1, agent: int = A, t0: float = T0) -> list[LogEntry]:
    """One call: held 5 s, talked 60 s, then a 30 s wrap-up the agent ended after 10 s ("ready now")."""
    return [
        LogEntry(t0, queue_id, "r1", "ENTERQUEUE", data={"position": 1}),
        LogEntry(t0 + 5, queue_id, "r1", "CONNECT", agent, {"hold": 5.0}),
        LogEntry(t0 + 65, queue_id, "r1", "COMPLETECALLER", agent, {"talk": 60.0}),
        LogEntry(t0 + 65, queue_id, "r1", "WRAPUP", agent, {"wrapup": 30.0}),
        LogEntry(t0 + 75, queue_id, "r1", "READY", agent),
    ]


def test_a_wrap_up_ended_by_ready_counts_only_until_ready() -> None:
    from server.callcenter.metrics import queue_tally

    log = _ready_early()
    tally = queue_tally(log)
    assert (tally.wrapup, tally.handled_time) == (10.0, 70.0)
    agent = agent_metrics(log, start=T0, end=T0 + 3600)[A]
    assert (agent.wrapup, agent.aht) == (10.0, 70.0)
    without_ready = queue_tally(log[:-1])
    assert (without_ready.wrapup, without_ready.handled_time) == (30.0, 90.0)
