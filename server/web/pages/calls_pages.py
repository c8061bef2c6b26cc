"""Dashboard and call history: one company's CDRs over a date range (default today, company's zone)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response, StreamingResponse

from server.api.routes.callcenter_stats import MAX_DAYS as STATS_MAX_DAYS
from server.domain import call_history, callcenter, callcenter_stats, hotlines, people
from server.domain.clock import to_posix
from server.domain.cost_report import company_pricing, record_cost
from server.domain.errors import NotFound
from server.domain.models import CallRecord
from server.domain.rate_tables import CompanyRates
from server.media.recording import safe_name
from server.web.charts import hour_bars
from server.web.deps import SessionDep, SignedIn
from server.web.render import local_time, redirect, render, zone

router = APIRouter()
PAGE = 50
ZIP_MAX = 200  # recordings in one download
ZIP_COLUMNS = (CallRecord.id, CallRecord.call_id, CallRecord.recording, CallRecord.start, CallRecord.caller,
               CallRecord.callee)  # fmt: skip


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _range(request: Request) -> tuple[date, date, float, float]:
    tz = zone(request)
    today = datetime.now(tz).date()
    first = _day(request.query_params.get("from"), today)
    last = _day(request.query_params.get("to"), first)
    if last < first:
        first, last = last, first
    start = datetime.combine(first, time(), tz).timestamp()
    end = datetime.combine(last + timedelta(days=1), time(), tz).timestamp()
    return first, last, start, end


def _query(request: Request, company_id: int) -> tuple[call_history.CallQuery, dict[str, Any]]:
    p = request.query_params
    first, last, start, end = _range(request)
    user = p.get("user", "")
    minimum = p.get("min_seconds", "")
    queue = p.get("queue", "")
    q = call_history.CallQuery(
        company_id=company_id,
        start=start,
        end=end,
        direction=p.get("direction") if p.get("direction") in call_history.DIRECTIONS else None,
        user_id=int(user) if user.isdigit() else None,
        hotline=p.get("hotline") or None,
        status=p.get("status") if p.get("status") in call_history.STATUSES else None,
        number=(p.get("number") or "").strip()[:32] or None,
        min_seconds=int(minimum) if minimum.isdigit() else None,
        queue_id=int(queue) if queue.isdigit() and len(queue) < 10 else None,
    )
    shown = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        **{k: p.get(k, "") for k in ("direction", "user", "hotline", "status", "number", "min_seconds")},
        "queue": str(q.queue_id or ""),
    }
    return q, shown


def _talk(c: CallRecord) -> float:
    return max(0.0, (c.end or c.answer or 0) - c.answer) if c.answer else 0.0


def recording_of(directory: Path | None, call_id: str, linked: str | None = None) -> Path | None:
    """The call's WAV: the one its record links, else (records older than the link) found by Call-ID."""
    if directory is None:
        return None
    if linked:
        path = directory / Path(linked).name  # a file name, never a path out of the directory
        return path if path.is_file() else None
    if not directory.is_dir():
        return None
    return next(iter(sorted(directory.glob(f"*_{safe_name(call_id)}.wav"))), None)


@router.get("/")
async def home() -> Response:
    return redirect("/console/dashboard")


@router.get("/calls")
async def calls(request: Request, console: SignedIn, session: SessionDep) -> Response:
    q, shown = _query(request, console.company_id)
    if request.query_params.get("format") == "csv":
        return _csv(request, q, session)
    if request.query_params.get("format") == "xlsx":
        return await _xlsx(request, q, session)
    after = None
    raw = request.query_params.get("after", "")
    if ":" in raw:
        with_start, _sep, with_id = raw.partition(":")
        try:
            after = (float(with_start), int(with_id))
        except ValueError:
            after = None
    page = await call_history.search(session, q, limit=PAGE, after=after)
    users = await people.list_users(session, company_id=console.company_id)
    names = {u.id: u.full_name for u in users}
    recordings = request.app.state.recordings_dir
    rates = await company_pricing(session, console.company_id)
    return render(
        request,
        "calls.html",
        {
            "rows": [
                {
                    "c": c,
                    "talk": _talk(c),
                    "cost": record_cost(rates, c),
                    "recording": c.recording_deleted is None
                    and recording_of(recordings, c.call_id, c.recording) is not None,
                    "recording_deleted": c.recording_deleted is not None,
                    "caller_name": names.get(c.caller_user_id or 0, ""),
                    "callee_name": names.get(c.callee_user_id or 0, ""),
                }
                for c in page.rows
            ],
            "next_key": f"{page.next_key[0]!r}:{page.next_key[1]}" if page.next_key else None,
            "f": shown,
            "users": users,
            "hotlines": await hotlines.list_hotlines(session, company_id=console.company_id),
            "queues": await callcenter.list_configured(session, company_id=console.company_id, kind="queues"),
            "statuses": call_history.STATUSES,
            "directions": call_history.DIRECTIONS,
        },
    )


EXPORT_HEADER = [
    "start",
    "answer",
    "end",
    "direction",
    "caller",
    "callee",
    "hotline",
    "disposition",
    "talk_seconds",
    "cost_vnd",
    "hangup_cause",
    "call_id",
]
EXPORT_PAGES = 2000  # x PAGE rows: 100,000 at most per export


