"""The call history read model: CDRs of one company in a time range with filters, keyset pages, and the
dashboard's aggregates.  A range is always given (the table grows without bound); indexes in migration 0005.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from server.domain.models import CallRecord, User

MISSED = ("no_answer", "cancelled", "busy", "dnd", "failed", "rejected", "not_found")
STATUSES = ("answered", "missed", *MISSED, "quota_exceeded")
DIRECTIONS = ("inbound", "outbound", "internal", "feature")


@dataclass(frozen=True, slots=True)
class CallQuery:
    company_id: int
    start: float  # POSIX seconds, inclusive
    end: float  # exclusive
    direction: str | None = None
    user_id: int | None = None
    hotline: str | None = None
    status: str | None = None  # "answered", "missed" or one disposition
    number: str | None = None  # part of the caller or callee
    min_seconds: int | None = None  # talk time at least


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[CallRecord]
    next_key: tuple[float, int] | None  # (start, id) of the last row when there may be more


def _where(q: CallQuery) -> list[ColumnElement[bool]]:
    c = CallRecord
    where: list[ColumnElement[bool]] = [c.company_id == q.company_id, c.start >= q.start, c.start < q.end]
    if q.direction:
        where.append(c.direction == q.direction)
    if q.user_id is not None:
        where.append(or_(c.caller_user_id == q.user_id, c.callee_user_id == q.user_id))
    if q.hotline:
        where.append(c.hotline == q.hotline)
    if q.status == "answered":
        where.append(c.answer.is_not(None))
    elif q.status == "missed":
        where.append(c.disposition.in_(MISSED))
    elif q.status:
        where.append(c.disposition == q.status)
    if q.number:
        pattern = f"%{q.number.replace('%', '').replace('_', '')}%"
        where.append(or_(c.caller.like(pattern), c.callee.like(pattern)))
    if q.min_seconds:
        where.append(and_(c.answer.is_not(None), c.end - c.answer >= q.min_seconds))
    return where


def search_statement(q: CallQuery, *, limit: int, after: tuple[float, int] | None = None):  # type: ignore[no-untyped-def]
    """The page query (exposed so the benchmark can print its plan)."""
    c = CallRecord
    stmt = select(c).where(*_where(q))
    if after is not None:
        stmt = stmt.where(or_(c.start < after[0], and_(c.start == after[0], c.id < after[1])))
    return stmt.order_by(c.start.desc(), c.id.desc()).limit(limit)


async def search(
    session: AsyncSession, q: CallQuery, *, limit: int = 50, after: tuple[float, int] | None = None
) -> Page:
    rows = list(await session.scalars(search_statement(q, limit=limit + 1, after=after)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, (rows[-1].start, rows[-1].id) if more and rows else None)


async def count(session: AsyncSession, q: CallQuery) -> int:
    return int(await session.scalar(select(func.count()).select_from(CallRecord).where(*_where(q))) or 0)


@dataclass(slots=True)
class Summary:
    by_direction: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    missed: int = 0
    total: int = 0
    talk_seconds: float = 0.0
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    top_agents: list[tuple[int, str, int, float]] = field(default_factory=list)  # id, name, calls, seconds


async def summary(session: AsyncSession, q: CallQuery, *, utc_offset: int, top: int = 5) -> Summary:
    """Counts for the dashboard; hours are local (`utc_offset` seconds east of UTC)."""
    c = CallRecord
    where = _where(q)
    out = Summary()
    talk = func.coalesce(
        func.sum(case((c.answer.is_not(None), func.coalesce(c.end, c.answer) - c.answer))), 0
    )
    hours = (c.start + utc_offset) / 3600
    if session.get_bind().dialect.name != "sqlite":  # PostgreSQL's CAST rounds; SQLite's truncates
        hours = func.floor(hours)
    hour = cast(hours, Integer) % 24
    # Two passes over the range, both inside the covering index ix_call_records_company_dashboard.
    rows = await session.execute(
        select(
            c.direction,
            hour,
            func.count(),
            func.sum(case((c.answer.is_not(None), 1), else_=0)),
            func.sum(case((c.disposition.in_(MISSED), 1), else_=0)),
            talk,
        )
        .where(*where)
        .group_by(c.direction, hour)
    )
    for direction, h, n, answered, missed, seconds in rows:
        out.by_direction[direction] = out.by_direction.get(direction, 0) + int(n)
        out.by_hour[int(h)] += int(n)
        out.answered += int(answered or 0)
        out.missed += int(missed or 0)
        out.total += int(n)
        out.talk_seconds += float(seconds or 0)
    agents: dict[int, list[float]] = {}
    stmt = (
        select(c.callee_user_id, c.caller_user_id, func.count(), talk)
        .where(*where, c.answer.is_not(None))
        .group_by(c.callee_user_id, c.caller_user_id)
    )
    for callee, caller, n, seconds in await session.execute(stmt):
        for user_id in {callee, caller} - {None}:
            entry = agents.setdefault(int(user_id), [0, 0.0])
            entry[0] += int(n)
            entry[1] += float(seconds or 0)
    best = sorted(agents.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
    names = await user_names(session, q.company_id, [user_id for user_id, _ in best])
    out.top_agents = [(uid, names.get(uid, f"#{uid}"), int(v[0]), v[1]) for uid, v in best]
    return out


async def user_names(session: AsyncSession, company_id: int, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, User.full_name).where(User.company_id == company_id, User.id.in_(list(ids)))
    )
    return {int(i): str(n) for i, n in rows}
