"""QR provisioning of mobile softphones: one-time expiring tokens, Linphone's XML format, QR images.

The URL in the QR code is fetched by Linphone with an `X-Linphone-Provisioning` header; a GET without
it (a chat app's link preview, a browser) gets 400 and does not burn the token.  A used token answers 404,
an expired one 410.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.context import DomainContext, PbxEndpoint
from server.domain.desk_phones import not_a_desk_phone_line
from server.domain.errors import DomainError, Gone, NotFound
from server.domain.models import Company, Device, DeviceKind, ProvisioningToken, User
from server.domain.people import new_device
from server.domain.security import digest, new_token

LPCONFIG_NS = "http://www.linphone.org/xsds/lpconfig.xsd"


@dataclass(frozen=True, slots=True)
class MobileProvisioning:
    token: str
    url: str
    expires_at: datetime
    qr_png_url: str
    qr_svg_url: str


def token_url(ctx: DomainContext, token: str) -> str:
    return f"{ctx.public_base_url}/api/v1/provisioning/{token}"


async def create_mobile_token(
    session: AsyncSession, *, ctx: DomainContext, user: User, device_id: int | None = None
) -> MobileProvisioning:
    """A token for `device_id` (one of the user's devices) or the user's mobile device (created if needed)."""
    if device_id is not None:
        device = await session.scalar(
            select(Device).where(Device.id == device_id, Device.user_id == user.id, not_a_desk_phone_line())
        )
        if device is None:
            raise NotFound("device")
    else:
        device = await session.scalar(
            select(Device)
            .where(Device.user_id == user.id, Device.kind == DeviceKind.MOBILE.value)
            .order_by(Device.id)
            .limit(1)
        )
        if device is None:
            company = await session.get(Company, user.company_id)
            assert company is not None
            device = await new_device(session, ctx=ctx, company=company, user=user, kind=DeviceKind.MOBILE)
            user.revision += 1
    now = ctx.clock()
    token = new_token()
    expires_at = now + timedelta(seconds=ctx.policy.provisioning_token_ttl)
    session.add(
        ProvisioningToken(
            token_hash=digest(token), device_id=device.id, created_at=now, expires_at=expires_at
        )
    )
    await session.commit()
    url = token_url(ctx, token)
    return MobileProvisioning(
        token=token, url=url, expires_at=expires_at, qr_png_url=f"{url}/qr.png", qr_svg_url=f"{url}/qr.svg"
    )


async def _token_row(session: AsyncSession, token: str) -> ProvisioningToken:
    row = await session.scalar(select(ProvisioningToken).where(ProvisioningToken.token_hash == digest(token)))
    if row is None:
        raise NotFound("provisioning token")
    return row


async def redeem(
    session: AsyncSession, *, ctx: DomainContext, token: str, for_linphone: bool, for_app: bool
) -> tuple[User, Device]:
    """Burn the token; return whose device it provisions.  400 for a client neither Linphone nor us."""
    if not (for_linphone or for_app):
        raise DomainError(
            "provisioning_client_required",
            "open this link in Linphone (X-Linphone-Provisioning) or the softphone app",
            status=400,
        )
    row = await _token_row(session, token)
    now = ctx.clock()
    if row.used_at is not None:
        raise NotFound("provisioning token")
    if row.expires_at <= now:
        raise Gone("provisioning_token_expired", "this QR code has expired; create a new one")
    device = await session.get(Device, row.device_id)
    assert device is not None
    user = await session.get(User, device.user_id)
    assert user is not None
    if not device.enabled or not user.active:
        raise NotFound("provisioning token")
    # Burn atomically: of two simultaneous fetches exactly one gets the credentials.
    burnt = await session.execute(
        update(ProvisioningToken)
        .where(ProvisioningToken.id == row.id, ProvisioningToken.used_at.is_(None))
        .values(used_at=now)
        .returning(ProvisioningToken.id)
    )
    won = burnt.scalar() is not None
    await session.commit()
    if not won:
        raise NotFound("provisioning token")
    return user, device


async def qr_target(session: AsyncSession, *, ctx: DomainContext, token: str) -> str:
    """The URL a QR image for `token` encodes (the token is not burnt by rendering)."""
    await _token_row(session, token)
    return token_url(ctx, token)


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2)
    return out.getvalue()


async def linphone_xml(session: AsyncSession, *, ctx: DomainContext, user: User, device: Device) -> str:
    """Linphone remote provisioning (lpconfig): one proxy over the configured mobile transport (TLS when the
    PBX has a TLS port, unless configured otherwise) and its credentials as an MD5 HA1 (no password)."""
    company = await session.get(Company, user.company_id)
    assert company is not None
    return render_linphone_xml(
        pbx=ctx.pbx,
        domain=company.sip_domain,
        username=device.sip_username,
        ha1_md5=device.ha1_md5,
        display_name=user.full_name,
    )


def render_linphone_xml(
    *, pbx: PbxEndpoint, domain: str, username: str, ha1_md5: str, display_name: str
) -> str:
    ET.register_namespace("", LPCONFIG_NS)
    root = ET.Element(f"{{{LPCONFIG_NS}}}config")

    def section(name: str, entries: dict[str, str]) -> None:
        sec = ET.SubElement(root, f"{{{LPCONFIG_NS}}}section", {"name": name, "overwrite": "true"})
        for key, value in entries.items():
            entry = ET.SubElement(sec, f"{{{LPCONFIG_NS}}}entry", {"name": key, "overwrite": "true"})
            entry.text = value

    quoted_name = display_name.replace("\\", "\\\\").replace('"', '\\"')
    section(
        "proxy_0",
        {
            "reg_proxy": f"<sip:{pbx.host}:{pbx.mobile_port};transport={pbx.mobile_transport}>",
            "reg_route": f"<sip:{pbx.host}:{pbx.mobile_port};transport={pbx.mobile_transport};lr>",
            "reg_identity": f'"{quoted_name}" <sip:{username}@{domain}>',
            "reg_expires": str(pbx.register_expires),
            "reg_sendregister": "1",
            "realm": domain,
            "publish": "0",
            "dial_escape_plus": "0",
        },
    )
    section(
        "auth_info_0",
        {
            "username": username,
            "userid": username,
            "ha1": ha1_md5,
            "realm": domain,
            "domain": domain,
            "algorithm": "MD5",
        },
    )
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
