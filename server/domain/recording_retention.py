"""Recording retention: each company's "keep recordings N days" (0 = forever), applied by a periodic job.

A call's WAV older than N days (by the call's start) is deleted from the recordings directory and its call
record's link cleared (``recording`` None, ``recording_deleted`` the time of deletion): the record stays and
the console says "deleted by retention".  Only two-party call recordings linked from call records are
touched: voicemail messages live in their own directory and rows.  A file already gone is fine (the link is
cleared all the same); a name that is not a plain ``*.wav`` in the directory is never deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import audit
from server.domain.context import DomainContext
from server.domain.models import CallRecord, Company

log = logging.getLogger(__name__)

DAY = 86400.0
BATCH = 500  # records per transaction


def recording_file(directory: Path, name: str) -> Path | None:
    """The WAV `name` in `directory`, or None when the name could lead anywhere else."""
    if not name or Path(name).name != name or name in (".", "..") or not name.endswith(".wav"):
        return None
    return directory / name


def _delete(directory: Path, name: str) -> bool:
    path = recording_file(directory, name)
    if path is None:
        log.warning("recording retention: refusing to delete %r (not a WAV in %s)", name, directory)
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


async def _purge_company(
    session: AsyncSession, ctx: DomainContext, company: Company, directory: Path, now: float
) -> tuple[int, int]:
    """(records cleared, files deleted) for one company."""
    cutoff = now - company.recording_retention_days * DAY
    cleared = files = 0
    while True:
        rows = (
            await session.execute(
                select(CallRecord.id, CallRecord.recording)
                .where(
                    CallRecord.company_id == company.id,
                    CallRecord.recording.is_not(None),
                    CallRecord.start < cutoff,
                )
                .limit(BATCH)
            )
        ).all()
        if not rows:
            break
        for _id, name in rows:
            files += await asyncio.to_thread(_delete, directory, name or "")
        await session.execute(
            update(CallRecord)
            .where(CallRecord.id.in_([r[0] for r in rows]))
            .values(recording=None, recording_deleted=now)
        )
        cleared += len(rows)
        await session.commit()
    if cleared:
        audit.record(
            session,
            ctx=ctx,
            company_id=company.id,
            actor_id=None,
            action="retention",
            entity="recordings",
            entity_id=None,
            detail={"deleted": cleared, "files": files, "days": company.recording_retention_days},
        )
        await session.commit()
    return cleared, files


async def purge_expired_recordings(
    sessions: async_sessionmaker[AsyncSession], *, ctx: DomainContext, directory: Path, now: float
) -> int:
    """One pass over every company with a retention: the number of recordings deleted (links cleared)."""
    total = files = 0
    async with sessions() as session:
        companies = list(await session.scalars(select(Company).where(Company.recording_retention_days > 0)))
        for company in companies:
            cleared, deleted = await _purge_company(session, ctx, company, directory, now)
            total += cleared
            files += deleted
    log.info("recording retention: %d recordings deleted (%d files)", total, files)
    return total


class RetentionJob:
    """Runs `purge_expired_recordings` at start and then every `period` seconds."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ctx: DomainContext,
        directory: Path,
        clock: Callable[[], float],
        period: float = 3600.0,
    ) -> None:
        self._sessions = sessions
        self._ctx = ctx
        self._directory = directory
        self._clock = clock
        self.period = period
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="recording retention")

    async def _run(self) -> None:
        while True:
            try:
                await purge_expired_recordings(
                    self._sessions, ctx=self._ctx, directory=self._directory, now=self._clock()
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("recording retention failed (retrying in %.0f s)", self.period)
            await asyncio.sleep(self.period)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
