"""The journal writer on asyncio: writes committed in groups (many per transaction), a failing database
retried without losing a write, everything committed by the time the service stops."""

from __future__ import annotations

import asyncio

import pytest
from sip_load import LoadClient

from server.sip.aio.service import start_sip_service
from server.sip.flood import FloodPolicy
from server.sip.journal import BindingSaved, Write
from server.sip.memory_directory import InMemoryDirectory
from server.sip.proxy import ProxySettings

pytestmark = pytest.mark.integration


def directory(n: int) -> InMemoryDirectory:
    d = InMemoryDirectory()
    for i in range(n):
        ext = str(5000 + i)
        d.add_user(i + 1, ext)
        d.add_device(i + 1, ext, f"pw{ext}")
    return d


async def register_all(port: int, n: int) -> None:
    client = await LoadClient.open(port, "demo.local")
    try:
        results = await asyncio.gather(
            *(client.register(str(5000 + i), f"pw{5000 + i}", call_id=f"c{i}", cseq=1) for i in range(n))
        )
        assert all(r.status == 200 for r in results)
    finally:
        client.close()


async def test_group_commit_and_a_final_flush() -> None:
    batches: list[list[Write]] = []

    async def sink(writes: list[Write]) -> None:
        await asyncio.sleep(0.005)  # a database round trip
        batches.append(list(writes))

    settings = ProxySettings(flood=FloodPolicy(trusted_networks=("127.0.0.1",)))
    service = await start_sip_service(
        directory=directory(300), journal_sink=sink, udp_port=0, tcp_port=None, settings=settings
    )
    await register_all(service.ports["udp"], 300)
    await service.stop()  # waits for the last group
    saved = [w for b in batches for w in b if isinstance(w, BindingSaved)]
    assert len(saved) == 300
    assert len(batches) < 100, f"{len(batches)} transactions for 300 writes: not grouped"
    assert service.proxy.journal.committed == service.proxy.journal.appended


async def test_a_failing_database_is_retried_and_nothing_is_lost(caplog: pytest.LogCaptureFixture) -> None:
    committed: list[Write] = []
    failures = [3]

    async def sink(writes: list[Write]) -> None:
        if failures[0]:
            failures[0] -= 1
            raise OSError("database is locked")
        committed.extend(writes)

    settings = ProxySettings(flood=FloodPolicy(trusted_networks=("127.0.0.1",)))
    service = await start_sip_service(
        directory=directory(50), journal_sink=sink, udp_port=0, tcp_port=None, settings=settings
    )
    await register_all(service.ports["udp"], 50)
    assert await service.journal.flush(timeout=10)
    await service.stop()
    assert len([w for w in committed if isinstance(w, BindingSaved)]) == 50
    assert service.journal.failures == 3
    assert "retrying" in caplog.text
