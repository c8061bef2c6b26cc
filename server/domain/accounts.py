"""An agent's own SIP accounts: the list they may activate, the provisioning document, and their settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.clock import period_of
from server.domain.context import DomainContext
from server.domain.db import commit_bookkeeping
from server.domain.desk_phones import not_a_desk_phone_line
from server.domain.errors import Conflict, Forbidden, NotFound
from server.domain.models import Company, Device, Extension, Hotline, User
from server.domain.people import apply_call_settings, usage_seconds

CODECS = ("G722/16000", "PCMU/8000", "PCMA/8000")
ECHO_TEST = "*43"
ACTIVATION_RECORD_INTERVAL = timedelta(minutes=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountSummary:
    device_id: int
    company_name: str
    sip_domain: str
    extension: str | None
    display_name: str
    device_kind: str
    sip_username: str


def _first_extension_of(user_id: int) -> Select[str]:
    """The extension shown as the user's own: the lowest of theirs."""
    return select(Extension.number).where(Extension.user_id == user_id).order_by(Extension.number).limit(1)


# Activation is the hot path of the API: its statements are built once, with bound parameters (building a
# select costs about as much CPU as running it on SQLite).
_OWN_DEVICE = select(
    Device, _first_extension_of(bindparam("user_id")).scalar_subquery()  # type: ignore[arg-type]
).where(Device.id == bindparam("device_id"), Device.user_id == bindparam("user_id"), not_a_desk_phone_line())
_HOTLINES = select(Hotline).where(Hotline.company_id == bindparam("company_id")).order_by(Hotline.id)


