"""The admin console: a FastAPI sub-application mounted at `/console` on the API app.

Pages are server-rendered (Jinja2, `server/web/templates`), work without JavaScript, and call the same domain
services as the JSON API with the signed-in admin's company and id (so scoping and the audit log apply).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from server.callcenter.metrics import Board
from server.domain.context import DomainContext
from server.domain.errors import DomainError, NotFound
from server.web.pages import (
    auth_pages,
    callcenter_pages,
    calls_pages,
    company_pages,
    cost_pages,
    live_pages,
    prompt_pages,
    users_pages,
    wallboard_pages,
)
from server.web.render import redirect, render
from server.web.session import CsrfRefused, ReadOnly, SignInRequired

STATIC = Path(__file__).parent / "static"

HangUp = Callable[[str, str], bool]
TrunkStates = Callable[[], dict[tuple[str, int, str], str]]
LiveQueues = Callable[[float], Board]  # the running queue engine's board at a UNIX time


def create_console_app(
    *,
    ctx: DomainContext,
    sessionmaker: async_sessionmaker[AsyncSession],
    hang_up: HangUp | None = None,
    trunk_states: TrunkStates | None = None,
    live_queues: LiveQueues | None = None,
    recordings_dir: Path | None = None,
    prompts_dir: Path | None = None,
    call_recording: bool = True,
) -> FastAPI:
    """`hang_up(call_id, reason) -> bool` ends a running call in the PBX (absent: the button is hidden);
    `trunk_states()` tells how each registering carrier trunk stands (absent: no indicator)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.state.sessionmaker = sessionmaker
    app.state.hang_up = hang_up
    app.state.trunk_states = trunk_states
    app.state.live_queues = live_queues  # the running queue engine's board at a time (absent: the log's)
    app.state.recordings_dir = recordings_dir
    app.state.call_recording = call_recording  # the server's master switch (the company page says if off)
    app.state.prompts_dir = prompts_dir  # uploaded prompts, <prompts_dir>/<company id>/<name>.wav

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        if request.method == "GET":
            return redirect(f"/console/login?next={request.url.path}")
        return render(request, "error.html", {"code": 401, "message": "Please sign in again."}, status=401)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _exc: CsrfRefused) -> Response:
        return render(
            request,
            "error.html",
            {"code": 403, "message": "The form expired or came from another site. Reload and try again."},
            status=403,
        )

    @app.exception_handler(ReadOnly)
    async def _read_only(request: Request, _exc: ReadOnly) -> Response:
        message = "Supervisors can view this page only."
        return render(request, "error.html", {"code": 403, "message": message}, status=403)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, _exc: NotFound) -> Response:
        return render(request, "error.html", {"code": 404, "message": "Not found."}, status=404)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return render(request, "error.html", {"code": exc.status, "message": exc.message}, status=exc.status)

    @app.exception_handler(404)
    async def _missing(request: Request, _exc: Exception) -> Response:
        return render(request, "error.html", {"code": 404, "message": "Not found."}, status=404)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        auth_pages,
        users_pages,
        calls_pages,
        wallboard_pages,
        live_pages,
        company_pages,
        cost_pages,
        callcenter_pages,
        prompt_pages,
    ):
        app.include_router(module.router)
    return app
