"""Admin: call-center configuration (schedules, IVR menus, queues, ring groups, voicemail boxes), hotline
inbound routes, queue members and agent states."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.callcenter import (
    AgentStateBody,
    AgentStatePublic,
    ConfiguredPublic,
    HotlineRouteBody,
    HotlineRoutePublic,
    IvrBody,
    QueueBody,
    QueueMemberPublic,
    QueueMembersBody,
    RingGroupBody,
    ScheduleBody,
    VoicemailBody,
)
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import callcenter

router = APIRouter(prefix="/admin", tags=["admin"], responses=ERROR_RESPONSES)

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _crud(kind: str, body_type: type[BaseModel]) -> None:
    """GET/POST /admin/<kind> and GET/PUT/DELETE /admin/<kind>/{id} for one configured kind."""

    async def list_rows(admin: CurrentAdmin, session: SessionDep) -> list[ConfiguredPublic]:
        rows = await callcenter.list_configured(session, company_id=admin.company_id, kind=kind)
        return [ConfiguredPublic.model_validate(r) for r in rows]

    async def create_row(
        body: body_type,
        admin: CurrentAdmin,
        session: SessionDep,
        ctx: ContextDep,  # type: ignore[valid-type]
    ) -> ConfiguredPublic:
        data = body.model_dump(mode="json")  # type: ignore[attr-defined]
        row = await callcenter.create_configured(
            session,
            ctx=ctx,
            company_id=admin.company_id,
            kind=kind,
            name=data["name"],
            config=data["config"],
            actor_id=admin.id,
        )
        return ConfiguredPublic.model_validate(row)

    async def get_row(row_id: RowId, admin: CurrentAdmin, session: SessionDep) -> ConfiguredPublic:
        row = await callcenter.get_configured(session, company_id=admin.company_id, kind=kind, row_id=row_id)
        return ConfiguredPublic.model_validate(row)

    async def put_row(
        row_id: RowId,
        body: body_type,  # type: ignore[valid-type]
        admin: CurrentAdmin,
        session: SessionDep,
        ctx: ContextDep,
    ) -> ConfiguredPublic:
        data = body.model_dump(mode="json")  # type: ignore[attr-defined]
        row = await callcenter.update_configured(
            session,
            ctx=ctx,
            company_id=admin.company_id,
            kind=kind,
            row_id=row_id,
            name=data["name"],
            config=data["config"],
            actor_id=admin.id,
        )
        return ConfiguredPublic.model_validate(row)

    async def delete_row(
        row_id: RowId, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
    ) -> Response:
        await callcenter.delete_configured(
            session, ctx=ctx, company_id=admin.company_id, kind=kind, row_id=row_id, actor_id=admin.id
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    # the body's type is this kind's schema, known only here (string annotations resolve in module globals)
    create_row.__annotations__["body"] = body_type
    put_row.__annotations__["body"] = body_type
    path = f"/{kind}"
    router.add_api_route(path, list_rows, methods=["GET"], name=f"list_{kind}")
    router.add_api_route(
        path, create_row, methods=["POST"], status_code=status.HTTP_201_CREATED, name=f"create_{kind}"
    )
    router.add_api_route(path + "/{row_id}", get_row, methods=["GET"], name=f"get_{kind}")
    router.add_api_route(path + "/{row_id}", put_row, methods=["PUT"], name=f"put_{kind}")
    router.add_api_route(
        path + "/{row_id}",
        delete_row,
        methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT,
        name=f"delete_{kind}",
    )


for _kind, _body in (
    ("schedules", ScheduleBody),
    ("ivr_menus", IvrBody),
    ("queues", QueueBody),
    ("ring_groups", RingGroupBody),
    ("voicemail_boxes", VoicemailBody),
):
    _crud(_kind, _body)


@router.get("/hotlines/{hotline_id}/route")
async def get_hotline_route(
    hotline_id: RowId, admin: CurrentAdmin, session: SessionDep
) -> HotlineRoutePublic:
    route = await callcenter.get_hotline_route(session, company_id=admin.company_id, hotline_id=hotline_id)
    return HotlineRoutePublic.model_validate(route)


@router.put("/hotlines/{hotline_id}/route")
async def put_hotline_route(
    hotline_id: RowId, body: HotlineRouteBody, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> HotlineRoutePublic:
    route = await callcenter.set_hotline_route(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        hotline_id=hotline_id,
        destination=body.model_dump(mode="json")["destination"],
        actor_id=admin.id,
    )
    return HotlineRoutePublic.model_validate(route)


@router.delete("/hotlines/{hotline_id}/route", status_code=status.HTTP_204_NO_CONTENT)
async def delete_hotline_route(
    hotline_id: RowId, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> Response:
    await callcenter.delete_hotline_route(
        session, ctx=ctx, company_id=admin.company_id, hotline_id=hotline_id, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/queues/{queue_id}/members")
async def list_members(queue_id: RowId, admin: CurrentAdmin, session: SessionDep) -> list[QueueMemberPublic]:
    rows = await callcenter.list_members(session, company_id=admin.company_id, queue_id=queue_id)
    return [QueueMemberPublic.model_validate(r) for r in rows]


@router.put("/queues/{queue_id}/members")
async def put_members(
    queue_id: RowId, body: QueueMembersBody, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> list[QueueMemberPublic]:
    rows = await callcenter.set_members(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        queue_id=queue_id,
        members=[m.model_dump() for m in body.members],
        actor_id=admin.id,
    )
    return [QueueMemberPublic.model_validate(r) for r in rows]


@router.get("/queues/{queue_id}/agents")
async def list_agents(queue_id: RowId, admin: CurrentAdmin, session: SessionDep) -> list[AgentStatePublic]:
    rows = await callcenter.list_agent_states(session, company_id=admin.company_id, queue_id=queue_id)
    return [AgentStatePublic.model_validate(r) for r in rows]


@router.put("/queues/{queue_id}/agents/{user_id}")
async def put_agent(
    queue_id: RowId,
    user_id: RowId,
    body: AgentStateBody,
    admin: CurrentAdmin,
    session: SessionDep,
    ctx: ContextDep,
) -> list[AgentStatePublic]:
    rows = await callcenter.set_agent_state(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        user_id=user_id,
        queue_id=queue_id,
        logged_in=body.logged_in,
        paused=body.paused,
        pause_reason=body.pause_reason,
        actor_id=admin.id,
    )
    return [AgentStatePublic.model_validate(r) for r in rows]
