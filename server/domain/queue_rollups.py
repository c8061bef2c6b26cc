"""Hourly rollups of the queue log: per queue (`QueueTally`) and per agent (`AgentMetrics`), so reports
over long ranges add up a few hundred rows instead of reading every line.

Why a folder of closed hours rather than counting as lines are journaled: a queue call counts in the
hour it *entered* the queue, and its outcome, talk and wrap-up arrive minutes (up to hours) later; an
agent's hour needs the calls that ran into it and their ends.  Counting at journal time would mean
finding each late line's entry hour and re-deriving non-additive figures (longest wait, handled calls,
staffed spans) line by line: a second implementation of `server.callcenter.metrics`.  Instead an hour
is folded once it is closed, `OUTCOME_SLACK` after its end (every line of its calls is in by then), by
the very functions the raw reports use; reports read the folded hours plus the lines of the rest (the
open tail, at most `OUTCOME_SLACK` + 1 h, and partial hours at the range's ends).  The log is
append-only with lines stamped "now", so a folded hour does not change; a queue whose service-level or
short-abandon threshold is edited has its rows refolded (and until then they are not used).

`folded_until` (one row per company) says how far the log is folded: every hour before it has its rows
(hours without calls have none).  The first start after migration 0011 backfills the whole log.
A call's lines later than `OUTCOME_SLACK` after the end of the hour it entered in are not counted in a
folded hour (a queue call lasting over 6 hours).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.callcenter.metrics import (
    AGENT_LINE,
    AgentMetrics,
    Interval,
    QueueTally,
    agent_metrics_by_interval,
    by_interval,
    calls_entered,
    interval_start,
    queue_tally,
)
from server.callcenter.queue import QueueConfig, queue_from_json
from server.domain.callcenter_models import AgentHourRollup, Queue, QueueEvent, QueueHourRollup, RollupMark
from server.domain.queue_log import agent_states_at, read_events

log = logging.getLogger(__name__)

HOUR = 3600.0
OUTCOME_SLACK = 6 * 3600.0  # a call entered before an hour's end has its outcome (and lines) within this
BUSY_LOOKBACK = 4 * 3600.0  # calls and wrap-ups that began before a period and ran into it
FOLD_CHUNK = 24 * HOUR  # hours folded per transaction
FOLD_DELAY = 120.0  # an hour is folded this long after its end at the earliest (lines are journaled in ~1 s)
_OUTCOMES = frozenset({"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "EXITFULL"})
_ENDS = frozenset({"COMPLETEAGENT", "COMPLETECALLER", "TRANSFER"})
UTC = ZoneInfo("UTC")

_QUEUE_ROWS = cast(Table, QueueHourRollup.__table__)
_AGENT_ROWS = cast(Table, AgentHourRollup.__table__)


def moment_of(hour: float, interval: Interval, zone: ZoneInfo) -> datetime:
    """The hour or day of the zone a folded hour belongs to."""
    return interval_start(hour, interval, zone)


def hour_floor(at: float) -> float:
    return math.floor(at / HOUR) * HOUR


def hour_ceil(at: float) -> float:
    return math.ceil(at / HOUR) * HOUR


async def folded_until(session: AsyncSession, company_id: int) -> float | None:
    return await session.scalar(select(RollupMark.folded_until).where(RollupMark.company_id == company_id))


def split(
    start: float, end: float, mark: float | None
) -> tuple[tuple[float, float] | None, list[tuple[float, float]]]:
    """[start, end) as (the whole hours the rollups cover, if any; the spans to read from the log)."""
    a, b = hour_ceil(start), min(hour_floor(end), mark if mark is not None else -math.inf)
    if b <= a:
        return None, [(start, end)]
    return (a, b), [(lo, hi) for lo, hi in ((start, a), (b, end)) if hi > lo]


# --- reads ----------------------------------------------------------------------------------------
def queue_rows_statement(company_id: int, queue_ids: Sequence[int], start: float, end: float) -> Select[Any]:
    c = _QUEUE_ROWS.c
    return select(c.queue_id, c.hour, c.service_level, c.short_abandon, c.tally).where(
        c.company_id == company_id, c.hour >= start, c.hour < end, c.queue_id.in_(list(queue_ids))
    )


async def queue_rows(
    session: AsyncSession, *, company_id: int, queue_ids: Sequence[int], start: float, end: float
) -> list[tuple[int, float, float, float, QueueTally]]:
    """(queue id, hour, service-level threshold, short-abandon threshold, tally) of the folded hours in
    [start, end)."""
    rows = await session.execute(queue_rows_statement(company_id, queue_ids, start, end))
    return [(r.queue_id, r.hour, r.service_level, r.short_abandon, QueueTally(**r.tally)) for r in rows]


async def agent_rows(
    session: AsyncSession, *, company_id: int, start: float, end: float
) -> list[tuple[float, AgentMetrics]]:
    """(hour, figures) of every agent's folded hours in [start, end)."""
    c = _AGENT_ROWS.c
    rows = await session.execute(
        select(c.hour, c.figures).where(c.company_id == company_id, c.hour >= start, c.hour < end)
    )
    return [(r.hour, AgentMetrics(**r.figures)) for r in rows]


