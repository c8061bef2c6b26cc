"""Queue statistics over a date range and the live queue board, for administrators and supervisors."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from pydantic import Field

from server.api.deps import ContextDep, CurrentSupervisor, SessionDep
from server.api.schemas.callcenter_stats import AgentStatsPublic, BoardPublic, QueueStatsPublic
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import callcenter_stats
from server.domain.clock import to_posix
from server.domain.errors import InvalidInput

router = APIRouter(prefix="/callcenter", tags=["callcenter"], responses=ERROR_RESPONSES)

MAX_DAYS = 93

Start = Annotated[date, Query(description="first day, in the zone `tz`")]
End = Annotated[date, Query(description="last day (inclusive), in the zone `tz`")]
Zone = Annotated[str, Query(max_length=64, description="IANA zone the days and hours are taken in")]
QueueIds = Annotated[
    list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None,
    Query(alias="queue_id", max_length=100, description="only these queues (repeatable)"),
]


def _period(start: date, end: date, tz: str) -> tuple[float, float, ZoneInfo]:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput("unknown_zone", "unknown time zone", fields={"tz": "unknown"}) from None
    if end < start or (end - start).days >= MAX_DAYS or not (start.year >= 2000 and end.year <= 2999):
        raise InvalidInput(
            "bad_range",
            f"end must be on or after start, at most {MAX_DAYS} days, years 2000-2999",
            fields={"end": "range"},
        )
    first = datetime.combine(start, time(0), zone).timestamp()
    last = datetime.combine(end + timedelta(days=1), time(0), zone).timestamp()
    return first, last, zone


@router.get("/stats/queues")
async def queue_stats(
    user: CurrentSupervisor,
    session: SessionDep,
    ctx: ContextDep,
    start: Start,
    end: End,
    interval: Annotated[Literal["total", "hour", "day"], Query()] = "total",
    tz: Zone = "Asia/Ho_Chi_Minh",
    queue_ids: QueueIds = None,
) -> list[QueueStatsPublic]:
    first, last, zone = _period(start, end, tz)
    stats = await callcenter_stats.queue_stats(
        session,
        company_id=user.company_id,
        start=first,
        end=last,
        now=to_posix(ctx.clock()),
        interval=None if interval == "total" else interval,
        zone=zone,
        queue_ids=queue_ids,
    )
    return [QueueStatsPublic.model_validate(s) for s in stats]


@router.get("/stats/agents")
async def agent_stats(
    user: CurrentSupervisor,
    session: SessionDep,
    ctx: ContextDep,
    start: Start,
    end: End,
    interval: Annotated[Literal["total", "hour", "day"], Query()] = "total",
    tz: Zone = "Asia/Ho_Chi_Minh",
    queue_ids: QueueIds = None,
) -> list[AgentStatsPublic]:
    first, last, zone = _period(start, end, tz)
    stats = await callcenter_stats.agent_stats(
        session,
        company_id=user.company_id,
        start=first,
        end=last,
        queue_ids=queue_ids,
        now=to_posix(ctx.clock()),
        interval=None if interval == "total" else interval,
        zone=zone,
    )
    return [AgentStatsPublic.model_validate(s) for s in stats]


@router.get("/board")
async def board(
    request: Request, user: CurrentSupervisor, session: SessionDep, ctx: ContextDep
) -> BoardPublic:
    now = to_posix(ctx.clock())
    live = request.app.state.live_queues
    queues = await callcenter_stats.queue_board(session, company_id=user.company_id, now=now, live=live)
    return BoardPublic.model_validate({"now": now, "queues": queues}, from_attributes=True)
