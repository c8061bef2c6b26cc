"""Tenant scoping: a row asked for by id is found only within the caller's company.

An id from another tenant behaves exactly like an id that does not exist (404), so the API never tells one
company which ids another company uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import ExecutableOption

from server.domain.errors import NotFound
from server.domain.models import Base

Row = TypeVar("Row", bound=Base)


async def get_in_company(
    session: AsyncSession,
    model: type[Row],
    *,
    company_id: int,
    row_id: int,
    entity: str,
    options: Sequence[ExecutableOption] = (),
    populate_existing: bool = False,
) -> Row:
    """The ``model`` row ``row_id`` of company ``company_id``, or `NotFound(entity)`."""
    row = await session.scalar(
        select(model)
        .filter_by(id=row_id, company_id=company_id)
        .options(*options)
        .execution_options(populate_existing=populate_existing)
    )
    if row is None:
        raise NotFound(entity)
    return row
