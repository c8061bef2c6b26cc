"""Tenants: creating a company with its first admin, looking companies up, admin password resets."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.models import Company, ConsoleLanguage, RecordingPolicy, Role, User
from server.domain.people import create_user
from server.domain.prompts import NAME as PROMPT_NAME
from server.domain.uniqueness import commit_or_conflict, ensure_free
from server.domain.validation import check_password, normalize_email, normalize_phone

_DOMAIN = re.compile(
    r"(?=.{3,200}$)[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?)+"
)


def check_sip_domain(value: str) -> str:
    value = value.strip().lower()
    if not _DOMAIN.fullmatch(value):
        raise InvalidInput(
            "invalid_domain", "not a SIP domain name", fields={"sip_domain": "e.g. acme.example"}
        )
    return value


async def domain_for_name(session: AsyncSession, *, name: str) -> str:
    """A free SIP domain derived from a company name ("Công ty ABC" -> "cong-ty-abc.local")."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.encode("ascii", "ignore").decode().lower()).strip("-")[:40]
    slug = slug.strip("-") or "company"
    candidate = f"{slug}.local"
    n = 2
    while await session.scalar(select(Company.id).where(Company.sip_domain == candidate)) is not None:
        candidate = f"{slug}-{n}.local"
        n += 1
    return candidate


async def create_company(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    name: str,
    sip_domain: str,
    admin_full_name: str,
    admin_phone: str,
    admin_password: str,
    admin_email: str | None = None,
    admin_extensions: tuple[str, ...] = (),
) -> tuple[Company, User]:
    """The company and its first admin, in one transaction."""
    name = name.strip()
    if not name:
        raise InvalidInput("invalid_name", "company name is required", fields={"company_name": "required"})
    sip_domain = check_sip_domain(sip_domain)
    await ensure_free(
        session,
        select(Company.id).where(Company.sip_domain == sip_domain),
        Conflict("duplicate_domain", "SIP domain already used", fields={"sip_domain": "taken"}),
    )
    company = Company(
        name=name, sip_domain=sip_domain, invite_code=secrets.token_urlsafe(9), created_at=ctx.clock()
    )
    session.add(company)
    await session.flush()
    admin = await create_user(
        session,
        ctx=ctx,
        company=company,
        full_name=admin_full_name,
        phone=admin_phone,
        password=admin_password,
        email=admin_email,
        role=Role.ADMIN,
        extensions=admin_extensions,
        commit=False,
    )
    audit.record(
        session,
        ctx=ctx,
        company_id=company.id,
        actor_id=None,
        action="create",
        entity="company",
        entity_id=company.id,
        detail={"name": name, "sip_domain": sip_domain},
    )
    await commit_or_conflict(
        session, Conflict("duplicate", "domain, phone or e-mail taken", fields={"sip_domain": "conflict"})
    )
    return company, admin


async def get_company(session: AsyncSession, *, company_id: int) -> Company:
    company = await session.get(Company, company_id)
    if company is None:
        raise NotFound("company")
    return company


async def reset_admin_password(
    session: AsyncSession, *, ctx: DomainContext, login: str, password: str
) -> User:
    """CLI recovery: set a new password for an admin found by phone or e-mail, and unlock it."""
    check_password(password)
    if "@" in login:
        user = await session.scalar(select(User).where(User.email == normalize_email(login, field="login")))
    else:
        user = await session.scalar(select(User).where(User.phone == normalize_phone(login, field="login")))
    if user is None or user.role != Role.ADMIN:
        raise NotFound("admin")
    user.password_hash = await ctx.passwords.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.active = True
    audit.record(
        session,
        ctx=ctx,
        company_id=user.company_id,
        actor_id=None,
        action="reset_password",
        entity="user",
        entity_id=user.id,
        detail={"via": "cli"},
    )
    await session.commit()
    return user


async def rename_company(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, name: str, actor_id: int | None
) -> Company:
    """The company's display name (its SIP domain stays: device digests are bound to it)."""
    return await update_company(
        session, ctx=ctx, company_id=company_id, changes={"name": name}, actor_id=actor_id
    )


MAX_RETENTION_DAYS = 3650


def _retention_days(value: Any) -> int | None:
    """Days from a form's text or an API's int (None: not a whole number in 0..3650)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return None
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_RETENTION_DAYS:
        return None
    return value


async def update_company(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    changes: Mapping[str, Any],
    actor_id: int | None,
) -> Company:
    """Company settings: ``name``, ``recording_policy`` (off/all/inbound/outbound), ``console_language``
    (the console's default for admins who chose none: vi/en, None = Vietnamese), ``recording_notice``
    (bool), ``recording_notice_prompt`` (a prompt name, None = the built-in sentence) and
    ``recording_retention_days`` (0-3650, 0 = forever).  All or nothing."""
    company = await get_company(session, company_id=company_id)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name or len(name) > 200:
            errors["name"] = "1-200 characters"
        values["name"] = name
    if "recording_policy" in changes:
        policy = changes["recording_policy"]
        if policy not in set(RecordingPolicy):
            errors["recording_policy"] = "off, all, inbound or outbound"
        values["recording_policy"] = policy
    if "console_language" in changes:
        language = changes["console_language"] or None
        if language is not None and language not in set(ConsoleLanguage):
            errors["console_language"] = "vi or en"
        values["console_language"] = language
    if "recording_notice" in changes:
        notice = changes["recording_notice"]
        if not isinstance(notice, bool):
            errors["recording_notice"] = "on or off"
        values["recording_notice"] = notice
    if "recording_notice_prompt" in changes:
        prompt = str(changes["recording_notice_prompt"] or "").strip().lower() or None
        if prompt is not None and not PROMPT_NAME.match(prompt):
            errors["recording_notice_prompt"] = "Use 1-60 lower-case letters, digits, - or _."
        values["recording_notice_prompt"] = prompt
    if "recording_retention_days" in changes:
        days = _retention_days(changes["recording_retention_days"])
        if days is None:
            errors["recording_retention_days"] = "a whole number of days from 0 (keep forever) to 3650"
        values["recording_retention_days"] = days
    if errors:
        first = next(iter(errors))
        message = "company name is required" if first == "name" else "invalid company settings"
        raise InvalidInput(f"invalid_{first}", message, fields=errors)
    before = {k: getattr(company, k) for k in values}
    for key, value in values.items():
        setattr(company, key, value)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="company",
        entity_id=company_id,
        detail={**values, "before": before},
    )
    await session.commit()
    return company