# --- folding --------------------------------------------------------------------------------------
def _thresholds(config: QueueConfig) -> tuple[float, float]:
    return config.service_level, config.short_abandon


async def _configs(session: AsyncSession, company_id: int) -> dict[int, QueueConfig]:
    queues = await session.scalars(select(Queue).where(Queue.company_id == company_id).order_by(Queue.id))
    return {q.id: queue_from_json(q.id, q.name, q.config) for q in queues}


async def _fold_queues(
    session: AsyncSession, company_id: int, configs: Sequence[QueueConfig], lo: float, hi: float
) -> None:
    """Replace the queue rows of the hours in [lo, hi) of `configs`' queues."""
    ids = [q.id for q in configs]
    await session.execute(
        delete(_QUEUE_ROWS).where(
            _QUEUE_ROWS.c.queue_id.in_(ids), _QUEUE_ROWS.c.hour >= lo, _QUEUE_ROWS.c.hour < hi
        )
    )
    events = await read_events(
        session, company_id=company_id, start=lo, end=hi + OUTCOME_SLACK, queue_ids=ids
    )
    rows = []
    for config in configs:
        lines = calls_entered([e for e in events if e.queue_id == config.id], lo, hi)
        for moment, group in by_interval(lines, "hour", UTC).items():
            hour = moment.timestamp()
            tally = queue_tally(
                [e for e in group if e.at < hour + HOUR + OUTCOME_SLACK],
                service_level=config.service_level,
                short_abandon=config.short_abandon,
            )
            rows.append(
                {
                    "company_id": company_id,
                    "queue_id": config.id,
                    "hour": hour,
                    "service_level": config.service_level,
                    "short_abandon": config.short_abandon,
                    "tally": asdict(tally),
                }
            )
    if rows:
        await session.execute(insert(_QUEUE_ROWS), rows)


async def _fold_agents(
    session: AsyncSession, company_id: int, queue_ids: Sequence[int], lo: float, hi: float
) -> None:
    await session.execute(
        delete(_AGENT_ROWS).where(
            _AGENT_ROWS.c.company_id == company_id, _AGENT_ROWS.c.hour >= lo, _AGENT_ROWS.c.hour < hi
        )
    )
    events = await read_events(
        session, company_id=company_id, start=lo - BUSY_LOOKBACK, end=hi + BUSY_LOOKBACK, queue_ids=queue_ids
    )
    events = [e for e in events if e.at >= lo or e.call_id != AGENT_LINE]
    initial = await agent_states_at(session, company_id, lo, queue_ids)
    hours = agent_metrics_by_interval(
        events, start=lo, end=hi, interval="hour", zone=UTC, initial=initial, longest_call=BUSY_LOOKBACK
    )
    rows = [
        {"company_id": company_id, "user_id": u, "hour": moment.timestamp(), "figures": asdict(f)}
        for moment, agents in hours.items()
        for u, f in agents.items()
    ]
    if rows:
        await session.execute(insert(_AGENT_ROWS), rows)


async def _set_mark(session: AsyncSession, company_id: int, until: float) -> None:
    mark = await session.get(RollupMark, company_id)
    if mark is None:
        session.add(RollupMark(company_id=company_id, folded_until=until))
    else:
        mark.folded_until = until


