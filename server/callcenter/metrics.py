"""Queue statistics from the queue log (the `LogEntry` lines the engine emits, as persisted).

Every figure is computed from the lines given, never from counters kept in memory; the caller picks the
period and passes the time.  A call counts in the period (and the hour or day) its ENTERQUEUE falls in,
with all its later lines (`calls_entered`, `by_interval`).

Per queue (`queue_metrics`):
- offered: ENTERQUEUE lines; answered: CONNECT; abandoned: ABANDON no shorter than the queue's
  `short_abandon` (shorter ones are counted apart as `short_abandoned` and left out of every rate);
  timed out, exited empty, left with a key, overflowed: EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY, EXITFULL.
- service level: answered with hold <= threshold / answered.
- service level with abandons (Asterisk's second variant): (answered with hold <= threshold + abandoned
  with wait <= threshold) / (answered + abandoned).
- ASA: mean hold of answered calls; AHT: mean talk + wrap-up of handled calls (COMPLETEAGENT,
  COMPLETECALLER or TRANSFER, with their WRAPUP; a wrap-up ended early by the agent's READY line counts
  only until it).
- abandon rate: abandoned / (offered - short abandons).
- waiting: callers entered with no outcome yet; longest wait: the longest any caller waited (answered,
  abandoned, exited or still waiting at `now`).

Per agent (`agent_metrics`): calls answered, rings let go (RINGNOANSWER), talk, wrap-up, AHT, and
occupancy = time busy (talking or in wrap-up) while staffed / time staffed, where staffed means logged in
to at least one of the queues looked at and not paused there; both are cut to the period.

`live_board` is what is happening now, from the same lines: callers waiting, agents talking or in wrap-up.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from server.callcenter.queue import LogEntry, QueueEngine

_EXITS = frozenset({"EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "EXITFULL"})
_OUTCOMES = frozenset({"CONNECT", "ABANDON", *_EXITS})
_ENDS = frozenset({"COMPLETEAGENT", "COMPLETECALLER", "TRANSFER"})
AGENT_LINE = "NONE"  # the call id of agent log-in and pause lines
Interval = Literal["hour", "day"]


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    answered_within: int
    service_level: float | None
    service_level_with_abandons: float | None
    asa: float | None
    aht: float | None
    abandon_rate: float | None
    waiting: int
    longest_wait: float
    abandoned_within: int = 0
    exited_empty: int = 0
    exited_with_key: int = 0
    overflowed: int = 0
    transferred: int = 0
    talk: float = 0.0
    wrapup: float = 0.0


@dataclass(frozen=True, slots=True)
class AgentMetrics:
    user_id: int
    answered: int
    missed: int  # offers let ring out or refused
    transferred: int
    talk: float
    wrapup: float
    aht: float | None
    staffed: float  # seconds logged in and not paused, within the period
    paused: float  # seconds logged in and paused everywhere, within the period
    busy: float  # seconds talking or in wrap-up while staffed
    occupancy: float | None  # busy / staffed
    handled: int = 0  # calls that ended with the agent in the period (the AHT's divisor)

    def __add__(self, other: AgentMetrics) -> AgentMetrics:
        """The agent's figures over two disjoint periods taken together (hourly rollups add up)."""
        talk, wrapup = self.talk + other.talk, self.wrapup + other.wrapup
        handled = self.handled + other.handled
        staffed, busy = self.staffed + other.staffed, self.busy + other.busy
        return AgentMetrics(
            user_id=self.user_id,
            answered=self.answered + other.answered,
            missed=self.missed + other.missed,
            transferred=self.transferred + other.transferred,
            talk=talk,
            wrapup=wrapup,
            aht=_ratio(talk + wrapup, handled),
            staffed=staffed,
            paused=self.paused + other.paused,
            busy=busy,
            occupancy=_ratio(busy, staffed),
            handled=handled,
        )


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _num(entry: LogEntry, key: str) -> float:
    return float(entry.data.get(key, 0.0))


def _wrapups(lines: Sequence[LogEntry]) -> dict[tuple[int | None, str], float]:
    """(agent, call id) -> the wrap-up the agent really took: the WRAPUP line's length, cut at their READY
    line ("ready now") when one follows it.  `lines` oldest first."""
    began: dict[tuple[int | None, str], float] = {}
    taken: dict[tuple[int | None, str], float] = {}
    for e in lines:
        key = (e.user_id, e.call_id)
        if e.event == "WRAPUP":
            began[key], taken[key] = e.at, _num(e, "wrapup")
        elif e.event == "READY" and key in began:
            taken[key] = max(0.0, min(taken[key], e.at - began[key]))
    return taken


