"""A company's rate tables (call prices per destination prefix) and which one each hotline uses.

A hotline without a table of its own uses the company's default table; a company without one marked
default uses the built-in Vietnamese table (`server.domain.call_cost.DEFAULT_TABLE`).  Entries are stored
as one JSON list per table, so a save replaces the whole list or nothing.  Writes publish "rate_tables"
changes, on which the PBX's snapshot (`server.domain.pbx_snapshot`) reloads the company's tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit
from server.domain import call_cost as cc
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput
from server.domain.models import Hotline, RateTable
from server.domain.tenancy import get_in_company
from server.domain.uniqueness import commit_or_conflict, ensure_free

KINDS: tuple[str, ...] = get_args(cc.Kind)
MAX_ENTRIES = 500


def default_entries() -> list[dict[str, Any]]:
    """The built-in Vietnamese table as stored entries ("reset to the Vietnamese default")."""
    return [
        {
            "prefix": e.prefix,
            "kind": e.kind,
            "label": e.label,
            "per_minute": e.rate.per_minute,
            "first_block": e.rate.first_block,
            "then_every": e.rate.then_every,
        }
        for e in cc.DEFAULT_TABLE.entries
    ]


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput("invalid_rate_entry", message, fields={field: message})


def _number(value: object) -> float | None:
    try:
        number = float(str(value).strip().replace(",", "")) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def check_entries(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The entries as stored, or InvalidInput naming the first bad field as `<field>_<row index>`."""
    if len(rows) > MAX_ENTRIES:
        raise _bad("entries", "a rate table holds at most 500 prefixes")
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        prefix = str(row.get("prefix") or "").strip()
        if not prefix.isdigit() or not prefix.isascii() or len(prefix) > 16:
            raise _bad(f"prefix_{i}", "a prefix is digits only (e.g. 086, 02, 00)")
        if prefix in seen:
            raise _bad(f"prefix_{i}", "this prefix is already in the table")
        seen.add(prefix)
        kind = str(row.get("kind") or "")
        if kind not in KINDS:
            raise _bad(f"kind_{i}", "kind: mobile, landline, international or internal")
        price = _number(row.get("per_minute"))
        if price is None or price < 0 or price > 1e9:
            raise _bad(f"per_minute_{i}", "the price per minute is a number of VND, 0 or more")
        blocks = []
        for name in ("first_block", "then_every"):
            value = _number(row.get(name))
            if value is None or value != int(value) or not 1 <= value <= 3600:
                raise _bad(f"{name}_{i}", "billing blocks are whole seconds from 1 to 3600")
            blocks.append(int(value))
        label = str(row.get("label") or "").strip()[:100]
        out.append(
            {
                "prefix": prefix,
                "kind": kind,
                "label": label,
                "per_minute": price,
                "first_block": blocks[0],
                "then_every": blocks[1],
            }
        )
    return out


def table_of(row: RateTable) -> cc.RateTable:
    """The sans-IO table a stored one prices calls with (numbers nothing matches: the default's fallback)."""
    return cc.table_from_rows(
        row.name,
        [
            (
                str(e["prefix"]),
                cast(cc.Kind, e["kind"]),
                str(e["label"]),
                float(cast(float, e["per_minute"])),
                int(cast(int, e["first_block"])),
                int(cast(int, e["then_every"])),
            )
            for e in row.entries
        ],
        cc.DEFAULT_TABLE.fallback,
    )


def _check_name(name: object) -> str:
    text = str(name or "").strip()
    if not text or len(text) > 100:
        raise InvalidInput(
            "invalid_name", "a rate table needs a name (at most 100 characters)", fields={"name": "required"}
        )
    return text


def _name_taken() -> Conflict:
    return Conflict("duplicate_rate_table", "another rate table has this name", fields={"name": "taken"})


async def list_tables(session: AsyncSession, *, company_id: int) -> list[RateTable]:
    return list(
        await session.scalars(
            select(RateTable).where(RateTable.company_id == company_id).order_by(RateTable.id)
        )
    )


async def get_table(session: AsyncSession, *, company_id: int, table_id: int) -> RateTable:
    return await get_in_company(
        session, RateTable, company_id=company_id, row_id=table_id, entity="rate table"
    )


