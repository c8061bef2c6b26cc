"""Call records (CDRs) the PBX writes, read back per company."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.models import CallRecord


async def list_calls(
    session: AsyncSession, *, company_id: int, limit: int = 100, before_id: int | None = None
) -> list[CallRecord]:
    """Newest first; page with `before_id`."""
    query = select(CallRecord).where(CallRecord.company_id == company_id)
    if before_id is not None:
        query = query.where(CallRecord.id < before_id)
    return list(await session.scalars(query.order_by(CallRecord.id.desc()).limit(limit)))
