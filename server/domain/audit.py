"""The audit log of admin changes.  Details never carry secrets: callers pass only non-secret fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.context import DomainContext
from server.domain.models import AuditEntry

SECRET_FIELDS = frozenset(
    {"password", "sip_password", "trunk_password", "password_hash", "ha1_md5", "ha1_sha256"}
)


def _scrub(detail: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in detail.items():
        if key in SECRET_FIELDS:
            clean[key] = "***"
        elif isinstance(value, str | int | float | bool) or value is None:
            clean[key] = value
        elif isinstance(value, list | tuple):
            clean[key] = [v if isinstance(v, str | int | float | bool) else str(v) for v in value]
        else:
            clean[key] = str(value)
    return clean


def record(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Adds an entry to the session; it commits with the change it describes."""
    session.add(
        AuditEntry(
            company_id=company_id,
            actor_user_id=actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=_scrub(detail or {}),
            created_at=ctx.clock(),
        )
    )


async def commit_deletion(
    session: AsyncSession,
    row: object,
    *,
    ctx: DomainContext,
    company_id: int,
    actor_id: int | None,
    entity: str,
    entity_id: int | None,
    detail: Mapping[str, Any],
) -> None:
    """Delete ``row`` and commit it together with its "delete" entry."""
    record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="delete",
        entity=entity,
        entity_id=entity_id,
        detail=detail,
    )
    await session.delete(row)
    await session.commit()


async def list_entries(
    session: AsyncSession, *, company_id: int, limit: int = 100, before_id: int | None = None
) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.company_id == company_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    result = await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
    return list(result)


async def search_entries(
    session: AsyncSession,
    *,
    company_id: int,
    actor_id: int | None = None,
    entity: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest first, filtered by who, what kind of entity and when (naive UTC bounds, `until` exclusive)."""
    query = select(AuditEntry).where(AuditEntry.company_id == company_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_user_id == actor_id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
