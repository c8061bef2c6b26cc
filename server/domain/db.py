"""Engine and session factory for a database URL (SQLite via aiosqlite, PostgreSQL via asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from server.domain.changes import BUS_KEY, ChangeBus
from server.domain.models import Base
from server.domain.sqlite_onehop import onehop_dbapi


def create_engine(url: str) -> AsyncEngine:
    """An async engine; for SQLite: WAL, foreign keys on, and a busy timeout so concurrent writers wait."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.get_driver_name() == "aiosqlite":
            kwargs["module"] = onehop_dbapi()
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
        kwargs["pool_recycle"] = 1800
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


def create_sessionmaker(
    engine: AsyncEngine, *, changes: ChangeBus | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; with `changes`, each commit publishes what it wrote (`server.domain.changes`)."""
    info = {BUS_KEY: changes} if changes is not None else None
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


async def commit_bookkeeping(session: AsyncSession) -> None:
    """Commit a transaction that only records bookkeeping (when a device last activated) without waiting for
    the disk: on PostgreSQL this transaction runs with ``synchronous_commit = off``, so a WAL flush that
    stalls (a new WAL segment being zero-filled, a busy disk) does not hold the response.  A crash can lose
    the last ~0.6 s of such writes (three ``wal_writer_delay``s), never corrupt or half-apply them.  SQLite
    (WAL, ``synchronous=NORMAL``) already commits without an fsync."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    await session.commit()


async def create_all(engine: AsyncEngine) -> None:
    """Create every table straight from the models (tests); installations use `migrate`."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
