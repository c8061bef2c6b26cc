"""Desk phones, as admins manage them: a MAC, vendor and model, the lines it serves (each its own SIP
`Device`), BLF keys for colleagues, per-phone overrides, its pairing window and its file URL's token.

Every function takes the caller's `company_id` and touches only that company's rows; every change is
audited without secrets (no SIP or web UI password, no token, no override value).  What a phone fetches is
`server.domain.desk_phone_files`; the vendors themselves are `server.phones`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.domain import audit
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput
from server.domain.models import Company, DeskPhone, DeskPhoneLine, Device, DeviceKind, Extension, User
from server.domain.people import bump_revision, get_user, new_device
from server.domain.security import digest, new_sip_password, new_token
from server.domain.tenancy import get_in_company
from server.domain.uniqueness import commit_or_conflict, ensure_free
from server.domain.validation import check_extension
from server.phones import catalog
from server.phones.vendor import Model, Vendor, clean_value, format_mac, normalize_mac

TRANSPORTS = ("udp", "tcp", "tls")
MAX_OVERRIDES = 200
MAX_LABEL = 32


# --- what the API and the console show ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DeskPhoneLineView:
    position: int
    device_id: int
    sip_username: str
    user_id: int
    user_name: str
    extension: str | None


@dataclass(frozen=True, slots=True)
class BlfKeyView:
    extension: str
    label: str  # as configured ("" = the colleague's name, filled in when the file is served)


@dataclass(frozen=True, slots=True)
class DeskPhoneView:
    """A desk phone without its secrets."""

    id: int
    mac: str  # "00:15:65:00:01:03"
    vendor: str
    model: str
    label: str
    transport: str
    user_id: int
    lines: tuple[DeskPhoneLineView, ...]
    blf_keys: tuple[BlfKeyView, ...]
    overrides: Mapping[str, str]
    pairing_until: datetime | None  # open pairing window (None: closed)
    pairing_file: str  # what the phone asks for by MAC: "/phones/" + this
    paired_at: datetime | None
    has_token: bool
    token_created_at: datetime | None
    last_fetch_at: datetime | None
    last_fetch_address: str | None
    last_user_agent: str | None
    last_firmware: str | None
    last_file: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeskPhoneSecrets:
    admin_password: str  # the phone's web UI, user "admin"
    lines: tuple[tuple[int, str, str], ...]  # (position, SIP username, SIP password)


@dataclass(frozen=True, slots=True)
class ModelView:
    name: str
    lines: int
    keys: int


@dataclass(frozen=True, slots=True)
class VendorView:
    name: str
    label: str
    models: tuple[ModelView, ...]
    pairing_file_example: str
    override_example: str
    lines_take_keys: bool


def vendor_catalog() -> list[VendorView]:
    """The vendors and models admins can add (for forms and the API)."""
    return [
        VendorView(
            name=v.name,
            label=v.label,
            models=tuple(ModelView(m.name, m.lines, m.keys) for m in v.models.values()),
            pairing_file_example=v.pairing_file("001565000103"),
            override_example=v.override_example,
            lines_take_keys=v.lines_take_keys,
        )
        for v in catalog.VENDORS
    ]


# --- input rules -------------------------------------------------------------------------------
def check_mac(value: str) -> str:
    mac = normalize_mac(value)
    if mac is None or int(mac[:2], 16) & 1:  # the group bit: a multicast address is no phone
        raise InvalidInput(
            "invalid_mac",
            "not a phone's MAC address",
            fields={"mac": "12 hex digits, e.g. 00:15:65:00:01:03"},
        )
    return mac


def _vendor_and_model(vendor_name: str, model_name: str) -> tuple[Vendor, Model]:
    vendor = catalog.vendor(vendor_name)
    if vendor is None:
        names = ", ".join(v.name for v in catalog.VENDORS)
        raise InvalidInput("unknown_vendor", "unknown phone vendor", fields={"vendor": f"one of {names}"})
    model = vendor.model(model_name)
    if model is None:
        names = ", ".join(vendor.models)
        raise InvalidInput(
            "unknown_model", f"unknown {vendor.label} model", fields={"model": f"one of {names}"}
        )
    return vendor, model


def _check_transport(ctx: DomainContext, transport: str) -> str:
    if transport not in TRANSPORTS:
        raise InvalidInput("invalid_transport", "unknown transport", fields={"transport": "udp, tcp or tls"})
    if transport == "tls" and not ctx.pbx.tls_port:
        raise InvalidInput(
            "tls_not_configured", "the PBX has no TLS port", fields={"transport": "set sip_tls_port first"}
        )
    return transport


def _check_overrides(vendor: Vendor, overrides: Mapping[str, Any] | None) -> dict[str, str]:
    if not overrides:
        return {}
    if len(overrides) > MAX_OVERRIDES:
        raise InvalidInput(
            "too_many_overrides", "too many overrides", fields={"overrides": f"≤ {MAX_OVERRIDES}"}
        )
    clean: dict[str, str] = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or len(key) > 100 or not vendor.override_key.fullmatch(key):
            raise InvalidInput(
                "invalid_override",
                f"not a {vendor.label} setting name: {str(key)[:100]!r}",
                fields={"overrides": f"e.g. {vendor.override_example}"},
            )
        text = value if isinstance(value, str) else str(value) if isinstance(value, int | float) else None
        if text is None or len(text) > 512 or not clean_value(text):
            raise InvalidInput(
                "invalid_override",
                f"bad value for {key}",
                fields={"overrides": "text up to 512 characters, no line breaks"},
            )
        clean[key] = text
    return clean


def _check_label(value: str, *, field: str, limit: int = 100) -> str:
    value = value.strip()
    if len(value) > limit or not clean_value(value):
        raise InvalidInput("invalid_label", "label too long or not printable", fields={field: f"≤ {limit}"})
    return value


async def _check_blf_keys(
    session: AsyncSession, *, company_id: int, keys: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """Each key an existing extension of the company, once; labels short and printable."""
    seen: set[str] = set()
    clean: list[dict[str, str]] = []
    for key in keys:
        extension = check_extension(str(key.get("extension", "")), field="blf_keys")
        if extension in seen:
            raise InvalidInput(
                "duplicate_blf_key", f"extension {extension} listed twice", fields={"blf_keys": extension}
            )
        seen.add(extension)
        exists = await session.scalar(
            select(Extension.id).where(Extension.company_id == company_id, Extension.number == extension)
        )
        if exists is None:
            raise InvalidInput(
                "unknown_extension", f"no extension {extension}", fields={"blf_keys": extension}
            )
        label = _check_label(str(key.get("label") or ""), field="blf_keys", limit=MAX_LABEL)
        clean.append({"extension": extension, "label": label})
    return clean


# --- reading ------------------------------------------------------------------------------------
async def _phone(session: AsyncSession, *, company_id: int, desk_phone_id: int) -> DeskPhone:
    return await get_in_company(
        session,
        DeskPhone,
        company_id=company_id,
        row_id=desk_phone_id,
        entity="desk phone",
        options=(selectinload(DeskPhone.extra_lines),),
    )


def not_a_desk_phone_line() -> ColumnElement[bool]:
    """For queries of `Device`: not a line of a desk phone.  Those are provisioned by the phone's token URL
    only; apps never list, activate or QR-provision them (their passwords stay with the phone)."""
    return and_(
        Device.id.not_in(select(DeskPhone.device_id)), Device.id.not_in(select(DeskPhoneLine.device_id))
    )


def line_positions(phone: DeskPhone) -> dict[int, int]:
    """Device id -> line position, for a phone loaded with its `extra_lines`."""
    return {phone.device_id: 1} | {line.device_id: line.position for line in phone.extra_lines}


def users_extension() -> ScalarSelect[str]:
    """The extension shown for `User` in a query that joins it: the lowest of theirs."""
    return (
        select(Extension.number)
        .where(Extension.user_id == User.id)
        .order_by(Extension.number)
        .limit(1)
        .scalar_subquery()
    )


async def _lines(session: AsyncSession, phone: DeskPhone) -> list[DeskPhoneLineView]:
    positions = line_positions(phone)
    rows = await session.execute(
        select(Device.id, Device.sip_username, User.id, User.full_name, users_extension())
        .join(User, User.id == Device.user_id)
        .where(Device.id.in_(list(positions)))
    )
    views = [
        DeskPhoneLineView(positions[device_id], device_id, username, user_id, name, extension)
        for device_id, username, user_id, name, extension in rows
    ]
    return sorted(views, key=lambda v: v.position)


async def _view(session: AsyncSession, phone: DeskPhone, *, now: datetime) -> DeskPhoneView:
    vendor = catalog.vendor(phone.vendor)
    window_open = phone.pairing_until is not None and phone.pairing_until > now
    return DeskPhoneView(
        id=phone.id,
        mac=format_mac(phone.mac),
        vendor=phone.vendor,
        model=phone.model,
        label=phone.label,
        transport=phone.transport,
        user_id=phone.user_id,
        lines=tuple(await _lines(session, phone)),
        blf_keys=tuple(BlfKeyView(k["extension"], k.get("label", "")) for k in phone.blf_keys),
        overrides=dict(phone.overrides),
        pairing_until=phone.pairing_until if window_open else None,
        pairing_file=vendor.pairing_file(phone.mac) if vendor else "",
        paired_at=phone.paired_at,
        has_token=phone.token_hash is not None,
        token_created_at=phone.token_created_at,
        last_fetch_at=phone.last_fetch_at,
        last_fetch_address=phone.last_fetch_address,
        last_user_agent=phone.last_user_agent,
        last_firmware=phone.last_firmware,
        last_file=phone.last_file,
        created_at=phone.created_at,
    )


async def list_desk_phones(
    session: AsyncSession, *, ctx: DomainContext, company_id: int
) -> list[DeskPhoneView]:
    phones = await session.scalars(
        select(DeskPhone)
        .where(DeskPhone.company_id == company_id)
        .options(selectinload(DeskPhone.extra_lines))
        .order_by(DeskPhone.id)
    )
    now = ctx.clock()
    return [await _view(session, p, now=now) for p in phones]


async def get_desk_phone(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, desk_phone_id: int
) -> DeskPhoneView:
    phone = await _phone(session, company_id=company_id, desk_phone_id=desk_phone_id)
    return await _view(session, phone, now=ctx.clock())


# --- writing ------------------------------------------------------------------------------------
def _pairing_until(ctx: DomainContext, minutes: int | None) -> datetime:
    minutes = ctx.desk_phones.pairing_minutes if minutes is None else minutes
    if not 1 <= minutes <= 7 * 24 * 60:
        raise InvalidInput(
            "invalid_pairing_window", "pairing window out of range", fields={"minutes": "1-10080"}
        )
    return ctx.clock() + timedelta(minutes=minutes)


def _device_label(vendor: Vendor, model: str, mac: str, position: int) -> str:
    line = f" line {position}" if position > 1 else ""
    return f"{vendor.label} {model} {format_mac(mac)}{line}"


async def _line_device(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company: Company,
    user_id: int,
    vendor: Vendor,
    model: str,
    mac: str,
    position: int,
) -> Device:
    """A new SIP device (kind ip_phone, own password) of `user_id` for one line of the phone."""
    user = await get_user(session, company_id=company.id, user_id=user_id)
    device = await new_device(
        session,
        ctx=ctx,
        company=company,
        user=user,
        kind=DeviceKind.IP_PHONE,
        label=_device_label(vendor, model, mac, position),
    )
    user.revision += 1
    return device


def _check_capacity(vendor: Vendor, model: Model, *, lines: int, blf_keys: int) -> None:
    """The model has `lines` SIP accounts and, next to their keys, room for `blf_keys` BLF keys."""
    if lines > model.lines:
        raise InvalidInput(
            "too_many_lines",
            f"{model.name} has {model.lines} lines",
            fields={"line_user_ids": f"≤ {model.lines - 1}"},
        )
    capacity = vendor.blf_capacity(model, lines)
    if blf_keys > capacity:
        raise InvalidInput(
            "too_many_blf_keys",
            f"this phone has room for {capacity} BLF keys",
            fields={"blf_keys": f"≤ {capacity}"},
        )


async def add_desk_phone(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    mac: str,
    vendor: str,
    model: str,
    user_id: int,
    label: str = "",
    line_user_ids: Sequence[int] = (),
    blf_keys: Sequence[Mapping[str, Any]] = (),
    overrides: Mapping[str, Any] | None = None,
    transport: str = "udp",
    pairing_minutes: int | None = None,
    actor_id: int | None,
) -> DeskPhoneView:
    """Add a phone for `user_id` (line 1; `line_user_ids` for lines 2+) and open its pairing window."""
    mac = check_mac(mac)
    phone_vendor, phone_model = _vendor_and_model(vendor, model)
    _check_capacity(phone_vendor, phone_model, lines=1 + len(line_user_ids), blf_keys=len(blf_keys))
    transport = _check_transport(ctx, transport)
    label = _check_label(label, field="label")
    clean_overrides = _check_overrides(phone_vendor, overrides)
    keys = await _check_blf_keys(session, company_id=company_id, keys=blf_keys)
    await ensure_free(
        session,
        select(DeskPhone.id).where(DeskPhone.company_id == company_id, DeskPhone.mac == mac),
        _mac_taken(),
    )
    company = await session.get(Company, company_id)
    assert company is not None
    until = _pairing_until(ctx, pairing_minutes)
    first = await _line_device(
        session,
        ctx=ctx,
        company=company,
        user_id=user_id,
        vendor=phone_vendor,
        model=model,
        mac=mac,
        position=1,
    )
    phone = DeskPhone(
        company_id=company_id,
        user_id=user_id,
        device_id=first.id,
        mac=mac,
        vendor=phone_vendor.name,
        model=phone_model.name,
        label=label,
        transport=transport,
        blf_keys=keys,
        overrides=clean_overrides,
        admin_password=new_sip_password(),  # 16 random letters and digits, as for SIP
        pairing_until=until,
        created_at=ctx.clock(),
    )
    session.add(phone)
    await session.flush()
    await _add_extra_lines(session, ctx=ctx, company=company, phone=phone, user_ids=line_user_ids, start=2)
    record_event(
        session,
        ctx,
        phone,
        actor_id,
        "create",
        {
            "vendor": phone.vendor,
            "model": phone.model,
            "user_id": user_id,
            "line_user_ids": list(line_user_ids),
            "blf_keys": [k["extension"] for k in keys],
            "override_keys": sorted(clean_overrides),
            "pairing_until": until.isoformat(),
        },
    )
    await commit_or_conflict(session, _mac_taken())
    return await get_desk_phone(session, ctx=ctx, company_id=company_id, desk_phone_id=phone.id)


def _mac_taken() -> Conflict:
    return Conflict("duplicate_mac", "this MAC address is already a desk phone", fields={"mac": "taken"})


async def _add_extra_lines(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company: Company,
    phone: DeskPhone,
    user_ids: Iterable[int],
    start: int,
) -> None:
    vendor = catalog.vendor(phone.vendor)
    assert vendor is not None
    for position, user_id in enumerate(user_ids, start=start):
        device = await _line_device(
            session,
            ctx=ctx,
            company=company,
            user_id=user_id,
            vendor=vendor,
            model=phone.model,
            mac=phone.mac,
            position=position,
        )
        session.add(
            DeskPhoneLine(
                company_id=company.id, desk_phone_id=phone.id, position=position, device_id=device.id
            )
        )


async def update_desk_phone(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    desk_phone_id: int,
    changes: Mapping[str, Any],
    actor_id: int | None,
) -> DeskPhoneView:
    """Change label, model, transport, lines 2+ (`line_user_ids`: new devices replace the old ones),
    BLF keys or overrides.  The phone picks the change up at its next fetch."""
    phone = await _phone(session, company_id=company_id, desk_phone_id=desk_phone_id)
    vendor, model = _vendor_and_model(phone.vendor, changes.get("model") or phone.model)
    line_user_ids = changes.get("line_user_ids")
    extra_count = len(line_user_ids) if line_user_ids is not None else len(phone.extra_lines)
    blf_keys = changes["blf_keys"] if changes.get("blf_keys") is not None else phone.blf_keys
    _check_capacity(vendor, model, lines=1 + extra_count, blf_keys=len(blf_keys))
    detail: dict[str, Any] = {}
    if changes.get("label") is not None:
        phone.label = detail["label"] = _check_label(changes["label"], field="label")
    if changes.get("model") is not None:
        phone.model = detail["model"] = model.name
    if changes.get("transport") is not None:
        phone.transport = detail["transport"] = _check_transport(ctx, changes["transport"])
    if changes.get("blf_keys") is not None:
        phone.blf_keys = await _check_blf_keys(session, company_id=company_id, keys=changes["blf_keys"])
        detail["blf_keys"] = [k["extension"] for k in phone.blf_keys]
    if changes.get("overrides") is not None:
        phone.overrides = _check_overrides(vendor, changes["overrides"])
        detail["override_keys"] = sorted(phone.overrides)
    if line_user_ids is not None:
        old_devices = [line.device_id for line in phone.extra_lines]
        phone.extra_lines.clear()
        await session.flush()
        for device_id in old_devices:
            device = await session.get(Device, device_id)
            if device is not None:
                await bump_revision(session, user_ids=[device.user_id], company_id=company_id)
                await session.delete(device)
        company = await session.get(Company, company_id)
        assert company is not None
        await _add_extra_lines(
            session, ctx=ctx, company=company, phone=phone, user_ids=line_user_ids, start=2
        )
        detail["line_user_ids"] = list(line_user_ids)
    record_event(session, ctx, phone, actor_id, "update", detail)
    await session.commit()
    session.expire(phone)  # lines 2+ were replaced through the session, not the loaded collection
    return await get_desk_phone(session, ctx=ctx, company_id=company_id, desk_phone_id=desk_phone_id)


async def delete_desk_phone(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, desk_phone_id: int, actor_id: int | None
) -> None:
    """Remove the phone and the SIP devices of its lines (its token dies with them)."""
    phone = await _phone(session, company_id=company_id, desk_phone_id=desk_phone_id)
    device_ids = [phone.device_id, *(line.device_id for line in phone.extra_lines)]
    user_ids = set()
    await session.delete(phone)
    await session.flush()  # the phone row first: its devices' ON DELETE CASCADE would race the ORM
    for device_id in device_ids:
        device = await session.get(Device, device_id)
        if device is not None:
            user_ids.add(device.user_id)
            await session.delete(device)
    await bump_revision(session, user_ids=user_ids, company_id=company_id)
    record_event(session, ctx, phone, actor_id, "delete", {"vendor": phone.vendor, "model": phone.model})
    await session.commit()


async def open_pairing(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    desk_phone_id: int,
    minutes: int | None = None,
    actor_id: int | None,
) -> DeskPhoneView:
    """(Re)open the pairing window: the next by-MAC fetch from the phone's vendor gets a new token URL."""
    phone = await _phone(session, company_id=company_id, desk_phone_id=desk_phone_id)
    phone.pairing_until = _pairing_until(ctx, minutes)
    record_event(
        session, ctx, phone, actor_id, "open_pairing", {"pairing_until": phone.pairing_until.isoformat()}
    )
    await session.commit()
    return await _view(session, phone, now=ctx.clock())


