"""Admin: the company's rate tables (call prices per destination prefix)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.admin import RateTableCreate, RateTablePublic, RateTableUpdate
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import rate_tables

router = APIRouter(prefix="/admin/rate-tables", tags=["admin"], responses=ERROR_RESPONSES)

TableId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("")
async def list_rate_tables(admin: CurrentAdmin, session: SessionDep) -> list[RateTablePublic]:
    return [
        RateTablePublic.model_validate(t)
        for t in await rate_tables.list_tables(session, company_id=admin.company_id)
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_rate_table(
    body: RateTableCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> RateTablePublic:
    table = await rate_tables.create_table(
        session, ctx=ctx, company_id=admin.company_id, values=body.model_dump(), actor_id=admin.id
    )
    return RateTablePublic.model_validate(table)


@router.get("/{table_id}")
async def get_rate_table(table_id: TableId, admin: CurrentAdmin, session: SessionDep) -> RateTablePublic:
    return RateTablePublic.model_validate(
        await rate_tables.get_table(session, company_id=admin.company_id, table_id=table_id)
    )


@router.patch("/{table_id}")
async def update_rate_table(
    table_id: TableId, body: RateTableUpdate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> RateTablePublic:
    table = await rate_tables.update_table(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        table_id=table_id,
        changes=body.model_dump(exclude_unset=True),
        actor_id=admin.id,
    )
    return RateTablePublic.model_validate(table)


@router.delete("/{table_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rate_table(
    table_id: TableId, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> Response:
    await rate_tables.delete_table(
        session, ctx=ctx, company_id=admin.company_id, table_id=table_id, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
