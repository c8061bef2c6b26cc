"""Migration 0002 (call records keep the quota cut-off and the SIP dialog) keeps the CDRs already stored,
both ways."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from server.domain.db import create_engine
from server.migrations import downgrade, upgrade

pytestmark = pytest.mark.integration

INSERT = (
    'INSERT INTO call_records (call_id, domain, caller, callee, direction, start, answer, "end", disposition)'
    " VALUES ('old-call', 'demo.local', '101', '102', 'internal', 1000.0, 1002.0, 1010.0, 'completed')"
)


def _run(url: str, *statements: str) -> list[tuple[object, ...]]:
    async def run() -> list[tuple[object, ...]]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                rows: list[tuple[object, ...]] = []
                for s in statements:
                    result = await conn.execute(text(s))
                    if result.returns_rows:
                        rows += [tuple(r) for r in result]
                return rows
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_existing_call_records_survive_upgrade_and_downgrade(database_url: str) -> None:
    upgrade(database_url, "0001")
    _run(database_url, INSERT)
    upgrade(database_url)
    assert _run(database_url, 'SELECT call_id, "end", cutoff, dialog FROM call_records') == [
        ("old-call", 1010.0, None, None)
    ]
    _run(database_url, "UPDATE call_records SET cutoff = 1060.0")
    downgrade(database_url, "0001")
    assert _run(database_url, 'SELECT call_id, answer, "end" FROM call_records') == [
        ("old-call", 1002.0, 1010.0)
    ]
