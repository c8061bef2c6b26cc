"""The demo company (`softphone-server run --demo`): fixed, printed credentials; seeding is idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.companies import create_company
from server.domain.context import DomainContext
from server.domain.demo_callcenter import seed_demo_call_center
from server.domain.desk_phones import add_desk_phone
from server.domain.hotlines import create_hotline
from server.domain.models import Company, Device, DeviceKind, User
from server.domain.people import create_user, new_device

DEMO_DOMAIN = "demo.local"
DEMO_ADMIN = {
    "full_name": "Quản trị Demo",
    "phone": "84901000100",
    "email": "admin@demo.local",
    "password": "admin1234",
}
DEMO_AGENTS = (
    ("101", "Nguyễn Văn An", "84901000101", "agent101"),
    ("102", "Trần Thị Bình", "84901000102", "agent102"),
    ("103", "Lê Văn Cường", "84901000103", "agent103"),
)
DEMO_HOTLINES = (
    {"number": "02873001234", "carrier": "viettel", "label": "Tổng đài", "inbound_extension": "101"},
    {"number": "02873005678", "carrier": "mobifone", "label": "CSKH", "inbound_extension": "102"},
)
ECHO_TEST = "*43"
# A Yealink for ext 103, its pairing window open: /phones/001565000103.cfg from a Yealink agent answers once.
DEMO_DESK_PHONE = {"mac": "00:15:65:00:01:03", "vendor": "yealink", "model": "T54W", "extension": "103"}


@dataclass(frozen=True, slots=True)
class DemoAgent:
    extension: str
    full_name: str
    phone: str
    email: str
    password: str
    sip_username: str
    sip_password: str


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    company: str
    sip_domain: str
    admin_phone: str
    admin_email: str
    admin_password: str
    agents: tuple[DemoAgent, ...]
    hotlines: tuple[tuple[str, str], ...]  # (number, carrier)
    echo_test: str = ECHO_TEST


def _credentials(agents: list[DemoAgent]) -> DemoCredentials:
    return DemoCredentials(
        company="Demo",
        sip_domain=DEMO_DOMAIN,
        admin_phone=DEMO_ADMIN["phone"],
        admin_email=DEMO_ADMIN["email"],
        admin_password=DEMO_ADMIN["password"],
        agents=tuple(agents),
        hotlines=tuple((h["number"], h["carrier"]) for h in DEMO_HOTLINES),
    )


async def seed_demo(session: AsyncSession, *, ctx: DomainContext) -> DemoCredentials:
    """Create the demo company once; later runs just report it (SIP passwords as stored)."""
    existing = await session.scalar(select(Company).where(Company.sip_domain == DEMO_DOMAIN))
    if existing is not None:
        agents = []
        for extension, name, phone, password in DEMO_AGENTS:
            user = await session.scalar(select(User).where(User.phone == phone))
            device = await session.scalar(
                select(Device).where(Device.company_id == existing.id, Device.sip_username == extension)
            )
            if user is None or device is None:
                continue
            agents.append(
                DemoAgent(
                    extension,
                    name,
                    phone,
                    f"agent{extension}@demo.local",
                    password,
                    extension,
                    device.sip_password,
                )
            )
        # a demo database from before the call center gets it on its next start
        await seed_demo_call_center(session, ctx=ctx, company_id=existing.id, actor_id=None)
        return _credentials(agents)

    company, admin = await create_company(
        session,
        ctx=ctx,
        name="Demo",
        sip_domain=DEMO_DOMAIN,
        admin_full_name=DEMO_ADMIN["full_name"],
        admin_phone=DEMO_ADMIN["phone"],
        admin_password=DEMO_ADMIN["password"],
        admin_email=DEMO_ADMIN["email"],
    )
    agents = []
    users = {}
    for extension, name, phone, password in DEMO_AGENTS:
        email = f"agent{extension}@demo.local"
        user = await create_user(
            session,
            ctx=ctx,
            company=company,
            full_name=name,
            phone=phone,
            password=password,
            email=email,
            extensions=(extension,),
            desktop_device=False,
            actor_id=admin.id,
        )
        users[extension] = user.id
        await new_device(
            session,
            ctx=ctx,
            company=company,
            user=user,
            kind=DeviceKind.DESKTOP,
            label="Desktop",
            sip_username=extension,
            sip_password=f"demo{extension}",
        )
        agents.append(DemoAgent(extension, name, phone, email, password, extension, f"demo{extension}"))
    await session.commit()
    for hotline in DEMO_HOTLINES:
        await create_hotline(
            session,
            ctx=ctx,
            company_id=company.id,
            values={**hotline, "trunk_host": "127.0.0.1", "trunk_port": 5090, "trunk_transport": "udp"},
            actor_id=admin.id,
        )
    desk = DEMO_DESK_PHONE
    await add_desk_phone(
        session,
        ctx=ctx,
        company_id=company.id,
        mac=desk["mac"],
        vendor=desk["vendor"],
        model=desk["model"],
        user_id=users[desk["extension"]],
        blf_keys=[{"extension": e} for e, *_ in DEMO_AGENTS if e != desk["extension"]],
        actor_id=admin.id,
    )
    await seed_demo_call_center(session, ctx=ctx, company_id=company.id, actor_id=admin.id)
    return _credentials(agents)


def format_credentials(creds: DemoCredentials, *, http_url: str, sip_host: str, sip_port: int) -> str:
    lines = [
        "=" * 72,
        f"Demo company '{creds.company}'  SIP domain {creds.sip_domain}",
        f"API          {http_url}/api/v1   (OpenAPI: {http_url}/api/v1/openapi.json)",
        f"SIP          {sip_host}:{sip_port} (UDP/TCP)",
        f"Admin login  phone {_national(creds.admin_phone)} / e-mail {creds.admin_email}"
        f"  password {creds.admin_password}",
        "Agents:",
    ]
    for a in creds.agents:
        lines.append(
            f"  ext {a.extension}  {a.full_name:<14} login {_national(a.phone)} / {a.email}"
            f"  password {a.password}"
            f"  SIP user {a.sip_username}@{creds.sip_domain}  SIP password {a.sip_password}"
        )
    lines.append("Hotlines:    " + ", ".join(f"{n} ({c})" for n, c in creds.hotlines))
    lines.append(f"Echo test:   dial {creds.echo_test}")
    lines.append(
        "Call center: call 02873001234 from the carrier address 127.0.0.1 (Mon-Sat 08:00-17:30"
        " Asia/Ho_Chi_Minh): 1 sales (101, 102), 2 support (103), 0 operator (101); after hours: voicemail"
    )
    desk = DEMO_DESK_PHONE
    lines.append(
        f"Desk phone:  Yealink {desk['model']} {desk['mac']} for ext {desk['extension']}: the first fetch of"
        f" {http_url}/phones/{desk['mac'].replace(':', '')}.cfg by a Yealink pairs it (docs/desk-phones.md)"
    )
    lines.append("=" * 72)
    return "\n".join(lines)


def _national(phone: str) -> str:
    """84901000101 -> 0901000101: the form people type and the app's hint shows (both log in)."""
    return "0" + phone[2:] if phone.startswith("84") else phone
