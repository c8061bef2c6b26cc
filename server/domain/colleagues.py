"""The company directory agents see: colleagues, their extensions and SIP/presence URIs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.domain.models import Company, User


@dataclass(frozen=True, slots=True)
class Colleague:
    user_id: int
    full_name: str
    extensions: tuple[str, ...]
    sip_uri: str | None
    presence_uri: str | None


async def list_colleagues(session: AsyncSession, *, company_id: int) -> list[Colleague]:
    """Every active user of the company (the caller included), by name."""
    domain = await session.scalar(select(Company.sip_domain).where(Company.id == company_id))
    users = await session.scalars(
        select(User)
        .where(User.company_id == company_id, User.active.is_(True))
        .options(selectinload(User.extensions))
        .order_by(User.full_name, User.id)
    )
    result = []
    for u in users:
        numbers = tuple(e.number for e in u.extensions)
        uri = f"sip:{numbers[0]}@{domain}" if numbers else None
        result.append(Colleague(u.id, u.full_name, numbers, uri, uri))
    return result
