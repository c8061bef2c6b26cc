"""The wallboard's live half read from the running queue engine (`engine_board`) equals the board replayed
from the queue log the same engine wrote (`live_board`), at every step of scripted and random traffic."""

from __future__ import annotations

import random

import pytest

from server.callcenter.metrics import Board, engine_board, live_board
from server.callcenter.queue import LogEntry, Member, Offer, QueueAction, QueueConfig, QueueEngine

pytestmark = pytest.mark.unit

A, B, C = 101, 102, 103


def _same(engine: QueueEngine, log: list[LogEntry], now: float) -> Board:
    mine, replayed = engine_board(engine, now=now), live_board(log, now=now)
    assert mine.waiting == replayed.waiting
    assert {u: (b.queue_id, b.call_id, b.state, b.until) for u, b in mine.busy.items()} == {
        u: (b.queue_id, b.call_id, b.state, b.until) for u, b in replayed.busy.items()
    }
    return mine


class _Run:
    def __init__(self) -> None:
        self.engine = QueueEngine(rng=random.Random(3))
        self.log: list[LogEntry] = []
        self.offers: dict[str, tuple[int, ...]] = {}
        for qid, wrapup in ((1, 10.0), (2, 0.0)):
            self.engine.configure(
                QueueConfig(qid, wrapup=wrapup), [Member(u, logged_in=True) for u in (A, B, C)], 0.0
            )

    def do(self, actions: list[QueueAction]) -> None:
        for a in actions:
            if isinstance(a, LogEntry):
                self.log.append(a)
            elif isinstance(a, Offer):
                self.offers[a.call_id] = a.user_ids


def test_scripted_calls() -> None:
    run, e = _Run(), None
    e = run.engine
    run.do(e.enter(1, "c1", 100.0))
    run.do(e.enter(1, "c2", 101.0, priority=5))  # ahead of c1
    run.do(e.enter(2, "c3", 102.0))
    board = _same(e, run.log, 105.0)
    assert [w.call_id for w in board.waiting if w.queue_id == 1] == ["c2", "c1"]
    run.do(e.answered("c2", run.offers["c2"][0], 110.0))
    agent = run.offers["c2"][0]
    board = _same(e, run.log, 111.0)
    assert board.busy[agent].state == "on_call"
    run.do(e.call_ended("c2", 150.0, by_agent=True))
    board = _same(e, run.log, 151.0)
    assert board.busy[agent].state == "wrapup" and board.busy[agent].until == 160.0
    run.do(e.caller_left("c3", 152.0))  # abandoned
    board = _same(e, run.log, 165.0)  # the wrap-up is over
    assert agent not in board.busy and [w.call_id for w in board.waiting] == ["c1"]


def test_random_traffic_matches_the_log() -> None:
    rnd = random.Random(11)
    run = _Run()
    e, now, n = run.engine, 1000.0, 0
    for _ in range(400):
        now += rnd.uniform(0.5, 8.0)
        run.do(e.tick(now))
        roll = rnd.random()
        if roll < 0.3:
            n += 1
            run.do(e.enter(rnd.choice((1, 2)), f"c{n}", now, priority=rnd.choice((0, 0, 3))))
        elif roll < 0.5 and (ringing := [c for c in run.offers if e.caller(c) is not None]):
            call = rnd.choice(ringing)
            run.do(e.answered(call, rnd.choice(run.offers[call]), now))
        elif roll < 0.65 and (talking := e.connected_calls()):
            run.do(e.call_ended(rnd.choice(talking).call_id, now, by_agent=rnd.random() < 0.5))
        elif roll < 0.75 and (waiting := [c for q in e.queue_ids() for c in e.waiting(q)]):
            run.do(e.caller_left(rnd.choice(waiting).call_id, now))
        elif roll < 0.8:
            run.do(e.ready_now(rnd.choice((A, B, C)), now))
        _same(e, run.log, now)
