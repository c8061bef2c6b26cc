"""Admin: company hotlines and their carrier trunks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.admin import HotlineCreate, HotlinePublic, HotlineUpdate
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import hotlines

router = APIRouter(prefix="/admin/hotlines", tags=["admin"], responses=ERROR_RESPONSES)

HotlineId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("")
async def list_hotlines(admin: CurrentAdmin, session: SessionDep) -> list[HotlinePublic]:
    return [
        HotlinePublic.model_validate(h)
        for h in await hotlines.list_hotlines(session, company_id=admin.company_id)
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_hotline(
    body: HotlineCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> HotlinePublic:
    hotline = await hotlines.create_hotline(
        session, ctx=ctx, company_id=admin.company_id, values=body.model_dump(), actor_id=admin.id
    )
    return HotlinePublic.model_validate(hotline)


@router.get("/{hotline_id}")
async def get_hotline(hotline_id: HotlineId, admin: CurrentAdmin, session: SessionDep) -> HotlinePublic:
    return HotlinePublic.model_validate(
        await hotlines.get_hotline(session, company_id=admin.company_id, hotline_id=hotline_id)
    )


@router.patch("/{hotline_id}")
async def update_hotline(
    hotline_id: HotlineId, body: HotlineUpdate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> HotlinePublic:
    hotline = await hotlines.update_hotline(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        hotline_id=hotline_id,
        changes=body.model_dump(exclude_unset=True),
        actor_id=admin.id,
    )
    return HotlinePublic.model_validate(hotline)


@router.delete("/{hotline_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_hotline(
    hotline_id: HotlineId, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> Response:
    await hotlines.delete_hotline(
        session, ctx=ctx, company_id=admin.company_id, hotline_id=hotline_id, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
