"""Queue statistics and the live queue board of a company, read from the persisted queue log.

The figures are `server.callcenter.metrics` over the log lines of the period; nothing is counted in
memory, so they survive restarts.  A call counts in the period (and hour or day) it entered the queue in;
its outcome may come a little later, so the read runs `OUTCOME_SLACK` past the period's end.  Agent
figures start from each agent's state at the period's start (their last log-in/pause line before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.callcenter.metrics import (
    AGENT_LINE,
    AgentMetrics,
    QueueMetrics,
    agent_metrics,
    agent_metrics_by_interval,
    by_interval,
    calls_entered,
    live_board,
    queue_metrics,
)
from server.callcenter.queue import LogEntry, QueueConfig, queue_from_json
from server.domain.callcenter_models import AgentState, Queue, QueueEvent, QueueMember
from server.domain.models import User
from server.domain.queue_log import read_events

OUTCOME_SLACK = 6 * 3600.0  # a call entered before the period's end has its outcome within this
BUSY_LOOKBACK = 4 * 3600.0  # calls and wrap-ups that began before the period and ran into it
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


def _figures(entries: Sequence[LogEntry], config: QueueConfig, now: float) -> QueueMetrics:
    return queue_metrics(
        entries, now=now, service_level=config.service_level, short_abandon=config.short_abandon
    )


async def queue_stats(
    session: AsyncSession,
    *,
    company_id: int,
    start: float,
    end: float,
    now: float,
    interval: Literal["hour", "day"] | None = None,
    zone: ZoneInfo,
    queue_ids: Sequence[int] | None = None,
) -> list[QueueStats]:
    """Per queue over [start, end) (UNIX seconds): totals, and per hour or day of the zone if asked."""
    queues = await _queues(session, company_id, queue_ids)
    events = await read_events(
        session,
        company_id=company_id,
        start=start,
        end=min(end + OUTCOME_SLACK, max(now, end)),
        queue_ids=[q.id for q in queues],
    )
    result = []
    for queue in queues:
        config = queue_from_json(queue.id, queue.name, queue.config)
        lines = calls_entered([e for e in events if e.queue_id == queue.id], start, end)

        intervals: tuple[IntervalFigures, ...] = ()
        if interval is not None:
            intervals = tuple(
                IntervalFigures(moment, _figures(group, config, now))
                for moment, group in by_interval(lines, interval, zone).items()
            )
        result.append(
            QueueStats(
                queue.id,
                queue.name,
                config.service_level,
                config.short_abandon,
                _figures(lines, config, now),
                intervals,
            )
        )
    return result


async def _states_at(
    session: AsyncSession, company_id: int, at: float, queue_ids: Sequence[int]
) -> dict[tuple[int, int], tuple[bool, bool]]:
    """(user id, queue id) -> (logged in, paused) from the last log-in/pause line before `at`."""
    last = (
        select(
            QueueEvent.agent_user_id.label("user_id"),
            QueueEvent.queue_id.label("queue_id"),
            func.max(QueueEvent.id).label("id"),
        )
        .where(
            QueueEvent.company_id == company_id,
            QueueEvent.call_id == AGENT_LINE,
            QueueEvent.at < at,
            QueueEvent.queue_id.in_(list(queue_ids)),
        )
        .group_by(QueueEvent.agent_user_id, QueueEvent.queue_id)
        .subquery()
    )
    rows = await session.execute(
        select(QueueEvent.agent_user_id, QueueEvent.queue_id, QueueEvent.event).join(
            last, and_(QueueEvent.id == last.c.id)
        )
    )
    states = {
        "AGENTLOGIN": (True, False),
        "UNPAUSE": (True, False),
        "PAUSE": (True, True),
        "AGENTLOGOFF": (False, False),
    }
    return {(r.agent_user_id, r.queue_id): states[r.event] for r in rows if r.event in states}


async def agent_stats(
    session: AsyncSession,
    *,
    company_id: int,
    start: float,
    end: float,
    queue_ids: Sequence[int] | None = None,
    now: float | None = None,
    interval: Literal["hour", "day"] | None = None,
    zone: ZoneInfo | None = None,
) -> list[AgentStats]:
    """Per agent over [start, end), over the queues asked (all the company's by default); a period that
    has not ended yet is cut at `now`."""
    if now is not None:
        end = max(start, min(end, now))
    queues = [q.id for q in await _queues(session, company_id, queue_ids)]
    events = await read_events(
        session, company_id=company_id, start=start - BUSY_LOOKBACK, end=end, queue_ids=queues
    )
    events = [e for e in events if e.at >= start or e.call_id != AGENT_LINE]
    initial = await _states_at(session, company_id, start, queues)
    figures = agent_metrics(events, start=start, end=end, initial=initial)
    per_interval: dict[int, list[AgentIntervalFigures]] = {u: [] for u in figures}
    if interval is not None:
        by = agent_metrics_by_interval(
            events,
            start=start,
            end=end,
            interval=interval,
            zone=zone or ZoneInfo("Asia/Ho_Chi_Minh"),
            initial=initial,
            longest_call=BUSY_LOOKBACK,
        )
        for moment, agents in by.items():
            for u, f in agents.items():
                per_interval.setdefault(u, []).append(AgentIntervalFigures(moment, f))
    rows = await session.execute(
        select(User.id, User.full_name).where(User.company_id == company_id, User.id.in_(list(figures)))
    )
    names: dict[int, str] = {row.id: row.full_name for row in rows}
    return [AgentStats(u, names[u], f, tuple(per_interval[u])) for u, f in figures.items() if u in names]


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


async def queue_board(session: AsyncSession, *, company_id: int, now: float) -> list[BoardQueue]:
    """Each queue's waiting callers (in order, with their wait) and its agents by state, at `now`."""
    queues = await _queues(session, company_id, None)
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
