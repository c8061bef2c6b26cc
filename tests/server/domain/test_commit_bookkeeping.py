"""`commit_bookkeeping`: the write lands and is published like any commit; on PostgreSQL only that transaction
skips waiting for the WAL flush (the session's later transactions are durable again)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from server.domain.changes import Change, ChangeBus
from server.domain.clock import system_clock
from server.domain.db import commit_bookkeeping, create_all, create_engine, create_sessionmaker
from server.domain.models import Company

pytestmark = pytest.mark.integration


async def test_bookkeeping_commit_persists_publishes_and_stays_local(database_url: str, backend: str) -> None:
    engine = create_engine(database_url)
    try:
        await create_all(engine)
        bus = ChangeBus()
        seen: list[Change] = []
        bus.subscribe(seen.extend)
        sessions = create_sessionmaker(engine, changes=bus)
        at_commit: list[str] = []
        async with sessions() as s:
            if backend == "postgres":
                await s.execute(text("SET synchronous_commit TO on"))  # the test cluster runs with it off
                await s.commit()

                @event.listens_for(s.sync_session, "before_commit")
                def _setting(session) -> None:  # type: ignore[no-untyped-def]
                    at_commit.append(session.execute(text("SHOW synchronous_commit")).scalar_one())

            company = Company(name="A", sip_domain="a.local", invite_code="x", created_at=system_clock())
            s.add(company)
            await commit_bookkeeping(s)
            if backend == "postgres":
                assert at_commit == ["off"]
                # SET LOCAL ended with its transaction: the next one waits for the disk again.
                assert await s.scalar(text("SHOW synchronous_commit")) == "on"
        assert [c.kind for c in seen] == ["companies"]
        async with sessions() as s:
            assert await s.get(Company, company.id) is not None
    finally:
        await engine.dispose()