async def _first_extension(session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(_first_extension_of(user_id))


async def list_accounts(session: AsyncSession, *, user: User) -> list[AccountSummary]:
    company = await session.get(Company, user.company_id)
    assert company is not None
    extension = await _first_extension(session, user.id)
    devices = await session.scalars(
        select(Device)
        .where(Device.user_id == user.id, Device.enabled.is_(True), not_a_desk_phone_line())
        .order_by(Device.id)
    )
    return [
        AccountSummary(
            device_id=d.id,
            company_name=company.name,
            sip_domain=company.sip_domain,
            extension=extension,
            display_name=user.full_name,
            device_kind=d.kind,
            sip_username=d.sip_username,
        )
        for d in devices
    ]


async def own_device(session: AsyncSession, *, user: User, device_id: int) -> Device:
    device = await session.scalar(
        select(Device).where(Device.id == device_id, Device.user_id == user.id, not_a_desk_phone_line())
    )
    return _usable(device)


async def _own_device_and_extension(
    session: AsyncSession, *, user: User, device_id: int
) -> tuple[Device, str | None]:
    """`own_device` and the user's extension in one round trip (activation is the hot path)."""
    row = (await session.execute(_OWN_DEVICE, {"device_id": device_id, "user_id": user.id})).first()
    device, extension = row if row is not None else (None, None)
    return _usable(device), extension


def _usable(device: Device | None) -> Device:
    if device is None:
        raise NotFound("device")
    if not device.enabled:
        raise Forbidden("device_disabled", "this device is disabled by the administrator")
    return device


async def provisioning_document(
    session: AsyncSession, *, ctx: DomainContext, user: User, device: Device
) -> dict[str, Any]:
    """The JSON document of docs/api-contract.md for one device of `user`."""
    extension = await _first_extension(session, user.id)
    return await _document(session, ctx=ctx, user=user, device=device, extension=extension)


async def _document(
    session: AsyncSession, *, ctx: DomainContext, user: User, device: Device, extension: str | None
) -> dict[str, Any]:
    """`provisioning_document` with the user's extension already known."""
    company = await session.get(Company, user.company_id)
    assert company is not None
    hotlines = list(await session.scalars(_HOTLINES, {"company_id": company.id}))
    default_id = user.default_hotline_id or (hotlines[0].id if hotlines else None)
    pbx = ctx.pbx
    transports: list[dict[str, Any]] = [{"type": "udp", "port": pbx.port}, {"type": "tcp", "port": pbx.port}]
    if pbx.tls_port:
        transports.append({"type": "tls", "port": pbx.tls_port})
    carriers = {h.carrier for h in hotlines if h.carrier}
    used = usage_seconds(user, now_period=period_of(ctx.clock()))
    return {
        "revision": user.revision,
        "account": {
            "display_name": user.full_name,
            "extension": extension,
            "sip_domain": company.sip_domain,
            "sip_username": device.sip_username,
            "sip_password": device.sip_password,
            "auth_realm": company.sip_domain,
            "registrar": f"sip:{pbx.host}:{pbx.port}",
            "proxy": f"sip:{pbx.host}:{pbx.port};lr",
            "transports": transports,
            "srtp": pbx.srtp,
            "register_expires": pbx.register_expires,
        },
        "codecs": list(CODECS),
        "hotlines": [
            {"number": h.number, "carrier": h.carrier, "label": h.label, "default": h.id == default_id}
            for h in hotlines
        ],
        "adaptive_number": len(carriers) > 1,
        "permissions": {
            "outbound": user.allow_outbound,
            "monthly_minutes": user.monthly_minutes,
            "minutes_used": round(used / 60.0, 2),
        },
        "ring_method": user.ring_method,
        "mobile_number": user.mobile_number,
        "auto_answer": {"enabled": user.auto_answer, "delay": user.auto_answer_delay},
        "dnd": user.dnd,
        "echo_test": ECHO_TEST,
        "directory_url": "/api/v1/directory",
    }


def activation_email(
    *, user: User, company: Company, device: Device, extension: str | None, ctx: DomainContext
) -> str:
    """The activation message, Vietnamese first then English, as the seed product sends it."""
    details = (
        f"  Máy lẻ / Extension:            {extension or '-'}\n"
        f"  Tài khoản SIP / SIP username:  {device.sip_username}\n"
        f"  Mật khẩu SIP / SIP password:   {device.sip_password}\n"
        f"  Tên miền SIP / SIP domain:     {company.sip_domain}\n"
        f"  Máy chủ / Server:              {ctx.pbx.host}:{ctx.pbx.port}\n"
        f"  Cấu hình / Provisioning:       {ctx.public_base_url}/api/v1\n"
    )
    return (
        f"Xin chào {user.full_name},\n\n"
        f"Tài khoản softphone của bạn tại {company.name} đã được kích hoạt.\n"
        f"Your softphone account at {company.name} is active.\n\n"
        f"{details}\n"
        "Vui lòng không chia sẻ mật khẩu này. / Please keep this password to yourself.\n"
    )


async def send_activation_email(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    user: User,
    device: Device,
    extension: str | None,
    wait: bool = True,
) -> bool:
    """E-mail the device's credentials to the user; False (logged, never raised) when there is no address
    or the mail server refuses: activation must not fail because SMTP is down.  With `wait=False` the
    message is composed now and handed to the mail server after the response (True: it was queued), so
    a slow SMTP server does not hold up the app's activation."""
    if not user.email:
        return False
    company = await session.get(Company, user.company_id)
    assert company is not None
    subject = f"Softphone: máy lẻ {extension or '-'} đã kích hoạt / extension {extension or '-'} activated"
    body = activation_email(user=user, company=company, device=device, extension=extension, ctx=ctx)
    delivery = _deliver(ctx, user.email, subject, body, device.id)
    if wait:
        return await delivery
    ctx.background.spawn(delivery, f"activation e-mail for device {device.id}")
    return True


async def _deliver(ctx: DomainContext, to: str, subject: str, body: str, device_id: int) -> bool:
    try:
        await ctx.mail.send_email(to, subject, body)
    except Exception as exc:  # any sender failure (refused, timeout, auth): report, keep the activation
        log.warning("activation e-mail to %s for device %d not sent: %s", to, device_id, type(exc).__name__)
        return False
    return True


async def activate(
    session: AsyncSession, *, ctx: DomainContext, user: User, device_id: int, send_email: bool = False
) -> dict[str, Any]:
    """Mark the device active and return its document.  The credentials are e-mailed (after the response)
    on the device's first activation, and again only when `send_email` asks for it.

    `activated_at` tells admins when the device last activated, to the minute: an app that re-activates on
    every start (or a client retrying) does not cost a database write each time."""
    device, extension = await _own_device_and_extension(session, user=user, device_id=device_id)
    now = ctx.clock()
    last = device.activated_at
    first = last is None
    if last is None or now - last >= ACTIVATION_RECORD_INTERVAL:
        device.activated_at = now
        await commit_bookkeeping(session)
    document = await _document(session, ctx=ctx, user=user, device=device, extension=extension)
    if first or send_email:
        await send_activation_email(
            session, ctx=ctx, user=user, device=device, extension=extension, wait=False
        )
    return document


async def resend_activation_email(
    session: AsyncSession, *, ctx: DomainContext, user: User, device_id: int
) -> bool:
    """Send the activation e-mail of an already activated device again."""
    device, extension = await _own_device_and_extension(session, user=user, device_id=device_id)
    if device.activated_at is None:
        raise Conflict("device_not_activated", "activate this device first")
    if not user.email:
        raise Conflict("no_email", "add an e-mail address to your profile first")
    return await send_activation_email(session, ctx=ctx, user=user, device=device, extension=extension)


async def update_my_settings(
    session: AsyncSession, *, ctx: DomainContext, user: User, changes: dict[str, Any]
) -> User:
    apply_call_settings(user, changes)
    user.revision += 1
    await session.commit()
    return user


async def device_credentials(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, device_id: int, form: str
) -> dict[str, Any]:
    """A device's SIP settings laid out the way a web softphone or an IP phone's admin page asks for them."""
    device = await session.scalar(
        select(Device).where(Device.id == device_id, Device.company_id == company_id)
    )
    if device is None:
        raise NotFound("device")
    user = await session.get(User, device.user_id)
    company = await session.get(Company, company_id)
    assert user is not None and company is not None
    extension = await _first_extension(session, user.id)
    pbx = ctx.pbx
    if form == "web":
        return {
            "display_name": user.full_name,
            "sip_uri": f"sip:{device.sip_username}@{company.sip_domain}",
            "sip_username": device.sip_username,
            "sip_password": device.sip_password,
            "sip_domain": company.sip_domain,
            "auth_realm": company.sip_domain,
            "registrar": f"sip:{pbx.host}:{pbx.port}",
            "outbound_proxy": f"sip:{pbx.host}:{pbx.port};lr",
            "extension": extension,
        }
    return {
        "display_name": user.full_name,
        "sip_server": pbx.host,
        "sip_port": pbx.port,
        "transport": "UDP",
        "user_id": device.sip_username,
        "auth_id": device.sip_username,
        "auth_password": device.sip_password,
        "realm": company.sip_domain,
        "domain": company.sip_domain,
        "register_expires": pbx.register_expires,
        "extension": extension,
        "ha1_md5": device.ha1_md5,
    }
