"""Queue statistics and the live queue board of a company, read from the persisted queue log.

The figures are `server.callcenter.metrics` over the log lines of the period; nothing is counted in
memory, so they survive restarts.  A call counts in the period (and hour or day) it entered the queue in;
its outcome may come a little later, so the read runs `OUTCOME_SLACK` past the period's end.  Agent
figures start from each agent's state at the period's start (their last log-in/pause line before it).
Hours already folded into hourly rollups (`server.domain.queue_rollups`) are read from those: a month's
figures add up a few thousand rows plus the last hours' lines, equal to the figures of all its lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.callcenter.metrics import (
    AGENT_LINE,
    AgentMetrics,
    Board,
    Interval,
    QueueMetrics,
    QueueTally,
    agent_metrics,
    agent_metrics_by_interval,
    by_interval,
    calls_entered,
    live_board,
    metrics_of,
    queue_tally,
)
from server.callcenter.queue import QueueConfig, queue_from_json
from server.domain import queue_rollups
from server.domain.callcenter_models import AgentState, Queue, QueueMember
from server.domain.models import User
from server.domain.queue_log import agent_states_at, read_events
from server.domain.queue_rollups import BUSY_LOOKBACK, OUTCOME_SLACK

BOARD_WINDOW = 12 * 3600.0  # the live board reads this much of the log back from now


@dataclass(frozen=True, slots=True)
class IntervalFigures:
    start: datetime
    figures: QueueMetrics


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue_id: int
    name: str
    service_level_threshold: float
    short_abandon: float
    totals: QueueMetrics
    intervals: tuple[IntervalFigures, ...]


@dataclass(frozen=True, slots=True)
class AgentIntervalFigures:
    start: datetime
    figures: AgentMetrics


@dataclass(frozen=True, slots=True)
class AgentStats:
    user_id: int
    full_name: str
    figures: AgentMetrics
    intervals: tuple[AgentIntervalFigures, ...] = ()


async def _queues(session: AsyncSession, company_id: int, queue_ids: Sequence[int] | None) -> list[Queue]:
    query = select(Queue).where(Queue.company_id == company_id)
    if queue_ids:
        query = query.where(Queue.id.in_(list(queue_ids)))
    return list(await session.scalars(query.order_by(Queue.id)))


async def _raw_tallies(
    session: AsyncSession,
    company_id: int,
    configs: Sequence[QueueConfig],
    spans: Sequence[tuple[float, float]],
    now: float,
    interval: Interval | None,
    zone: ZoneInfo,
) -> dict[int, list[tuple[datetime | None, QueueTally]]]:
    """Per queue, the tallies of the calls that entered in `spans`, read from the log: (None, the span's
    total) and, if asked, (hour or day, its tally)."""
    parts: dict[int, list[tuple[datetime | None, QueueTally]]] = {c.id: [] for c in configs}
    for lo, hi in spans:
        events = await read_events(
            session,
            company_id=company_id,
            start=lo,
            end=min(hi + OUTCOME_SLACK, max(now, hi)),
            queue_ids=[c.id for c in configs],
        )
        for config in configs:
            lines = calls_entered([e for e in events if e.queue_id == config.id], lo, hi)
            thresholds = {"service_level": config.service_level, "short_abandon": config.short_abandon}
            parts[config.id].append((None, queue_tally(lines, **thresholds)))
            if interval is not None:
                for moment, group in by_interval(lines, interval, zone).items():
                    parts[config.id].append((moment, queue_tally(group, **thresholds)))
    return parts


async def queue_stats(
    session: AsyncSession,
    *,
    company_id: int,
    start: float,
    end: float,
    now: float,
    interval: Interval | None = None,
    zone: ZoneInfo,
    queue_ids: Sequence[int] | None = None,
) -> list[QueueStats]:
    """Per queue over [start, end) (UNIX seconds): totals, and per hour or day of the zone if asked; the
    folded hours from their rollups, the rest from the log."""
    queues = await _queues(session, company_id, queue_ids)
    configs = [queue_from_json(q.id, q.name, q.config) for q in queues]
    covered, spans = queue_rollups.split(start, end, await queue_rollups.folded_until(session, company_id))
    rows = []
    if covered is not None:
        rows = await queue_rollups.queue_rows(
            session,
            company_id=company_id,
            queue_ids=[c.id for c in configs],
            start=covered[0],
            end=covered[1],
        )
    stale = {q for q, _h, sl, short, _t in rows if (sl, short) != _thresholds(configs, q)}
    parts = await _raw_tallies(
        session, company_id, [c for c in configs if c.id not in stale], spans, now, interval, zone
    )
    if stale:  # folded with thresholds edited since: read from the log until they are folded again
        parts |= await _raw_tallies(
            session, company_id, [c for c in configs if c.id in stale], [(start, end)], now, interval, zone
        )
    for queue_id, hour, _sl, _short, tally in rows:
        if queue_id not in stale:
            parts[queue_id].append((None, tally))
            if interval is not None:
                parts[queue_id].append((queue_rollups.moment_of(hour, interval, zone), tally))
    result = []
    for config in configs:
        totals = QueueTally()
        by: dict[datetime, QueueTally] = {}
        for moment, tally in parts[config.id]:
            if moment is None:
                totals += tally
            else:
                by[moment] = by.get(moment, QueueTally()) + tally
        result.append(
            QueueStats(
                config.id,
                config.name,
                config.service_level,
                config.short_abandon,
                metrics_of(totals, now=now),
                tuple(IntervalFigures(m, metrics_of(t, now=now)) for m, t in sorted(by.items())),
            )
        )
    return result


def _thresholds(configs: Sequence[QueueConfig], queue_id: int) -> tuple[float, float]:
    config = next(c for c in configs if c.id == queue_id)
    return config.service_level, config.short_abandon


async def _raw_agents(
    session: AsyncSession,
    company_id: int,
    queue_ids: Sequence[int],
    start: float,
    end: float,
    interval: Interval | None,
    zone: ZoneInfo,
) -> tuple[dict[int, AgentMetrics], dict[datetime, dict[int, AgentMetrics]]]:
    """Per agent over [start, end) from the log: totals, and per hour or day if asked."""
    events = await read_events(
        session, company_id=company_id, start=start - BUSY_LOOKBACK, end=end, queue_ids=queue_ids
    )
    events = [e for e in events if e.at >= start or e.call_id != AGENT_LINE]
    initial = await agent_states_at(session, company_id, start, queue_ids)
    figures = agent_metrics(events, start=start, end=end, initial=initial)
    by: dict[datetime, dict[int, AgentMetrics]] = {}
    if interval is not None:
        by = agent_metrics_by_interval(
            events,
            start=start,
            end=end,
            interval=interval,
            zone=zone,
            initial=initial,
            longest_call=BUSY_LOOKBACK,
        )
    return figures, by


def _add(into: dict[int, AgentMetrics], figures: dict[int, AgentMetrics]) -> None:
    for u, f in figures.items():
        into[u] = into[u] + f if u in into else f


async def agent_stats(
    session: AsyncSession,
    *,
    company_id: int,
    start: float,
    end: float,
    queue_ids: Sequence[int] | None = None,
    now: float | None = None,
    interval: Interval | None = None,
    zone: ZoneInfo | None = None,
) -> list[AgentStats]:
    """Per agent over [start, end), over the queues asked (all the company's by default); a period that
    has not ended yet is cut at `now`.  Over all the queues, folded hours come from their rollups (an
    agent's staffed time over some of the queues is not a sum of anything folded)."""
    zone = zone or ZoneInfo("Asia/Ho_Chi_Minh")
    if now is not None:
        end = max(start, min(end, now))
    all_queues = [q.id for q in await _queues(session, company_id, None)]
    queues = [q.id for q in await _queues(session, company_id, queue_ids)] if queue_ids else all_queues
    covered, spans = None, [(start, end)]
    if set(queues) == set(all_queues):
        covered, spans = queue_rollups.split(
            start, end, await queue_rollups.folded_until(session, company_id)
        )
    figures: dict[int, AgentMetrics] = {}
    by: dict[datetime, dict[int, AgentMetrics]] = {}
    for lo, hi in spans:
        span_figures, span_by = await _raw_agents(session, company_id, queues, lo, hi, interval, zone)
        _add(figures, span_figures)
        for moment, agents in span_by.items():
            _add(by.setdefault(moment, {}), agents)
    if covered is not None:
        for hour, f in await queue_rollups.agent_rows(
            session, company_id=company_id, start=covered[0], end=covered[1]
        ):
            _add(figures, {f.user_id: f})
            if interval is not None:
                _add(by.setdefault(queue_rollups.moment_of(hour, interval, zone), {}), {f.user_id: f})
    per_interval: dict[int, list[AgentIntervalFigures]] = {u: [] for u in figures}
    for moment, agents in sorted(by.items()):
        for u, f in agents.items():
            per_interval.setdefault(u, []).append(AgentIntervalFigures(moment, f))
    rows = await session.execute(
        select(User.id, User.full_name).where(User.company_id == company_id, User.id.in_(list(figures)))
    )
    names: dict[int, str] = {row.id: row.full_name for row in rows}
    return [
        AgentStats(u, names[u], figures[u], tuple(per_interval[u])) for u in sorted(figures) if u in names
    ]


# --- the live board --------------------------------------------------------------------------------
AgentBoardState = Literal["logged_out", "paused", "on_call", "wrapup", "available"]


@dataclass(frozen=True, slots=True)
class BoardCaller:
    call_id: str
    position: int
    priority: int
    entered: float
    wait: float


@dataclass(frozen=True, slots=True)
class BoardAgent:
    user_id: int
    full_name: str
    state: AgentBoardState
    reason: str  # the pause reason
    call_id: str | None  # on a call or in its wrap-up: which queue call
    until: float | None  # the end of the wrap-up


@dataclass(frozen=True, slots=True)
class BoardQueue:
    queue_id: int
    name: str
    waiting: tuple[BoardCaller, ...]
    agents: tuple[BoardAgent, ...]


async def queue_board(
    session: AsyncSession,
    *,
    company_id: int,
    now: float,
    live: Callable[[float], Board] | None = None,
) -> list[BoardQueue]:
    """Each queue's waiting callers (in order, with their wait) and its agents by state, at `now`; `live`
    gives the running queue engine's board (`metrics.engine_board`), else the log's last hours are read."""
    queues = await _queues(session, company_id, None)
    if live is not None:
        board = live(now)
    else:
        events = await read_events(
            session,
            company_id=company_id,
            start=now - BOARD_WINDOW,
            end=now + 1,
            queue_ids=[q.id for q in queues],
        )
        board = live_board(events, now=now)
    members = (
        await session.execute(
            select(QueueMember.queue_id, QueueMember.user_id, User.full_name)
            .join(User, User.id == QueueMember.user_id)
            .where(QueueMember.company_id == company_id)
            .order_by(QueueMember.queue_id, QueueMember.tier, QueueMember.id)
        )
    ).all()
    states = {
        (s.queue_id, s.user_id): s
        for s in await session.scalars(select(AgentState).where(AgentState.company_id == company_id))
    }
    result = []
    for queue in queues:
        waiting = [w for w in board.waiting if w.queue_id == queue.id]
        agents = []
        for m in (m for m in members if m.queue_id == queue.id):
            state = states.get((queue.id, m.user_id))
            busy = board.busy.get(m.user_id)
            kind: AgentBoardState
            if state is None or not state.logged_in:
                kind = "logged_out"
            elif busy is not None:
                kind = busy.state
            elif state.paused:
                kind = "paused"
            else:
                kind = "available"
            agents.append(
                BoardAgent(
                    m.user_id,
                    m.full_name,
                    kind,
                    state.pause_reason if state is not None and state.paused else "",
                    busy.call_id if busy is not None and kind == busy.state else None,
                    busy.until if busy is not None and kind == busy.state else None,
                )
            )
        result.append(
            BoardQueue(
                queue.id,
                queue.name,
                tuple(
                    BoardCaller(w.call_id, i, w.priority, w.entered, w.wait) for i, w in enumerate(waiting, 1)
                ),
                tuple(agents),
            )
        )
    return result


async def wrapup_end(session: AsyncSession, *, company_id: int, user_id: int, now: float) -> float | None:
    """When the agent's wrap-up under way ends (the live board's view of them); None when there is none.

    Agents' apps ask every few seconds, so only the lines of the longest wrap-up of their queues are read:
    a wrap-up still running began (its WRAPUP line) no earlier than that."""
    queues = await session.scalars(
        select(Queue)
        .join(QueueMember, QueueMember.queue_id == Queue.id)
        .where(Queue.company_id == company_id, QueueMember.user_id == user_id)
    )
    longest = {q.id: queue_from_json(q.id, q.name, q.config).wrapup for q in queues}
    if not longest or max(longest.values()) <= 0:
        return None
    events = await read_events(
        session,
        company_id=company_id,
        start=now - max(longest.values()) - 1,
        end=now + 1,
        queue_ids=list(longest),
    )
    busy = live_board(events, now=now).busy.get(user_id)
    return busy.until if busy is not None and busy.state == "wrapup" else None
