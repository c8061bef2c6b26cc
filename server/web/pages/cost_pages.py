"""Call cost: the company's rate tables (list, edit, reset to the Vietnamese default) and the cost report
per agent, hotline and month (HTML with charts, CSV)."""

from __future__ import annotations

import csv
import io
import urllib.parse
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.domain import rate_tables
from server.domain.cost_report import CostLine, cost_report
from server.domain.errors import DomainError
from server.web.callcenter_forms import N_
from server.web.charts import row_bars
from server.web.deps import Admin, ContextDep, FormDep, SessionDep, SignedIn
from server.web.pages.calls_pages import _range
from server.web.render import field_errors, gettext_for, language, number, redirect, render, zone

router = APIRouter()
# Shown through _() as data: the domain's errors (server.domain.rate_tables), flashes, titles, kinds.
MESSAGES = (
    N_("a prefix is digits only (e.g. 086, 02, 00)"),
    N_("this prefix is already in the table"),
    N_("kind: mobile, landline, international or internal"),
    N_("the price per minute is a number of VND, 0 or more"),
    N_("billing blocks are whole seconds from 1 to 3600"),
    N_("a rate table holds at most 500 prefixes"),
    N_("a rate table needs a name (at most 100 characters)"),
    N_("another rate table has this name"),
    N_("no such rate table"),
    N_("Rate table created."),
    N_("The Vietnamese default prices are back."),
    N_("Delete rate table"),
    N_("landline"),
    N_("international"),
)
ENTRY_FIELDS = ("prefix", "kind", "label", "per_minute", "first_block", "then_every")
BLANK_ROWS = 3  # empty rows under the entries: fill one to add a prefix


