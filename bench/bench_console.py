"""The console's call history and dashboard over 1,000,000 CDRs (SQLite, the default store).

Builds a database at the migrations' head (so migration 0005's indexes are there), seeds the demo company and
a second one, writes `--cdrs` call records over `--days` days (90% the demo company's; directions, outcomes,
agents, hotlines and numbers mixed like a call center's), then signs in to the console and times page loads
through the real ASGI app in-process (routing, session, query, Jinja rendering; no socket):

- `/console/calls` for one day, unfiltered and with each single filter;
- `/console/dashboard` for one day and for 30 days.

Prints p50/p95 per page and SQLite's query plan of each history query.  Goals: history p95 < 200 ms, dashboard
p95 < 500 ms.

Run: ``.venv/bin/python bench/bench_console.py [--cdrs 1000000] [--days 60] [--repeat 30]``

``--part queues [--backend sqlite|postgres]``: the call-center figures as shipped.  `softphone-server run`
(benchlib.ProductServer, PostgreSQL from benchlib.postgres_cluster) with a company made by
`create-company`, 20 agents and 4 queues made through the admin API; then, server stopped, a queue log
of `--queue-days` days plus today at `--calls-per-day` (agents logging in, lunch pauses, calls rung,
answered, talked, wrapped up, abandoned, timed out) with one CDR per call, written straight into its
database; the server started again backfills the hourly rollups (timed); then the console's dashboard,
`GET /api/v1/callcenter/stats/queues` and `/stats/agents` for today, 7 and 30 days and the wallboard are
loaded over HTTP.  Prints p50/p95 and the plans of the rollup read and of the log read of the open hours.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from benchlib import ProductServer, postgres_cluster
from sqlalchemy import Table, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from server.api.app import create_app
from server.domain import call_history, callcenter_stats
from server.domain.callcenter_models import QueueEvent, RollupMark
from server.domain.db import create_engine
from server.domain.demo import seed_demo
from server.domain.models import CallRecord, Company
from server.domain.queue_log import events_statement
from server.domain.queue_rollups import OUTCOME_SLACK, hour_floor, queue_rows_statement
from server.domain.security import Passwords
from server.migrations import upgrade
from server.settings import ServerSettings

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
OUTCOMES = [
    ("completed", 0.62),
    ("no_answer", 0.14),
    ("busy", 0.08),
    ("cancelled", 0.1),
    ("failed", 0.03),
    ("dnd", 0.03),
]


def fill(
    db: Path,
    *,
    total: int,
    days: int,
    demo_company: int,
    other_company: int,
    users: list[int],
    hotlines: list[str],
    end: float,
) -> None:
    rnd = random.Random(7)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    start_span = days * 86400
    names, weights = zip(*OUTCOMES, strict=True)
    batch = []
    sql = (
        "INSERT INTO call_records (call_id, company_id, domain, caller, callee, direction, hotline, start,"
        ' answer, "end", disposition, hangup_cause, caller_user_id, callee_user_id)'
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    for i in range(total):
        company = demo_company if rnd.random() < 0.9 else other_company
        # office hours weigh more: a day's calls bunch between 08:00 and 18:00 local
        day = rnd.randrange(days)
        hour = rnd.choice([8, 9, 9, 10, 10, 10, 11, 11, 13, 14, 14, 15, 15, 16, 17, 19, 21])
        start = end - start_span + day * 86400 + hour * 3600 + rnd.random() * 3600 - 7 * 3600
        direction = rnd.choice(["inbound", "inbound", "outbound", "outbound", "internal"])
        outcome = rnd.choices(names, weights)[0]
        answer = start + rnd.uniform(2, 20) if outcome == "completed" else None
        finish = (answer or start) + (rnd.expovariate(1 / 150) if answer else rnd.uniform(5, 30))
        agent = rnd.choice(users) if company == demo_company else None
        number = f"09{rnd.randrange(10**8):08d}"
        caller, callee = (number, "101") if direction == "inbound" else ("101", number)
        if direction == "internal":
            caller, callee = "101", "102"
        batch.append(
            (
                f"bench-{i}",
                company,
                "demo.local",
                caller,
                callee,
                direction,
                rnd.choice(hotlines) if direction != "internal" else None,
                start,
                answer,
                finish,
                outcome,
                None,
                agent if direction != "inbound" else None,
                agent if direction != "outbound" else None,
            )
        )
        if len(batch) == 20_000:
            con.executemany(sql, batch)
            batch.clear()
    con.executemany(sql, batch)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def plans(db: Path, demo_company: int, day_start: float, user: int, hotline: str) -> list[tuple[str, str]]:
    con = sqlite3.connect(db)
    out = []
    filters = {
        "day": {},
        "direction": {"direction": "inbound"},
        "user": {"user_id": user},
        "hotline": {"hotline": hotline},
        "status": {"status": "missed"},
        "number": {"number": "0903"},
        "duration": {"min_seconds": 60},
    }
    from sqlalchemy.dialects import sqlite

    for name, extra in filters.items():
        q = call_history.CallQuery(company_id=demo_company, start=day_start, end=day_start + 86400, **extra)
        stmt = call_history.search_statement(q, limit=51)
        compiled = stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
        rows = con.execute(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
        out.append((name, "; ".join(r[-1] for r in rows)))
    con.close()
    return out


def dashboard_plans(
    db: Path, demo_company: int, start: float, end: float, utc_offset: int
) -> list[tuple[str, str]]:
    """SQLite's plans of the dashboard's three queries over a range."""
    from sqlalchemy.dialects import sqlite

    con = sqlite3.connect(db)
    q = call_history.CallQuery(company_id=demo_company, start=start, end=end)
    out = []
    for name, stmt in zip(
        ("totals", "hours", "agents"), call_history.summary_statements(q, utc_offset=utc_offset), strict=True
    ):
        compiled = stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
        rows = con.execute(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
        out.append((name, "; ".join(r[-1] for r in rows)))
    con.close()
    return out


async def measure(app, urls: dict[str, str], repeat: int):  # type: ignore[no-untyped-def]
    """Wall-clock ms and CPU ms (this process, SQLite's threads included) of every load of every page."""
    times: dict[str, list[float]] = {k: [] for k in urls}
    cpu: dict[str, list[float]] = {k: [] for k in urls}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c:
        r = await c.get("/console/login")
        csrf = r.cookies["console_csrf"]
        r = await c.post(
            "/console/login",
            data={
                "login": "84901000100",
                "password": "admin1234",
                "csrf_token": csrf,
                "next": "/console/dashboard",
            },
        )
        assert r.status_code == 303, r.text
        for _ in range(2):  # warm the page cache and templates
            for url in urls.values():
                await c.get(url)
        for _ in range(repeat):
            for name, url in urls.items():
                t0, c0 = time.perf_counter(), time.process_time()
                r = await c.get(url)
                times[name].append((time.perf_counter() - t0) * 1000)
                cpu[name].append((time.process_time() - c0) * 1000)
                assert r.status_code == 200, (url, r.status_code)
    return times, cpu


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("history", "queues"), default="history")
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--cdrs", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--queue-days", type=int, default=30)
    ap.add_argument("--calls-per-day", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--busy-now", action="store_true", help="queues: now is 15:00 of the seeded days")
    ap.add_argument(
        "--no-media",
        dest="media",
        action="store_false",
        help="queues: no media engine, so no call center (the wallboard then replays the queue log)",
    )
    args = ap.parse_args()
    if args.part == "queues":
        await asyncio.to_thread(queue_part, args)
        return
    data = Path(tempfile.mkdtemp(prefix="bench-console-"))
    try:
        await run(args, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


async def run(args: argparse.Namespace, data: Path) -> None:
    settings = ServerSettings(data_dir=data)
    await asyncio.to_thread(upgrade, settings.effective_database_url)
    app = create_app(settings, passwords=Passwords.fast())
    async with app.state.sessionmaker() as session:
        await seed_demo(session, ctx=app.state.ctx)
    db = data / "softphone.db"
    con = sqlite3.connect(db)
    demo = con.execute("SELECT id FROM companies WHERE sip_domain='demo.local'").fetchone()[0]
    con.execute(
        "INSERT INTO companies (name, sip_domain, invite_code, created_at) VALUES "
        "('Other', 'other.example', 'bench-other', '2026-01-01 00:00:00')"
    )
    other = con.execute("SELECT id FROM companies WHERE sip_domain='other.example'").fetchone()[0]
    users = [r[0] for r in con.execute("SELECT id FROM users WHERE company_id=?", (demo,))]
    hotlines = [r[0] for r in con.execute("SELECT number FROM hotlines WHERE company_id=?", (demo,))]
    con.commit()
    con.close()
    today = datetime.now(ZONE).date()
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), ZONE).timestamp()
    t0 = time.perf_counter()
    fill(
        db,
        total=args.cdrs,
        days=args.days,
        demo_company=demo,
        other_company=other,
        users=users,
        hotlines=hotlines,
        end=end,
    )
    print(
        f"wrote {args.cdrs:,} CDRs over {args.days} days in {time.perf_counter() - t0:.0f} s "
        f"({db.stat().st_size >> 20} MiB)"
    )
    day = (today - timedelta(days=3)).isoformat()
    month_from = (today - timedelta(days=30)).isoformat()
    rng = f"from={day}&to={day}"
    agent = users[1]
    urls = {
        "history, one day": f"/console/calls?{rng}",
        "history, direction": f"/console/calls?{rng}&direction=inbound",
        "history, agent": f"/console/calls?{rng}&user={agent}",
        "history, hotline": f"/console/calls?{rng}&hotline={hotlines[0]}",
        "history, status": f"/console/calls?{rng}&status=missed",
        "history, number (partial)": f"/console/calls?{rng}&number=0903",
        "history, talk >= 60 s": f"/console/calls?{rng}&min_seconds=60",
        "history, next page": None,  # filled below
        "dashboard, one day": f"/console/dashboard?{rng}",
        "dashboard, 30 days": f"/console/dashboard?from={month_from}&to={today.isoformat()}",
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c:
        r = await c.get("/console/login")
        csrf = r.cookies["console_csrf"]
        await c.post(
            "/console/login", data={"login": "84901000100", "password": "admin1234", "csrf_token": csrf}
        )
        page = await c.get(urls["history, one day"])
        import re

        older = re.search(r'href="(/console/calls\?[^"]*after=[^"]*)"', page.text)
        urls["history, next page"] = (
            older.group(1).replace("&amp;", "&") if older else urls["history, one day"]
        )
    load_before = os.getloadavg()[0]
    times, cpu = await measure(app, urls, args.repeat)
    # the machine may be shared: the load says how much the figures can be trusted
    load_after = os.getloadavg()[0]
    print(f"\nload average (1 min) {load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} CPUs")
    # CPU ms hardly move with the load; on a busy shared machine the wall-clock figures do
    print(f"\n| page ({args.cdrs:,} CDRs, SQLite) | p50 ms | p95 ms | CPU p50 ms | goal |")
    print("|---|---:|---:|---:|---|")
    for name, values in times.items():
        values.sort()
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        goal = 500 if name.startswith("dashboard") else 200
        print(
            f"| {name} | {statistics.median(values):.1f} | {p95:.1f} | {statistics.median(cpu[name]):.1f} "
            f"| < {goal} {'ok' if p95 < goal else 'MISSED'} |"
        )
    day_start = datetime.combine(today - timedelta(days=3), datetime.min.time(), ZONE).timestamp()
    print("\nQuery plans (one day):")
    for name, plan in plans(db, demo, day_start, agent, hotlines[0]):
        print(f"- {name}: {plan}")
    month_start = datetime.combine(today - timedelta(days=30), datetime.min.time(), ZONE).timestamp()
    offset = int(datetime.fromtimestamp(month_start, ZONE).utcoffset().total_seconds())  # type: ignore[union-attr]
    print("\nQuery plans (dashboard, 30 days):")
    for name, plan in dashboard_plans(db, demo, month_start, end, offset):
        print(f"- {name}: {plan}")


# --- the call-center part ----------------------------------------------------------------------------
N_AGENTS, N_QUEUES = 20, 4
QUEUE_CONFIG = {"wrapup": 10, "ring_timeout": 15, "service_level": 20, "short_abandon": 5}


def _api(server: ProductServer, method: str, path: str, body: object = None) -> object:
    r = httpx.request(method, f"{server.api}{path}", json=body, headers=server.admin_headers(), timeout=60)
    if r.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:500]}")
    return r.json() if r.content else None


