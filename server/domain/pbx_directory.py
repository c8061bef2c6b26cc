"""`SqlDirectory`: the PBX's view of the domain model (implements `server.sip.directory.Directory`).

Each call opens its own short session, so the SIP core never holds a transaction across awaits of its own.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from server.domain import models as m
from server.domain.clock import Clock, period_of, system_clock
from server.sip import directory as d
from server.sip.carriers import normalize_number

_KIND = {
    m.DeviceKind.DESKTOP.value: d.DeviceKind.APP,
    m.DeviceKind.MOBILE.value: d.DeviceKind.APP,
    m.DeviceKind.WEB.value: d.DeviceKind.APP,
    m.DeviceKind.IP_PHONE.value: d.DeviceKind.IP_PHONE,
}


def _hotline(h: m.Hotline) -> d.Hotline:
    return d.Hotline(
        number=h.number,
        carrier=h.carrier,
        trunk=d.Trunk(
            host=h.trunk_host,
            port=h.trunk_port,
            transport=h.trunk_transport,
            username=h.trunk_username,
            password=h.trunk_password,
            register=h.trunk_register,
        ),
        inbound_extension=h.inbound_extension,
    )


def _number_forms(number: str) -> set[str]:
    """The spellings a hotline may be stored under: as given, international (84...) and national (0...)."""
    forms = {number, number.lstrip("+")}
    normalized = normalize_number(number)
    if normalized:
        forms.add(normalized)
        if normalized.startswith("84"):
            forms.add("0" + normalized[2:])
    return forms


class SqlDirectory:
    """Implements `server.sip.directory.Directory` over the SQLAlchemy models."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock = system_clock
    ) -> None:
        self._sessions = sessionmaker
        self._clock = clock

    async def _upsert(self, model: type[m.Base], key: dict[str, Any], values: dict[str, Any]) -> None:
        """Insert the row with ``key`` or update it with ``values``, in its own transaction."""
        for _ in range(3):
            try:
                async with self._sessions() as s, s.begin():
                    row = await s.scalar(select(model).filter_by(**key))
                    if row is None:
                        s.add(model(**key, **values))
                    else:
                        for name, value in values.items():
                            setattr(row, name, value)
                return
            except IntegrityError:
                continue  # a concurrent first write of the same key won: update it instead

    async def sip_credential(self, domain: str, username: str) -> d.SipCredential | None:
        async with self._sessions() as s:
            row = (
                await s.execute(
                    select(m.Device, m.User.active)
                    .join(m.Company, m.Company.id == m.Device.company_id)
                    .join(m.User, m.User.id == m.Device.user_id)
                    .where(m.Company.sip_domain == domain, m.Device.sip_username == username)
                )
            ).first()
        if row is None:
            return None
        device, user_active = row
        return d.SipCredential(
            user_id=device.user_id,
            company_id=device.company_id,
            domain=domain,
            username=device.sip_username,
            password=device.sip_password,
            ha1_md5=device.ha1_md5,
            ha1_sha256=device.ha1_sha256,
            device_kind=_KIND.get(device.kind, d.DeviceKind.OTHER),
            enabled=bool(device.enabled and user_active),
        )

    async def user_routing(self, user_id: int) -> d.UserRouting | None:
        async with self._sessions() as s:
            user = await s.scalar(
                select(m.User)
                .where(m.User.id == user_id)
                .options(selectinload(m.User.extensions), selectinload(m.User.company))
            )
            if user is None:
                return None
            default_hotline = None
            if user.default_hotline_id is not None:
                default_hotline = await s.scalar(
                    select(m.Hotline.number).where(m.Hotline.id == user.default_hotline_id)
                )
            if default_hotline is None:
                default_hotline = await s.scalar(
                    select(m.Hotline.number)
                    .where(m.Hotline.company_id == user.company_id)
                    .order_by(m.Hotline.id)
                    .limit(1)
                )
        used = user.seconds_used_this_month if user.usage_period == period_of(self._clock()) else 0.0
        return d.UserRouting(
            user_id=user.id,
            company_id=user.company_id,
            domain=user.company.sip_domain,
            extensions=tuple(e.number for e in user.extensions),
            display_name=user.full_name,
            dnd=user.dnd,
            ring_method=d.RingMethod(user.ring_method),
            mobile_number=user.mobile_number,
            auto_answer=user.auto_answer,
            allow_outbound=user.allow_outbound and user.active,
            monthly_minutes=user.monthly_minutes,
            minutes_used=used / 60.0,
            default_hotline=default_hotline,
        )

    async def user_by_extension(self, domain: str, extension: str) -> int | None:
        async with self._sessions() as s:
            return await s.scalar(
                select(m.Extension.user_id)
                .join(m.Company, m.Company.id == m.Extension.company_id)
                .where(m.Company.sip_domain == domain, m.Extension.number == extension)
            )

    async def hotlines(self, domain: str) -> list[d.Hotline]:
        async with self._sessions() as s:
            rows = await s.scalars(
                select(m.Hotline)
                .join(m.Company, m.Company.id == m.Hotline.company_id)
                .where(m.Company.sip_domain == domain)
                .order_by(m.Hotline.id)
            )
            return [_hotline(h) for h in rows]

    async def hotline_by_number(self, number: str) -> tuple[str, d.Hotline] | None:
        async with self._sessions() as s:
            row = (
                await s.execute(
                    select(m.Hotline, m.Company.sip_domain)
                    .join(m.Company, m.Company.id == m.Hotline.company_id)
                    .where(m.Hotline.number.in_(sorted(_number_forms(number))))
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        hotline, domain = row
        return domain, _hotline(hotline)

    async def add_outbound_seconds(self, user_id: int, seconds: float) -> None:
        """Atomic add; the first call of a new month restarts the counter."""
        period = period_of(self._clock())
        async with self._sessions() as s, s.begin():
            await s.execute(
                update(m.User)
                .where(m.User.id == user_id)
                .values(
                    seconds_used_this_month=case(
                        (m.User.usage_period == period, m.User.seconds_used_this_month + seconds),
                        else_=seconds,
                    ),
                    usage_period=period,
                )
            )

    async def record_call(self, cdr: d.CallRecord) -> None:
        values = {
            "company_id": cdr.company_id,
            "domain": cdr.domain,
            "caller": cdr.caller[:255],
            "callee": cdr.callee[:255],
            "direction": cdr.direction,
            "hotline": cdr.hotline,
            "start": cdr.start,
            "answer": cdr.answer,
            "end": cdr.end,
            "disposition": str(cdr.disposition),
            "hangup_cause": cdr.hangup_cause,
            "caller_user_id": cdr.caller_user_id,
            "callee_user_id": cdr.callee_user_id,
            "cutoff": cdr.cutoff,
            "dialog": None if cdr.dialog is None else _dialog_json(cdr.dialog),
        }
        await self._upsert(m.CallRecord, {"call_id": cdr.call_id}, values)

    async def call_record(self, call_id: str) -> d.CallRecord | None:
        async with self._sessions() as s:
            row = await s.scalar(select(m.CallRecord).where(m.CallRecord.call_id == call_id))
        return None if row is None else _call_record(row)

    async def pending_cutoffs(self) -> list[d.CallRecord]:
        async with self._sessions() as s:
            rows = await s.scalars(
                select(m.CallRecord)
                .where(
                    m.CallRecord.end.is_(None),
                    m.CallRecord.cutoff.is_not(None),
                    m.CallRecord.answer.is_not(None),
                )
                .order_by(m.CallRecord.cutoff)
            )
            return [_call_record(r) for r in rows]

    async def call_records(self, *, company_id: int | None = None) -> list[d.CallRecord]:
        """Read back CDRs (tests, reports); not part of the protocol."""
        async with self._sessions() as s:
            q = select(m.CallRecord).order_by(m.CallRecord.id)
            if company_id is not None:
                q = q.where(m.CallRecord.company_id == company_id)
            rows = list(await s.scalars(q))
        return [_call_record(r) for r in rows]

    async def queue_message(self, msg: d.QueuedMessage) -> None:
        try:
            async with self._sessions() as s, s.begin():
                s.add(
                    m.QueuedMessage(
                        message_id=msg.message_id,
                        domain=msg.domain,
                        user_id=msg.user_id,
                        from_uri=msg.from_uri,
                        to_uri=msg.to_uri,
                        content_type=msg.content_type,
                        body=msg.body,
                        date=msg.date,
                        created_at=self._clock(),
                    )
                )
        except IntegrityError:
            pass  # the same message queued twice (a retransmission): keep the first

    async def pending_messages(self, domain: str, user_id: int) -> list[d.QueuedMessage]:
        async with self._sessions() as s:
            rows = await s.scalars(
                select(m.QueuedMessage)
                .where(
                    m.QueuedMessage.domain == domain,
                    m.QueuedMessage.user_id == user_id,
                    m.QueuedMessage.delivered_at.is_(None),
                )
                .order_by(m.QueuedMessage.id)
            )
            return [
                d.QueuedMessage(
                    message_id=r.message_id,
                    domain=r.domain,
                    user_id=r.user_id,
                    from_uri=r.from_uri,
                    to_uri=r.to_uri,
                    content_type=r.content_type,
                    body=bytes(r.body),
                    date=r.date,
                )
                for r in rows
            ]

    async def mark_delivered(self, message_id: str) -> None:
        async with self._sessions() as s, s.begin():
            await s.execute(
                update(m.QueuedMessage)
                .where(m.QueuedMessage.message_id == message_id, m.QueuedMessage.delivered_at.is_(None))
                .values(delivered_at=self._clock())
            )

    async def save_binding(self, b: d.Binding) -> None:
        values = {
            "expires_at": b.expires_at,
            "user_id": b.user_id,
            "username": b.username,
            "device_kind": str(b.device_kind),
            "call_id": b.call_id,
            "cseq": b.cseq,
            "source": b.source,
            "instance_id": b.instance_id,
            "user_agent": b.user_agent[:255],
        }
        await self._upsert(m.SipBinding, {"aor": b.aor, "contact": b.contact}, values)

    async def delete_binding(self, aor: str, contact: str) -> None:
        async with self._sessions() as s, s.begin():
            await s.execute(
                delete(m.SipBinding).where(m.SipBinding.aor == aor, m.SipBinding.contact == contact)
            )

    async def load_bindings(self) -> list[d.Binding]:
        async with self._sessions() as s:
            rows = await s.scalars(select(m.SipBinding).order_by(m.SipBinding.id))
            return [
                d.Binding(
                    aor=r.aor,
                    contact=r.contact,
                    expires_at=r.expires_at,
                    user_id=r.user_id,
                    username=r.username,
                    device_kind=d.DeviceKind(r.device_kind),
                    call_id=r.call_id,
                    cseq=r.cseq,
                    source=r.source,
                    instance_id=r.instance_id,
                    user_agent=r.user_agent,
                )
                for r in rows
            ]


def _call_record(r: m.CallRecord) -> d.CallRecord:
    return d.CallRecord(
        call_id=r.call_id,
        company_id=r.company_id,
        domain=r.domain,
        caller=r.caller,
        callee=r.callee,
        direction=r.direction,
        hotline=r.hotline,
        start=r.start,
        answer=r.answer,
        end=r.end,
        disposition=d.Disposition(r.disposition),
        hangup_cause=r.hangup_cause,
        caller_user_id=r.caller_user_id,
        callee_user_id=r.callee_user_id,
        cutoff=r.cutoff,
        dialog=_call_dialog(r.dialog),
    )


def _dialog_json(dialog: d.CallDialog) -> dict[str, object]:
    return asdict(dialog)


def _call_dialog(data: object) -> d.CallDialog | None:
    """The stored dialog; None for records without one, or one this version cannot read."""
    if not isinstance(data, dict):
        return None
    try:
        return d.CallDialog(
            caller=d.DialogParty(**data["caller"]),
            callee=d.DialogParty(**data["callee"]),
            billed_user_id=data.get("billed_user_id"),
            cseq_offset=int(data.get("cseq_offset") or 0),
        )
    except (KeyError, TypeError, ValueError):
        return None
