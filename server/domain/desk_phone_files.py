"""What desk phones fetch: the pairing bootstrap (by MAC, once, inside the window) and their files (by token).

A by-MAC request carries no company: the MAC is looked up among open pairing windows of every company.  It
pairs only if exactly one window is open for that MAC, the phone is of the asking User-Agent's vendor, and
(where the vendor puts it there) the User-Agent's MAC is the file's.  Pairing issues a fresh token, stores its
digest, closes the window (a conditional UPDATE: of two simultaneous requests one wins) and answers with a
bootstrap that holds only the token URL.  Every other by-MAC answer is "nothing" (the file service says 404),
whatever the reason, so a guesser learns nothing; refusals for a MAC whose window is open are audited.

A token request serves the phone's files with its SIP passwords; each one is audited.  Nothing is written to
disk: files are rendered per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.domain.context import DomainContext
from server.domain.desk_phones import line_positions, record_event, users_extension
from server.domain.models import Company, DeskPhone, Device, Extension, User
from server.domain.security import digest, new_token
from server.phones import catalog
from server.phones.catalog import MacRequest, MacRequestKind
from server.phones.values import (
    BlfKey,
    Bootstrap,
    Locale,
    PbxAddress,
    PhoneConfig,
    ProvisioningSource,
    SipLine,
    Srtp,
)

BOOTSTRAP_CHECK_SECONDS = 60  # a freshly paired phone comes back for its real files within a minute


@dataclass(frozen=True, slots=True)
class Fetch:
    """Who asked for a file."""

    address: str
    user_agent: str
    filename: str
    firmware: str | None = None


@dataclass(frozen=True, slots=True)
class ServedFile:
    body: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class TokenFetch:
    token_known: bool  # False: a guess (the file service counts those)
    file: ServedFile | None = None  # None: 404


def base_url_for(ctx: DomainContext, reached: str) -> str:
    """Where token URLs live: configured, else as this phone reached us (`reached`: ".../phones")."""
    return (ctx.desk_phones.base_url or reached).rstrip("/")


def locale_for(ctx: DomainContext) -> Locale:
    policy = ctx.desk_phones
    now = ctx.clock().replace(tzinfo=UTC)
    offset = now.astimezone(ZoneInfo(policy.timezone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return Locale(policy.timezone, minutes, policy.language, policy.ntp_server)


def _note_fetch(phone: DeskPhone, fetch: Fetch, now: datetime) -> None:
    phone.last_fetch_at = now
    phone.last_fetch_address = fetch.address[:64]
    phone.last_user_agent = fetch.user_agent[:255]
    phone.last_firmware = (fetch.firmware or "")[:64] or None
    phone.last_file = fetch.filename[:64]


def _audit(
    session: AsyncSession, ctx: DomainContext, phone: DeskPhone, action: str, fetch: Fetch, **extra: Any
) -> None:
    detail = {
        "file": fetch.filename[:64],
        "address": fetch.address[:64],
        "user_agent": fetch.user_agent[:255],
    }
    record_event(session, ctx, phone, None, action, detail | extra)


async def pair(
    session: AsyncSession, *, ctx: DomainContext, request: MacRequest, fetch: Fetch, base_url: str
) -> ServedFile | None:
    """The bootstrap for a by-MAC pairing request (`PAIR` or `SUSPECT`), or None: answer 404."""
    if request.mac is None or request.kind not in (MacRequestKind.PAIR, MacRequestKind.SUSPECT):
        return None
    now = ctx.clock()
    candidates = list(
        await session.scalars(
            select(DeskPhone).where(DeskPhone.mac == request.mac, DeskPhone.pairing_until > now)
        )
    )
    if not candidates:
        return None
    refusal = _refusal(request, candidates)
    if refusal is not None:
        for phone in candidates:
            _audit(session, ctx, phone, "pairing_refused", fetch, reason=refusal)
        await session.commit()
        return None
    phone = candidates[0]
    vendor = request.vendor
    assert vendor is not None
    claimed = await session.execute(
        update(DeskPhone)
        .where(DeskPhone.id == phone.id, DeskPhone.pairing_until > now)
        .values(pairing_until=None)
        .returning(DeskPhone.id)
    )
    if claimed.scalar() is None:  # a simultaneous request paired it first
        await session.rollback()
        return None
    token = new_token()
    phone.pairing_until = None
    phone.token_hash = digest(token)
    phone.token_created_at = now
    phone.paired_at = now
    _note_fetch(phone, fetch, now)
    _audit(session, ctx, phone, "pair", fetch, firmware=fetch.firmware or "")
    await session.commit()
    source = ProvisioningSource(url=f"{base_url}/{token}/", check_seconds=BOOTSTRAP_CHECK_SECONDS)
    body = vendor.bootstrap(Bootstrap(mac=phone.mac, model=phone.model, source=source))
    return ServedFile(body, vendor.media_type)


def _refusal(request: MacRequest, candidates: list[DeskPhone]) -> str | None:
    """Why an open window must not pair this request (None: it may)."""
    if len(candidates) > 1:
        return "mac_in_several_companies"
    if request.vendor is None or candidates[0].vendor != request.vendor.name:
        return "user_agent_not_the_phones_vendor"
    if request.agent is not None and request.agent.mac is not None and request.agent.mac != request.mac:
        return "user_agent_mac_differs"
    return None


async def fetch_file(
    session: AsyncSession, *, ctx: DomainContext, token: str, fetch: Fetch, base_url: str
) -> TokenFetch:
    """A file of the phone whose token this is.  No file for an unknown token (a guess), a name the phone's
    vendor does not serve (phones ask for optional files), or a phone whose line 1 is disabled."""
    phone = await session.scalar(
        select(DeskPhone)
        .where(DeskPhone.token_hash == digest(token))
        .options(selectinload(DeskPhone.extra_lines))
    )
    if phone is None:
        return TokenFetch(token_known=False)
    vendor = catalog.vendor(phone.vendor)
    config = await _config(session, ctx=ctx, phone=phone, url=f"{base_url}/{token}/") if vendor else None
    body = vendor.render(fetch.filename, config) if vendor and config else None
    if vendor is None or body is None:
        return TokenFetch(token_known=True)
    _note_fetch(phone, fetch, ctx.clock())
    if vendor.shared(fetch.filename) is None:  # the file names this phone and carries its secrets
        _audit(session, ctx, phone, "fetch", fetch)
    await session.commit()
    return TokenFetch(token_known=True, file=ServedFile(body, vendor.media_type))


async def _config(
    session: AsyncSession, *, ctx: DomainContext, phone: DeskPhone, url: str
) -> PhoneConfig | None:
    """The vendor-neutral values of the phone's files; None when its line 1 is disabled."""
    company = await session.get(Company, phone.company_id)
    assert company is not None
    lines = await _sip_lines(session, positions=line_positions(phone), domain=company.sip_domain)
    if not lines or lines[0].position != 1:
        return None
    vendor = catalog.vendor(phone.vendor)
    assert vendor is not None
    return PhoneConfig(
        mac=phone.mac,
        model=phone.model,
        label=phone.label or lines[0].display_name,
        lines=tuple(lines),
        blf_keys=tuple(await _blf_keys(session, phone=phone, domain=company.sip_domain)),
        pbx=_pbx_address(ctx, phone.transport),
        locale=locale_for(ctx),
        admin_password=phone.admin_password,
        source=ProvisioningSource(url=url, check_seconds=ctx.desk_phones.check_hours * 3600),
        overrides=dict(phone.overrides),
    )