def _configure(server: ProductServer) -> dict[int, list[int]]:
    """20 agents and 4 queues of 5 members each, through the admin API: queue id -> member user ids."""
    exts = [str(1000 + i) for i in range(N_AGENTS)]
    server.bulk_create(
        [{"full_name": f"Agent {e}", "phone": f"0913{int(e):06d}", "extensions": [e]} for e in exts]
    )
    users = [u["id"] for u in _api(server, "GET", "/admin/users") if u["extensions"]]  # type: ignore[union-attr]
    queues: dict[int, list[int]] = {}
    for q in range(N_QUEUES):
        qid = _api(server, "POST", "/admin/queues", {"name": f"Q{q}", "config": QUEUE_CONFIG})["id"]  # type: ignore[index]
        members = users[q::N_QUEUES]
        _api(server, "PUT", f"/admin/queues/{qid}/members", {"members": [{"user_id": u} for u in members]})
        queues[qid] = members
    return queues


def _day_log(
    rnd: random.Random,
    company: int,
    queues: dict[int, list[int]],
    day: datetime,
    calls: int,
    now: float,
    n: int,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """One day's queue-log lines and CDRs (only what happened before `now`)."""
    lines: list[dict[str, object]] = []
    cdrs: list[dict[str, object]] = []

    def line(at: float, qid: int, call: str, event: str, user: int | None = None, **data: object) -> None:
        if at < now:
            lines.append(
                {
                    "company_id": company,
                    "queue_id": qid,
                    "at": at,
                    "call_id": call,
                    "event": event,
                    "agent_user_id": user,
                    "data": data,
                }
            )

    base = day.timestamp()
    for qid, members in queues.items():
        for u in members:
            line(base + 7.9 * 3600 + rnd.uniform(0, 600), qid, "NONE", "AGENTLOGIN", u)
            line(base + 12 * 3600 + rnd.uniform(0, 600), qid, "NONE", "PAUSE", u, reason="lunch")
            line(base + 13 * 3600 + rnd.uniform(0, 600), qid, "NONE", "UNPAUSE", u)
            line(base + 18 * 3600 + rnd.uniform(0, 600), qid, "NONE", "AGENTLOGOFF", u)
    hours = [8, 9, 9, 10, 10, 10, 11, 11, 13, 14, 14, 15, 15, 16, 17]
    for i in range(calls):
        qid = rnd.choice(list(queues))
        t = base + rnd.choice(hours) * 3600 + rnd.random() * 3600
        if t >= now:
            continue
        call = f"q-{n}-{i}"
        line(t, qid, call, "ENTERQUEUE", priority=0)
        fate = rnd.random()
        agent, answer, end = None, None, t
        if fate < 0.82:
            wait = min(rnd.expovariate(1 / 18), 600)
            agent = rnd.choice(queues[qid])
            if rnd.random() < 0.06:
                line(t + wait / 2, qid, call, "RINGNOANSWER", rnd.choice(queues[qid]), ring=15)
            line(t + wait, qid, call, "CONNECT", agent, hold=wait)
            talk = rnd.expovariate(1 / 170)
            answer, end = t + wait, t + wait + talk
            line(end, qid, call, rnd.choice(("COMPLETECALLER", "COMPLETEAGENT")), agent, talk=talk)
            line(end, qid, call, "WRAPUP", agent, wrapup=10)
        elif fate < 0.97:
            wait = rnd.uniform(1, 150)
            end = t + wait
            line(end, qid, call, "ABANDON", position=1, wait=wait)
        else:
            end = t + 300
            line(end, qid, call, "EXITWITHTIMEOUT", position=1, wait=300.0)
        if end < now:
            cdrs.append(
                {
                    "call_id": call,
                    "company_id": company,
                    "domain": "bench.example",
                    "caller": f"09{i:08d}",
                    "callee": "1000",
                    "direction": "inbound",
                    "hotline": "02873100000",
                    "start": t,
                    "answer": answer,
                    "end": end,
                    "disposition": "completed" if answer else "cancelled",
                    "hangup_cause": None,
                    "caller_user_id": None,
                    "callee_user_id": agent,
                }
            )
    return lines, cdrs


async def _seed(
    url: str, queues: dict[int, list[int]], days: int, per_day: int, shift: float = 0.0
) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            company = (
                await conn.execute(select(Company.id).where(Company.sip_domain == "bench.example"))
            ).scalar_one()
        rnd = random.Random(11)
        now = time.time()
        today = datetime.now(ZONE).date()
        n_lines = n_cdrs = 0
        for back in range(days, -1, -1):
            day = datetime.combine(today - timedelta(days=back), datetime.min.time(), ZONE)
            day = day + timedelta(hours=shift)
            lines, cdrs = _day_log(rnd, company, queues, day, per_day, now, back)
            async with engine.begin() as conn:
                for chunk in range(0, len(lines), 10_000):
                    await conn.execute(insert(cast_table(QueueEvent)), lines[chunk : chunk + 10_000])
                for chunk in range(0, len(cdrs), 10_000):
                    await conn.execute(insert(cast_table(CallRecord)), cdrs[chunk : chunk + 10_000])
            n_lines, n_cdrs = n_lines + len(lines), n_cdrs + len(cdrs)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        return company, n_lines, n_cdrs
    finally:
        await engine.dispose()


def cast_table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


async def _folded(url: str, company: int) -> float | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (
                await conn.execute(select(RollupMark.folded_until).where(RollupMark.company_id == company))
            ).scalar_one_or_none()
    finally:
        await engine.dispose()


async def _plans(url: str, company: int, queue_ids: list[int]) -> list[tuple[str, str]]:
    """The database's plans of a 30-day rollup read and of the log read of the open hours."""
    engine: AsyncEngine = create_engine(url)
    now = time.time()
    month = now - 30 * 86400
    tail = await _folded(url, company) or hour_floor(now - OUTCOME_SLACK)  # where the log is read from
    statements = {
        "rollups, 30 days": queue_rows_statement(company, queue_ids, hour_floor(month), tail),
        "log, the open hours": events_statement(company, tail, now, queue_ids),
    }
    out = []
    try:
        async with engine.connect() as conn:
            for name, stmt in statements.items():
                compiled = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
                if engine.dialect.name == "sqlite":
                    rows = (await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).fetchall()
                    out.append((name, "; ".join(str(r[-1]) for r in rows)))
                else:
                    rows = (await conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}"))).fetchall()
                    out.append((name, " / ".join(str(r[0]).strip() for r in rows)))
    finally:
        await engine.dispose()
    return out


async def _with_and_without(url: str, company: int, repeat: int = 3) -> dict[str, list[float]]:
    """The stats API's 30-day read timed in-process, from the rollups and (the mark deleted in a transaction
    that is rolled back) from the log alone, as before the rollups."""
    engine = create_engine(url)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    now = time.time()
    today = datetime.now(ZONE).date()
    start = datetime.combine(today - timedelta(days=29), datetime.min.time(), ZONE).timestamp()
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), ZONE).timestamp()
    out: dict[str, list[float]] = {"log alone": [], "rollups + open hours": []}
    try:
        for _ in range(repeat):
            for label in out:
                async with sessionmaker() as session:
                    if label == "log alone":
                        await session.execute(delete(RollupMark).where(RollupMark.company_id == company))
                    t0 = time.perf_counter()
                    await callcenter_stats.queue_stats(
                        session, company_id=company, start=start, end=end, now=now, zone=ZONE
                    )
                    out[label].append((time.perf_counter() - t0) * 1000)
                    await session.rollback()
    finally:
        await engine.dispose()
    return out


