"""Groups of agents (teams), scoped to one company."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.domain import audit
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput
from server.domain.models import Group, User
from server.domain.tenancy import get_in_company
from server.domain.uniqueness import commit_or_conflict, ensure_free


async def list_groups(session: AsyncSession, *, company_id: int) -> list[Group]:
    result = await session.scalars(
        select(Group)
        .where(Group.company_id == company_id)
        .options(selectinload(Group.members))
        .order_by(Group.id)
    )
    return list(result)


async def get_group(session: AsyncSession, *, company_id: int, group_id: int) -> Group:
    return await get_in_company(
        session,
        Group,
        company_id=company_id,
        row_id=group_id,
        entity="group",
        options=(selectinload(Group.members),),
        populate_existing=True,
    )


async def _members(session: AsyncSession, *, company_id: int, user_ids: Iterable[int]) -> list[User]:
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    users = list(
        await session.scalars(select(User).where(User.company_id == company_id, User.id.in_(wanted)))
    )
    if len(users) != len(wanted):
        raise InvalidInput(
            "unknown_user", "some members are not users of this company", fields={"member_ids": "unknown"}
        )
    return users


async def _ensure_free_name(
    session: AsyncSession, *, company_id: int, name: str, except_id: int | None
) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("invalid_name", "group name is required", fields={"name": "required"})
    q = select(Group.id).where(Group.company_id == company_id, Group.name == name)
    if except_id is not None:
        q = q.where(Group.id != except_id)
    await ensure_free(
        session, q, Conflict("duplicate_group", "a group with this name exists", fields={"name": "taken"})
    )
    return name


async def create_group(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    name: str,
    member_ids: Iterable[int] = (),
    actor_id: int | None,
) -> Group:
    name = await _ensure_free_name(session, company_id=company_id, name=name, except_id=None)
    members = await _members(session, company_id=company_id, user_ids=member_ids)
    group = Group(company_id=company_id, name=name, members=members)
    session.add(group)
    await session.flush()
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="create",
        entity="group",
        entity_id=group.id,
        detail={"name": name, "member_ids": [u.id for u in members]},
    )
    await commit_or_conflict(
        session, Conflict("duplicate_group", "group name taken", fields={"name": "taken"})
    )
    return await get_group(session, company_id=company_id, group_id=group.id)


async def update_group(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    group_id: int,
    name: str | None,
    member_ids: Iterable[int] | None,
    actor_id: int | None,
) -> Group:
    group = await get_group(session, company_id=company_id, group_id=group_id)
    if name is not None:
        group.name = await _ensure_free_name(session, company_id=company_id, name=name, except_id=group.id)
    if member_ids is not None:
        group.members = await _members(session, company_id=company_id, user_ids=member_ids)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="group",
        entity_id=group.id,
        detail={"name": group.name, "member_ids": [u.id for u in group.members]},
    )
    await commit_or_conflict(
        session, Conflict("duplicate_group", "group name taken", fields={"name": "taken"})
    )
    return await get_group(session, company_id=company_id, group_id=group.id)


async def delete_group(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, group_id: int, actor_id: int | None
) -> None:
    group = await get_group(session, company_id=company_id, group_id=group_id)
    await audit.commit_deletion(
        session,
        group,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity="group",
        entity_id=group.id,
        detail={"name": group.name},
    )