async def _sip_lines(session: AsyncSession, *, positions: dict[int, int], domain: str) -> list[SipLine]:
    """The enabled lines (devices of active users), in position order."""
    rows = await session.execute(
        select(Device, User.full_name, users_extension())
        .join(User, User.id == Device.user_id)
        .where(Device.id.in_(list(positions)), Device.enabled.is_(True), User.active.is_(True))
    )
    lines = [
        SipLine(
            position=positions[device.id],
            extension=extension,
            display_name=name,
            username=device.sip_username,
            password=device.sip_password,
            domain=domain,
        )
        for device, name, extension in rows
    ]
    return sorted(lines, key=lambda line: line.position)


async def _blf_keys(session: AsyncSession, *, phone: DeskPhone, domain: str) -> list[BlfKey]:
    wanted = [k["extension"] for k in phone.blf_keys]
    rows = await session.execute(
        select(Extension.number, User.full_name)
        .join(User, User.id == Extension.user_id)
        .where(Extension.company_id == phone.company_id, Extension.number.in_(wanted))
    )
    names = {number: name for number, name in rows}
    return [
        BlfKey(
            extension=k["extension"],
            label=k.get("label") or names.get(k["extension"], k["extension"]),
            domain=domain,
        )
        for k in phone.blf_keys
    ]


def _pbx_address(ctx: DomainContext, transport: str) -> PbxAddress:
    pbx = ctx.pbx
    if transport == "tls" and pbx.tls_port:
        return PbxAddress(pbx.host, pbx.tls_port, "tls", pbx.register_expires, _srtp(pbx.srtp))
    return PbxAddress(
        pbx.host, pbx.port, "tcp" if transport == "tcp" else "udp", pbx.register_expires, _srtp(pbx.srtp)
    )


def _srtp(value: str) -> Srtp:
    return cast(Srtp, value) if value in ("off", "optional", "mandatory") else "optional"
