"""Jinja2 rendering for the console: one environment, the language and CSRF token of the request, flashes."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from server.domain.console_language import language_of
from server.domain.errors import DomainError
from server.web.i18n import pick_language, translations
from server.web.session import CSRF_COOKIE, FLASH_COOKIE, LANG_COOKIE, csrf_token, set_cookie

TEMPLATES = Path(__file__).parent / "templates"
env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "svg"]))


def percent(ratio: float | None) -> str:
    """A ratio as a whole percentage; a dash when there was nothing to divide by."""
    return "—" if ratio is None else f"{ratio * 100:.0f}%"


def minutes_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


env.globals.update(pct=percent, mmss=minutes_seconds)


def number(lang: str, value: float | None, decimals: int = 0) -> str:
    """A number the way the language writes it: 7.590 and 3,9 in Vietnamese, 7,590 and 3.9 in English."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale="vi" if lang == "vi" else "en"))


def language(request: Request) -> str:
    """This browser's choice; without one, the signed-in admin's own (else their company's default)."""
    chosen = request.cookies.get(LANG_COOKIE)
    console = getattr(request.state, "console", None)
    if not chosen and console is not None:
        return language_of(console.user, console.user.company)
    return pick_language(chosen)


def gettext_for(request: Request) -> Any:
    return translations(language(request)).gettext


def zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.ctx.desk_phones.timezone)


def local_time(request: Request, posix: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if posix is None:
        return ""
    return datetime.fromtimestamp(posix, UTC).astimezone(zone(request)).strftime(fmt)


def local_naive(request: Request, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(zone(request)).strftime(fmt)


def query_with(request: Request, **changes: Any) -> str:
    """The current query string with some parameters replaced (None drops one): links keep the filters."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return urllib.parse.urlencode(params)


def render(
    request: Request, template: str, values: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    _ = gettext_for(request)
    flash = request.cookies.get(FLASH_COOKIE)
    page = env.get_template(template).render(
        request=request,
        _=_,
        lang=language(request),
        csrf=csrf_token(request),
        me=getattr(request.state, "console", None),
        flash=_flash_text(_, flash),
        base="/console",
        t=lambda posix, fmt="%Y-%m-%d %H:%M:%S": local_time(request, posix, fmt),
        tn=lambda moment, fmt="%Y-%m-%d %H:%M:%S": local_naive(request, moment, fmt),
        query_with=lambda **kw: query_with(request, **kw),
        tojson=json.dumps,
        num=lambda value, decimals=0: number(language(request), value, decimals),
        **(values or {}),
    )
    response = HTMLResponse(page, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'"
    )
    if not request.cookies.get(CSRF_COOKIE):
        set_cookie(response, CSRF_COOKIE, csrf_token(request))
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/console")
    return response


def _flash_text(_: Any, raw: str | None) -> str | None:
    """A flash is an English message id, with "|arg" when it has a %s to fill."""
    if not raw:
        return None
    message, _sep, arg = urllib.parse.unquote(raw).partition("|")
    return _(message) % arg if arg else _(message)


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    """POST-redirect-GET; `flash` (an English message id) shows once on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_cookie(response, FLASH_COOKIE, urllib.parse.quote(flash))
    return response


def field_errors(request: Request, exc: DomainError) -> dict[str, str]:
    """A domain error as messages next to the fields it names (translated), `_form` for the rest."""
    _ = gettext_for(request)
    errors = {name: _(text) for name, text in exc.fields.items()}
    message = _(exc.message)
    if not errors:
        errors["_form"] = message
    else:
        errors = {name: f"{message}: {text}" if text != message else text for name, text in errors.items()}
    return errors


def no_content() -> Response:
    return Response(status_code=204)
