"""Typed dependencies of the console pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.context import DomainContext
from server.web.session import Console, check_csrf, current


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def get_context(request: Request) -> DomainContext:
    ctx: DomainContext = request.app.state.ctx
    return ctx


async def signed_in(request: Request) -> Console:
    console = await current(request)
    request.state.console = console
    return console


async def admin(console: Annotated[Console, Depends(signed_in)]) -> Console:
    console.require_admin()
    return console


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ContextDep = Annotated[DomainContext, Depends(get_context)]
SignedIn = Annotated[Console, Depends(signed_in)]
Admin = Annotated[Console, Depends(admin)]
FormDep = Annotated[dict[str, Any], Depends(check_csrf)]
