"""The queue engine under a random day (seeded): agents in several queues answering, letting calls ring
out, refusing, pausing, logging off, going DND; callers hanging up.  Whatever happens, the invariants
hold: nobody is offered to an unavailable agent or rung for two callers at once, each queue serves its
callers in order, every caller gets exactly one outcome, timers always move on."""

from __future__ import annotations

import random

import pytest

from server.callcenter.destinations import Destination
from server.callcenter.queue import (
    STRATEGIES,
    CancelOffer,
    Exit,
    LogEntry,
    Member,
    Offer,
    QueueAction,
    QueueConfig,
    QueueEngine,
)

pytestmark = pytest.mark.unit

AGENTS = (1, 2, 3, 4, 5)
QUEUES = {10: (1, 2, 3), 20: (3, 4, 5), 30: (1, 5)}


@pytest.mark.parametrize("seed", range(6))
def test_random_day_keeps_the_invariants(seed: int) -> None:
    rng = random.Random(seed)
    engine = QueueEngine(rng=random.Random(seed))
    for i, (qid, members) in enumerate(QUEUES.items()):
        config = QueueConfig(
            qid,
            strategy=STRATEGIES[(seed + i) % len(STRATEGIES)],
            ring_timeout=rng.choice((5, 10, 15)),
            wrapup=rng.choice((0, 5, 20)),
            max_wait=rng.choice((0, 120)),
            max_wait_destination=Destination("voicemail", id=1),
            max_length=rng.choice((0, 6)),
            no_agent_grace=30,
            retry=rng.choice((0, 3)),
        )
        engine.configure(config, [Member(u, logged_in=True) for u in members], 0.0)

    ringing: dict[int, str] = {}  # agent -> call offered
    offered: dict[str, set[int]] = {}
    talking: dict[str, int] = {}
    outcomes: dict[str, list[str]] = {}
    entered: dict[str, int] = {}
    order: dict[int, list[str]] = {q: [] for q in QUEUES}  # callers in the order they entered
    served: dict[int, list[str]] = {q: [] for q in QUEUES}
    first_offers: dict[int, list[str]] = {q: [] for q in QUEUES}

    def apply(actions: list[QueueAction], now: float) -> None:
        for a in actions:
            if isinstance(a, CancelOffer):
                for u in a.user_ids:
                    assert ringing.get(u) == a.call_id
                    del ringing[u]
                    offered[a.call_id].discard(u)
            elif isinstance(a, Offer):
                for u in a.user_ids:
                    agent = engine.agent(u)
                    assert u not in ringing, f"agent {u} rung for two callers"
                    assert agent.registered and not agent.dnd and agent.wrapup_until <= now
                    assert u not in talking.values()
                    member = next(m for m in engine.members(a.queue_id) if m.user_id == u)
                    assert member.logged_in and not member.paused
                    ringing[u] = a.call_id
                if a.call_id not in offered:
                    first_offers[a.queue_id].append(a.call_id)
                offered.setdefault(a.call_id, set()).update(a.user_ids)
            elif isinstance(a, LogEntry):
                if a.event == "ENTERQUEUE":
                    entered[a.call_id] = a.queue_id
                elif a.event in (
                    "CONNECT",
                    "ABANDON",
                    "EXITWITHTIMEOUT",
                    "EXITEMPTY",
                    "EXITFULL",
                    "EXITWITHKEY",
                ):
                    outcomes.setdefault(a.call_id, []).append(a.event)
                    if a.event == "CONNECT":
                        served[a.queue_id].append(a.call_id)
            elif isinstance(a, Exit):
                assert a.reason in outcomes.get(a.call_id, [])

    now = 0.0
    calls = 0
    for _step in range(600):
        now += rng.choice((0.0, 0.5, 1.0, 3.0, 7.0))
        while (deadline := engine.next_deadline()) is not None and deadline <= now:
            apply(engine.tick(deadline), deadline)
            later = engine.next_deadline()
            assert later is None or later > deadline
        roll = rng.random()
        if roll < 0.25:
            calls += 1
            call = f"c{calls}"
            qid = rng.choice(list(QUEUES))
            order[qid].append(call)
            apply(engine.enter(qid, call, now, priority=0), now)
        elif roll < 0.45 and ringing:
            u = rng.choice(sorted(ringing))
            call = ringing[u]
            if rng.random() < 0.7:
                actions = engine.answered(call, u, now)
                talking[call] = u
                del ringing[u]
                offered[call].discard(u)
                apply(actions, now)
            else:
                apply(engine.declined(call, u, now), now)
        elif roll < 0.6 and talking:
            call = rng.choice(sorted(talking))
            u = talking.pop(call)
            apply(engine.call_ended(call, now, by_agent=rng.random() < 0.5), now)
        elif roll < 0.68:
            waiting = [c.call_id for q in QUEUES for c in engine.waiting(q)]
            if waiting:
                call = rng.choice(waiting)
                if rng.random() < 0.8:
                    actions = engine.caller_left(call, now)
                else:
                    actions = engine.leave_with_key(call, now, Destination("voicemail", id=1))
                for u in [u for u, c in ringing.items() if c == call]:
                    assert any(isinstance(a, CancelOffer) and u in a.user_ids for a in actions)
                apply(actions, now)
        elif roll < 0.76:
            u = rng.choice(AGENTS)
            qid = rng.choice([q for q, m in QUEUES.items() if u in m])
            apply(engine.pause(qid, u, now, paused=rng.random() < 0.5, reason="lunch"), now)
        elif roll < 0.82:
            u = rng.choice(AGENTS)
            qid = rng.choice([q for q, m in QUEUES.items() if u in m])
            apply(engine.login(qid, u, now, logged_in=rng.random() < 0.7), now)
        elif roll < 0.88:
            u = rng.choice([u for u in AGENTS if u not in talking.values()] or [1])
            apply(engine.set_presence(u, now, dnd=rng.random() < 0.3), now)
        elif roll < 0.92:
            u = rng.choice(AGENTS)
            apply(engine.ready_now(u, now), now)

    # every caller who left the queue did so exactly once
    for call, events in outcomes.items():
        assert len(events) == 1, (call, events)
    still = {c.call_id for q in QUEUES for c in engine.waiting(q)}
    assert set(entered) == set(outcomes) | still
    assert not (set(outcomes) & still)
    # each queue offered its callers in the order they entered (no priorities here); agents answer in
    # their own time, so connections may cross
    for qid in QUEUES:
        positions = [order[qid].index(c) for c in first_offers[qid]]
        assert positions == sorted(positions), qid
    assert calls > 100 and sum(len(s) for s in served.values()) > 20
