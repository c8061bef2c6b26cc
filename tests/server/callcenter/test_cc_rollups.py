"""Hourly rollups of the queue log give the same queue and agent figures as the log's lines: the scripted
day (scripted_day.py) and a seeded random three days over two queues, for totals and per hour and day,
ranges that start and end mid-hour, the open hours of today and a queue subset; a threshold edited
after folding; the backfill of a log written before the rollups; SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from scripted_day import HCM, T0, scripted_day
from sqlalchemy import Table, func, insert, select, update

from server.callcenter.queue import LogEntry
from server.domain import callcenter_stats
from server.domain.callcenter_models import AgentHourRollup, Queue, QueueEvent, QueueHourRollup
from server.domain.queue_rollups import closed_until, fold, fold_all, folded_until
from tests.server.conftest import demo_queue

pytestmark = pytest.mark.integration

DAY = 86400.0
MIDNIGHT = T0 - 8 * 3600  # Monday 7 December 2026, 00:00 in Ho Chi Minh City
QUEUE = {"strategy": "linear", "ring_timeout": 15, "wrapup": 10, "no_agent_grace": 30}


def _same(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to 1e-9 (sums taken in another order)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


async def _store(api: Any, company_id: int, lines: list[LogEntry]) -> None:
    rows = [
        {
            "company_id": company_id,
            "queue_id": e.queue_id,
            "at": e.at,
            "call_id": e.call_id,
            "event": e.event,
            "agent_user_id": e.user_id,
            "data": dict(e.data),
        }
        for e in lines
    ]
    async with api.sessionmaker() as s:
        await s.execute(insert(QueueEvent.__table__), rows)  # type: ignore[arg-type]
        await s.commit()


async def _figures(
    api: Any, company_id: int, ranges: list[tuple[float, float]], now: float, **kw: Any
) -> list[Any]:
    out: list[Any] = []
    async with api.sessionmaker() as s:
        for start, end in ranges:
            for interval in (None, "hour", "day"):
                for zone in (HCM, ZoneInfo("UTC")):
                    common = {"company_id": company_id, "start": start, "end": end, "now": now, "zone": zone}
                    out.append(await callcenter_stats.queue_stats(s, interval=interval, **common, **kw))
                    out.append(await callcenter_stats.agent_stats(s, interval=interval, **common, **kw))
    return out


def _random_log(
    rng: random.Random, queues: list[int], agents: list[int], start: float, days: int
) -> list[LogEntry]:
    """Agents logging in, pausing and off; calls entering, answered (after rings let go), talked, wrapped
    up, transferred, abandoned, timing out or sent on; some across hours, a few still waiting."""
    lines: list[LogEntry] = []
    end = start + days * DAY
    for q in queues:
        for u in agents:
            t = start + rng.uniform(0, 3600)
            while t < end:
                lines.append(LogEntry(t, q, "NONE", "AGENTLOGIN", u))
                t += rng.uniform(600, 4 * 3600)
                if rng.random() < 0.5:
                    lines.append(LogEntry(t, q, "NONE", "PAUSE", u, {"reason": "break"}))
                    t += rng.uniform(60, 1800)
                    lines.append(LogEntry(t, q, "NONE", "UNPAUSE", u))
                    t += rng.uniform(60, 3600)
                lines.append(LogEntry(t, q, "NONE", "AGENTLOGOFF", u))
                t += rng.uniform(60, 6 * 3600)
    n = 0
    t = start
    while t < end:
        t += rng.expovariate(1 / 240)
        n += 1
        q, call = rng.choice(queues), f"call-{n}"
        lines.append(LogEntry(t, q, call, "ENTERQUEUE", data={"priority": 0}))
        wait = rng.choice((rng.uniform(0, 4), rng.uniform(0, 40), rng.uniform(0, 900)))
        if end - t < 600 and rng.random() < 0.3:
            continue  # still waiting when the log ends
        fate = rng.random()
        if fate < 0.6:
            if rng.random() < 0.3:
                lines.append(
                    LogEntry(t + wait / 2, q, call, "RINGNOANSWER", rng.choice(agents), {"ring": 15})
                )
            u = rng.choice(agents)
            lines.append(LogEntry(t + wait, q, call, "CONNECT", u, {"hold": wait}))
            talk = rng.uniform(5, 2400)
            ending = rng.choice(("COMPLETEAGENT", "COMPLETECALLER", "TRANSFER"))
            lines.append(LogEntry(t + wait + talk, q, call, ending, u, {"talk": talk}))
            wrap = rng.choice((0, 10, 30))
            if wrap:
                lines.append(LogEntry(t + wait + talk, q, call, "WRAPUP", u, {"wrapup": wrap}))
        elif fate < 0.85:
            lines.append(LogEntry(t + wait, q, call, "ABANDON", data={"position": 1, "wait": wait}))
        else:
            event = rng.choice(("EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "EXITFULL"))
            lines.append(LogEntry(t + wait, q, call, event, data={"position": 1, "wait": wait}))
    return sorted(lines, key=lambda e: e.at)


async def _company(api: Any, qid: int) -> int:
    async with api.sessionmaker() as s:
        company_id = await s.scalar(select(Queue.company_id).where(Queue.id == qid))
    assert company_id is not None
    return company_id


async def _rows(api: Any) -> tuple[int, int]:
    async with api.sessionmaker() as s:
        queues = await s.scalar(select(func.count(QueueHourRollup.id)))
        agents = await s.scalar(select(func.count(AgentHourRollup.id)))
    return queues or 0, agents or 0


async def test_scripted_day_from_rollups_equals_the_log(api, demo) -> None:
    qid, users = await demo_queue(api, demo, QUEUE)
    company_id = await _company(api, qid)
    await _store(api, company_id, scripted_day(qid, users["101"], users["102"]))
    now = MIDNIGHT + 2 * DAY
    ranges = [(MIDNIGHT, MIDNIGHT + DAY), (T0 + 1800, T0 + 5400), (MIDNIGHT - DAY, MIDNIGHT + 2 * DAY)]
    raw = await _figures(api, company_id, ranges, now)
    async with api.sessionmaker() as s:
        assert await fold(s, company_id=company_id, now=now) > 0
        assert await folded_until(s, company_id) == MIDNIGHT + 2 * DAY - 3600  # every call has ended
    assert (await _rows(api))[0] == 2  # 08:00 and 09:00 (c10); agents: an hour each they were logged in
    rolled = await _figures(api, company_id, ranges, now)
    _same(rolled, raw)
    (sales,) = [s for s in rolled[0] if s.queue_id == qid]
    t = sales.totals
    assert (t.offered, t.answered, t.abandoned, t.short_abandoned, t.exited_empty) == (10, 6, 2, 1, 1)
    assert t.service_level == pytest.approx(4 / 6) and t.asa == pytest.approx(85 / 6) and t.longest_wait == 30
    a = next(x for x in rolled[1] if x.user_id == users["101"]).figures
    assert (a.answered, a.busy, a.aht) == (3, 510, 170)  # staffed: the demo's queues count too


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_days_from_rollups_equal_the_log(api, demo, seed: int) -> None:
    qid, users = await demo_queue(api, demo, QUEUE)
    h = demo.admin_headers
    r = await api.client.post("/admin/queues", json={"name": "support", "config": QUEUE}, headers=h)
    assert r.status_code == 201, r.text
    other = r.json()["id"]
    company_id = await _company(api, qid)
    rng = random.Random(seed)
    agents = [users["101"], users["102"], users["103"]]
    await _store(api, company_id, _random_log(rng, [qid, other], agents, MIDNIGHT, 3))
    now = MIDNIGHT + 2 * DAY + 15.5 * 3600  # the third day, 15:30: hours after 09:00 are not folded yet
    ranges = [
        (MIDNIGHT, MIDNIGHT + 3 * DAY),  # three whole days, the last one open
        (MIDNIGHT + DAY, MIDNIGHT + 2 * DAY),  # one closed day
        (MIDNIGHT + 2 * DAY, MIDNIGHT + 3 * DAY),  # today
        (MIDNIGHT + 1234.5, MIDNIGHT + 2 * DAY + 777.0),  # mid-hour ends
    ]
    raw = await _figures(api, company_id, ranges, now)
    raw_one = await _figures(api, company_id, ranges[:1], now, queue_ids=[other])
    async with api.sessionmaker() as s:
        assert await fold(s, company_id=company_id, now=now) > 48
        # up to the first hour with a call not ended by 15:30 (6 h back at most) or 15:00
        until = await folded_until(s, company_id)
        assert until is not None and MIDNIGHT + 2 * DAY + 9 * 3600 <= until <= MIDNIGHT + 2 * DAY + 15 * 3600
        assert until < MIDNIGHT + 3 * DAY  # today's open hours are read from the log
    queue_rows, agent_rows = await _rows(api)
    assert queue_rows > 80 and agent_rows > 80
    _same(await _figures(api, company_id, ranges, now), raw)
    _same(await _figures(api, company_id, ranges[:1], now, queue_ids=[other]), raw_one)

    # a threshold edited after folding: the queue's rows are not used until refolded, then they are again
    config = {**QUEUE, "service_level": 45, "short_abandon": 2}
    r = await api.client.put(f"/admin/queues/{qid}", json={"name": "sales", "config": config}, headers=h)
    assert r.status_code == 200, r.text
    async with api.sessionmaker() as s:
        (r,) = await s.execute(select(Queue.config).where(Queue.id == qid))
    assert r.config["service_level"] == 45
    async with api.sessionmaker() as s:  # the raw figures under the new thresholds (rollups taken away)
        saved = await folded_until(s, company_id)
        await s.execute(update(Table("cc_rollup_marks", QueueEvent.metadata)).values(folded_until=0.0))
        await s.commit()
    raw_edited = await _figures(api, company_id, ranges[:2], now)
    async with api.sessionmaker() as s:
        await s.execute(update(Table("cc_rollup_marks", QueueEvent.metadata)).values(folded_until=saved))
        await s.commit()
    _same(await _figures(api, company_id, ranges[:2], now), raw_edited)  # stale rows left out
    async with api.sessionmaker() as s:
        await fold(s, company_id=company_id, now=now)
        thresholds = set(
            await s.execute(
                select(QueueHourRollup.service_level, QueueHourRollup.short_abandon).where(
                    QueueHourRollup.queue_id == qid
                )
            )
        )
    assert {tuple(t) for t in thresholds} == {(45.0, 2.0)}
    _same(await _figures(api, company_id, ranges[:2], now), raw_edited)

    # later the day's hours fold too, and nothing is folded twice
    async with api.sessionmaker() as s:
        assert await fold(s, company_id=company_id, now=now + 7 * 3600) >= 1
        assert await fold(s, company_id=company_id, now=now + 7 * 3600) == 0


async def test_the_first_start_backfills_an_existing_log(api, demo) -> None:
    qid, users = await demo_queue(api, demo, QUEUE)
    company_id = await _company(api, qid)
    await _store(api, company_id, scripted_day(qid, users["101"], users["102"]))
    await fold_all(api.sessionmaker, now=T0 + 3600)  # 09:00: the demo's log before the day
    assert (await _rows(api))[0] == 0  # 08:00 is not closed yet
    assert await fold_all(api.sessionmaker, now=T0 + 16 * 3600) == 15  # 08:00 to 23:00
    async with api.sessionmaker() as s:
        assert await folded_until(s, company_id) == T0 + 15 * 3600
    assert (await _rows(api))[0] == 2


async def test_an_hour_folds_once_its_calls_have_ended_and_its_lines_are_written(api, demo) -> None:
    qid, users = await demo_queue(api, demo, QUEUE)
    company_id = await _company(api, qid)
    a = users["101"]
    await _store(
        api,
        company_id,
        [
            LogEntry(T0 + 60, qid, "long", "ENTERQUEUE", data={"priority": 0}),
            LogEntry(T0 + 70, qid, "long", "CONNECT", a, {"hold": 10}),
            LogEntry(T0 + 3700, qid, "next", "ENTERQUEUE", data={"priority": 0}),
            LogEntry(T0 + 3710, qid, "next", "ABANDON", data={"position": 1, "wait": 10}),
        ],
    )
    async with api.sessionmaker() as s:
        # 10:30: "long" (08:00) is still talking, so 08:00 stays open, and every hour after it
        assert await closed_until(s, company_id=company_id, now=T0 + 9000) == T0
        await _store(api, company_id, [LogEntry(T0 + 9100, qid, "long", "COMPLETECALLER", a, {"talk": 9030})])
        assert await closed_until(s, company_id=company_id, now=T0 + 9200) == T0 + 2 * 3600
        # a line the writer still holds keeps its hour open; 6 h later an hour closes whatever waits
        assert (
            await closed_until(s, company_id=company_id, now=T0 + 9200, unwritten_since=T0 + 4000)
            == T0 + 3600
        )
        await _store(api, company_id, [LogEntry(T0 + 9300, qid, "lost", "ENTERQUEUE", data={"priority": 0})])
        assert await closed_until(s, company_id=company_id, now=T0 + 9400) == T0 + 2 * 3600
        # a caller with no outcome (a lost line) holds the hours back for 6 h at most
        assert await closed_until(s, company_id=company_id, now=T0 + 8 * 3600) == T0 + 2 * 3600
        assert await closed_until(s, company_id=company_id, now=T0 + 9 * 3600) == T0 + 8 * 3600


async def test_a_wrap_up_ended_by_ready_is_folded_only_until_ready(api, demo) -> None:
    from test_cc_metrics import _ready_early

    qid, users = await demo_queue(api, demo, QUEUE)
    company_id = await _company(api, qid)
    await _store(api, company_id, _ready_early(qid, users["101"]))
    now = MIDNIGHT + DAY
    ranges = [(MIDNIGHT, MIDNIGHT + DAY)]
    raw = await _figures(api, company_id, ranges, now)
    async with api.sessionmaker() as s:
        assert await fold(s, company_id=company_id, now=now) > 0
    rolled = await _figures(api, company_id, ranges, now)
    _same(rolled, raw)
    (sales,) = [s for s in rolled[0] if s.queue_id == qid]
    assert (sales.totals.wrapup, sales.totals.aht) == (10.0, 70.0)
    a = next(x for x in rolled[1] if x.user_id == users["101"]).figures
    assert (a.wrapup, a.aht) == (10.0, 70.0)
