"""A scripted day at one queue, driven through the real queue engine with a fake clock, and the figures
worked out by hand from the script (used by the metrics unit test and the stats API test).

Queue 1 (linear, ring 15 s, retry 5 s, wrap-up 10 s, service level 20 s, short abandon 5 s), agents
A=101 and B=102; times are seconds after 08:00 on Monday 7 December 2026 in Ho Chi Minh City:

    0    A and B log in
    60   c1 enters, rings A; 65 A answers (hold 5); 185 A hangs up (talk 120), wrap-up to 195
    100  c2 enters, rings B (A is talking); 115 rings out; 120 rings B again (retry); 130 B answers
         (hold 30); 310 the caller hangs up (talk 180), wrap-up to 320
    200  c3 enters, rings A; 203 A answers (hold 3); 263 A transfers it (talk 60), wrap-up to 273
    280  A pauses (lunch)
    300  c4 enters (nobody free); 303 hangs up (wait 3: a short abandon)
    305  c5 enters (B in wrap-up); 318 hangs up (wait 13: an abandon within the service level)
    330  c6 enters, rings B; 340 B answers (hold 10); 400 B hangs up (talk 60), wrap-up to 410
    350  c7 enters (B talking, A paused); 380 hangs up (wait 30)
    580  A unpauses
    600  c8 enters, rings A; 612 A answers (hold 12); 912 A hangs up (talk 300), wrap-up to 922
    620  c9 enters, rings B; 635 rings out; 640 rings B again; 645 B answers (hold 25); 705 B hangs
         up (talk 60), wrap-up to 715
    1000 A and B log off
    3700 c10 enters (09:01:40): nobody logged in for longer than the grace period, EXITEMPTY

By hand, 08:00-09:00: offered 9; answered 6 (holds 5, 30, 3, 10, 12, 25: ASA 85/6), 4 within 20 s
(SL 4/6); abandoned 2 (c5 within 20 s, c7 not), 1 short (c4); SL with abandons (4+1)/(6+2) = 0.625;
abandon rate 2/(9-1) = 0.25; AHT (130+190+70+70+310+70)/6 = 140; longest wait 30; 1 transfer.
The whole morning adds c10: offered 10, abandon rate 2/9, 1 exited empty.
A: staffed 280 + 420 = 700 s, paused 300 s, busy 130 + 70 + 310 = 510 s, occupancy 510/700, 3 calls,
talk 480, wrap-up 30, AHT 170, 1 transfer.  B: staffed 1000 s, busy 190 + 70 + 70 = 330 s, occupancy
0.33, 3 calls, 2 rings let go, talk 300, wrap-up 30, AHT 110.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from server.callcenter.queue import LogEntry, Member, QueueAction, QueueConfig, QueueEngine

A, B = 101, 102
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 12, 7, 8, 0, tzinfo=HCM).timestamp()
CONFIG = QueueConfig(1, strategy="linear", ring_timeout=15, retry=5, wrapup=10, no_agent_grace=30)


class Day:
    """Runs the engine's timers up to each scripted moment, then the scripted event; keeps the log."""

    def __init__(self, engine: QueueEngine) -> None:
        self.engine = engine
        self.log: list[LogEntry] = []

    def _keep(self, actions: list[QueueAction]) -> None:
        self.log += [a for a in actions if isinstance(a, LogEntry)]

    def at(self, offset: float, event: Callable[[float], list[QueueAction]]) -> None:
        now = T0 + offset
        while (deadline := self.engine.next_deadline()) is not None and deadline <= now:
            self._keep(self.engine.tick(deadline))
            later = self.engine.next_deadline()
            assert later is None or later > deadline, "a timer that does not move on"
        self._keep(event(now))


def scripted_day(queue_id: int = 1, a: int = A, b: int = B) -> list[LogEntry]:
    e = QueueEngine()
    e.configure(replace(CONFIG, id=queue_id), [Member(a), Member(b)], T0)
    day = Day(e)
    q = queue_id
    day.at(0, lambda now: e.login(q, a, now) + e.login(q, b, now))
    day.at(60, lambda now: e.enter(q, "c1", now))
    day.at(65, lambda now: e.answered("c1", a, now))
    day.at(100, lambda now: e.enter(q, "c2", now))
    day.at(130, lambda now: e.answered("c2", b, now))
    day.at(185, lambda now: e.call_ended("c1", now, by_agent=True))
    day.at(200, lambda now: e.enter(q, "c3", now))
    day.at(203, lambda now: e.answered("c3", a, now))
    day.at(263, lambda now: e.transferred("c3", now, to="105"))
    day.at(280, lambda now: e.pause(q, a, now, reason="lunch"))
    day.at(300, lambda now: e.enter(q, "c4", now))
    day.at(303, lambda now: e.caller_left("c4", now))
    day.at(305, lambda now: e.enter(q, "c5", now))
    day.at(310, lambda now: e.caller_left("c2", now))
    day.at(318, lambda now: e.caller_left("c5", now))
    day.at(330, lambda now: e.enter(q, "c6", now))
    day.at(340, lambda now: e.answered("c6", b, now))
    day.at(350, lambda now: e.enter(q, "c7", now))
    day.at(380, lambda now: e.caller_left("c7", now))
    day.at(400, lambda now: e.call_ended("c6", now, by_agent=True))
    day.at(580, lambda now: e.pause(q, a, now, paused=False))
    day.at(600, lambda now: e.enter(q, "c8", now))
    day.at(612, lambda now: e.answered("c8", a, now))
    day.at(620, lambda now: e.enter(q, "c9", now))
    day.at(645, lambda now: e.answered("c9", b, now))
    day.at(705, lambda now: e.call_ended("c9", now, by_agent=True))
    day.at(912, lambda now: e.call_ended("c8", now, by_agent=True))
    day.at(1000, lambda now: e.login(q, a, now, logged_in=False) + e.login(q, b, now, logged_in=False))
    day.at(3700, lambda now: e.enter(q, "c10", now))
    return day.log