async def check_assignable(session: AsyncSession, *, company_id: int, table_id: int | None) -> int | None:
    """`table_id` when it is one of the company's tables (None: the company default), else InvalidInput."""
    if table_id is None:
        return None
    found = await session.scalar(
        select(RateTable.id).where(RateTable.id == table_id, RateTable.company_id == company_id)
    )
    if found is None:
        raise InvalidInput("unknown_rate_table", "no such rate table", fields={"rate_table_id": "unknown"})
    return table_id


async def _only_default(session: AsyncSession, company_id: int, keep: RateTable) -> None:
    for other in await list_tables(session, company_id=company_id):
        if other is not keep and other.is_default:
            other.is_default = False


async def create_table(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    values: Mapping[str, Any],
    actor_id: int | None,
) -> RateTable:
    """values: name, entries (None: a copy of the Vietnamese default), is_default."""
    name = _check_name(values.get("name"))
    raw = values.get("entries")
    entries = default_entries() if raw is None else check_entries(raw)
    await ensure_free(
        session,
        select(RateTable.id).where(RateTable.company_id == company_id, RateTable.name == name),
        _name_taken(),
    )
    table = RateTable(
        company_id=company_id, name=name, is_default=bool(values.get("is_default")), entries=entries
    )
    session.add(table)
    if table.is_default:
        await _only_default(session, company_id, table)
    await session.flush()
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="create",
        entity="rate_table",
        entity_id=table.id,
        detail={"name": name, "is_default": table.is_default, "entries": len(entries)},
    )
    await commit_or_conflict(session, _name_taken())
    return table


async def update_table(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    table_id: int,
    changes: Mapping[str, Any],
    actor_id: int | None,
) -> RateTable:
    """changes: any of name, entries, is_default, reset (True: the entries become the Vietnamese default)."""
    table = await get_table(session, company_id=company_id, table_id=table_id)
    detail: dict[str, Any] = {}
    if changes.get("name") is not None:
        name = _check_name(changes["name"])
        if name != table.name:
            await ensure_free(
                session,
                select(RateTable.id).where(
                    RateTable.company_id == company_id, RateTable.name == name, RateTable.id != table.id
                ),
                _name_taken(),
            )
            table.name = detail["name"] = name
    if changes.get("reset"):
        table.entries = default_entries()
        detail["reset"] = True
    elif changes.get("entries") is not None:
        table.entries = check_entries(changes["entries"])
        detail["entries"] = len(table.entries)
    if changes.get("is_default") is not None:
        table.is_default = detail["is_default"] = bool(changes["is_default"])
        if table.is_default:
            await _only_default(session, company_id, table)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="rate_table",
        entity_id=table.id,
        detail=detail,
    )
    await commit_or_conflict(session, _name_taken())
    return table


async def delete_table(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, table_id: int, actor_id: int | None
) -> None:
    """Its hotlines go back to the company default."""
    table = await get_table(session, company_id=company_id, table_id=table_id)
    for hotline in await session.scalars(
        select(Hotline).where(Hotline.company_id == company_id, Hotline.rate_table_id == table.id)
    ):
        hotline.rate_table_id = None
    await audit.commit_deletion(
        session,
        table,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity="rate_table",
        entity_id=table.id,
        detail={"name": table.name},
    )


class CompanyRates:
    """What the PBX prices one company's calls with: a table per hotline number, the default for the rest."""

    __slots__ = ("by_hotline", "default")

    def __init__(self, default: cc.RateTable, by_hotline: Mapping[str, cc.RateTable]) -> None:
        self.default = default
        self.by_hotline = dict(by_hotline)

    def table_for(self, hotline: str | None) -> cc.RateTable:
        return self.by_hotline.get(hotline, self.default) if hotline else self.default


def company_rates(tables: Sequence[RateTable], hotlines: Sequence[Hotline]) -> CompanyRates:
    by_id = {t.id: table_of(t) for t in tables}
    default = next((by_id[t.id] for t in tables if t.is_default), cc.DEFAULT_TABLE)
    return CompanyRates(
        default,
        {h.number: by_id[h.rate_table_id] for h in hotlines if h.rate_table_id in by_id},
    )