async def close_pairing(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, desk_phone_id: int, actor_id: int | None
) -> DeskPhoneView:
    phone = await _phone(session, company_id=company_id, desk_phone_id=desk_phone_id)
    phone.pairing_until = None
    record_event(session, ctx, phone, actor_id, "close_pairing", {})
    await session.commit()
    return await _view(session, phone, now=ctx.clock())


async def rotate_token(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    desk_phone_id: int,
    base_url: str,
    actor_id: int | None,
) -> str:
    """A new token for the phone's file URL; the old URL stops working at once.  Returns the new URL (shown
    once, stored only as a digest): enter it as the phone's provisioning URL, or reopen pairing instead."""
    phone = await _phone(session, company_id=company_id, desk_phone_id=desk_phone_id)
    token = new_token()
    phone.token_hash = digest(token)
    phone.token_created_at = ctx.clock()
    record_event(session, ctx, phone, actor_id, "rotate_token", {})
    await session.commit()
    return token_url(base_url, token)


def token_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/{token}/"


async def desk_phone_secrets(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, desk_phone_id: int, actor_id: int | None
) -> DeskPhoneSecrets:
    """The web UI password and each line's SIP credentials, for an admin at the phone (audited)."""
    phone = await _phone(session, company_id=company_id, desk_phone_id=desk_phone_id)
    positions = line_positions(phone)
    devices = await session.scalars(select(Device).where(Device.id.in_(list(positions))))
    lines = sorted((positions[d.id], d.sip_username, d.sip_password) for d in devices)
    record_event(session, ctx, phone, actor_id, "view_secrets", {})
    await session.commit()
    return DeskPhoneSecrets(admin_password=phone.admin_password, lines=tuple(lines))


def record_event(
    session: AsyncSession,
    ctx: DomainContext,
    phone: DeskPhone,
    actor_id: int | None,
    action: str,
    detail: Mapping[str, Any],
) -> None:
    """An audit entry about `phone` (its MAC added); `detail` must hold no secret."""
    audit.record(
        session,
        ctx=ctx,
        company_id=phone.company_id,
        actor_id=actor_id,
        action=action,
        entity="desk_phone",
        entity_id=phone.id,
        detail={"mac": format_mac(phone.mac), **detail},
    )
