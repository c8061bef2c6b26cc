"""The domain's "changed" events: published after commit, nothing on rollback, JSON round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.domain import people
from server.domain.changes import Change, ChangeBus
from server.domain.context import DomainContext
from server.domain.db import create_all, create_engine, create_sessionmaker
from server.domain.models import Company, Device, User
from server.domain.security import Passwords, TokenSigner

pytestmark = pytest.mark.unit


@pytest.fixture
async def world(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await create_all(engine)
    bus = ChangeBus()
    seen: list[Change] = []
    bus.subscribe(seen.extend)
    yield create_sessionmaker(engine, changes=bus), seen
    await engine.dispose()


async def _company(sessions) -> int:
    from server.domain.clock import system_clock

    async with sessions() as s:
        c = Company(name="A", sip_domain="a.local", invite_code="x", created_at=system_clock())
        s.add(c)
        await s.commit()
        return c.id


async def test_commit_publishes_rows_users_and_fields(world):
    sessions, seen = world
    domain_ctx = DomainContext(signer=TokenSigner(b"k" * 32), passwords=Passwords.fast())
    company_id = await _company(sessions)
    assert [c.kind for c in seen] == ["companies"]
    seen.clear()
    async with sessions() as s:
        company = await s.get(Company, company_id)
        user = await people.create_user(
            s,
            ctx=domain_ctx,
            company=company,
            full_name="An",
            phone="0901000201",
            password="secret123",
            extensions=["201"],
        )
    kinds = {c.kind: c for c in seen}
    assert {"users", "extensions", "devices"} <= set(kinds)
    assert kinds["users"].user_ids == (user.id,)
    assert kinds["devices"].user_ids == (user.id,) and kinds["devices"].company_id == company_id
    seen.clear()
    async with sessions() as s:
        row = await s.get(User, user.id)
        row.dnd = True
        await s.commit()
    assert seen == [Change("users", company_id, (user.id,), (user.id,), ("dnd",), False)]
    seen.clear()
    async with sessions() as s:
        device = await s.scalar(select(Device).where(Device.user_id == user.id))
        await s.delete(device)
        await s.commit()
    assert seen[0].kind == "devices" and seen[0].deleted and seen[0].user_ids == (user.id,)


async def test_rollback_publishes_nothing(world):
    sessions, seen = world
    company_id = await _company(sessions)
    seen.clear()
    async with sessions() as s:
        company = await s.get(Company, company_id)
        company.name = "B"
        await s.flush()
        await s.rollback()
    assert seen == []


def test_json_round_trip_and_split():
    c = Change("users", 3, tuple(range(1200)), tuple(range(1200)), ("dnd",), True)
    parts = c.split()
    assert [len(p.ids) for p in parts] == [500, 500, 200]
    assert all(len(p.to_json()) < 8000 for p in parts)
    assert Change.from_json(parts[2].to_json()) == parts[2]


def test_a_failing_subscriber_does_not_stop_the_others():
    bus = ChangeBus()
    got: list[Change] = []

    def broken(_changes):
        raise RuntimeError("boom")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(got.extend)
    bus.publish([Change("users", 1)])
    unsubscribe()
    bus.publish([Change("users", 1)])
    assert got == [Change("users", 1)]
