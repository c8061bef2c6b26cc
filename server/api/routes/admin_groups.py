"""Admin: groups (teams) of agents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.admin import GroupCreate, GroupPublic, GroupUpdate
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import groups
from server.domain.models import Group

router = APIRouter(prefix="/admin/groups", tags=["admin"], responses=ERROR_RESPONSES)

GroupId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _public(group: Group) -> GroupPublic:
    return GroupPublic(id=group.id, name=group.name, member_ids=[u.id for u in group.members])


@router.get("")
async def list_groups(admin: CurrentAdmin, session: SessionDep) -> list[GroupPublic]:
    return [_public(g) for g in await groups.list_groups(session, company_id=admin.company_id)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_group(
    body: GroupCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> GroupPublic:
    group = await groups.create_group(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        name=body.name,
        member_ids=body.member_ids,
        actor_id=admin.id,
    )
    return _public(group)


@router.get("/{group_id}")
async def get_group(group_id: GroupId, admin: CurrentAdmin, session: SessionDep) -> GroupPublic:
    return _public(await groups.get_group(session, company_id=admin.company_id, group_id=group_id))


@router.patch("/{group_id}")
async def update_group(
    group_id: GroupId, body: GroupUpdate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> GroupPublic:
    group = await groups.update_group(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        group_id=group_id,
        name=body.name,
        member_ids=body.member_ids,
        actor_id=admin.id,
    )
    return _public(group)


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_group(
    group_id: GroupId, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> Response:
    await groups.delete_group(
        session, ctx=ctx, company_id=admin.company_id, group_id=group_id, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
