"""Call records (CDRs) the PBX writes, read back per company."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.errors import NotFound
from server.domain.models import CallRecord

log = logging.getLogger("server.domain.calls")


async def list_calls(
    session: AsyncSession, *, company_id: int, limit: int = 100, before_id: int | None = None
) -> list[CallRecord]:
    """Newest first; page with `before_id`."""
    query = select(CallRecord).where(CallRecord.company_id == company_id)
    if before_id is not None:
        query = query.where(CallRecord.id < before_id)
    return list(await session.scalars(query.order_by(CallRecord.id.desc()).limit(limit)))


async def get_call(session: AsyncSession, *, company_id: int, record_id: int) -> CallRecord:
    record = await session.scalar(
        select(CallRecord).where(CallRecord.id == record_id, CallRecord.company_id == company_id)
    )
    if record is None:
        raise NotFound("call")
    return record


async def link_recording(
    sessions: async_sessionmaker[AsyncSession],
    *,
    call_id: str,
    file_name: str,
    attempts: int = 6,
    wait: float = 0.5,
) -> bool:
    """The call record of ``call_id`` links its recording (the WAV's name in the recordings directory).

    The PBX writes call records behind its hot path (group commits), so a recording can start before its
    record is stored: retried a few times, then given up (the console still finds the WAV by Call-ID).
    """
    for attempt in range(attempts):
        async with sessions() as session:
            result = await session.execute(
                update(CallRecord).where(CallRecord.call_id == call_id).values(recording=file_name)
            )
            await session.commit()
        if cast(CursorResult[Any], result).rowcount:
            return True
        if attempt + 1 < attempts:
            await asyncio.sleep(wait)
    log.warning("call %s: no call record to link its recording %s to", call_id, file_name)
    return False
