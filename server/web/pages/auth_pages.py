"""Sign in (the domain's login with its lockout), sign out, password change, language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.domain import auth, people
from server.domain.clock import to_posix
from server.domain.console_language import choose_language, language_of
from server.domain.errors import DomainError, InvalidInput, Locked
from server.domain.models import Company, User
from server.web.deps import ContextDep, FormDep, SessionDep, SignedIn
from server.web.i18n import LANGUAGES, pick_language
from server.web.render import field_errors, redirect, render
from server.web.session import (
    CONSOLE_ROLES,
    LANG_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL,
    SignInRequired,
    current,
    session_cookie,
    set_cookie,
)

LANG_TTL = 365 * 86400
LANG_PICK_COOKIE = "console_lang_pick"  # a language chosen while signed out, stored at the next sign-in
LANG_PICK_TTL = 3600

router = APIRouter()


def _safe_next(value: object) -> str:
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/console/") and not text.startswith("//") else "/console/dashboard"


def _login_page(
    request: Request, values: dict[str, str], errors: dict[str, str], next_url: str, status: int
) -> Response:
    values_ = {"values": values, "errors": errors, "next": next_url}
    return render(request, "login.html", values_, status=status)


@router.get("/login")
async def login_form(request: Request) -> Response:
    return render(request, "login.html", {"next": _safe_next(request.query_params.get("next")), "values": {}})


@router.post("/login")
async def login(request: Request, form: FormDep, session: SessionDep, ctx: ContextDep) -> Response:
    login_name = str(form.get("login", "")).strip()
    password = str(form.get("password", ""))
    values = {"login": login_name}
    next_url = _safe_next(form.get("next"))
    if not login_name or not password:
        errors = {}
        if not login_name:
            errors["login"] = "Enter your phone number or e-mail."
        if not password:
            errors["password"] = "Enter your password."
        return _login_page(request, values, errors, next_url, 422)
    try:
        tokens = await auth.login(session, ctx=ctx, login=login_name, password=password)
    except Locked:
        errors = {"_form": "Too many failed sign-ins: this account is locked for a while."}
        return _login_page(request, values, errors, next_url, 423)
    except DomainError:
        errors = {"_form": "Wrong login or password."}
        return _login_page(request, values, errors, next_url, 401)
    claims = ctx.signer.verify(tokens.access_token, "access", to_posix(ctx.clock()))
    user = await session.get(User, claims["sub"])
    if user is None or user.role not in CONSOLE_ROLES:
        await auth.logout(session, ctx=ctx, refresh_token=tokens.refresh_token)
        errors = {"_form": "The console is for administrators and supervisors."}
        return _login_page(request, values, errors, next_url, 403)
    response = redirect(next_url)
    set_cookie(response, SESSION_COOKIE, session_cookie(ctx, user, tokens.refresh_token), max_age=SESSION_TTL)
    # a language picked on the sign-in page is this admin's choice from now on; otherwise their stored one
    # (else the company's default) replaces whatever the last admin of this browser used
    picked = request.cookies.get(LANG_PICK_COOKIE)
    if picked in LANGUAGES:
        await choose_language(session, user_id=user.id, language=str(picked))
        shown = str(picked)
    else:
        shown = language_of(user, await session.get(Company, user.company_id))
    set_cookie(response, LANG_COOKIE, shown, max_age=LANG_TTL)
    response.delete_cookie(LANG_PICK_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(console: SignedIn, form: FormDep, session: SessionDep, ctx: ContextDep) -> Response:
    if console.refresh_token:
        await auth.logout(session, ctx=ctx, refresh_token=console.refresh_token)
    response = redirect("/console/login", flash="Signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.get("/lang/{lang}")
async def switch_language(lang: str, request: Request, session: SessionDep) -> Response:
    """This browser shows ``lang``; a signed-in admin's choice is kept for their next sign-in anywhere."""
    chosen = pick_language(lang)
    try:
        console = await current(request)
    except SignInRequired:
        console = None
    response = redirect(_safe_next(request.query_params.get("next")))
    set_cookie(response, LANG_COOKIE, chosen, max_age=LANG_TTL)
    if console is not None:
        await choose_language(session, user_id=console.user.id, language=chosen)
    else:  # on the sign-in page: kept for whoever signs in next in this browser
        set_cookie(response, LANG_PICK_COOKIE, chosen, max_age=LANG_PICK_TTL)
    return response


@router.get("/password")
async def password_form(request: Request, console: SignedIn) -> Response:
    return render(request, "password.html", {"errors": {}})


@router.post("/password")
async def change_password(
    request: Request, console: SignedIn, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    current, new, confirm = (str(form.get(k, "")) for k in ("current", "new", "confirm"))
    errors: dict[str, str] = {}
    if not await ctx.passwords.verify(console.user.password_hash, current):
        errors["current"] = "Wrong password."
    elif new != confirm:
        errors["confirm"] = "The two new passwords differ."
    else:
        try:
            await people.update_user(
                session,
                ctx=ctx,
                company_id=console.company_id,
                user_id=console.user.id,
                changes={"password": new},
                actor_id=console.user.id,
            )
        except InvalidInput as exc:
            errors = field_errors(request, exc)
            errors = {"new" if k == "password" else k: v for k, v in errors.items()}
    if errors:
        return render(request, "password.html", {"errors": errors}, status=422)
    return redirect("/console/dashboard", flash="Password changed.")