def _export_row(request: Request, c: CallRecord, rates: CompanyRates) -> list[Any]:
    talk = _talk(c)
    return [
        local_time(request, c.start),
        local_time(request, c.answer),
        local_time(request, c.end),
        c.direction,
        c.caller,
        c.callee,
        c.hotline or "",
        c.disposition,
        round(talk),
        record_cost(rates, c),
        c.hangup_cause or "",
        c.call_id,
    ]


async def _export_rows(q: call_history.CallQuery, session: Any) -> AsyncIterator[list[CallRecord]]:
    after = None
    for _ in range(EXPORT_PAGES):
        page = await call_history.search(session, q, limit=PAGE, after=after)
        yield page.rows
        if page.next_key is None:
            return
        after = page.next_key


async def _xlsx(request: Request, q: call_history.CallQuery, session: Any) -> Response:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("calls")
    sheet.append(EXPORT_HEADER)
    rates = await company_pricing(session, q.company_id)
    async for rows in _export_rows(q, session):
        for c in rows:
            sheet.append(_export_row(request, c, rates))
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="calls.xlsx"'},
    )


def _csv(request: Request, q: call_history.CallQuery, session: Any) -> Response:
    async def rows() -> AsyncIterator[str]:
        out = io.StringIO()
        csv.writer(out).writerow(EXPORT_HEADER)
        yield "\ufeff" + out.getvalue()
        rates = await company_pricing(session, q.company_id)
        async for page in _export_rows(q, session):
            out = io.StringIO()
            writer = csv.writer(out)
            for c in page:
                writer.writerow(_export_row(request, c, rates))
            yield out.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="calls.csv"'},
    )


@router.get("/calls/{record_id:int}/recording")
async def recording(request: Request, record_id: int, console: SignedIn, session: SessionDep) -> Response:
    found = (
        await session.execute(
            select(CallRecord.call_id, CallRecord.recording).where(
                CallRecord.id == record_id, CallRecord.company_id == console.company_id
            )
        )
    ).first()
    path = recording_of(request.app.state.recordings_dir, found[0], found[1]) if found else None
    if path is None:
        raise NotFound("recording")
    return FileResponse(path, media_type="audio/wav", filename=path.name)


@router.get("/calls/recordings.zip")
async def recordings_zip(request: Request, console: SignedIn, session: SessionDep) -> Response:
    """The recordings of the ticked calls as one zip, each named by its start (company zone) and parties."""
    filters = request.query_params.get("back") or ""  # the history's query string, to return to it
    back = "/console/calls" + (f"?{filters}" if filters else "")
    try:
        ids = sorted({int(v) for v in request.query_params.getlist("id")})
    except ValueError:
        ids = []
    if not ids:
        return redirect(back, flash="Tick the calls whose recordings you want.")
    if len(ids) > ZIP_MAX:
        return redirect(back, flash=f"At most %s recordings in one download.|{ZIP_MAX}")
    found = (
        await session.execute(
            select(*ZIP_COLUMNS).where(
                CallRecord.id.in_(ids),
                CallRecord.company_id == console.company_id,
                CallRecord.recording_deleted.is_(None),
            )
        )
    ).all()
    folder = request.app.state.recordings_dir
    files: list[tuple[Path, str]] = []
    for record_id, call_id, linked, start, caller, callee in found:
        path = recording_of(folder, call_id, linked)
        if path is not None:
            when = local_time(request, start, "%Y-%m-%d_%H%M%S")
            files.append((path, f"{when}_{safe_name(caller)}_{safe_name(callee)}_{record_id}.wav"))
    if not files:
        raise NotFound("recording")
    handle, name = tempfile.mkstemp(prefix="recordings-", suffix=".zip")
    os.close(handle)

    def write() -> None:  # WAVs hardly compress: stored, so a large selection costs only the copy
        with zipfile.ZipFile(name, "w", compression=zipfile.ZIP_STORED) as z:
            for path, arcname in files:
                z.write(path, arcname)

    try:
        await asyncio.to_thread(write)
    except BaseException:
        os.unlink(name)
        raise
    return FileResponse(
        name,
        media_type="application/zip",
        filename=f"recordings-{len(files)}.zip",
        background=BackgroundTask(os.unlink, name),
    )


@router.get("/dashboard")
async def dashboard(request: Request, console: SignedIn, session: SessionDep) -> Response:
    q, shown = _query(request, console.company_id)
    offset = int(datetime.fromtimestamp(q.start, zone(request)).utcoffset().total_seconds())  # type: ignore[union-attr]
    s = await call_history.summary(request.app.state.sessionmaker, q, utc_offset=offset)
    # per queue over the same range, from the queue log (the figures of GET /api/v1/callcenter/stats/queues)
    now = to_posix(request.app.state.ctx.clock())
    first, last = date.fromisoformat(shown["from"]), date.fromisoformat(shown["to"])
    queues = None  # a longer range than the stats API allows is not summed per queue
    if (last - first).days < STATS_MAX_DAYS:
        queues = await callcenter_stats.queue_stats(
            session, company_id=console.company_id, start=q.start, end=q.end, now=now, zone=zone(request)
        )
    base = f"from={shown['from']}&to={shown['to']}"
    return render(
        request,
        "dashboard.html",
        {"s": s, "f": shown, "range": base, "chart": hour_bars(s.by_hour, request), "queues": queues},
    )
