"""Typed dependencies: the database session, the domain context and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import auth
from server.domain.context import DomainContext
from server.domain.errors import Forbidden, Unauthorized
from server.domain.models import Role, User

_bearer = HTTPBearer(auto_error=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def get_context(request: Request) -> DomainContext:
    # async on purpose: FastAPI runs plain `def` dependencies in a thread pool, a thread hop per request.
    ctx: DomainContext = request.app.state.ctx
    return ctx


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ContextDep = Annotated[DomainContext, Depends(get_context)]


async def get_current_user(
    session: SessionDep,
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("invalid_token", "a bearer access token is required")
    return await auth.authenticate(session, ctx=ctx, access_token=credentials.credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_admin(user: CurrentUser) -> User:
    if user.role != Role.ADMIN:
        raise Forbidden("admin_required", "this needs an administrator")
    return user


CurrentAdmin = Annotated[User, Depends(get_current_admin)]


async def get_current_supervisor(user: CurrentUser) -> User:
    """Administrators and supervisors (read access to live views and reports)."""
    if user.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("supervisor_required", "this needs a supervisor or an administrator")
    return user


CurrentSupervisor = Annotated[User, Depends(get_current_supervisor)]
