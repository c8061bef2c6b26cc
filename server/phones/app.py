"""The `/phones/` file service: a small Starlette app mounted on the API's FastAPI app.

    GET /phones/<file>            by MAC: the pairing bootstrap (once, inside the window), a shared file
    GET /phones/<token>/<file>    the phone's own files, rendered per request

Every request passes the gate first (plain HTTP only from configured networks, rate limit); by-MAC requests
from an address that kept guessing get 429.  Whatever the reason a by-MAC or token request finds nothing, the
answer is the same bare 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from server.domain import desk_phone_files
from server.domain.clock import to_posix
from server.domain.context import DomainContext
from server.domain.desk_phone_files import Fetch, ServedFile
from server.phones import catalog
from server.phones.catalog import MacRequestKind
from server.phones.gate import GatePolicy, PhoneGate, Verdict, parse_networks
from server.settings import ServerSettings
from server.sip.flood import FloodPolicy

log = logging.getLogger("server.phones")

_TOKEN = re.compile(r"[A-Za-z0-9_\-]{20,100}")
_FILENAME = re.compile(r"[A-Za-z0-9._\-]{1,100}")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")
NO_STORE = {"Cache-Control": "no-store"}


def gate_policy(settings: ServerSettings) -> GatePolicy:
    return GatePolicy(
        plain_http_networks=parse_networks(settings.phones_plain_http_networks),
        flood=FloodPolicy(
            rate=settings.phones_rate,
            burst=settings.phones_burst,
            ban_after_drops=int(settings.phones_burst * 2),
            ban_seconds=300.0,
            auth_failures=settings.phones_max_guesses,
            auth_window=float(settings.phones_guess_window),
            lockout_seconds=float(settings.phones_ban_seconds),
        ),
    )


def create_phones_app(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: DomainContext,
    gate: PhoneGate,
) -> Starlette:
    service = PhoneFileService(
        sessionmaker=sessionmaker, ctx=ctx, gate=gate, now=lambda: to_posix(ctx.clock())
    )
    return Starlette(
        routes=[
            Route("/{filename}", service.by_mac, methods=["GET"]),
            Route("/{token}/{filename}", service.by_token, methods=["GET"]),
        ]
    )


def _not_found() -> Response:
    return PlainTextResponse("Not Found\n", status_code=404, headers=NO_STORE)


def _served(file: ServedFile) -> Response:
    return Response(file.body, media_type=file.media_type, headers=NO_STORE)


class PhoneFileService:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        ctx: DomainContext,
        gate: PhoneGate,
        now: Callable[[], float],
    ) -> None:
        self._sessions = sessionmaker
        self._ctx = ctx
        self._gate = gate
        self._now = now

    def _refusal(self, request: Request, host: str, now: float) -> Response | None:
        verdict = self._gate.admit(host, https=request.url.scheme == "https", now=now)
        if verdict is Verdict.HTTPS_REQUIRED:
            return PlainTextResponse(
                "HTTPS required: plain HTTP only from the networks in phones_plain_http_networks\n",
                status_code=403,
                headers=NO_STORE,
            )
        if verdict is Verdict.RATE_LIMITED:
            return _too_many(60)
        return None

    def _base_url(self, request: Request) -> str:
        """Token URLs: configured, else as this phone reached us (a Host we can vouch for)."""
        host = request.headers.get("host", "")
        reached = f"{request.url.scheme}://{host}{request.scope.get('root_path', '')}"
        if not _HOST.fullmatch(host):
            reached = f"{self._ctx.public_base_url}/phones"
        return desk_phone_files.base_url_for(self._ctx, reached)

    async def by_mac(self, request: Request) -> Response:
        host = request.client.host if request.client else ""
        now = self._now()
        filename = request.path_params["filename"]
        if (refusal := self._refusal(request, host, now)) is not None:
            return refusal
        if self._gate.banned(host, now):
            return _too_many(self._gate.retry_after)
        user_agent = request.headers.get("user-agent", "")
        asked = catalog.by_mac(filename, user_agent) if _FILENAME.fullmatch(filename) else None
        if asked is None or asked.kind is MacRequestKind.QUIET:
            return _not_found()
        if asked.kind is MacRequestKind.SHARED and asked.body is not None and asked.vendor is not None:
            return _served(ServedFile(asked.body, asked.vendor.media_type))
        fetch = Fetch(host, user_agent, filename, asked.agent.firmware if asked.agent else None)
        async with self._sessions() as session:
            served = await desk_phone_files.pair(
                session, ctx=self._ctx, request=asked, fetch=fetch, base_url=self._base_url(request)
            )
        if served is None:
            self._gate.guessed(host, now)
            log.info("desk phones: %s from %s (%r): nothing to pair", filename, host, user_agent[:80])
            return _not_found()
        log.info("desk phones: %s paired from %s (%r)", filename, host, user_agent[:80])
        return _served(served)

    async def by_token(self, request: Request) -> Response:
        host = request.client.host if request.client else ""
        now = self._now()
        token, filename = request.path_params["token"], request.path_params["filename"]
        if (refusal := self._refusal(request, host, now)) is not None:
            return refusal
        if not _TOKEN.fullmatch(token):
            self._gate.guessed(host, now)
            return _not_found()
        if not _FILENAME.fullmatch(filename):
            return _not_found()
        user_agent = request.headers.get("user-agent", "")
        found = catalog.identify(user_agent)
        fetch = Fetch(host, user_agent, filename, found[1].firmware if found else None)
        async with self._sessions() as session:
            answer = await desk_phone_files.fetch_file(
                session, ctx=self._ctx, token=token, fetch=fetch, base_url=self._base_url(request)
            )
        if not answer.token_known:
            self._gate.guessed(host, now)
        if answer.file is None:
            return _not_found()
        return _served(answer.file)


def _too_many(retry_after: int) -> Response:
    return PlainTextResponse(
        "Too many requests from this address\n",
        status_code=429,
        headers={**NO_STORE, "Retry-After": str(retry_after)},
    )
