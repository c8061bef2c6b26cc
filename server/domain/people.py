"""Users, their extensions and SIP devices, and the per-user call settings (ring method, DND, quota...).

Every function takes the caller's `company_id` and only ever touches rows of that company: an id from another
tenant behaves exactly like an id that does not exist (404).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.domain import audit
from server.domain.clock import period_of
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.models import (
    Company,
    Device,
    DeviceKind,
    Extension,
    Hotline,
    RecordingOverride,
    RingMethod,
    Role,
    User,
)
from server.domain.security import ha1, new_sip_password
from server.domain.tenancy import get_in_company
from server.domain.uniqueness import commit_or_conflict, ensure_free
from server.domain.validation import (
    check_extension,
    check_password,
    check_sip_username,
    normalize_email,
    normalize_phone,
)

USER_DETAILS = (selectinload(User.extensions), selectinload(User.devices), selectinload(User.company))


async def get_user(session: AsyncSession, *, company_id: int, user_id: int) -> User:
    return await get_in_company(
        session, User, company_id=company_id, row_id=user_id, entity="user", options=USER_DETAILS
    )


async def list_users(session: AsyncSession, *, company_id: int) -> list[User]:
    result = await session.scalars(
        select(User).where(User.company_id == company_id).options(*USER_DETAILS).order_by(User.id)
    )
    return list(result)


async def bump_revision(
    session: AsyncSession, *, user_ids: Iterable[int] | None = None, company_id: int
) -> None:
    """Tell apps to refetch their provisioning document (one user, or everybody in the company)."""
    query = update(User).where(User.company_id == company_id)
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    await session.execute(query.values(revision=User.revision + 1))


async def _ensure_unique_login(
    session: AsyncSession, *, phone: str | None, email: str | None, except_user: int | None = None
) -> None:
    others = select(User.id) if except_user is None else select(User.id).where(User.id != except_user)
    if phone is not None:
        await ensure_free(
            session,
            others.where(User.phone == phone),
            Conflict("duplicate_phone", "phone number already registered", fields={"phone": "taken"}),
        )
    if email is not None:
        await ensure_free(
            session,
            others.where(User.email == email),
            Conflict("duplicate_email", "e-mail already registered", fields={"email": "taken"}),
        )


def _extension_taken(number: str) -> Conflict:
    return Conflict(
        "duplicate_extension", f"extension {number} is already in use", fields={"extension": "taken"}
    )


async def _ensure_free_extension(session: AsyncSession, *, company_id: int, number: str) -> None:
    await ensure_free(
        session,
        select(Extension.id).where(Extension.company_id == company_id, Extension.number == number),
        _extension_taken(number),
    )


async def next_free_extension(session: AsyncSession, *, company_id: int, start: int = 101) -> str:
    used = set(await session.scalars(select(Extension.number).where(Extension.company_id == company_id)))
    for n in range(start, 10000):
        if str(n) not in used:
            return str(n)
    raise Conflict("no_free_extension", "every extension is in use")


def _normalize_mobile(value: str | None) -> str | None:
    return None if value in (None, "") else normalize_phone(value, field="mobile_number")


def apply_call_settings(user: User, changes: Mapping[str, Any]) -> None:
    """DND, auto-answer, ring method and mobile number; ring method "mobile" needs a valid mobile number."""
    if "mobile_number" in changes:
        user.mobile_number = _normalize_mobile(changes["mobile_number"])
    if changes.get("dnd") is not None:
        user.dnd = bool(changes["dnd"])
    if changes.get("auto_answer") is not None:
        user.auto_answer = bool(changes["auto_answer"])
    if changes.get("auto_answer_delay") is not None:
        user.auto_answer_delay = int(changes["auto_answer_delay"])
    if changes.get("ring_method") is not None:
        user.ring_method = RingMethod(changes["ring_method"]).value
    if user.ring_method == RingMethod.MOBILE and not user.mobile_number:
        raise InvalidInput(
            "mobile_number_required",
            "ring method 'mobile' needs a mobile number",
            fields={"mobile_number": "required for ring_method mobile"},
        )


def apply_recording(user: User, changes: Mapping[str, Any]) -> None:
    """The user's call recording override: inherit (the company's policy), always or never."""
    value = changes.get("recording")
    if value is None:
        return
    if value not in set(RecordingOverride):
        raise InvalidInput(
            "invalid_recording", "invalid recording setting", fields={"recording": "inherit, always or never"}
        )
    user.recording = str(value)


def usage_seconds(user: User, *, now_period: str) -> float:
    """Seconds used in the current month (a counter from an earlier month counts as zero)."""
    return user.seconds_used_this_month if user.usage_period == now_period else 0.0


async def create_user(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company: Company,
    full_name: str,
    phone: str,
    password: str,
    email: str | None = None,
    role: Role = Role.AGENT,
    extensions: Iterable[str] = (),
    desktop_device: bool = True,
    actor_id: int | None = None,
    commit: bool = True,
) -> User:
    phone = normalize_phone(phone)
    email = normalize_email(email) if email else None
    check_password(password)
    full_name = full_name.strip()
    if not full_name:
        raise InvalidInput("invalid_name", "full name is required", fields={"full_name": "required"})
    numbers = [check_extension(n) for n in extensions]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput(
            "duplicate_extension", "extension listed twice", fields={"extensions": "duplicate"}
        )
    await _ensure_unique_login(session, phone=phone, email=email)
    for number in numbers:
        await _ensure_free_extension(session, company_id=company.id, number=number)
    now = ctx.clock()
    user = User(
        company_id=company.id,
        full_name=full_name,
        phone=phone,
        email=email,
        role=Role(role).value,
        password_hash=await ctx.passwords.hash(password),
        active=True,
        failed_logins=0,
        allow_outbound=True,
        seconds_used_this_month=0.0,
        usage_period=period_of(now),
        auto_answer=False,
        auto_answer_delay=3,
        ring_method=RingMethod.ALL.value,
        dnd=False,
        revision=1,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    for number in numbers:
        session.add(Extension(company_id=company.id, user_id=user.id, number=number))
    if desktop_device:
        await session.flush()
        await new_device(session, ctx=ctx, company=company, user=user, kind=DeviceKind.DESKTOP)
    audit.record(
        session,
        ctx=ctx,
        company_id=company.id,
        actor_id=actor_id,
        action="create",
        entity="user",
        entity_id=user.id,
        detail={"full_name": full_name, "phone": phone, "role": user.role, "extensions": numbers},
    )
    if commit:
        await commit_or_conflict(
            session, Conflict("duplicate", "phone, e-mail or extension taken", fields={"phone": "conflict"})
        )
    return await get_user(session, company_id=company.id, user_id=user.id)


async def update_user(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    user_id: int,
    changes: Mapping[str, Any],
    actor_id: int | None,
) -> User:
    """Admin edit: identity, role, activation/lock, permissions and quota, call settings, default hotline."""
    user = await get_user(session, company_id=company_id, user_id=user_id)
    changes = dict(changes)
    if user.id == actor_id and (
        changes.get("role") not in (None, Role.ADMIN) or changes.get("active") is False
    ):
        raise Conflict("cannot_demote_self", "an admin cannot demote or disable their own account")
    if "phone" in changes and changes["phone"] is not None:
        phone = normalize_phone(changes["phone"])
        await _ensure_unique_login(session, phone=phone, email=None, except_user=user.id)
        user.phone = phone
    if "email" in changes:
        email = normalize_email(changes["email"]) if changes["email"] else None
        await _ensure_unique_login(session, phone=None, email=email, except_user=user.id)
        user.email = email
    if changes.get("full_name") is not None:
        if not changes["full_name"].strip():
            raise InvalidInput("invalid_name", "full name is required", fields={"full_name": "required"})
        user.full_name = changes["full_name"].strip()
    if changes.get("role") is not None:
        user.role = Role(changes["role"]).value
    if changes.get("active") is not None:
        user.active = bool(changes["active"])
    if changes.get("locked") is False:
        user.locked_until = None
        user.failed_logins = 0
    if changes.get("password") is not None:
        user.password_hash = await ctx.passwords.hash(check_password(changes["password"]))
    if changes.get("allow_outbound") is not None:
        user.allow_outbound = bool(changes["allow_outbound"])
    if "monthly_minutes" in changes:
        user.monthly_minutes = changes["monthly_minutes"]
    if changes.get("reset_usage"):
        user.seconds_used_this_month = 0.0
        user.usage_period = period_of(ctx.clock())
    if "default_hotline" in changes:
        number = changes["default_hotline"]
        if number is None:
            user.default_hotline_id = None
        else:
            hotline_id = await session.scalar(
                select(Hotline.id).where(Hotline.company_id == company_id, Hotline.number == number)
            )
            if hotline_id is None:
                raise InvalidInput(
                    "unknown_hotline",
                    "no such hotline in this company",
                    fields={"default_hotline": "unknown"},
                )
            user.default_hotline_id = hotline_id
    apply_call_settings(user, changes)
    apply_recording(user, changes)
    user.revision += 1
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="user",
        entity_id=user.id,
        detail=changes,
    )
    await commit_or_conflict(session, Conflict("duplicate", "phone or e-mail taken"))
    return await get_user(session, company_id=company_id, user_id=user.id)


async def delete_user(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, user_id: int, actor_id: int | None
) -> None:
    user = await get_user(session, company_id=company_id, user_id=user_id)
    if user.id == actor_id:
        raise Conflict("cannot_delete_self", "an admin cannot delete their own account")
    await audit.commit_deletion(
        session,
        user,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity="user",
        entity_id=user.id,
        detail={"full_name": user.full_name, "phone": user.phone},
    )


# --- extensions ------------------------------------------------------------------------------
async def add_extension(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    user_id: int,
    number: str,
    actor_id: int | None,
) -> Extension:
    number = check_extension(number)
    user = await get_user(session, company_id=company_id, user_id=user_id)
    await _ensure_free_extension(session, company_id=company_id, number=number)
    extension = Extension(company_id=company_id, user_id=user.id, number=number)
    session.add(extension)
    user.revision += 1
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="create",
        entity="extension",
        entity_id=user.id,
        detail={"user_id": user.id, "number": number},
    )
    await commit_or_conflict(session, _extension_taken(number))
    return extension


async def remove_extension(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    user_id: int,
    number: str,
    actor_id: int | None,
) -> None:
    user = await get_user(session, company_id=company_id, user_id=user_id)
    extension = next((e for e in user.extensions if e.number == number), None)
    if extension is None:
        raise NotFound("extension")
    user.revision += 1
    await audit.commit_deletion(
        session,
        extension,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity="extension",
        entity_id=user.id,
        detail={"user_id": user.id, "number": number},
    )


# --- devices ---------------------------------------------------------------------------------
def set_device_password(device: Device, *, domain: str, password: str) -> None:
    device.sip_password = password
    device.ha1_md5 = ha1("md5", device.sip_username, domain, password)
    device.ha1_sha256 = ha1("sha256", device.sip_username, domain, password)


async def _free_sip_username(session: AsyncSession, *, company_id: int, base: str) -> str:
    taken = set(
        await session.scalars(
            select(Device.sip_username).where(
                Device.company_id == company_id, Device.sip_username.like(f"{base}%")
            )
        )
    )
    if base not in taken:
        return base
    for n in range(2, 1000):
        if f"{base}{n}" not in taken:
            return f"{base}{n}"
    raise Conflict("no_free_sip_username", "no free SIP username")


def _sip_username_taken() -> Conflict:
    return Conflict("duplicate_sip_username", "SIP username taken", fields={"sip_username": "taken"})


async def new_device(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company: Company,
    user: User,
    kind: DeviceKind,
    label: str = "",
    sip_username: str | None = None,
    sip_password: str | None = None,
) -> Device:
    if sip_username is None:
        first_ext = await session.scalar(
            select(Extension.number).where(Extension.user_id == user.id).order_by(Extension.number).limit(1)
        )
        sip_username = await _free_sip_username(
            session,
            company_id=company.id,
            base=f"u{first_ext or user.id}-{DeviceKind(kind).value.replace('_', '')}",
        )
    else:
        check_sip_username(sip_username)
        await ensure_free(
            session,
            select(Device.id).where(Device.company_id == company.id, Device.sip_username == sip_username),
            _sip_username_taken(),
        )
    device = Device(
        company_id=company.id,
        user_id=user.id,
        kind=DeviceKind(kind).value,
        label=label,
        sip_username=sip_username,
        enabled=True,
        created_at=ctx.clock(),
    )
    set_device_password(device, domain=company.sip_domain, password=sip_password or new_sip_password())
    session.add(device)
    await session.flush()
    return device


async def get_device(session: AsyncSession, *, company_id: int, device_id: int) -> Device:
    return await get_in_company(session, Device, company_id=company_id, row_id=device_id, entity="device")


async def add_device(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    user_id: int,
    kind: DeviceKind,
    label: str = "",
    sip_username: str | None = None,
    sip_password: str | None = None,
    actor_id: int | None,
) -> Device:
    user = await get_user(session, company_id=company_id, user_id=user_id)
    if sip_password is not None and len(sip_password) < 6:
        raise InvalidInput("weak_password", "SIP password too short", fields={"sip_password": "at least 6"})
    device = await new_device(
        session,
        ctx=ctx,
        company=user.company,
        user=user,
        kind=kind,
        label=label,
        sip_username=sip_username,
        sip_password=sip_password,
    )
    user.revision += 1
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="create",
        entity="device",
        entity_id=device.id,
        detail={"user_id": user.id, "kind": device.kind, "sip_username": device.sip_username},
    )
    await commit_or_conflict(session, _sip_username_taken())
    return device


async def list_devices(session: AsyncSession, *, company_id: int, user_id: int) -> list[Device]:
    user = await get_user(session, company_id=company_id, user_id=user_id)
    return list(user.devices)


async def update_device(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    device_id: int,
    changes: Mapping[str, Any],
    actor_id: int | None,
) -> Device:
    device = await get_device(session, company_id=company_id, device_id=device_id)
    if changes.get("label") is not None:
        device.label = changes["label"]
    if changes.get("enabled") is not None:
        device.enabled = bool(changes["enabled"])
    new_password = changes.get("sip_password")
    if changes.get("regenerate_password"):
        new_password = new_sip_password()
    if new_password is not None:
        if len(new_password) < 6:
            raise InvalidInput(
                "weak_password", "SIP password too short", fields={"sip_password": "at least 6"}
            )
        domain = await session.scalar(select(Company.sip_domain).where(Company.id == company_id))
        assert domain is not None
        set_device_password(device, domain=domain, password=new_password)
    await bump_revision(session, user_ids=[device.user_id], company_id=company_id)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="device",
        entity_id=device.id,
        detail={k: v for k, v in changes.items() if k != "sip_password"}
        | ({"sip_password": "changed"} if new_password is not None else {}),
    )
    await session.commit()
    return device


async def delete_device(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, device_id: int, actor_id: int | None
) -> None:
    device = await get_device(session, company_id=company_id, device_id=device_id)
    await bump_revision(session, user_ids=[device.user_id], company_id=company_id)
    await audit.commit_deletion(
        session,
        device,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity="device",
        entity_id=device.id,
        detail={"user_id": device.user_id, "sip_username": device.sip_username},
    )


async def count_admins(session: AsyncSession, *, company_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(User.id)).where(User.company_id == company_id, User.role == Role.ADMIN.value)
        )
        or 0
    )
