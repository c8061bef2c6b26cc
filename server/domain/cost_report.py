"""The cost report: what a company's answered outbound calls of a range cost, per agent, per hotline and per
month (of the company's time zone), with call counts and talk minutes.

A record's cost is the one the PBX stored when the call ended; records older than that column are priced
now, with the current rate table of the hotline they went out through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.call_cost import call_cost
from server.domain.call_history import user_names
from server.domain.models import CallRecord, Hotline
from server.domain.rate_tables import CompanyRates, company_rates, list_tables


@dataclass(slots=True)
class CostLine:
    key: str  # user id, hotline number or "YYYY-MM"
    label: str
    calls: int = 0
    seconds: float = 0.0  # talk time
    cost: float = 0.0  # VND

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60.0, 1)


@dataclass(frozen=True, slots=True)
class CostReport:
    agents: list[CostLine]  # most expensive first
    hotlines: list[CostLine]
    months: list[CostLine]  # in order
    total: CostLine


def _add(lines: dict[str, CostLine], key: str, label: str, talk: float, cost: float) -> None:
    line = lines.setdefault(key, CostLine(key, label))
    line.calls += 1
    line.seconds += talk
    line.cost += cost


async def company_pricing(session: AsyncSession, company_id: int) -> CompanyRates:
    """The company's rate tables by hotline, as the PBX prices with them now."""
    hotline_rows = await session.scalars(select(Hotline).where(Hotline.company_id == company_id))
    return company_rates(await list_tables(session, company_id=company_id), list(hotline_rows))


def record_cost(rates: CompanyRates, c: CallRecord) -> float:
    """What a finished call cost: stored by the PBX at its end, else (records older than migration 0012)
    priced with its hotline's table now."""
    if c.cost is not None:
        return c.cost
    talk = max(0.0, (c.end or c.answer or 0.0) - c.answer) if c.answer else 0.0
    return call_cost(c.direction, c.callee, talk, rates.table_for(c.hotline))


async def cost_report(
    session: AsyncSession, *, company_id: int, start: float, end: float, zone: ZoneInfo
) -> CostReport:
    """Answered outbound calls that started in [start, end) (POSIX seconds)."""
    c = CallRecord
    rows = (
        await session.execute(
            select(c.caller_user_id, c.hotline, c.start, c.answer, c.end, c.callee, c.cost).where(
                c.company_id == company_id,
                c.start >= start,
                c.start < end,
                c.direction == "outbound",
                c.answer.is_not(None),
                c.end.is_not(None),
            )
        )
    ).all()
    rates = await company_pricing(session, company_id)
    names = await user_names(session, company_id, sorted({r[0] for r in rows if r[0] is not None}))
    agents: dict[str, CostLine] = {}
    hotlines: dict[str, CostLine] = {}
    months: dict[str, CostLine] = {}
    total = CostLine("", "")
    for user_id, hotline, began, answer, ended, callee, stored in rows:
        talk = max(0.0, (ended or 0.0) - (answer or 0.0))  # both set: the query keeps only those
        cost = stored if stored is not None else call_cost("outbound", callee, talk, rates.table_for(hotline))
        who = str(user_id) if user_id is not None else ""
        _add(agents, who, names.get(user_id, "") if user_id is not None else "", talk, cost)
        _add(hotlines, hotline or "", hotline or "", talk, cost)
        month = datetime.fromtimestamp(began, UTC).astimezone(zone).strftime("%Y-%m")
        _add(months, month, month, talk, cost)
        total.calls += 1
        total.seconds += talk
        total.cost += cost
    return CostReport(
        _by_cost(agents), _by_cost(hotlines), sorted(months.values(), key=lambda x: x.key), total
    )


def _by_cost(lines: dict[str, CostLine]) -> list[CostLine]:
    return sorted(lines.values(), key=lambda x: (-x.cost, x.label))
