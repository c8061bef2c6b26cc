"""The persisted queue log: the engine's lines committed in groups by `QueueLogWriter`, agent log-in and
pause lines written with the state change, read back in order; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.callcenter.log_sink import FanOutQueueLog, MemoryQueueLog, QueueLogSink
from server.callcenter.queue import LogEntry, Member, QueueConfig, QueueEngine
from server.domain import callcenter
from server.domain.callcenter_models import Queue
from server.domain.clock import to_posix
from server.domain.queue_log import QueueLogWriter, read_events, recent_holds
from tests.server.conftest import demo_queue

pytestmark = pytest.mark.integration


async def _queue(api, demo) -> tuple[int, dict[str, int], int]:
    qid, users = await demo_queue(api, demo, {"wrapup": 5})
    async with api.sessionmaker() as session:
        company = await session.scalar(select(Queue.company_id).where(Queue.id == qid))
    return qid, users, company


async def test_engine_lines_are_committed_in_groups_and_read_back(api, demo) -> None:
    qid, users, company = await _queue(api, demo)
    a = users["101"]
    writer = QueueLogWriter(api.sessionmaker.kw["bind"], group_delay=0.01)
    sink: QueueLogSink = writer
    writer.start()
    engine = QueueEngine()
    engine.configure(QueueConfig(qid, wrapup=5), [Member(a, logged_in=True)], 0.0)
    t0 = 1_800_000_000.0
    script = [
        *engine.enter(qid, "call-1", t0),
        *engine.answered("call-1", a, t0 + 4),
        *engine.call_ended("call-1", t0 + 64, by_agent=False),
        *engine.pause(qid, a, t0 + 70, reason="lunch"),  # logged by the domain service, not the writer
        LogEntry(t0 + 80, 999_999, "ghost", "ENTERQUEUE"),  # a queue that no longer exists: dropped
    ]
    for i, action in enumerate(script):
        if isinstance(action, LogEntry):
            if i % 2:
                writer.record(action, company)  # the call center may name the company
            else:
                sink.record(action)
    assert await writer.flush(5.0)
    await writer.stop()
    assert writer.dropped == 1 and writer.failures == 0
    async with api.sessionmaker() as session:
        events = await read_events(session, company_id=company, start=t0, end=t0 + 3600, queue_ids=[qid])
    assert [(e.event, e.call_id, e.user_id) for e in events] == [
        ("ENTERQUEUE", "call-1", None),
        ("CONNECT", "call-1", a),
        ("COMPLETECALLER", "call-1", a),
        ("WRAPUP", "call-1", a),
    ]
    assert events[1].data == {"hold": 4.0} and events[2].data == {"talk": 60.0}
    assert events[0].at == t0 and events[0].queue_id == qid
    async with api.sessionmaker() as session:
        assert await read_events(session, company_id=company, start=t0 + 1, end=t0 + 64) == [events[1]]


async def test_writer_survives_a_failing_database_then_writes_everything(api, demo) -> None:
    qid, _users, company = await _queue(api, demo)
    writer = QueueLogWriter(api.sessionmaker.kw["bind"], group_delay=0.01)
    real_write = writer.write
    calls = {"n": 0}

    async def flaky(entries):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError("database is restarting")
        await real_write(entries)

    writer.write = flaky  # type: ignore[method-assign]
    writer.start()
    for i in range(50):
        writer.record(LogEntry(1000.0 + i, qid, f"c{i}", "ENTERQUEUE", data={"position": 1}))
    assert await writer.flush(10.0)
    await writer.stop()
    assert writer.failures == 2
    async with api.sessionmaker() as session:
        events = await read_events(session, company_id=company, start=0, end=2000, queue_ids=[qid])
    assert [e.call_id for e in events] == [f"c{i}" for i in range(50)]


async def test_agent_state_changes_are_logged_with_the_state(api, demo) -> None:
    qid, users, company = await _queue(api, demo)
    a = users["101"]
    steps = [
        {"logged_in": True},
        {"logged_in": True},  # no change: no line
        {"paused": True, "pause_reason": "lunch"},
        {"paused": False},
        {"paused": True, "pause_reason": "training"},
        {"logged_in": False},  # ends the pause too
    ]
    start = to_posix(api.clock())
    for body in steps:
        api.clock.advance(60)
        async with api.sessionmaker() as session:
            await callcenter.set_agent_state(
                session, ctx=api.ctx, company_id=company, user_id=a, queue_id=qid, actor_id=None, **body
            )
    async with api.sessionmaker() as session:
        events = await read_events(
            session, company_id=company, start=start, end=start + 3600, queue_ids=[qid]
        )
    assert [(e.event, e.at - start, e.data) for e in events] == [
        ("AGENTLOGIN", 60.0, {}),
        ("PAUSE", 180.0, {"reason": "lunch"}),
        ("UNPAUSE", 240.0, {}),
        ("PAUSE", 300.0, {"reason": "training"}),
        ("AGENTLOGOFF", 360.0, {}),
    ]
    assert {e.user_id for e in events} == {a} and {e.queue_id for e in events} == {qid}


def test_memory_sink_keeps_lines_and_fan_out_copies_them() -> None:
    first, second = MemoryQueueLog(), MemoryQueueLog()
    sink: QueueLogSink = FanOutQueueLog(first, second)
    sink.record(LogEntry(1.0, 1, "x", "ENTERQUEUE"), 7)
    assert [e.event for e in first.entries] == [e.event for e in second.entries] == ["ENTERQUEUE"]


async def test_the_estimated_wait_survives_a_restart_from_the_last_20_answered_calls(api, demo) -> None:
    qid, users, company = await _queue(api, demo)
    a = users["101"]
    writer = QueueLogWriter(api.sessionmaker.kw["bind"], group_delay=0.01)
    writer.start()
    before = QueueEngine()  # the server before the restart answers 25 calls: held 1 s, 2 s, ... 25 s
    before.configure(QueueConfig(qid, wrapup=0), [Member(a, logged_in=True)], 0.0)
    t = 1_800_000_000.0
    for n in range(1, 26):
        lines = [
            *before.enter(qid, f"call-{n}", t),
            *before.answered(f"call-{n}", a, t + n),
            *before.call_ended(f"call-{n}", t + n + 10, by_agent=False),
        ]
        for line in lines:
            if isinstance(line, LogEntry):
                writer.record(line, company)
        t += 100
    assert await writer.flush(5.0)
    await writer.stop()

    after = QueueEngine()  # a fresh engine, as at start-up
    after.configure(QueueConfig(qid), [Member(a)], t)
    async with api.sessionmaker() as session:
        holds = await recent_holds(session, [qid])
    assert holds == {qid: [float(n) for n in range(6, 26)]}  # the last 20, oldest first
    after.seed_holds(qid, holds[qid])
    after.enter(qid, "waiting", t)
    assert after.estimated_wait(qid, "waiting", t + 5) == sum(range(6, 26)) / 20 - 5
    after.seed_holds(qid, [999.0])  # once the queue has its own figures, a reload does not replace them
    assert after.estimated_wait(qid, "waiting", t + 5) == sum(range(6, 26)) / 20 - 5
