"""Company hotlines (caller-ID numbers) and the carrier trunks that carry them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput
from server.domain.models import Extension, Hotline
from server.domain.people import bump_revision
from server.domain.rate_tables import check_assignable
from server.domain.tenancy import get_in_company
from server.domain.uniqueness import commit_or_conflict, ensure_free
from server.domain.validation import check_extension, check_host, check_hotline_number

TRUNK_FIELDS = (
    "trunk_host",
    "trunk_port",
    "trunk_transport",
    "trunk_username",
    "trunk_password",
    "trunk_register",
)


async def list_hotlines(session: AsyncSession, *, company_id: int) -> list[Hotline]:
    return list(
        await session.scalars(select(Hotline).where(Hotline.company_id == company_id).order_by(Hotline.id))
    )


async def get_hotline(session: AsyncSession, *, company_id: int, hotline_id: int) -> Hotline:
    return await get_in_company(session, Hotline, company_id=company_id, row_id=hotline_id, entity="hotline")


def _number_taken() -> Conflict:
    return Conflict("duplicate_hotline", "this number is already a hotline", fields={"number": "taken"})


async def _check_inbound(session: AsyncSession, *, company_id: int, extension: str | None) -> str | None:
    if extension in (None, ""):
        return None
    check_extension(extension, field="inbound_extension")
    exists = await session.scalar(
        select(Extension.id).where(Extension.company_id == company_id, Extension.number == extension)
    )
    if exists is None:
        raise InvalidInput(
            "unknown_extension", "no such extension in this company", fields={"inbound_extension": "unknown"}
        )
    return extension


def _apply(hotline: Hotline, values: Mapping[str, Any]) -> None:
    for key in ("carrier", "label", *TRUNK_FIELDS):
        if key in values and values[key] is not None:
            setattr(hotline, key, values[key])
    for key in ("trunk_username", "trunk_password"):
        if key in values and values[key] == "":
            setattr(hotline, key, None)


async def create_hotline(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    values: Mapping[str, Any],
    actor_id: int | None,
) -> Hotline:
    number = check_hotline_number(values["number"])
    await ensure_free(session, select(Hotline.id).where(Hotline.number == number), _number_taken())
    check_host(values["trunk_host"])
    hotline = Hotline(
        company_id=company_id,
        number=number,
        carrier="",
        label="",
        trunk_port=5060,
        trunk_transport="udp",
        trunk_register=False,
        inbound_extension=await _check_inbound(
            session, company_id=company_id, extension=values.get("inbound_extension")
        ),
    )
    _apply(hotline, values)
    hotline.rate_table_id = await check_assignable(
        session, company_id=company_id, table_id=values.get("rate_table_id")
    )
    session.add(hotline)
    await session.flush()
    await bump_revision(session, company_id=company_id)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="create",
        entity="hotline",
        entity_id=hotline.id,
        detail=dict(values),
    )
    await commit_or_conflict(session, _number_taken())
    return hotline


async def update_hotline(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    hotline_id: int,
    changes: Mapping[str, Any],
    actor_id: int | None,
) -> Hotline:
    hotline = await get_hotline(session, company_id=company_id, hotline_id=hotline_id)
    if changes.get("trunk_host") is not None:
        check_host(changes["trunk_host"])
    if "inbound_extension" in changes:
        hotline.inbound_extension = await _check_inbound(
            session, company_id=company_id, extension=changes["inbound_extension"]
        )
    if "rate_table_id" in changes:
        hotline.rate_table_id = await check_assignable(
            session, company_id=company_id, table_id=changes["rate_table_id"]
        )
    _apply(hotline, changes)
    await bump_revision(session, company_id=company_id)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="hotline",
        entity_id=hotline.id,
        detail=dict(changes),
    )
    await session.commit()
    return hotline


async def delete_hotline(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, hotline_id: int, actor_id: int | None
) -> None:
    hotline = await get_hotline(session, company_id=company_id, hotline_id=hotline_id)
    await bump_revision(session, company_id=company_id)
    await audit.commit_deletion(
        session,
        hotline,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity="hotline",
        entity_id=hotline.id,
        detail={"number": hotline.number},
    )
