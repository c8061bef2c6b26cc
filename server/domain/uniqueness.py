"""Unique values (phone, e-mail, extension, hotline number, group name...): checked before writing, so the
answer names the field, and again at commit, where a race lost to a concurrent writer becomes the same 409
instead of a 500.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.errors import Conflict


async def ensure_free(session: AsyncSession, taken: Select[Any], conflict: Conflict) -> None:
    """Raise ``conflict`` when the query ``taken`` finds a row."""
    if await session.scalar(taken) is not None:
        raise conflict


async def commit_or_conflict(session: AsyncSession, conflict: Conflict) -> None:
    """Commit; a unique-constraint violation rolls back and raises ``conflict``."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise conflict from exc
