"""The queue wallboard (`/console/live/queues`): per queue the callers waiting now, the agents by state and
today's answered, abandoned and service level, refreshed over the live view's SSE stream.

Both halves are the reads behind `GET /api/v1/callcenter/board` (`callcenter_stats.queue_board`) and
`GET /api/v1/callcenter/stats/queues` for today in the company's zone (`callcenter_stats.queue_stats`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from server.domain import callcenter_stats
from server.domain.callcenter_stats import BoardQueue, QueueStats
from server.domain.clock import to_posix
from server.domain.models import SipBinding, User
from server.web.deps import SignedIn
from server.web.pages.live_pages import region_stream
from server.web.render import env, gettext_for, local_time, render, zone

router = APIRouter(prefix="/live")

# the board's agent states, in the wallboard's order
STATES = ("available", "on_call", "wrapup", "paused", "logged_out")


@dataclass(frozen=True, slots=True)
class WallboardQueue:
    board: BoardQueue
    today: QueueStats | None  # None: the queue was made after the stats were read
    by_state: dict[str, int]
    longest_wait: float | None  # of the callers waiting now


async def wallboard(request: Request, session: AsyncSession, company_id: int) -> dict[str, Any]:
    now = to_posix(request.app.state.ctx.clock())
    tz = zone(request)
    today = datetime.fromtimestamp(now, tz).date()
    start = datetime.combine(today, time(), tz).timestamp()
    end = datetime.combine(today + timedelta(days=1), time(), tz).timestamp()
    live = request.app.state.live_queues
    board = await callcenter_stats.queue_board(session, company_id=company_id, now=now, live=live)
    agents = {a.user_id for q in board for a in q.agents}
    dnd, registered = await _phone_facts(session, company_id, agents, now)
    stats = {
        s.queue_id: s
        for s in await callcenter_stats.queue_stats(
            session, company_id=company_id, start=start, end=end, now=now, zone=tz
        )
    }
    queues = [
        WallboardQueue(
            q,
            stats.get(q.queue_id),
            {state: sum(1 for a in q.agents if a.state == state) for state in STATES},
            max((w.wait for w in q.waiting), default=None),
        )
        for q in board
    ]
    return {"queues": queues, "now": now, "dnd": dnd, "registered": registered}


async def _phone_facts(
    session: AsyncSession, company_id: int, user_ids: set[int], now: float
) -> tuple[set[int], set[int]]:
    """Of these agents: who has DND on, who has a device registered now (the board carries neither)."""
    if not user_ids:
        return set(), set()
    dnd = await session.scalars(
        select(User.id).where(User.company_id == company_id, User.id.in_(user_ids), User.dnd.is_(True))
    )
    registered = await session.scalars(
        select(SipBinding.user_id)
        .where(SipBinding.user_id.in_(user_ids), SipBinding.expires_at > now)
        .distinct()
    )
    return set(dnd), set(registered)


def _region(request: Request, values: dict[str, Any]) -> str:
    return env.get_template("_wallboard_region.html").render(
        _=gettext_for(request),
        base="/console",
        states=STATES,
        t=lambda posix: local_time(request, posix, "%H:%M:%S"),
        **values,
    )


@router.get("/queues")
async def queues_page(request: Request, console: SignedIn) -> Response:
    async with request.app.state.sessionmaker() as session:
        values = await wallboard(request, session, console.company_id)
    return render(request, "wallboard.html", {"region": _region(request, values)})


@router.get("/queues/events")
async def queues_events(request: Request, console: SignedIn) -> Response:
    async def region(session: AsyncSession) -> str:
        return _region(request, await wallboard(request, session, console.company_id))

    return region_stream(request, region)
