"""The queue engine with a fake clock: every strategy's distribution over 30 calls, agents skipped for
their state, shared wrap-up, arrival order and priority, and the ways a caller leaves a queue."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence

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
    Strategy,
    queue_from_json,
)

pytestmark = pytest.mark.unit

A, B, C, D = 101, 102, 103, 104
VOICEMAIL = Destination("voicemail", id=9)
OVERFLOW = Destination("queue", id=2)
OPERATOR = Destination("extension", extension="100")


def _engine(
    strategy: Strategy = "longest_idle",
    users: Sequence[int] = (A, B, C),
    *,
    seed: int = 7,
    logged_in: bool = True,
    **config: object,
) -> QueueEngine:
    engine = QueueEngine(rng=random.Random(seed))
    engine.configure(
        QueueConfig(1, strategy=strategy, **config),  # type: ignore[arg-type]
        [Member(u, logged_in=logged_in) for u in users],
        0.0,
    )
    return engine


def _offers(actions: Sequence[QueueAction]) -> list[Offer]:
    return [a for a in actions if isinstance(a, Offer)]


def _log(actions: Sequence[QueueAction]) -> list[tuple[str, str, int | None]]:
    return [(a.event, a.call_id, a.user_id) for a in actions if isinstance(a, LogEntry)]


def _entry(actions: Sequence[QueueAction], event: str) -> LogEntry:
    return next(a for a in actions if isinstance(a, LogEntry) and a.event == event)


def _thirty_calls(
    engine: QueueEngine,
    *,
    talk: Callable[[int], float] = lambda user: 30.0,
    pick: Callable[[Offer, int], int] = lambda offer, i: offer.user_ids[0],
    before: Callable[[int, float], None] = lambda i, now: None,
) -> tuple[Counter[int], list[int], list[Offer]]:
    """30 calls, one every 100 s: each rings, is answered 2 s later and talks `talk(agent)` seconds."""
    counts: Counter[int] = Counter()
    order: list[int] = []
    offers: list[Offer] = []
    for i in range(30):
        now = i * 100.0
        engine.tick(now)
        before(i, now)
        (offer,) = _offers(engine.enter(1, f"c{i}", now))
        offers.append(offer)
        agent = pick(offer, i)
        engine.answered(offer.call_id, agent, now + 2)
        engine.call_ended(offer.call_id, now + 2 + talk(agent), by_agent=True)
        counts[agent] += 1
        order.append(agent)
    return counts, order, offers


# --- strategies: distribution over 30 calls ---------------------------------------------------------
def test_ring_all_rings_everyone_free() -> None:
    engine = _engine("ring_all")
    counts, _order, offers = _thirty_calls(engine, pick=lambda offer, i: offer.user_ids[i % 3])
    assert all(o.user_ids == (A, B, C) for o in offers)
    assert counts == {A: 10, B: 10, C: 10}
    # the first to answer takes it; the others stop ringing
    engine.tick(5000.0)
    assert _offers(engine.enter(1, "x", 5000.0))[0].user_ids == (A, B, C)
    actions = engine.answered("x", B, 5001.0)
    assert CancelOffer("x", (A, C)) in actions
    assert _entry(actions, "CONNECT").data == {"hold": 1.0}


def test_ring_all_only_the_best_tier() -> None:
    engine = QueueEngine()
    members = [Member(A, tier=1, logged_in=True), Member(B, logged_in=True), Member(C, logged_in=True)]
    engine.configure(QueueConfig(1, strategy="ring_all"), members, 0.0)
    assert _offers(engine.enter(1, "x", 0.0))[0].user_ids == (B, C)


def test_longest_idle_is_the_default_and_rotates() -> None:
    assert QueueConfig(1).strategy == "longest_idle" == queue_from_json(1, "q", {}).strategy
    engine = _engine()
    counts, order, _ = _thirty_calls(engine, talk=lambda u: {A: 50.0, B: 10.0, C: 30.0}[u])
    assert counts == {A: 10, B: 10, C: 10}
    assert order[:6] == [A, B, C, A, B, C]


def test_longest_idle_picks_who_finished_first() -> None:
    engine = _engine(wrapup=0)
    for call, agent in (("c1", A), ("c2", B), ("c3", C)):
        (offer,) = _offers(engine.enter(1, call, 0.0))
        assert offer.user_ids == (agent,)
        engine.answered(call, agent, 1.0)
    engine.call_ended("c2", 50.0, by_agent=True)  # B free since 50
    engine.call_ended("c3", 40.0, by_agent=True)  # C free since 40
    engine.call_ended("c1", 60.0, by_agent=True)  # A free since 60
    assert _offers(engine.enter(1, "c4", 70.0))[0].user_ids == (C,)
    assert _offers(engine.enter(1, "c5", 70.0))[0].user_ids == (B,)
    assert _offers(engine.enter(1, "c6", 70.0))[0].user_ids == (A,)


def test_round_robin_remembers_where_it_was() -> None:
    engine = _engine("round_robin")
    counts, order, _ = _thirty_calls(engine)
    assert counts == {A: 10, B: 10, C: 10}
    assert order[:6] == [A, B, C, A, B, C]

    # B is away when it is B's turn: C takes it, and the round goes on after C (A next, not B)
    engine = _engine("round_robin")

    def away(i: int, now: float) -> None:
        engine.pause(1, B, now, paused=(i == 1), reason="lunch")

    _counts, order, _ = _thirty_calls(engine, before=away)
    assert order[:5] == [A, C, A, B, C]


def test_fewest_calls_evens_out_a_late_login() -> None:
    engine = _engine("fewest_calls")
    engine.login(1, C, 0.0, logged_in=False)

    def late(i: int, now: float) -> None:
        if i == 6:
            engine.login(1, C, now)

    counts, order, _ = _thirty_calls(engine, before=late)
    assert order[:9] == [A, B, A, B, A, B, C, C, C]
    assert counts == {A: 10, B: 10, C: 10}


def test_least_talk_time_gives_short_talkers_more_calls() -> None:
    engine = _engine("least_talk_time")
    talk = {A: 60.0, B: 30.0, C: 20.0}
    counts, order, _ = _thirty_calls(engine, talk=lambda u: talk[u])
    # hand-computed: the agent with the least total talk so far (ties: listed order) takes each call
    assert order[:8] == [A, B, C, C, B, C, A, B]  # after 6 calls all three have talked 60 s
    assert counts == {A: 5, B: 10, C: 15}
    totals = {u: counts[u] * talk[u] for u in talk}
    assert totals == {A: 300.0, B: 300.0, C: 300.0}


def test_random_with_a_seeded_generator() -> None:
    first = _thirty_calls(_engine("random", seed=1))
    again = _thirty_calls(_engine("random", seed=1))
    other = _thirty_calls(_engine("random", seed=2))
    assert first[1] == again[1] != other[1]
    counts = first[0]
    assert sum(counts.values()) == 30 and set(counts) == {A, B, C}
    assert all(5 <= n <= 15 for n in counts.values()), counts


def test_linear_top_down() -> None:
    engine = _engine("linear")
    counts, _order, _ = _thirty_calls(engine)
    assert counts == {A: 30}  # A is always free again by the next call
    # overlapping calls go down the list
    engine = _engine("linear", wrapup=0)
    assert [o.user_ids for o in _offers(engine.enter(1, "x1", 0.0))] == [(A,)]
    engine.answered("x1", A, 1.0)
    assert [o.user_ids for o in _offers(engine.enter(1, "x2", 2.0))] == [(B,)]
    assert [o.user_ids for o in _offers(engine.enter(1, "x3", 2.0))] == [(C,)]


def test_tier_and_penalty_come_before_the_strategy() -> None:
    engine = QueueEngine()
    members = [
        Member(A, tier=1, logged_in=True),
        Member(B, penalty=2, logged_in=True),
        Member(C, logged_in=True),
    ]
    engine.configure(QueueConfig(1, strategy="linear", wrapup=0), members, 0.0)
    assert _offers(engine.enter(1, "x1", 0.0))[0].user_ids == (C,)
    assert _offers(engine.enter(1, "x2", 0.0))[0].user_ids == (B,)
    assert _offers(engine.enter(1, "x3", 0.0))[0].user_ids == (A,)


# --- who is skipped ---------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_unavailable_agents_are_skipped(strategy: Strategy) -> None:
    engine = _engine(strategy, (A, B, C, D, 105, 106))
    engine.set_presence(A, 0.0, dnd=True)
    engine.set_presence(B, 0.0, on_call=True)
    engine.set_presence(C, 0.0, registered=False)
    engine.pause(1, D, 0.0, reason="training")
    engine.login(1, 105, 0.0, logged_in=False)
    # 106 is in wrap-up after a call of another queue it serves
    engine.configure(QueueConfig(2, wrapup=30), [Member(106, logged_in=True)], 0.0)
    assert _offers(engine.enter(2, "other", 0.0))[0].user_ids == (106,)
    engine.answered("other", 106, 1.0)
    engine.call_ended("other", 10.0, by_agent=False)
    assert _offers(engine.enter(1, "x", 20.0)) == []  # everyone is unavailable
    assert engine.next_deadline() == 40.0  # 106's wrap-up ends
    assert [o.user_ids for o in _offers(engine.tick(40.0))] == [(106,)]


def test_presence_change_offers_a_waiting_caller() -> None:
    engine = _engine("linear", (A,))
    engine.set_presence(A, 0.0, dnd=True)
    assert _offers(engine.enter(1, "x", 0.0)) == []
    assert _offers(engine.set_presence(A, 5.0, dnd=False))[0].user_ids == (A,)


def test_wrapup_is_shared_across_queues_and_ends_early_on_ready() -> None:
    engine = QueueEngine()
    engine.configure(QueueConfig(1, wrapup=20), [Member(A, logged_in=True)], 0.0)
    engine.configure(QueueConfig(2, wrapup=5), [Member(A, logged_in=True)], 0.0)
    engine.enter(1, "q1", 0.0)
    engine.answered("q1", A, 1.0)
    ended = engine.call_ended("q1", 61.0, by_agent=True)
    assert _log(ended) == [("COMPLETEAGENT", "q1", A), ("WRAPUP", "q1", A)]
    assert _entry(ended, "COMPLETEAGENT").data == {"talk": 60.0}
    assert _entry(ended, "WRAPUP").data == {"wrapup": 20.0}
    # queue 2's caller waits for the wrap-up of queue 1's call (20 s, not queue 2's 5 s)
    assert _offers(engine.enter(2, "q2", 62.0)) == []
    assert _offers(engine.tick(66.0)) == []
    assert engine.next_deadline() == 81.0
    assert _offers(engine.tick(81.0))[0].call_id == "q2"
    # "ready now" ends a wrap-up early
    engine.answered("q2", A, 82.0)
    engine.call_ended("q2", 90.0, by_agent=True)
    engine.enter(1, "q3", 91.0)
    ready = engine.ready_now(A, 92.0)
    assert _offers(ready)[0].call_id == "q3"
    assert _log(ready)[0] == ("READY", "q2", A)  # the live board ends the wrap-up with it
    assert _log(engine.ready_now(A, 93.0)) == []  # not in wrap-up: nothing to log


# --- order --------------------------------------------------------------------------------------
def test_arrival_order_with_priority() -> None:
    engine = _engine("linear", (A,), wrapup=0)
    engine.pause(1, A, 0.0)
    engine.enter(1, "first", 0.0)
    engine.enter(1, "second", 1.0)
    assert _entry(engine.enter(1, "vip", 2.0, priority=5), "ENTERQUEUE").data == {
        "position": 1,
        "priority": 5,
    }
    engine.enter(1, "third", 3.0)
    assert [c.call_id for c in engine.waiting(1)] == ["vip", "first", "second", "third"]
    served = []
    actions = engine.pause(1, A, 10.0, paused=False)
    now = 10.0
    while offers := _offers(actions):
        served.append(offers[0].call_id)
        engine.answered(offers[0].call_id, A, now + 1)
        now += 10
        actions = engine.call_ended(offers[0].call_id, now, by_agent=True)
    assert served == ["vip", "first", "second", "third"]


def test_two_free_agents_serve_the_first_two_callers() -> None:
    engine = _engine("linear", (A, B))
    engine.pause(1, A, 0.0)
    engine.pause(1, B, 0.0)
    for i in range(3):
        engine.enter(1, f"c{i}", float(i))
    assert [o.call_id for o in _offers(engine.pause(1, A, 10.0, paused=False))] == ["c0"]
    assert [o.call_id for o in _offers(engine.pause(1, B, 11.0, paused=False))] == ["c1"]


def test_shared_agents_serve_the_longest_waiting_caller_of_any_queue() -> None:
    engine = QueueEngine()
    engine.configure(QueueConfig(1), [Member(A, logged_in=True, paused=True)], 0.0)
    engine.configure(QueueConfig(2), [Member(A, logged_in=True)], 0.0)
    engine.set_presence(A, 0.0, dnd=True)
    engine.enter(2, "older", 1.0)
    engine.enter(1, "newer", 2.0)
    engine.pause(1, A, 3.0, paused=False)
    assert [o.call_id for o in _offers(engine.set_presence(A, 4.0, dnd=False))] == ["older"]


# --- ringing ------------------------------------------------------------------------------------
def test_ring_no_answer_moves_on_and_retries_after_a_pause() -> None:
    engine = _engine("linear", (A, B), ring_timeout=15, retry=5)
    (offer,) = _offers(engine.enter(1, "x", 0.0))
    assert offer.user_ids == (A,) and offer.timeout == 15
    assert engine.next_deadline() == 15.0
    actions = engine.tick(15.0)
    assert CancelOffer("x", (A,)) in actions
    assert _entry(actions, "RINGNOANSWER").user_id == A and _entry(actions, "RINGNOANSWER").data == {
        "ring": 15.0
    }
    assert _offers(actions)[0].user_ids == (B,)  # not A again before B had a turn
    actions = engine.declined("x", B, 16.0)  # B's phone refuses: at once, no ring timeout
    assert _log(actions) == [("RINGNOANSWER", "x", B)]
    assert _offers(actions) == []  # both had their turn: a new round after the retry pause
    assert engine.next_deadline() == 21.0
    assert _offers(engine.tick(21.0))[0].user_ids == (A,)


def test_ring_all_ring_out() -> None:
    engine = _engine("ring_all", (A, B), ring_timeout=10, retry=2)
    engine.enter(1, "x", 0.0)
    actions = engine.tick(10.0)
    assert CancelOffer("x", (A, B)) in actions
    assert [e for e, _c, _u in _log(actions)] == ["RINGNOANSWER", "RINGNOANSWER"]
    assert _offers(engine.tick(12.0))[0].user_ids == (A, B)


# --- leaving --------------------------------------------------------------------------------------
def test_abandon_logs_position_and_wait() -> None:
    engine = _engine("linear", (A,))
    engine.enter(1, "ringing", 0.0)
    engine.enter(1, "second", 5.0)
    engine.enter(1, "third", 6.0)
    actions = engine.caller_left("second", 35.0)
    assert _log(actions) == [("ABANDON", "second", None)]
    assert _entry(actions, "ABANDON").data == {"position": 2, "wait": 30.0}
    actions = engine.caller_left("ringing", 40.0)  # while A's phone rings: the offer stops
    assert CancelOffer("ringing", (A,)) in actions
    assert _offers(actions)[0].call_id == "third"


def test_max_wait_sends_the_caller_on() -> None:
    engine = _engine("linear", (A,), max_wait=60, max_wait_destination=VOICEMAIL, ring_timeout=100)
    engine.enter(1, "x", 0.0)
    assert engine.next_deadline() == 60.0
    actions = engine.tick(60.0)
    assert CancelOffer("x", (A,)) in actions
    assert _entry(actions, "EXITWITHTIMEOUT").data == {"position": 1, "wait": 60.0}
    assert Exit("x", 1, VOICEMAIL, "EXITWITHTIMEOUT") in actions
    assert engine.waiting(1) == []


def test_max_length_overflows() -> None:
    engine = _engine("linear", (A,), max_length=2, overflow_destination=OVERFLOW)
    engine.enter(1, "a", 0.0)
    engine.enter(1, "b", 0.0)
    actions = engine.enter(1, "c", 1.0)
    assert _log(actions) == [("ENTERQUEUE", "c", None), ("EXITFULL", "c", None)]
    assert Exit("c", 1, OVERFLOW, "EXITFULL") in actions
    assert [c.call_id for c in engine.waiting(1)] == ["a", "b"]


def test_no_agent_logged_in_fails_over_after_the_grace_period() -> None:
    engine = _engine("linear", (A, B), no_agent_grace=30, no_agent_destination=OPERATOR)
    engine.set_presence(A, 0.0, on_call=True)
    engine.set_presence(B, 0.0, on_call=True)
    engine.enter(1, "a", 0.0)
    engine.enter(1, "b", 1.0)
    engine.login(1, A, 100.0, logged_in=False)
    engine.login(1, B, 100.0, logged_in=False)
    assert engine.next_deadline() == 130.0
    # an accidental mass log-off: someone logs back in within the grace period, nobody is ejected
    engine.login(1, A, 120.0)
    assert _log(engine.tick(130.0)) == []
    engine.login(1, A, 140.0, logged_in=False)
    assert engine.tick(169.0) == []
    actions = engine.tick(170.0)
    assert _log(actions) == [("EXITEMPTY", "a", None), ("EXITEMPTY", "b", None)]
    assert Exit("a", 1, OPERATOR, "EXITEMPTY") in actions
    # a caller arriving once the grace period is over goes straight on
    actions = engine.enter(1, "late", 200.0)
    assert _log(actions) == [("ENTERQUEUE", "late", None), ("EXITEMPTY", "late", None)]
    assert Exit("late", 1, OPERATOR, "EXITEMPTY") in actions
    # a queue configured with nobody logged in gives its first callers the grace period too
    engine = _engine("linear", (A,), logged_in=False, no_agent_grace=30, no_agent_destination=OPERATOR)
    assert _log(engine.enter(1, "early", 10.0)) == [("ENTERQUEUE", "early", None)]
    assert Exit("early", 1, OPERATOR, "EXITEMPTY") in engine.tick(30.0)


def test_paused_agents_count_as_logged_in() -> None:
    engine = _engine("linear", (A,), no_agent_grace=10)
    engine.pause(1, A, 0.0, reason="lunch")
    engine.enter(1, "x", 0.0)
    assert engine.tick(100.0) == [] and len(engine.waiting(1)) == 1


def test_leave_with_key() -> None:
    engine = _engine("linear", (A,))
    engine.enter(1, "x", 0.0)
    actions = engine.leave_with_key("x", 12.0, VOICEMAIL)
    assert CancelOffer("x", (A,)) in actions
    assert _entry(actions, "EXITWITHKEY").data == {"position": 1, "wait": 12.0}
    assert Exit("x", 1, VOICEMAIL, "EXITWITHKEY") in actions
    assert engine.leave_with_key("x", 13.0, VOICEMAIL) == []


def test_call_completion_and_transfer_are_logged() -> None:
    engine = _engine("linear", (A, B), wrapup=10)
    engine.enter(1, "x", 0.0)
    engine.answered("x", A, 4.0)
    assert engine.connected("x") is not None
    actions = engine.caller_left("x", 64.0)  # the caller hung up on a connected call
    assert _log(actions) == [("COMPLETECALLER", "x", A), ("WRAPUP", "x", A)]
    assert _entry(actions, "COMPLETECALLER").data == {"talk": 60.0}
    engine.enter(1, "y", 100.0)
    engine.answered("y", A, 101.0)
    actions = engine.transferred("y", 131.0, to="105")
    assert _log(actions) == [("TRANSFER", "y", A), ("WRAPUP", "y", A)]
    assert _entry(actions, "TRANSFER").data == {"talk": 30.0, "to": "105"}
    assert engine.connected("y") is None


def test_agent_log_lines() -> None:
    engine = _engine("linear", (A,))
    actions = engine.pause(1, A, 1.0, reason="lunch")
    assert _log(actions) == [("PAUSE", "NONE", A)] and _entry(actions, "PAUSE").data == {"reason": "lunch"}
    assert _log(engine.pause(1, A, 2.0, reason="lunch")) == []  # already paused
    assert _log(engine.pause(1, A, 3.0, paused=False)) == [("UNPAUSE", "NONE", A)]
    assert _log(engine.login(1, A, 4.0, logged_in=False)) == [("AGENTLOGOFF", "NONE", A)]
    assert _log(engine.login(1, A, 5.0)) == [("AGENTLOGIN", "NONE", A)]
    assert _log(engine.login(1, A, 6.0)) == []  # already logged in: nothing to log


def test_reconfiguring_keeps_callers_and_counters() -> None:
    engine = _engine("fewest_calls", (A, B), wrapup=0)
    engine.enter(1, "x", 0.0)
    engine.answered("x", A, 1.0)
    engine.call_ended("x", 2.0, by_agent=True)
    engine.pause(1, A, 3.0)
    engine.pause(1, B, 3.0)
    engine.enter(1, "y", 4.0)
    engine.configure(
        QueueConfig(1, strategy="fewest_calls", wrapup=0),
        [Member(A, logged_in=True), Member(B, logged_in=True)],
        5.0,
    )
    assert engine.members(1)[0].calls == 1
    assert [o.user_ids for o in _offers(engine.tick(5.0))] == [(B,)]
    assert [a.event for a in engine.remove_queue(1, 6.0) if isinstance(a, LogEntry)] == ["EXITEMPTY"]


def test_an_agent_on_a_queue_call_is_busy_whatever_presence_says() -> None:
    engine = _engine("linear", (A,), wrapup=10)
    engine.enter(1, "x", 0.0)
    engine.answered("x", A, 1.0)
    # the PBX's presence may report the call's end before the queue hears of it
    assert _offers(engine.set_presence(A, 50.0, on_call=False)) == []
    engine.enter(1, "y", 51.0)
    assert _offers(engine.call_ended("x", 52.0, by_agent=True)) == []  # wrap-up first
    assert _offers(engine.tick(62.0))[0].call_id == "y"
