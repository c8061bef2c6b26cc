"""The agent's own queues: which they serve, log in and out (one queue or all), pause with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.deps import ContextDep, CurrentUser, SessionDep
from server.api.schemas.callcenter import AgentStateBody
from server.api.schemas.callcenter_stats import MyQueuePublic
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import callcenter, callcenter_stats
from server.domain.changes import AGENT_READY, Change
from server.domain.clock import to_posix
from server.domain.context import DomainContext
from server.domain.models import User

router = APIRouter(prefix="/me", tags=["me"], responses=ERROR_RESPONSES)

QueueId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _mine(
    session: AsyncSession, ctx: DomainContext, user: User, *, ready: bool = False
) -> list[MyQueuePublic]:
    rows = await callcenter.my_queues(session, company_id=user.company_id, user_id=user.id)
    left = None
    if not ready:  # just made ready: the PBX ended the wrap-up, its READY line is still in the write queue
        now = to_posix(ctx.clock())
        until = await callcenter_stats.wrapup_end(
            session, company_id=user.company_id, user_id=user.id, now=now
        )
        left = round(until - now, 1) if until is not None else None
    return [
        MyQueuePublic(
            queue_id=queue.id,
            name=queue.name,
            logged_in=bool(state and state.logged_in),
            paused=bool(state and state.paused),
            pause_reason=state.pause_reason if state is not None else "",
            wrapup_left=left,
        )
        for queue, state in rows
    ]


@router.get("/queues")
async def my_queues(user: CurrentUser, session: SessionDep, ctx: ContextDep) -> list[MyQueuePublic]:
    return await _mine(session, ctx, user)


async def _set(
    session: AsyncSession, ctx: ContextDep, user: User, queue_id: int | None, body: AgentStateBody
) -> list[MyQueuePublic]:
    await callcenter.set_agent_state(
        session,
        ctx=ctx,
        company_id=user.company_id,
        user_id=user.id,
        queue_id=queue_id,
        logged_in=body.logged_in,
        paused=body.paused,
        pause_reason=body.pause_reason,
        actor_id=user.id,
    )
    return await _mine(session, ctx, user)


@router.put("/queues/state")
async def set_all(
    body: AgentStateBody, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> list[MyQueuePublic]:
    """Log in or out of, pause in or unpause from, every queue the caller serves."""
    return await _set(session, ctx, user, None, body)


@router.put("/queues/{queue_id}/state")
async def set_one(
    queue_id: QueueId, body: AgentStateBody, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> list[MyQueuePublic]:
    """The same for one queue; answers with the caller's state in all their queues."""
    return await _set(session, ctx, user, queue_id, body)


@router.post("/queues/ready")
async def ready_now(user: CurrentUser, session: SessionDep, ctx: ContextDep) -> list[MyQueuePublic]:
    """End my wrap-up now ("ready now"): the PBX may offer me the next caller at once."""
    ctx.changes.publish([Change(AGENT_READY, user.company_id, user_ids=(user.id,))])
    await ctx.changes.settled()
    return await _mine(session, ctx, user, ready=True)
