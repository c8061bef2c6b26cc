"""Console sign-in: a signed, HttpOnly session cookie, CSRF by double submit, flash messages, roles.

The session cookie carries the user and company ids and the refresh token that `auth.login` issued (so logout
revokes it); every request re-reads the user, so a disabled account or a changed role takes effect at once.
CSRF: a random `console_csrf` cookie (SameSite=Strict) must equal the form's `csrf_token` on every POST.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from starlette.responses import Response

from server.domain.clock import to_posix
from server.domain.context import DomainContext
from server.domain.models import Role, User
from server.domain.security import BadToken

SESSION_COOKIE = "console_session"
CSRF_COOKIE = "console_csrf"
LANG_COOKIE = "console_lang"
FLASH_COOKIE = "console_flash"
SESSION_TTL = 12 * 3600
CONSOLE_ROLES = frozenset({Role.ADMIN.value, Role.SUPERVISOR.value})


class SignInRequired(Exception):
    """No valid session: the page redirects to the login form."""


class CsrfRefused(Exception):
    """A POST without the right CSRF token."""


class ReadOnly(Exception):
    """A supervisor tried to change something outside the live views."""


@dataclass(frozen=True, slots=True)
class Console:
    """Who is signed in, as every page sees it."""

    user: User
    refresh_token: str

    @property
    def company_id(self) -> int:
        return self.user.company_id

    @property
    def can_edit(self) -> bool:
        return self.user.role == Role.ADMIN.value

    def require_admin(self) -> None:
        if not self.can_edit:
            raise ReadOnly()


def session_cookie(ctx: DomainContext, user: User, refresh_token: str) -> str:
    exp = to_posix(ctx.clock()) + SESSION_TTL
    return ctx.signer.sign("console", exp, sub=user.id, cid=user.company_id, rt=refresh_token)


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/console", httponly=True, samesite="strict", secure=False
    )


async def current(request: Request) -> Console:
    """The signed-in console user (admin or supervisor, active, of the company the cookie names)."""
    ctx: DomainContext = request.app.state.ctx
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise SignInRequired()
    try:
        claims = ctx.signer.verify(raw, "console", to_posix(ctx.clock()))
    except BadToken:
        raise SignInRequired() from None
    async with request.app.state.sessionmaker() as session:
        user = await session.scalar(
            select(User).where(User.id == claims.get("sub")).options(joinedload(User.company))
        )
        if user is not None:
            session.expunge(user)
    if (
        user is None
        or user.company_id != claims.get("cid")
        or not user.active
        or user.role not in CONSOLE_ROLES
    ):
        raise SignInRequired()
    return Console(user=user, refresh_token=str(claims.get("rt", "")))


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (made on first sight; `render` sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE) or request.scope.get("console.csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.scope["console.csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> dict[str, Any]:
    """The POSTed form, once its `csrf_token` matched the cookie; `CsrfRefused` otherwise."""
    form = await request.form()
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf_token")
    if not cookie or not isinstance(sent, str) or not secrets.compare_digest(cookie, sent):
        raise CsrfRefused()
    return {k: v for k, v in form.multi_items()}
