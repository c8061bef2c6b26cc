"""The persisted queue log (`cc_queue_events`, Asterisk's queue_log idea): the writer the PBX hands the
queue engine's lines to, and the reads that reports and the live board are computed from.

`QueueLogWriter.record` only appends to a list (the PBX core never waits on the database); a task
commits what is pending a moment later as one multi-row INSERT, the same group commit as the PBX
journal (`server.domain.pbx_journal`): a failing database is retried with a growing pause and nothing
is dropped.  Core statements, no ORM: no "changed" events (nothing routes on the log).  A line's
company is its queue's; lines of a queue deleted meanwhile are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.callcenter.log_sink import AGENT_STATE_EVENTS
from server.callcenter.metrics import AGENT_LINE
from server.callcenter.queue import HOLD_HISTORY, LogEntry
from server.domain.callcenter_models import Queue, QueueEvent
from server.domain.clock import to_posix

log = logging.getLogger(__name__)

_EVENTS = cast(Table, QueueEvent.__table__)
_QUEUES = cast(Table, Queue.__table__)


def _row(entry: LogEntry, company_id: int) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "queue_id": entry.queue_id,
        "at": entry.at,
        "call_id": entry.call_id[:255],
        "event": entry.event,
        "agent_user_id": entry.user_id,
        "data": dict(entry.data),
    }


class QueueLogWriter:
    """A `QueueLogSink` that commits to the database in groups (start it on the running loop)."""

    def __init__(self, engine: AsyncEngine, *, group_delay: float = 0.05, group_size: int = 1000) -> None:
        self._engine = engine
        self.group_delay = group_delay
        self.group_size = group_size
        self._pending: list[LogEntry] = []
        self._batch: list[LogEntry] = []  # being written
        self._companies: dict[int, int] = {}  # queue id -> company id
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.appended = 0
        self.committed = 0  # written or dropped
        self.dropped = 0
        self.failures = 0

    def record(self, entry: LogEntry, company_id: int | None = None) -> None:
        """Queue `entry`; a caller that knows the queue's company may say so (else it is looked up)."""
        if entry.event in AGENT_STATE_EVENTS:
            return  # logged by server.domain.callcenter with the state change itself
        if company_id:
            self._companies.setdefault(entry.queue_id, company_id)
        self._pending.append(entry)
        self.appended += 1
        if not self._wake.is_set():
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def oldest_unwritten(self) -> float | None:
        """The time of the oldest line recorded but not committed yet (its hour is not closed)."""
        return min((e.at for e in (*self._batch, *self._pending)), default=None)

    async def _run(self) -> None:
        pause = 0.05
        while True:
            if not self._batch:
                await self._wake.wait()
                self._wake.clear()
                if len(self._pending) < self.group_size:
                    await asyncio.sleep(self.group_delay)
                self._batch, self._pending = self._pending, []
                if not self._batch:
                    continue
            batch = self._batch
            try:
                await self.write(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                log.error(
                    "queue log: writing %d lines failed (%s); retrying in %.2f s", len(batch), exc, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            pause = 0.05
            self.committed += len(batch)
            self._batch = []
            if self._pending:
                self._wake.set()

    async def write(self, entries: Sequence[LogEntry]) -> None:
        """Write `entries` in one transaction (the task's unit of work; tests may call it directly)."""
        async with self._engine.begin() as conn:
            unknown = {e.queue_id for e in entries} - self._companies.keys()
            if unknown:
                found = await conn.execute(
                    select(_QUEUES.c.id, _QUEUES.c.company_id).where(_QUEUES.c.id.in_(unknown))
                )
                self._companies.update({r.id: r.company_id for r in found})
            rows = [_row(e, self._companies[e.queue_id]) for e in entries if e.queue_id in self._companies]
            if len(rows) < len(entries):
                self.dropped += len(entries) - len(rows)
                log.warning("queue log: %d lines of deleted queues dropped", len(entries) - len(rows))
            if rows:
                await conn.execute(insert(_EVENTS), rows)

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every line recorded so far is committed (shutdown, tests)."""
        target = self.appended
        deadline = time.monotonic() + timeout
        while self.committed < target:
            if time.monotonic() > deadline:
                return False
            self._wake.set()
            await asyncio.sleep(0.002)
        return True

    async def stop(self, timeout: float = 10.0) -> None:
        if not await self.flush(timeout):
            log.error("queue log: %d lines not written at shutdown", self.appended - self.committed)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def agent_event(
    *, company_id: int, queue_id: int, user_id: int, event: str, at: datetime, reason: str = ""
) -> QueueEvent:
    """An agent log-in/log-off/pause/unpause line, added to the session that changes the agent's state."""
    return QueueEvent(
        company_id=company_id,
        queue_id=queue_id,
        at=to_posix(at),
        call_id="NONE",
        event=event,
        agent_user_id=user_id,
        data={"reason": reason} if event == "PAUSE" else {},
    )


def events_statement(
    company_id: int, start: float, end: float, queue_ids: Sequence[int] | None = None
) -> Select[Any]:
    c = _EVENTS.c
    query = select(c.at, c.queue_id, c.call_id, c.event, c.agent_user_id, c.data).where(
        c.company_id == company_id, c.at >= start, c.at < end
    )
    if queue_ids is not None:
        query = query.where(c.queue_id.in_(list(queue_ids)))
    return query.order_by(c.at, c.id)  # plain rows: reports read many


async def read_events(
    session: AsyncSession,
    *,
    company_id: int,
    start: float,
    end: float,
    queue_ids: Sequence[int] | None = None,
) -> list[LogEntry]:
    """The company's log lines with `start <= at < end` (UNIX seconds), oldest first."""
    rows = await session.execute(events_statement(company_id, start, end, queue_ids))
    return [LogEntry(r.at, r.queue_id, r.call_id, r.event, r.agent_user_id, dict(r.data or {})) for r in rows]


async def recent_holds(
    session: AsyncSession, queue_ids: Sequence[int], limit: int = HOLD_HISTORY
) -> dict[int, list[float]]:
    """Queue id -> the hold times of its last `limit` answered calls (CONNECT lines), oldest first."""
    c = _EVENTS.c
    holds: dict[int, list[float]] = {}
    for qid in queue_ids:
        rows = await session.execute(
            select(c.data)
            .where(c.queue_id == qid, c.event == "CONNECT")
            .order_by(c.at.desc(), c.id.desc())
            .limit(limit)
        )
        found = [float(r.data["hold"]) for r in rows if isinstance((r.data or {}).get("hold"), int | float)]
        if found:
            holds[qid] = found[::-1]
    return holds


async def agent_states_at(
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
