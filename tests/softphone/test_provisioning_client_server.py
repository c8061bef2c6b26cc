"""ProvisioningClient against the real server app (server.api.app.create_app) via httpx ASGI transport."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from softphone.phone_numbers import normalize_vn_phone
from softphone.provisioning import ApiError, ProvisioningClient
from softphone.testing import MemoryTokens

pytestmark = pytest.mark.integration

server_app = pytest.importorskip("server.api.app")

BASE = "http://testserver/api/v1"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 22, 8, 0, 0))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Harness:
    client: ProvisioningClient
    clock: Clock
    sms: object
    demo: object


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    from server.domain.db import create_all, create_engine
    from server.domain.demo import seed_demo
    from server.domain.notify import ConsoleEmailSender, ConsoleSmsSender
    from server.domain.security import Passwords
    from server.settings import ServerSettings

    url = f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"
    settings = ServerSettings(demo=True, data_dir=tmp_path, database_url=url)
    engine = create_engine(url)
    await create_all(engine)
    clock = Clock()
    sms, mail = ConsoleSmsSender(), ConsoleEmailSender()
    app = server_app.create_app(
        settings, engine=engine, clock=clock, sms=sms, mail=mail, passwords=Passwords.fast()
    )
    async with app.state.sessionmaker() as session:
        demo = await seed_demo(session, ctx=app.state.ctx)
    async with ProvisioningClient(BASE, MemoryTokens(), transport=httpx.ASGITransport(app=app)) as client:
        yield Harness(client, clock, sms, demo)
    await engine.dispose()


async def test_agent_logs_in_and_gets_a_working_account_config(harness: Harness) -> None:
    api = harness.client
    agent = harness.demo.agents[0]  # type: ignore[attr-defined]
    await api.login(agent.phone, agent.password)
    me = await api.me()
    assert me.phone == agent.phone and me.company.sip_domain == "demo.local" and me.role == "agent"
    (account,) = await api.accounts()
    assert account.extension == agent.extension and account.device_kind == "desktop"
    doc = await api.activate(account.device_id)
    assert doc == await api.provisioning(account.device_id)
    cfg = doc.to_account_config()
    assert (cfg.sip_username, cfg.sip_password) == (agent.sip_username, agent.sip_password)
    assert cfg.sip_domain == "demo.local" and cfg.registrar == "127.0.0.1:5060" and cfg.transport == "udp"
    assert doc.echo_test == "*43" and doc.default_hotline is not None

    settings = await api.update_settings(dnd=True, auto_answer=True, auto_answer_delay=5)
    assert settings.dnd and settings.auto_answer_delay == 5
    refreshed = await api.provisioning(account.device_id)
    assert refreshed.revision > doc.revision and refreshed.dnd and refreshed.auto_answer.delay == 5

    colleagues = await api.directory()
    assert {"102", "103"} <= {e for c in colleagues for e in c.extensions}

    grant = await api.mobile_provisioning()
    redeemed = await api.provisioning_by_token(grant.token)
    assert redeemed.account.sip_domain == "demo.local"
    with pytest.raises(ApiError) as used:
        await api.provisioning_by_token(grant.token)
    assert used.value.status in (404, 410)


async def test_expired_access_token_is_refreshed_transparently(harness: Harness) -> None:
    api = harness.client
    agent = harness.demo.agents[1]  # type: ignore[attr-defined]
    await api.login(agent.phone, agent.password)
    first_access = api.access_token
    harness.clock.now += timedelta(hours=2)  # access tokens live 15 minutes, refresh tokens 30 days
    me = await api.me()
    assert me.phone == agent.phone
    assert api.access_token != first_access
    await api.logout()
    assert not api.logged_in
    with pytest.raises(ApiError) as exc:
        await api.me()
    assert exc.value.status == 401


async def test_signup_with_otp_creates_a_company(harness: Harness) -> None:
    api = harness.client
    phone = normalize_vn_phone("0987 654 321")
    await api.request_otp("0987654321", "signup")
    text = harness.sms.sent[-1][1]  # type: ignore[attr-defined]
    code = re.search(r"\b(\d{4,8})\b", text).group(1)  # type: ignore[union-attr]
    otp_token = await api.verify_otp("+84987654321", code, "signup")
    await api.signup(otp_token, "a-good-passw0rd", "Phạm Thị Dung", company_name="Công ty Dung")
    me = await api.me()
    assert me.phone == phone and me.role == "admin" and me.company.name == "Công ty Dung"


async def test_server_errors_are_api_errors(harness: Harness) -> None:
    api = harness.client
    with pytest.raises(ApiError) as bad_phone:
        await api.request_otp("12345", "signup")
    assert bad_phone.value.code == "invalid_phone" and "phone" in bad_phone.value.fields
    with pytest.raises(ApiError) as wrong:
        await api.login("84901000101", "wrong-password")
    assert wrong.value.status == 401 and not api.logged_in
