"""`create_app(settings)`: the FastAPI application, its database engine and domain context; no globals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.errors import install_error_handlers
from server.api.routes import (
    admin_callcenter,
    admin_company,
    admin_desk_phones,
    admin_devices,
    admin_groups,
    admin_hotlines,
    admin_rate_tables,
    admin_users,
    auth,
    callcenter_stats,
    directory,
    health,
    me,
    me_queues,
    me_voicemail,
    provisioning,
)
from server.domain.changes import ChangeBus
from server.domain.clock import Clock, system_clock
from server.domain.context import DomainContext, context_from_settings
from server.domain.db import create_engine, create_sessionmaker
from server.domain.notify import EmailSender, SmsSender
from server.domain.security import Passwords
from server.phones.app import create_phones_app, gate_policy
from server.phones.gate import PhoneGate
from server.settings import ServerSettings
from server.web.app import HangUp, LiveQueues, TrunkStates, create_console_app

API_PREFIX = "/api/v1"


class ChangesSettled:
    """ASGI middleware: a response starts only once the subscribers of what the request committed are done
    (`ChangeBus.settled`), so an edit the API acknowledged is already how the PBX routes."""

    def __init__(self, app: ASGIApp, bus: ChangeBus) -> None:
        self.app = app
        self.bus = bus

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_when_settled(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self.bus.settled()
            await send(message)

        await self.app(scope, receive, send_when_settled)


def create_app(
    settings: ServerSettings,
    *,
    engine: AsyncEngine | None = None,
    clock: Clock = system_clock,
    sms: SmsSender | None = None,
    mail: EmailSender | None = None,
    ctx: DomainContext | None = None,
    passwords: Passwords | None = None,
    hang_up: HangUp | None = None,
    trunk_states: TrunkStates | None = None,
    live_queues: LiveQueues | None = None,
) -> FastAPI:
    """The API app.  Pass `engine` to share one with the PBX directory (it is then not disposed here)."""
    owns_engine = engine is None
    db_engine = engine or create_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.ctx.background.drain(timeout=20)  # e-mails still on their way
        if owns_engine:
            await db_engine.dispose()

    app = FastAPI(
        title="Softphone provisioning API",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.live_queues = live_queues  # the running queue engine's board (GET /callcenter/board)
    app.state.engine = db_engine
    app.state.ctx = ctx or context_from_settings(
        settings, clock=clock, sms=sms, mail=mail, passwords=passwords
    )
    app.state.sessionmaker = create_sessionmaker(db_engine, changes=app.state.ctx.changes)
    install_error_handlers(app)
    app.add_middleware(ChangesSettled, bus=app.state.ctx.changes)

    api = APIRouter(prefix=API_PREFIX)
    for module in (
        health,
        auth,
        me,
        directory,
        provisioning,
        admin_users,
        admin_devices,
        admin_groups,
        admin_hotlines,
        admin_rate_tables,
        admin_company,
        admin_desk_phones,
        admin_callcenter,
        callcenter_stats,
        me_queues,
        me_voicemail,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.mount(
        "/phones",
        create_phones_app(
            sessionmaker=app.state.sessionmaker,
            ctx=app.state.ctx,
            gate=PhoneGate(gate_policy(settings)),
        ),
    )
    app.mount(
        "/console",
        create_console_app(
            ctx=app.state.ctx,
            sessionmaker=app.state.sessionmaker,
            hang_up=hang_up,
            trunk_states=trunk_states,
            live_queues=live_queues,
            recordings_dir=settings.data_dir / "recordings",
            prompts_dir=settings.data_dir / "prompts",
            call_recording=settings.media_enabled and settings.media_call_recording,
        ),
    )
    return app
