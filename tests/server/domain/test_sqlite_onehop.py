"""The one-hop SQLite cursor keeps SQLAlchemy's semantics: rows, rowcount, lastrowid, commit, rollback,
errors, concurrent writers; and it really makes one trip to aiosqlite's thread per statement."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Integer, String, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.domain.db import create_engine, create_sessionmaker
from server.domain.sqlite_onehop import OneHopConnection

pytestmark = pytest.mark.unit


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


@pytest.fixture
async def engine(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/onehop.sqlite")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


async def test_the_engine_uses_the_one_hop_connection(engine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1


async def test_rows_rowcount_lastrowid_commit_and_rollback(engine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as s:
        s.add_all([Counter(name="a"), Counter(name="b")])
        await s.commit()
        assert [c.name for c in await s.scalars(select(Counter).order_by(Counter.id))] == ["a", "b"]
    async with engine.begin() as conn:
        result = await conn.execute(insert(Counter).values(name="c"))
        assert result.inserted_primary_key == (3,)
        assert (await conn.execute(update(Counter).values(value=7))).rowcount == 3
    async with sessions() as s:
        await s.execute(update(Counter).where(Counter.name == "a").values(value=100))
        await s.rollback()
        assert await s.scalar(select(Counter.value).where(Counter.name == "a")) == 7
    async with sessions() as s:  # a session closed with changes pending rolls them back
        await s.execute(update(Counter).values(value=-1))
    async with sessions() as s:
        assert await s.scalar(select(func.min(Counter.value))) == 7


async def test_an_error_rolls_back_and_the_connection_stays_usable(engine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as s:
        s.add(Counter(name="x"))
        await s.commit()
    async with sessions() as s:
        s.add(Counter(name="y"))
        await s.flush()
        s.add(Counter(name="x"))
        with pytest.raises(IntegrityError):
            await s.flush()
        await s.rollback()
        assert await s.scalar(select(func.count(Counter.id))) == 1  # "y" went with the rollback
        s.add(Counter(name="z"))
        await s.commit()
    async with sessions() as s:
        assert sorted(await s.scalars(select(Counter.name))) == ["x", "z"]


async def test_concurrent_writers_lose_no_update(engine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as s:
        s.add(Counter(name="n", value=0))
        await s.commit()

    async def bump() -> None:
        for _ in range(10):
            async with sessions() as s:
                await s.execute(update(Counter).where(Counter.name == "n").values(value=Counter.value + 1))
                await asyncio.sleep(0)  # hold the write lock across a loop turn
                await s.commit()

    await asyncio.wait_for(asyncio.gather(*(bump() for _ in range(20))), timeout=60)
    async with sessions() as s:
        assert await s.scalar(select(Counter.value).where(Counter.name == "n")) == 200


async def test_one_thread_hop_per_statement(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only session costs one hop per SELECT and none for the pool's rollback on check-in."""
    sessions = create_sessionmaker(engine)
    async with sessions() as s:  # warm the pool
        await s.scalar(select(func.count(Counter.id)))
    hops = 0
    original = aiosqlite.Connection._execute

    async def counting(self, fn, *args, **kwargs):
        nonlocal hops
        hops += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    async with sessions() as s:
        await s.scalar(select(func.count(Counter.id)))
        await s.scalar(select(Counter).where(Counter.name == "none"))
    assert hops == 2