async def closed_until(
    session: AsyncSession, *, company_id: int, now: float, unwritten_since: float | None = None
) -> float:
    """The end of the company's closed hours: every hour before it ended `FOLD_DELAY` ago and every call
    that entered in it has its outcome and, if answered, its end (so no more lines of its calls will
    come); hours older than `OUTCOME_SLACK` are closed whatever waits.  Lines not written yet
    (`unwritten_since`: the oldest the queue-log writer holds) keep their hour open."""
    oldest, latest = hour_floor(now - OUTCOME_SLACK), hour_floor(now - FOLD_DELAY)
    open_calls: dict[tuple[int, str], float] = {}
    for e in await read_events(session, company_id=company_id, start=oldest, end=now + 1):
        key = (e.queue_id, e.call_id)
        if e.event == "ENTERQUEUE":
            open_calls[key] = e.at
        elif e.event in _OUTCOMES or e.event in _ENDS:
            open_calls.pop(key, None)
    until = max(oldest, min(latest, hour_floor(min(open_calls.values(), default=latest))))
    if unwritten_since is not None:
        until = min(until, hour_floor(unwritten_since))
    return until


async def fold(
    session: AsyncSession, *, company_id: int, now: float, unwritten_since: float | None = None
) -> int:
    """Fold the company's closed hours not folded yet (committing a day at a time) and refold the queues
    whose thresholds changed; the number of hours folded."""
    configs = await _configs(session, company_id)
    mark = await folded_until(session, company_id)
    if mark is not None:
        c = _QUEUE_ROWS.c
        used = await session.execute(
            select(c.queue_id, c.service_level, c.short_abandon, func.min(c.hour).label("first"))
            .where(c.company_id == company_id)
            .group_by(c.queue_id, c.service_level, c.short_abandon)
        )
        stale: dict[int, float] = {}
        for r in used:
            config = configs.get(r.queue_id)
            if config is not None and _thresholds(config) != (r.service_level, r.short_abandon):
                stale[r.queue_id] = min(stale.get(r.queue_id, math.inf), r.first)
        for queue_id, first in stale.items():
            lo = first
            while lo < mark:
                hi = min(lo + FOLD_CHUNK, mark)
                await _fold_queues(session, company_id, [configs[queue_id]], lo, hi)
                lo = hi
            await session.commit()
            log.info("queue rollups: queue %d refolded (its thresholds changed)", queue_id)
    else:
        first_line = await session.scalar(
            select(func.min(QueueEvent.at)).where(QueueEvent.company_id == company_id)
        )
        if first_line is None:
            return 0
        mark = hour_floor(first_line)
    until = await closed_until(session, company_id=company_id, now=now, unwritten_since=unwritten_since)
    folded = 0
    while mark < until:
        hi = min(mark + FOLD_CHUNK, until)
        await _fold_queues(session, company_id, list(configs.values()), mark, hi)
        await _fold_agents(session, company_id, list(configs), mark, hi)
        await _set_mark(session, company_id, hi)
        await session.commit()
        folded += round((hi - mark) / HOUR)
        mark = hi
    return folded


async def fold_all(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: float, unwritten_since: float | None = None
) -> int:
    """`fold` every company that has a queue log."""
    async with sessionmaker() as session:
        companies = list(await session.scalars(select(QueueEvent.company_id).distinct()))
    folded = 0
    for company_id in companies:
        async with sessionmaker() as session:
            folded += await fold(session, company_id=company_id, now=now, unwritten_since=unwritten_since)
    return folded


class RollupFolder:
    """Folds closed hours at start (the backfill) and then every `period` seconds, off the hot path: an
    hour is usually folded a few minutes after its end, so reports read at most the last hour or two of
    the log itself."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Callable[[], float],
        *,
        unwritten_since: Callable[[], float | None] = lambda: None,
        period: float = 60.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._unwritten_since = unwritten_since  # the queue-log writer's oldest line not committed yet
        self.period = period
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="queue rollups")

    async def _run(self) -> None:
        while True:
            try:
                folded = await fold_all(
                    self._sessionmaker, now=self._clock(), unwritten_since=self._unwritten_since()
                )
                if folded:
                    log.info("queue rollups: %d hours folded", folded)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("queue rollups: folding failed (retrying in %.0f s)", self.period)
            await asyncio.sleep(self.period)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
