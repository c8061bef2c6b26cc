"""Live view: registrations and running calls, refreshed over SSE; a hang-up button per call.

Both come from the PBX's read models (`sip_bindings`, running `call_records`), which its journal writes
within a second; the hang-up runs in the SIP core (`SipService.hang_up`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from server.domain.errors import NotFound
from server.domain.models import CallRecord, SipBinding, User
from server.web.deps import FormDep, SessionDep, SignedIn
from server.web.render import env, gettext_for, local_time, redirect, render

router = APIRouter(prefix="/live")
REFRESH_SECONDS = 1.0
# One stream lasts this long, then the browser reconnects (`retry`): an open live page never holds a
# graceful server shutdown (uvicorn waits for running responses) for longer than this.
STREAM_SECONDS = 20.0


async def snapshot(session: Any, company_id: int) -> dict[str, Any]:
    now = time.time()
    registrations = (
        await session.execute(
            select(SipBinding, User.full_name)
            .join(User, User.id == SipBinding.user_id)
            .where(User.company_id == company_id, SipBinding.expires_at > now)
            .order_by(User.full_name, SipBinding.id)
        )
    ).all()
    calls = list(
        await session.scalars(
            select(CallRecord)
            .where(
                CallRecord.company_id == company_id, CallRecord.end.is_(None), CallRecord.start > now - 86400
            )
            .order_by(CallRecord.start)
        )
    )
    return {"registrations": registrations, "calls": calls, "now": now}


def _region(request: Request, values: dict[str, Any]) -> str:
    return env.get_template("_live_region.html").render(
        _=gettext_for(request),
        base="/console",
        csrf=request.cookies.get("console_csrf", ""),
        can_hang_up=request.app.state.hang_up is not None,
        t=lambda posix: local_time(request, posix, "%H:%M:%S"),
        **values,
    )


@router.get("")
async def live(request: Request, console: SignedIn, session: SessionDep) -> Response:
    values = await snapshot(session, console.company_id)
    return render(request, "live.html", {"region": _region(request, values)})


def region_stream(request: Request, region: Callable[[AsyncSession], Awaitable[str]]) -> Response:
    """SSE: an `update` event with a region's new HTML whenever it changes (checked every second); every
    live view (this page, the queue wallboard) streams through it."""

    async def stream() -> AsyncIterator[str]:
        last = ""
        yield "retry: 1000\n\n"
        until = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < until and not await request.is_disconnected():
            async with request.app.state.sessionmaker() as session:
                html = await region(session)
            if html != last:
                last = html
                data = "\n".join(f"data: {line}" for line in html.splitlines())
                yield f"event: update\n{data}\n\n"
            else:
                yield ": keep-alive\n\n"
            await asyncio.sleep(REFRESH_SECONDS)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/events")
async def events(request: Request, console: SignedIn) -> Response:
    async def region(session: AsyncSession) -> str:
        return _region(request, await snapshot(session, console.company_id))

    return region_stream(request, region)


@router.post("/calls/{record_id:int}/hang-up")
async def hang_up(
    request: Request, record_id: int, console: SignedIn, form: FormDep, session: SessionDep
) -> Response:
    """Admins and supervisors may end a running call of their company."""
    record = await session.scalar(
        select(CallRecord).where(CallRecord.id == record_id, CallRecord.company_id == console.company_id)
    )
    if record is None or record.end is not None:
        raise NotFound("call")
    ender = request.app.state.hang_up
    name = console.user.full_name.replace('"', "'")
    ended = bool(ender and ender(record.call_id, f"Ended by {name} (console)"))
    return redirect("/console/live", flash="Call ended." if ended else "That call is no longer running.")
