"""Alembic: upgrade an empty database to head (matching the models exactly), then downgrade to nothing."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.domain.db import create_engine
from server.domain.models import Base
from server.migrations import downgrade, upgrade

pytestmark = pytest.mark.integration


def _inspect(url: str) -> tuple[set[str], list[object]]:
    async def run() -> tuple[set[str], list[object]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:

                def check(sync_conn):  # type: ignore[no-untyped-def]
                    tables = set(inspect(sync_conn).get_table_names())
                    diff = compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)
                    return tables, diff

                return await conn.run_sync(check)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_from_empty_matches_models_and_downgrade_removes_everything(database_url: str) -> None:
    upgrade(database_url)
    tables, diff = _inspect(database_url)
    assert set(Base.metadata.tables) <= tables
    assert diff == [], diff
    upgrade(database_url)  # idempotent at head
    downgrade(database_url, "base")
    tables, _ = _inspect(database_url)
    assert tables <= {"alembic_version"}
