"""Many users at once, as admins onboard a call center: every row validated first (each row's problems
reported by field, nothing written while any row is wrong), then all of them in one transaction.

What made one-by-one creation slow is the login password: argon2 costs ~110 ms of CPU per hash.  A row
may leave the password out: the agent then sets one on first use through the SMS-code reset (the user is
created with no usable password), and the batch costs milliseconds per user.  Rows that carry a password
are hashed on the password pool, at most two at a time, so the server stays responsive meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit
from server.domain.clock import period_of
from server.domain.context import DomainContext
from server.domain.errors import Conflict, DomainError, InvalidInput
from server.domain.models import Company, Device, DeviceKind, Extension, RingMethod, Role, User
from server.domain.people import set_device_password
from server.domain.security import new_sip_password
from server.domain.uniqueness import commit_or_conflict
from server.domain.validation import (
    check_extension,
    check_password,
    check_sip_username,
    normalize_email,
    normalize_phone,
)

NO_PASSWORD = "!unset"  # not an argon2 hash: no password verifies against it until the user sets one
_CHUNK = 900  # bound parameters per IN (...) query, under SQLite's limit


@dataclass(frozen=True, slots=True)
class NewDevice:
    kind: DeviceKind = DeviceKind.DESKTOP
    sip_username: str | None = None  # None: u<extension>-<kind>, made unique
    sip_password: str | None = None  # None: a random one
    label: str = ""


@dataclass(frozen=True, slots=True)
class NewUser:
    full_name: str
    phone: str
    email: str | None = None
    password: str | None = None  # None: set by the agent later (SMS-code reset)
    role: Role = Role.AGENT
    extensions: tuple[str, ...] = ()
    devices: tuple[NewDevice, ...] = (NewDevice(),)
    allow_outbound: bool = True
    monthly_minutes: int | None = None
    ring_method: RingMethod = RingMethod.ALL
    mobile_number: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 0-based index in the rows given
    code: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreatedUser:
    user: User
    extensions: tuple[str, ...]
    devices: tuple[Device, ...]


class InvalidRows(InvalidInput):
    """Some rows cannot be created; `rows` says which and why.  Nothing was written."""

    def __init__(self, rows: list[RowError]) -> None:
        super().__init__("invalid_rows", f"{len(rows)} row(s) cannot be created")
        self.rows = rows


@dataclass(slots=True)
class _Row:
    index: int
    full_name: str
    phone: str
    email: str | None
    password: str | None
    role: Role
    extensions: list[str]
    devices: list[NewDevice]
    allow_outbound: bool
    monthly_minutes: int | None
    ring_method: RingMethod
    mobile_number: str | None


def _clean(index: int, row: NewUser) -> _Row:
    """One row normalised, or InvalidInput naming its first problem."""
    full_name = row.full_name.strip()
    if not full_name or len(full_name) > 200:
        raise InvalidInput("invalid_name", "full name is required", fields={"full_name": "required"})
    phone = normalize_phone(row.phone)
    email = normalize_email(row.email) if row.email else None
    if row.password is not None:
        check_password(row.password)
    extensions = [check_extension(n) for n in row.extensions]
    if len(set(extensions)) != len(extensions):
        raise InvalidInput(
            "duplicate_extension", "extension listed twice", fields={"extensions": "duplicate"}
        )
    for d in row.devices:
        if d.sip_username is not None:
            check_sip_username(d.sip_username)
        if d.sip_password is not None and len(d.sip_password) < 6:
            raise InvalidInput(
                "weak_password", "SIP password too short", fields={"sip_password": "at least 6"}
            )
    mobile = normalize_phone(row.mobile_number, field="mobile_number") if row.mobile_number else None
    if row.ring_method == RingMethod.MOBILE and mobile is None:
        raise InvalidInput(
            "mobile_number_required",
            "ring method 'mobile' needs a mobile number",
            fields={"mobile_number": "required for ring_method mobile"},
        )
    if row.monthly_minutes is not None and not 0 <= row.monthly_minutes <= 1_000_000:
        raise InvalidInput(
            "invalid_quota", "monthly minutes out of range", fields={"monthly_minutes": "0-1000000"}
        )
    return _Row(
        index,
        full_name,
        phone,
        email,
        row.password,
        Role(row.role),
        extensions,
        list(row.devices),
        row.allow_outbound,
        row.monthly_minutes,
        RingMethod(row.ring_method),
        mobile,
    )


async def _taken(session: AsyncSession, column: Any, values: Iterable[str], *where: Any) -> set[str]:
    wanted = sorted(set(values))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(column).where(column.in_(chunk), *where)
        found.update(await session.scalars(query))
    return found


async def create_users(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company: Company,
    rows: Sequence[NewUser],
    actor_id: int | None,
    dry_run: bool = False,
) -> list[CreatedUser]:
    """Create every row's user, extensions and devices in one transaction, or raise `InvalidRows` listing
    every row that cannot be created (and create nothing).  `dry_run` validates only (an import preview)."""
    errors: list[RowError] = []
    clean: list[_Row] = []
    for i, row in enumerate(rows):
        try:
            clean.append(_clean(i, row))
        except DomainError as e:
            errors.append(RowError(i, e.code, e.message, dict(e.fields)))
    phones = Counter(r.phone for r in clean)
    emails = Counter(r.email for r in clean if r.email)
    exts = Counter(n for r in clean for n in r.extensions)
    names = Counter(d.sip_username for r in clean for d in r.devices if d.sip_username)
    taken_phones = await _taken(session, User.phone, phones)
    taken_emails = await _taken(session, User.email, emails)
    taken_exts = await _taken(session, Extension.number, exts, Extension.company_id == company.id)
    taken_names = await _taken(session, Device.sip_username, names, Device.company_id == company.id)
    for r in clean:
        problems: dict[str, str] = {}
        if phones[r.phone] > 1 or r.phone in taken_phones:
            problems["phone"] = "taken" if r.phone in taken_phones else "twice in the import"
        if r.email and (emails[r.email] > 1 or r.email in taken_emails):
            problems["email"] = "taken" if r.email in taken_emails else "twice in the import"
        for n in r.extensions:
            if exts[n] > 1 or n in taken_exts:
                problems["extensions"] = f"{n} " + ("taken" if n in taken_exts else "twice in the import")
        for d in r.devices:
            if d.sip_username and (names[d.sip_username] > 1 or d.sip_username in taken_names):
                problems["sip_username"] = f"{d.sip_username} taken"
        if problems:
            errors.append(RowError(r.index, "conflict", "already in use", problems))
    if errors:
        raise InvalidRows(sorted(errors, key=lambda e: e.row))
    if dry_run:
        return []
    hashes = await asyncio.gather(*(ctx.passwords.hash(r.password) for r in clean if r.password is not None))
    hashed = iter(hashes)
    now = ctx.clock()
    users = [
        User(
            company_id=company.id,
            full_name=r.full_name,
            phone=r.phone,
            email=r.email,
            role=r.role.value,
            password_hash=next(hashed) if r.password is not None else NO_PASSWORD,
            active=True,
            failed_logins=0,
            allow_outbound=r.allow_outbound,
            monthly_minutes=r.monthly_minutes,
            seconds_used_this_month=0.0,
            usage_period=period_of(now),
            auto_answer=False,
            auto_answer_delay=3,
            ring_method=r.ring_method.value,
            mobile_number=r.mobile_number,
            dnd=False,
            revision=1,
            created_at=now,
        )
        for r in clean
    ]
    session.add_all(users)
    await session.flush()
    taken_usernames = set(
        await session.scalars(select(Device.sip_username).where(Device.company_id == company.id))
    )
    created: list[CreatedUser] = []
    for r, user in zip(clean, users, strict=True):
        devices: list[Device] = []
        session.add_all(Extension(company_id=company.id, user_id=user.id, number=n) for n in r.extensions)
        for d in r.devices:
            kind = DeviceKind(d.kind)
            username = d.sip_username or _free_username(
                f"u{r.extensions[0] if r.extensions else user.id}-{kind.value.replace('_', '')}",
                taken_usernames,
            )
            taken_usernames.add(username)
            device = Device(
                company_id=company.id,
                user_id=user.id,
                kind=kind.value,
                label=d.label,
                sip_username=username,
                enabled=True,
                created_at=now,
            )
            set_device_password(
                device, domain=company.sip_domain, password=d.sip_password or new_sip_password()
            )
            session.add(device)
            devices.append(device)
        created.append(CreatedUser(user, tuple(r.extensions), tuple(devices)))
        audit.record(
            session,
            ctx=ctx,
            company_id=company.id,
            actor_id=actor_id,
            action="create",
            entity="user",
            entity_id=user.id,
            detail={
                "full_name": r.full_name,
                "phone": r.phone,
                "role": r.role.value,
                "extensions": r.extensions,
                "bulk": True,
            },
        )
    await commit_or_conflict(
        session, Conflict("conflict", "a phone, e-mail or extension was taken meanwhile")
    )
    return created


def _free_username(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"