@dataclass(frozen=True, slots=True)
class QueueTally:
    """The additive part of `QueueMetrics`: counts, sums and maxima that add up over hours (rollups) and
    give the same figures as the lines taken together; ratios are worked out from them (`metrics_of`)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timed_out: int = 0
    answered_within: int = 0
    abandoned_within: int = 0
    exited_empty: int = 0
    exited_with_key: int = 0
    overflowed: int = 0
    transferred: int = 0
    hold: float = 0.0  # sum of the answered calls' holds
    handled: int = 0  # calls that ended with an agent (COMPLETEAGENT, COMPLETECALLER, TRANSFER)
    handled_time: float = 0.0  # their talk + wrap-up
    talk: float = 0.0
    wrapup: float = 0.0
    longest_wait: float = 0.0  # of the callers who had an outcome
    waiting: int = 0  # callers with no outcome yet
    oldest_waiting: float | None = None  # when the longest-waiting of those entered

    def __add__(self, other: QueueTally) -> QueueTally:
        olds = [t for t in (self.oldest_waiting, other.oldest_waiting) if t is not None]
        summed: dict[str, float] = {f: getattr(self, f) + getattr(other, f) for f in _ADDED}
        return QueueTally(
            **summed,  # type: ignore[arg-type]  # ints stay ints: int + int
            longest_wait=max(self.longest_wait, other.longest_wait),
            waiting=self.waiting + other.waiting,
            oldest_waiting=min(olds) if olds else None,
        )


_NOT_SUMMED = frozenset({"longest_wait", "waiting", "oldest_waiting"})
_ADDED = tuple(f for f in QueueTally.__dataclass_fields__ if f not in _NOT_SUMMED)


def queue_tally(
    entries: Iterable[LogEntry], *, service_level: float = 20.0, short_abandon: float = 5.0
) -> QueueTally:
    """The counts and sums of one queue (or of several taken together) over `entries`."""
    offered = answered = abandoned = short = timed_out = within = abandoned_within = 0
    empty = key = full = transferred = 0
    hold_total = 0.0
    entered: dict[str, float] = {}
    handled: dict[str, float] = {}  # call id -> talk + wrap-up
    talk_total = wrapup_total = 0.0
    longest = 0.0
    lines = sorted(entries, key=lambda e: e.at)
    wrapups = _wrapups(lines)
    for e in lines:
        if e.event == "ENTERQUEUE":
            offered += 1
            entered[e.call_id] = e.at
        elif e.event == "CONNECT":
            answered += 1
            hold = _num(e, "hold")
            hold_total += hold
            within += hold <= service_level
            longest = max(longest, hold)
        elif e.event == "ABANDON":
            wait = _num(e, "wait")
            longest = max(longest, wait)
            if wait < short_abandon:
                short += 1
            else:
                abandoned += 1
                abandoned_within += wait <= service_level
        elif e.event in _ENDS:
            talk = _num(e, "talk")
            handled[e.call_id] = talk
            talk_total += talk
            transferred += e.event == "TRANSFER"
        elif e.event == "WRAPUP" and e.call_id in handled:
            taken = wrapups[(e.user_id, e.call_id)]
            handled[e.call_id] += taken
            wrapup_total += taken
        elif e.event in _EXITS:
            timed_out += e.event == "EXITWITHTIMEOUT"
            empty += e.event == "EXITEMPTY"
            key += e.event == "EXITWITHKEY"
            full += e.event == "EXITFULL"
            longest = max(longest, _num(e, "wait"))
        if e.event in _OUTCOMES:
            entered.pop(e.call_id, None)
    return QueueTally(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandoned=short,
        timed_out=timed_out,
        answered_within=within,
        abandoned_within=abandoned_within,
        exited_empty=empty,
        exited_with_key=key,
        overflowed=full,
        transferred=transferred,
        hold=hold_total,
        handled=len(handled),
        handled_time=sum(handled.values()),
        talk=talk_total,
        wrapup=wrapup_total,
        longest_wait=longest,
        waiting=len(entered),
        oldest_waiting=min(entered.values()) if entered else None,
    )


def metrics_of(t: QueueTally, *, now: float) -> QueueMetrics:
    """The figures of a tally at `now` (callers still waiting have waited until now)."""
    longest = t.longest_wait if t.oldest_waiting is None else max(t.longest_wait, now - t.oldest_waiting)
    return QueueMetrics(
        offered=t.offered,
        answered=t.answered,
        abandoned=t.abandoned,
        short_abandoned=t.short_abandoned,
        timed_out=t.timed_out,
        answered_within=t.answered_within,
        service_level=_ratio(t.answered_within, t.answered),
        service_level_with_abandons=_ratio(t.answered_within + t.abandoned_within, t.answered + t.abandoned),
        asa=_ratio(t.hold, t.answered),
        aht=_ratio(t.handled_time, t.handled),
        abandon_rate=_ratio(t.abandoned, t.offered - t.short_abandoned),
        waiting=t.waiting,
        longest_wait=longest,
        abandoned_within=t.abandoned_within,
        exited_empty=t.exited_empty,
        exited_with_key=t.exited_with_key,
        overflowed=t.overflowed,
        transferred=t.transferred,
        talk=t.talk,
        wrapup=t.wrapup,
    )


def queue_metrics(
    entries: Iterable[LogEntry], *, now: float, service_level: float = 20.0, short_abandon: float = 5.0
) -> QueueMetrics:
    """The figures of one queue (or of several taken together) over `entries`."""
    return metrics_of(queue_tally(entries, service_level=service_level, short_abandon=short_abandon), now=now)


# --- periods ---------------------------------------------------------------------------------------
def calls_entered(entries: Iterable[LogEntry], start: float, end: float) -> list[LogEntry]:
    """The call lines of the calls whose ENTERQUEUE is in [start, end), with their later lines."""
    lines = [e for e in entries if e.call_id != AGENT_LINE]
    keep = {(e.queue_id, e.call_id) for e in lines if e.event == "ENTERQUEUE" and start <= e.at < end}
    return [e for e in lines if (e.queue_id, e.call_id) in keep]


def interval_start(at: float, interval: Interval, zone: ZoneInfo) -> datetime:
    """The start of the hour or day (on the zone's wall clock) that `at` (UNIX seconds) falls in."""
    local = datetime.fromtimestamp(at, zone)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def by_interval(
    entries: Iterable[LogEntry], interval: Interval, zone: ZoneInfo
) -> dict[datetime, list[LogEntry]]:
    """Call lines grouped by the hour or day their call entered the queue in (oldest first)."""
    lines = sorted((e for e in entries if e.call_id != AGENT_LINE), key=lambda e: e.at)
    first: dict[tuple[int, str], datetime] = {}
    groups: dict[datetime, list[LogEntry]] = {}
    for e in lines:
        key = (e.queue_id, e.call_id)
        if e.event == "ENTERQUEUE" or key not in first:
            first[key] = interval_start(e.at, interval, zone)
        groups.setdefault(first[key], []).append(e)
    return dict(sorted(groups.items()))


# --- agents ----------------------------------------------------------------------------------------
def _clip(spans: Iterable[tuple[float, float]], start: float, end: float) -> list[tuple[float, float]]:
    return [(max(a, start), min(b, end)) for a, b in spans if min(b, end) > max(a, start)]


def _length(spans: Iterable[tuple[float, float]]) -> float:
    return sum(b - a for a, b in spans)


def _overlap(xs: Sequence[tuple[float, float]], ys: Sequence[tuple[float, float]]) -> float:
    """Total length of the intersection of two sorted lists of disjoint spans."""
    total, i, j = 0.0, 0, 0
    while i < len(xs) and j < len(ys):
        (a, b), (c, d) = xs[i], ys[j]
        total += max(0.0, min(b, d) - max(a, c))
        if b < d:
            i += 1
        else:
            j += 1
    return total


def _union(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _after(state: tuple[bool, bool], event: str) -> tuple[bool, bool] | None:
    """(logged in, paused) in a queue after an agent line; None for other lines."""
    logged_in, paused = state
    if event == "AGENTLOGIN":
        return True, paused
    if event == "AGENTLOGOFF":
        return False, False
    if event == "PAUSE":
        return logged_in, True
    if event == "UNPAUSE":
        return logged_in, False
    return None


def _staffing(
    lines: Sequence[LogEntry], initial: Mapping[int, tuple[bool, bool]], start: float, end: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(staffed spans, paused spans) of one agent from their log-in/pause lines, `initial` being their
    (logged in, paused) per queue at `start`."""
    state = dict(initial)
    staffed: list[tuple[float, float]] = []
    paused: list[tuple[float, float]] = []

    def mode() -> str:
        logged = [p for logged_in, p in state.values() if logged_in]
        if not logged:
            return "out"
        return "paused" if all(logged) else "staffed"

    since, current = start, mode()
    for e in sorted(lines, key=lambda e: e.at):
        after = _after(state.get(e.queue_id, (False, False)), e.event)
        if after is None:
            continue
        state[e.queue_id] = after
        new = mode()
        if new != current:
            at = min(max(e.at, start), end)
            if current != "out":
                (staffed if current == "staffed" else paused).append((since, at))
            since, current = at, new
    if current != "out":
        (staffed if current == "staffed" else paused).append((since, end))
    return _clip(staffed, start, end), _clip(paused, start, end)


def agent_metrics(
    entries: Iterable[LogEntry],
    *,
    start: float,
    end: float,
    initial: Mapping[tuple[int, int], tuple[bool, bool]] | None = None,
) -> dict[int, AgentMetrics]:
    """Per agent over [start, end): `entries` are the lines of the queues looked at in the period (and
    the calls still running at its start); `initial` maps (user id, queue id) to (logged in, paused) at
    `start` (from the last log-in/pause lines before it)."""
    initial = initial or {}
    lines = sorted(entries, key=lambda e: e.at)
    users = {e.user_id for e in lines if e.user_id is not None} | {u for u, _q in initial}
    connected: dict[tuple[int, str], float] = {}
    busy: dict[int, list[tuple[float, float]]] = {u: [] for u in users}
    answered = dict.fromkeys(users, 0)
    missed = dict.fromkeys(users, 0)
    transferred = dict.fromkeys(users, 0)
    talk = dict.fromkeys(users, 0.0)
    wrapup = dict.fromkeys(users, 0.0)
    handled: dict[int, set[str]] = {u: set() for u in users}
    wrapups = _wrapups(lines)
    for e in lines:
        u = e.user_id
        if u is None:
            continue
        if e.event == "CONNECT":
            connected[(u, e.call_id)] = e.at
            if start <= e.at < end:
                answered[u] += 1
        elif e.event == "RINGNOANSWER" and start <= e.at < end:
            missed[u] += 1
        elif e.event in _ENDS:
            began = connected.pop((u, e.call_id), e.at - _num(e, "talk"))
            busy[u].append((began, e.at))
            if start <= e.at < end:
                talk[u] += _num(e, "talk")
                transferred[u] += e.event == "TRANSFER"
                handled[u].add(e.call_id)
        elif e.event == "WRAPUP":
            taken = wrapups[(u, e.call_id)]
            busy[u].append((e.at, e.at + taken))
            if start <= e.at < end:
                wrapup[u] += taken
    for (u, _call), began in connected.items():  # still talking at the end of the period
        busy[u].append((began, end))
    own: dict[int, list[LogEntry]] = {u: [] for u in users}
    for e in lines:
        if e.user_id is not None and e.call_id == AGENT_LINE:
            own[e.user_id].append(e)
    result: dict[int, AgentMetrics] = {}
    for u in sorted(users):
        staffed, paused = _staffing(
            own[u],
            {q: s for (user, q), s in initial.items() if user == u},
            start,
            end,
        )
        busy_staffed = _overlap(_union(_clip(busy[u], start, end)), staffed)
        staffed_time = _length(staffed)
        result[u] = AgentMetrics(
            user_id=u,
            answered=answered[u],
            missed=missed[u],
            transferred=transferred[u],
            talk=talk[u],
            wrapup=wrapup[u],
            aht=_ratio(talk[u] + wrapup[u], len(handled[u])),
            staffed=staffed_time,
            paused=_length(paused),
            busy=busy_staffed,
            occupancy=_ratio(busy_staffed, staffed_time),
            handled=len(handled[u]),
        )
    return result


def interval_bounds(
    start: float, end: float, interval: Interval, zone: ZoneInfo
) -> list[tuple[datetime, float, float]]:
    """The hours or days of the zone that [start, end) covers: (the hour or day, from, to), cut to it."""
    bounds: list[tuple[datetime, float, float]] = []
    moment = interval_start(start, interval, zone)
    while moment.timestamp() < end:
        if interval == "hour":
            following = datetime.fromtimestamp(moment.timestamp() + 3600, zone)
        else:
            following = datetime.combine(moment.date() + timedelta(days=1), time(0), zone)
        bounds.append((moment, max(start, moment.timestamp()), min(end, following.timestamp())))
        moment = following
    return bounds


def agent_metrics_by_interval(
    entries: Iterable[LogEntry],
    *,
    start: float,
    end: float,
    interval: Interval,
    zone: ZoneInfo,
    initial: Mapping[tuple[int, int], tuple[bool, bool]] | None = None,
    longest_call: float = 4 * 3600.0,
) -> dict[datetime, dict[int, AgentMetrics]]:
    """`agent_metrics` for each hour or day of [start, end) in which the agent did anything (was logged
    in, talked, was rung); `initial` is the state at `start`.  Calls longer than `longest_call` that span
    a whole interval are not seen in it."""
    lines = sorted(entries, key=lambda e: e.at)
    agent_lines = [e for e in lines if e.call_id == AGENT_LINE]
    call_lines = [e for e in lines if e.call_id != AGENT_LINE]
    times = [e.at for e in call_lines]
    agent_times = [e.at for e in agent_lines]
    state = dict(initial or {})  # (user, queue) -> (logged in, paused), brought up to each interval
    done = 0
    result: dict[datetime, dict[int, AgentMetrics]] = {}
    for moment, lo, hi in interval_bounds(start, end, interval, zone):
        while done < len(agent_lines) and agent_lines[done].at < lo:
            e = agent_lines[done]
            if e.user_id is not None:
                key = (e.user_id, e.queue_id)
                state[key] = _after(state.get(key, (False, False)), e.event) or state.get(key, (False, False))
            done += 1
        calls = call_lines[bisect_left(times, lo - longest_call) : bisect_left(times, hi + longest_call)]
        states = agent_lines[done : bisect_left(agent_times, hi)]
        figures = agent_metrics([*states, *calls], start=lo, end=hi, initial=state)
        active = {u: f for u, f in figures.items() if f.staffed or f.paused or f.busy or f.missed or f.talk}
        if active:
            result[moment] = active
    return result


# --- now -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WaitingCaller:
    queue_id: int
    call_id: str
    entered: float
    priority: int
    wait: float


@dataclass(frozen=True, slots=True)
class BusyAgent:
    user_id: int
    queue_id: int
    call_id: str
    state: Literal["on_call", "wrapup"]
    since: float
    until: float | None  # the end of the wrap-up


@dataclass(frozen=True, slots=True)
class Board:
    waiting: tuple[WaitingCaller, ...]  # per queue in the queue's order (priority, then arrival)
    busy: dict[int, BusyAgent]  # by user id


def live_board(entries: Iterable[LogEntry], *, now: float) -> Board:
    """Who waits and who is busy at `now`, from the recent lines (a few hours' worth is plenty)."""
    waiting: dict[tuple[int, str], WaitingCaller] = {}
    busy: dict[int, BusyAgent] = {}
    for e in sorted(entries, key=lambda e: e.at):
        if e.at > now:
            break
        key = (e.queue_id, e.call_id)
        if e.event == "ENTERQUEUE":
            priority = int(e.data.get("priority", 0))
            waiting[key] = WaitingCaller(e.queue_id, e.call_id, e.at, priority, now - e.at)
        elif e.event in _OUTCOMES:
            waiting.pop(key, None)
        if e.user_id is None:
            continue
        if e.event == "CONNECT":
            busy[e.user_id] = BusyAgent(e.user_id, e.queue_id, e.call_id, "on_call", e.at, None)
        elif e.event in _ENDS:
            if (b := busy.get(e.user_id)) is not None and b.call_id == e.call_id:
                del busy[e.user_id]
        elif e.event == "READY":
            if (b := busy.get(e.user_id)) is not None and b.state == "wrapup":
                del busy[e.user_id]
        elif e.event == "WRAPUP":
            until = e.at + _num(e, "wrapup")
            if until > now:
                busy[e.user_id] = BusyAgent(e.user_id, e.queue_id, e.call_id, "wrapup", e.at, until)
    ordered = sorted(waiting.values(), key=lambda w: (w.queue_id, -w.priority, w.entered))
    return Board(tuple(ordered), busy)


def engine_board(engine: QueueEngine, *, now: float) -> Board:
    """The same board as :func:`live_board`, read from the running queue engine's memory (no log read):
    what the console's wallboard shows every second."""
    waiting = tuple(
        WaitingCaller(q, c.call_id, c.entered, c.priority, now - c.entered)
        for q in sorted(engine.queue_ids())
        for c in engine.waiting(q)
    )
    busy: dict[int, BusyAgent] = {}
    for agent in engine.agents():
        if agent.wrapup_call is not None and agent.wrapup_until > now:
            queue_id, call_id = agent.wrapup_call
            wrapup = engine.config(queue_id).wrapup if queue_id in engine.queue_ids() else 0.0
            since = agent.wrapup_until - wrapup
            busy[agent.user_id] = BusyAgent(
                agent.user_id, queue_id, call_id, "wrapup", since, agent.wrapup_until
            )
    for conn in engine.connected_calls():  # a queue call under way outranks an earlier call's wrap-up
        busy[conn.user_id] = BusyAgent(conn.user_id, conn.queue_id, conn.call_id, "on_call", conn.since, None)
    return Board(waiting, busy)