def _entries(form: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of the form in order: blank rows and rows ticked "remove" left out."""
    rows = []
    i = 0
    while f"prefix_{i}" in form:
        row = {k: str(form.get(f"{k}_{i}", "")).strip() for k in ENTRY_FIELDS}
        i += 1
        if f"remove_{i - 1}" in form or not any(row[k] for k in ("prefix", "label", "per_minute")):
            continue
        rows.append(row)
    return rows


async def _list_page(request: Request, console: Any, session: Any, **extra: Any) -> Response:
    status = extra.pop("status", 200)
    return render(
        request,
        "rate_tables.html",
        {
            "tables": await rate_tables.list_tables(session, company_id=console.company_id),
            "errors": {},
            "values": {},
            **extra,
        },
        status=status,
    )


@router.get("/rate-tables")
async def table_list(request: Request, console: SignedIn, session: SessionDep) -> Response:
    return await _list_page(request, console, session)


@router.post("/rate-tables")
async def table_create(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    values = {"name": str(form.get("name", "")).strip(), "is_default": "is_default" in form}
    try:
        table = await rate_tables.create_table(
            session, ctx=ctx, company_id=console.company_id, values=values, actor_id=console.user.id
        )
    except DomainError as exc:
        await session.rollback()
        return await _list_page(
            request, console, session, errors=field_errors(request, exc), values=values, status=422
        )
    return redirect(f"/console/rate-tables/{table.id}", flash="Rate table created.")


def _table_page(request: Request, table: Any, rows: list[dict[str, Any]], **extra: Any) -> Response:
    status = extra.pop("status", 200)
    return render(
        request,
        "rate_table.html",
        {
            "table": table,
            "rows": [*rows, *({} for _ in range(BLANK_ROWS))],
            "kinds": rate_tables.KINDS,
            "errors": {},
            "name": table.name,
            "is_default": table.is_default,
            **extra,
        },
        status=status,
    )


@router.get("/rate-tables/{table_id:int}")
async def table_edit(request: Request, table_id: int, console: SignedIn, session: SessionDep) -> Response:
    table = await rate_tables.get_table(session, company_id=console.company_id, table_id=table_id)
    return _table_page(request, table, list(table.entries))


@router.post("/rate-tables/{table_id:int}")
async def table_save(
    request: Request, table_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    rows = _entries(form)
    changes = {"name": str(form.get("name", "")), "is_default": "is_default" in form, "entries": rows}
    try:
        await rate_tables.update_table(
            session,
            ctx=ctx,
            company_id=console.company_id,
            table_id=table_id,
            changes=changes,
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        table = await rate_tables.get_table(session, company_id=console.company_id, table_id=table_id)
        return _table_page(
            request,
            table,
            rows,
            errors={"_form": exc.message, **field_errors(request, exc)},  # rows numbered as shown again
            name=changes["name"],
            is_default=changes["is_default"],
            status=422,
        )
    return redirect(f"/console/rate-tables/{table_id}", flash="Saved.")


@router.post("/rate-tables/{table_id:int}/reset")
async def table_reset(
    table_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await rate_tables.update_table(
        session,
        ctx=ctx,
        company_id=console.company_id,
        table_id=table_id,
        changes={"reset": True},
        actor_id=console.user.id,
    )
    return redirect(f"/console/rate-tables/{table_id}", flash="The Vietnamese default prices are back.")


@router.get("/rate-tables/{table_id:int}/delete")
async def table_delete_confirm(
    request: Request, table_id: int, console: Admin, session: SessionDep
) -> Response:
    table = await rate_tables.get_table(session, company_id=console.company_id, table_id=table_id)
    return render(
        request,
        "confirm.html",
        {
            "title": "Delete rate table",
            "what": table.name,
            "action": f"/console/rate-tables/{table_id}/delete",
            "back": "/console/rate-tables",
        },
    )


@router.post("/rate-tables/{table_id:int}/delete")
async def table_delete(
    table_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await rate_tables.delete_table(
        session, ctx=ctx, company_id=console.company_id, table_id=table_id, actor_id=console.user.id
    )
    return redirect("/console/rate-tables", flash="Deleted.")


# --- the cost report --------------------------------------------------------------------------------
def _history(first: date, last: date, **filters: str) -> str:
    query = {"from": first.isoformat(), "to": last.isoformat(), "direction": "outbound", "status": "answered"}
    return "/console/calls?" + urllib.parse.urlencode({**query, **filters})


def _month_range(key: str, first: date, last: date) -> tuple[date, date]:
    start = date.fromisoformat(key + "-01")
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return max(start, first), min(end, last)


@router.get("/cost-report")
async def report(request: Request, console: SignedIn, session: SessionDep) -> Response:
    _ = gettext_for(request)
    tz = zone(request)
    if "from" not in request.query_params:  # this month so far
        today = datetime.now(tz).date()
        first, last = today.replace(day=1), today
        start = datetime.combine(first, time(), tz).timestamp()
        end = datetime.combine(last + timedelta(days=1), time(), tz).timestamp()
    else:
        first, last, start, end = _range(request)
    r = await cost_report(session, company_id=console.company_id, start=start, end=end, zone=tz)
    unknown = _("(no agent)")
    if request.query_params.get("format") == "csv":
        return _csv(r, unknown)

    def links(lines: list[CostLine], kind: str) -> list[tuple[CostLine, str]]:
        out = []
        for line in lines:
            if kind == "user":
                url = _history(first, last, user=line.key) if line.key else ""
            elif kind == "hotline":
                url = _history(first, last, hotline=line.key) if line.key else ""
            else:
                url = _history(*_month_range(line.key, first, last))
            out.append((line, url))
        return out

    sections = [
        (_("Cost per agent"), "agents", links(r.agents, "user")),
        (_("Cost per hotline"), "hotlines", links(r.hotlines, "hotline")),
        (_("Cost per month"), "months", links(r.months, "month")),
    ]
    charts = {
        key: row_bars(
            f"chart-{key}",
            [(line.label or unknown, line.cost) for line, _url in rows],
            title,
            _("Cost in VND of the answered outbound calls of the range."),
            value_text=lambda v: number(language(request), v),
        )
        for title, key, rows in sections
    }
    f = {"from": first.isoformat(), "to": last.isoformat()}
    return render(
        request,
        "cost_report.html",
        {
            "r": r,
            "f": f,
            "sections": sections,
            "charts": charts,
            "unknown": unknown,
            "csv": "/console/cost-report?" + urllib.parse.urlencode({**f, "format": "csv"}),
        },
    )


def _csv(r: Any, unknown: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "key", "name", "calls", "minutes", "cost_vnd"])
    for group, lines in (("agent", r.agents), ("hotline", r.hotlines), ("month", r.months)):
        for line in lines:
            writer.writerow(
                [group, line.key, line.label or unknown, line.calls, line.minutes, round(line.cost)]
            )
    t = r.total
    writer.writerow(["total", "", "", t.calls, t.minutes, round(t.cost)])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="call-cost.csv"'},
    )