def _console_client(server: ProductServer) -> httpx.Client:
    base = f"http://127.0.0.1:{server.http_port}"
    c = httpx.Client(base_url=base, timeout=60)
    r = c.get("/console/login")
    r = c.post(
        "/console/login",
        data={
            "login": server.ADMIN_PHONE,
            "password": server.ADMIN_PASSWORD,
            "csrf_token": r.cookies["console_csrf"],
        },
    )
    assert r.status_code == 303, r.text
    return c


def queue_part(args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_cluster()) if args.backend == "postgres" else None
        server = ProductServer(domain="bench.example", database_url=url, media=args.media)
        stack.callback(server.cleanup)
        server.create_company()
        server.start()
        queues = _configure(server)
        server.stop()
        db_url = url or f"sqlite+aiosqlite:///{server.data_dir / 'softphone.db'}"
        t0 = time.perf_counter()
        # --busy-now: every day's office hours moved so that now is 15:00 on their clock (the open hours
        # of the log are then as busy as they get), whatever the time the bench runs at
        local = datetime.now(ZONE)
        shift = local.hour + local.minute / 60 - 15 if args.busy_now else 0.0
        company, n_lines, n_cdrs = asyncio.run(
            _seed(db_url, queues, args.queue_days, args.calls_per_day, shift)
        )
        print(
            f"{args.backend}: wrote {n_lines:,} queue-log lines and {n_cdrs:,} CDRs over "
            f"{args.queue_days} days and today in {time.perf_counter() - t0:.0f} s"
            f"{f' (office hours moved {shift:+.1f} h: now is 15:00 on their clock)' if shift else ''}"
        )
        t0 = time.perf_counter()
        server.start()
        while (asyncio.run(_folded(db_url, company)) or 0) < hour_floor(time.time() - OUTCOME_SLACK):
            time.sleep(0.2)
        print(
            f"first start: the backfill of the rollups ended {time.perf_counter() - t0:.1f} s after the start"
        )
        today = datetime.now(ZONE).date()
        spans = {"today": 0, "7 days": 6, "30 days": 29}
        urls: dict[str, str] = {}
        for label, back in spans.items():
            first = (today - timedelta(days=back)).isoformat()
            urls[f"dashboard, {label}"] = f"/console/dashboard?from={first}&to={today}"
        for label, back in spans.items():
            first = (today - timedelta(days=back)).isoformat()
            urls[f"stats/queues, {label}"] = f"/api/v1/callcenter/stats/queues?start={first}&end={today}"
        first = (today - timedelta(days=29)).isoformat()
        urls["stats/queues, 30 days by day"] = (
            f"/api/v1/callcenter/stats/queues?start={first}&end={today}&interval=day"
        )
        urls["stats/agents, 30 days"] = f"/api/v1/callcenter/stats/agents?start={first}&end={today}"
        urls["wallboard"] = "/console/live/queues"
        console = _console_client(server)
        stack.callback(console.close)
        headers = server.admin_headers()
        times: dict[str, list[float]] = {k: [] for k in urls}
        load_before = os.getloadavg()
        for rep in range(args.repeat + 2):
            for name, path in urls.items():
                client_get = console.get if path.startswith("/console") else httpx.get
                full = path if path.startswith("/console") else f"http://127.0.0.1:{server.http_port}{path}"
                t0 = time.perf_counter()
                r = client_get(full, headers=headers, timeout=60)  # type: ignore[operator]
                if rep >= 2:  # two warm-up rounds
                    times[name].append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
        load_after = os.getloadavg()
        print(
            f"load average (1/5 min) {load_before[0]:.1f}/{load_before[1]:.1f} before, "
            f"{load_after[0]:.1f}/{load_after[1]:.1f} after, {os.cpu_count()} CPUs; "
            f"server CPU {server.cpu():.1f} s"
        )
        print(
            f"\n| {args.backend}, {args.calls_per_day:,} calls/day, {N_QUEUES} queues "
            "| p50 ms | p95 ms | goal |"
        )
        print("|---|---:|---:|---|")
        for name, values in times.items():
            values.sort()
            p95 = values[max(0, int(len(values) * 0.95) - 1)]
            verdict = "ok" if p95 < 500 else "MISSED"
            print(f"| {name} | {statistics.median(values):.1f} | {p95:.1f} | < 500 {verdict} |")
        server.stop()
        print(
            "\n30-day queue figures in-process (callcenter_stats.queue_stats), the log alone vs the rollups:"
        )
        for label, values in asyncio.run(_with_and_without(db_url, company)).items():
            values.sort()
            median = statistics.median(values)
            print(f"- {label}: median {median:.0f} ms, range {values[0]:.0f}-{values[-1]:.0f} ms")
        print("\nQuery plans:")
        for name, plan in asyncio.run(_plans(db_url, company, list(queues))):
            print(f"- {name}: {plan}")


if __name__ == "__main__":
    asyncio.run(main())
