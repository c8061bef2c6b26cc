"""Users: list (filters in the URL), create, edit, disable, delete, extensions, devices, mobile QR, import,
export.  Every change goes through `server.domain.people` / `bulk_users` with the admin's company and id."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from server.domain import accounts, bulk_users, forwarding, hotlines, people, provisioning
from server.domain.clock import period_of
from server.domain.errors import DomainError, InvalidInput
from server.domain.models import DeviceKind, RingMethod, Role, User
from server.web.deps import Admin, ContextDep, FormDep, SessionDep, SignedIn
from server.web.render import field_errors, gettext_for, redirect, render
from server.web.user_files import COLUMNS, export_csv, read_sheet, to_csv, to_rows

router = APIRouter(prefix="/users")
PAGE = 50


def _matches(user: User, q: str, role: str, status: str) -> bool:
    if role and user.role != role:
        return False
    if (status == "active" and not user.active) or (status == "disabled" and user.active):
        return False
    if status == "dnd" and not user.dnd:
        return False
    if q:
        hay = " ".join(
            [user.full_name, user.phone, user.email or "", *(e.number for e in user.extensions)]
        ).lower()
        return q.lower() in hay
    return True


def _used_minutes(user: User, now_period: str) -> float:
    return people.usage_seconds(user, now_period=now_period) / 60.0


@router.get("")
async def list_users(request: Request, console: SignedIn, session: SessionDep, ctx: ContextDep) -> Response:
    q = request.query_params.get("q", "").strip()
    role = request.query_params.get("role", "")
    status = request.query_params.get("status", "")
    users = [
        u
        for u in await people.list_users(session, company_id=console.company_id)
        if _matches(u, q, role, status)
    ]
    period = period_of(ctx.clock())
    if request.query_params.get("format") == "csv":
        body = export_csv(users, {u.id: _used_minutes(u, period) for u in users})
        return Response(
            "\ufeff" + body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="users.csv"'},
        )
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    shown = users[(page - 1) * PAGE : page * PAGE]
    return render(
        request,
        "users.html",
        {
            "users": shown,
            "total": len(users),
            "page": page,
            "pages": max(1, -(-len(users) // PAGE)),
            "q": q,
            "role": role,
            "status": status,
            "used": {u.id: _used_minutes(u, period) for u in shown},
        },
    )


async def _form_values(session: Any, console: Any) -> dict[str, Any]:
    lines = await hotlines.list_hotlines(session, company_id=console.company_id)
    return {
        "hotlines": lines,
        "roles": [r.value for r in Role],
        "ring_methods": [m.value for m in RingMethod],
    }


@router.get("/new")
async def new_user_form(request: Request, console: Admin, session: SessionDep) -> Response:
    return render(
        request,
        "user_new.html",
        {"values": {"role": "agent"}, "errors": {}, **await _form_values(session, console)},
    )


@router.post("/new")
async def create_user(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    extension = values.get("extension", "").strip()
    try:
        user = await people.create_user(
            session,
            ctx=ctx,
            company=console.user.company,
            full_name=values.get("full_name", ""),
            phone=values.get("phone", ""),
            password=values.get("password", ""),
            email=values.get("email") or None,
            role=Role(values.get("role") or "agent"),
            extensions=[extension] if extension else [],
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        errors = field_errors(request, exc)
        if "extensions" in errors:
            errors["extension"] = errors.pop("extensions")
        return render(
            request,
            "user_new.html",
            {"values": values, "errors": errors, **await _form_values(session, console)},
            status=422,
        )
    return redirect(f"/console/users/{user.id}", flash="User created.")


@router.get("/import")
async def import_form(request: Request, console: Admin) -> Response:
    return render(request, "user_import.html", {"rows": None, "columns": COLUMNS, "errors": {}})


@router.post("/import")
async def import_preview(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    """Step 1: read the sheet and mark each row valid or why not (a dry run of the one transaction)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors = {"file": "Choose a CSV or XLSX file."}
        return render(
            request, "user_import.html", {"rows": None, "columns": COLUMNS, "errors": errors}, status=422
        )
    try:
        rows = to_rows(read_sheet(upload.filename, await upload.read()))
    except Exception:  # a broken file is the admin's input, not our failure
        errors = {"file": "This file cannot be read as CSV or XLSX."}
        return render(
            request, "user_import.html", {"rows": None, "columns": COLUMNS, "errors": errors}, status=422
        )
    problems = await _check_rows(session, ctx, console, rows, gettext_for(request))
    return render(
        request,
        "user_import.html",
        {
            "rows": rows,
            "problems": problems,
            "columns": COLUMNS,
            "errors": {},
            "sheet": base64.b64encode(to_csv(rows).encode()).decode(),
        },
        status=422 if problems else 200,
    )


async def _check_rows(session: Any, ctx: Any, console: Any, rows: list[Any], _: Any = str) -> dict[int, str]:
    """Row line -> why it cannot be created (empty: every row is fine), in the page's language."""
    problems = {r.line: r.error for r in rows if r.error}
    good = [r for r in rows if r.user is not None]
    if not rows:
        return {0: "The file has no rows."}
    try:
        await bulk_users.create_users(
            session,
            ctx=ctx,
            company=console.user.company,
            rows=[r.user for r in good],
            actor_id=console.user.id,
            dry_run=True,
        )
    except bulk_users.InvalidRows as exc:
        for err in exc.rows:
            detail = "; ".join(f"{k}: {_(v)}" for k, v in err.fields.items())
            problems[good[err.row].line] = _(err.message) + (f" ({detail})" if detail else "")
    await session.rollback()
    return problems


@router.post("/import/commit")
async def import_commit(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    """Step 2: the previewed rows in one transaction (all or none)."""
    data = base64.b64decode(str(form.get("sheet", "")))
    rows = to_rows(read_sheet("import.csv", data))
    problems = await _check_rows(session, ctx, console, rows, gettext_for(request))
    if problems:
        return render(
            request,
            "user_import.html",
            {
                "rows": rows,
                "problems": problems,
                "columns": COLUMNS,
                "errors": {},
                "sheet": form.get("sheet"),
            },
            status=422,
        )
    created = await bulk_users.create_users(
        session,
        ctx=ctx,
        company=console.user.company,
        rows=[r.user for r in rows if r.user],
        actor_id=console.user.id,
    )
    return redirect("/console/users", flash=f"Users imported: %s|{len(created)}")


async def _user_page(
    request: Request,
    console: Any,
    session: Any,
    ctx: Any,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    period = period_of(ctx.clock())
    used = _used_minutes(user, period)
    return render(
        request,
        "user_edit.html",
        {
            "user": user,
            "values": values,
            "errors": errors or {},
            "used": used,
            "remaining": None if user.monthly_minutes is None else max(0.0, user.monthly_minutes - used),
            "device_kinds": [k.value for k in DeviceKind],
            "forwarding": await forwarding.get_rules(session, user_id=user.id),
            "forwarded_here": {  # extension -> who forwards to it: said before it is removed
                e.number: await forwarding.forwarding_to(
                    session, company_id=user.company_id, extension=e.number
                )
                for e in user.extensions
            },
            "fw_form": None,
            **(extra or {}),
            **await _form_values(session, console),
        },
        status=status,
    )


@router.get("/{user_id:int}")
async def user_detail(
    request: Request, user_id: int, console: SignedIn, session: SessionDep, ctx: ContextDep
) -> Response:
    user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
    return await _user_page(request, console, session, ctx, user)


def _edit_changes(form: dict[str, Any], hotline_numbers: dict[str, str]) -> dict[str, Any]:
    minutes = str(form.get("monthly_minutes", "")).strip()
    delay = str(form.get("auto_answer_delay", "3")).strip() or "3"
    changes: dict[str, Any] = {
        "full_name": str(form.get("full_name", "")),
        "phone": str(form.get("phone", "")),
        "email": str(form.get("email", "")).strip() or None,
        "role": str(form.get("role", "agent")),
        "active": "active" in form,
        "allow_outbound": "allow_outbound" in form,
        "ring_method": str(form.get("ring_method", "all")),
        "mobile_number": str(form.get("mobile_number", "")).strip() or None,
        "auto_answer": "auto_answer" in form,
        "dnd": "dnd" in form,
        "default_hotline": hotline_numbers.get(str(form.get("default_hotline", ""))),
        "recording": str(form.get("recording", "")) or None,  # None: left as it is
    }
    if minutes and not minutes.isdigit():
        raise DomainError(
            "invalid_quota", "monthly minutes: a whole number", fields={"monthly_minutes": "0-1000000"}
        )
    changes["monthly_minutes"] = int(minutes) if minutes else None
    if not delay.isdigit() or not 0 <= int(delay) <= 60:
        raise DomainError(
            "invalid_delay", "auto-answer delay: 0-60 seconds", fields={"auto_answer_delay": "0-60"}
        )
    changes["auto_answer_delay"] = int(delay)
    return changes


@router.post("/{user_id:int}")
async def update_user(
    request: Request, user_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    numbers = {
        str(h.id): h.number for h in await hotlines.list_hotlines(session, company_id=console.company_id)
    }
    try:
        changes = _edit_changes(form, numbers)
        await people.update_user(
            session,
            ctx=ctx,
            company_id=console.company_id,
            user_id=user_id,
            changes=changes,
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
        return await _user_page(
            request,
            console,
            session,
            ctx,
            user,
            values=dict(form),
            errors=field_errors(request, exc),
            status=422,
        )
    return redirect(f"/console/users/{user_id}", flash="Saved.")


def _forwarding_rules(form: dict[str, Any]) -> dict[str, forwarding.RuleSetting]:
    seconds = str(form.get("fw_no_answer_seconds", "")).strip() or str(forwarding.DEFAULT_SECONDS)
    if not seconds.isdigit():
        raise InvalidInput(
            "invalid_forwarding",
            "call forwarding rule not valid",
            fields={"no_answer.seconds": "5-120 seconds"},
        )
    return {
        c: forwarding.RuleSetting(
            enabled=f"fw_{c}_enabled" in form,
            target_kind=str(form.get(f"fw_{c}_kind", "extension")),
            target=str(form.get(f"fw_{c}_target", "")),
            seconds=int(seconds) if c == "no_answer" else forwarding.DEFAULT_SECONDS,
        )
        for c in forwarding.CONDITIONS
    }


def _forwarding_field(name: str) -> str:
    """A domain field ("busy.target_kind") as the form names it ("fw_busy_kind")."""
    condition, _, part = name.partition(".")
    return f"fw_{condition}_{'kind' if part == 'target_kind' else part or 'enabled'}"


@router.post("/{user_id:int}/forwarding")
async def update_forwarding(
    request: Request, user_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
    try:
        rules = _forwarding_rules(form)
        await forwarding.set_rules(session, ctx=ctx, user=user, rules=rules, actor_id=console.user.id)
    except DomainError as exc:
        await session.rollback()
        user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
        errors = {_forwarding_field(k): v for k, v in field_errors(request, exc).items()}
        return await _user_page(
            request, console, session, ctx, user, errors=errors, status=422, extra={"fw_form": dict(form)}
        )
    return redirect(f"/console/users/{user_id}#forwarding", flash="Call forwarding saved.")


@router.post("/{user_id:int}/reset-usage")
async def reset_usage(
    user_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await people.update_user(
        session,
        ctx=ctx,
        company_id=console.company_id,
        user_id=user_id,
        changes={"reset_usage": True},
        actor_id=console.user.id,
    )
    return redirect(f"/console/users/{user_id}", flash="Monthly usage reset.")


@router.post("/{user_id:int}/extensions")
async def add_extension(
    request: Request, user_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    try:
        await people.add_extension(
            session,
            ctx=ctx,
            company_id=console.company_id,
            user_id=user_id,
            number=str(form.get("number", "")).strip(),
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
        errors = {"number": next(iter(field_errors(request, exc).values()))}
        return await _user_page(request, console, session, ctx, user, errors=errors, status=422)
    return redirect(f"/console/users/{user_id}", flash="Extension added.")


@router.post("/{user_id:int}/extensions/{number}/delete")
async def remove_extension(
    user_id: int, number: str, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await people.remove_extension(
        session,
        ctx=ctx,
        company_id=console.company_id,
        user_id=user_id,
        number=number,
        actor_id=console.user.id,
    )
    return redirect(f"/console/users/{user_id}", flash="Extension removed.")


@router.post("/{user_id:int}/devices")
async def add_device(
    request: Request, user_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    try:
        kind = DeviceKind(str(form.get("kind", "")))
        await people.add_device(
            session,
            ctx=ctx,
            company_id=console.company_id,
            user_id=user_id,
            kind=kind,
            label=str(form.get("label", "")).strip(),
            actor_id=console.user.id,
        )
    except (DomainError, ValueError) as exc:
        await session.rollback()
        user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
        message = exc.message if isinstance(exc, DomainError) else "Choose a device kind."
        return await _user_page(request, console, session, ctx, user, errors={"kind": message}, status=422)
    return redirect(f"/console/users/{user_id}", flash="Device added.")


@router.get("/{user_id:int}/devices/{device_id:int}")
async def device_credentials(
    request: Request, user_id: int, device_id: int, console: Admin, session: SessionDep, ctx: ContextDep
) -> Response:
    """The IP-phone credential view: what to type into a phone's SIP account page."""
    user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
    device = next((d for d in user.devices if d.id == device_id), None)
    if device is None:
        raise_not_found()
    return render(request, "device.html", {"user": user, "device": device, "pbx": ctx.pbx})


@router.post("/{user_id:int}/devices/{device_id:int}/activation-email")
async def resend_activation(
    user_id: int, device_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    """The activation e-mail of an activated device again, to the user's address (as the user could)."""
    user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
    try:
        sent = await accounts.resend_activation_email(session, ctx=ctx, user=user, device_id=device_id)
    except DomainError as exc:
        return redirect(f"/console/users/{user_id}", flash=exc.message)
    flash = "Activation e-mail sent." if sent else "E-mail failed."
    return redirect(f"/console/users/{user_id}", flash=flash)


def raise_not_found() -> None:
    from server.domain.errors import NotFound

    raise NotFound("device")


@router.post("/{user_id:int}/qr")
async def mobile_qr(
    request: Request, user_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
    token = await provisioning.create_mobile_token(session, ctx=ctx, user=user)
    svg = base64.b64encode(provisioning.qr_svg(token.url)).decode()
    return render(
        request, "user_qr.html", {"user": user, "qr": svg, "url": token.url, "expires": token.expires_at}
    )


@router.get("/{user_id:int}/delete")
async def delete_confirm(request: Request, user_id: int, console: Admin, session: SessionDep) -> Response:
    user = await people.get_user(session, company_id=console.company_id, user_id=user_id)
    return render(
        request,
        "confirm.html",
        {
            "title": "Delete user",
            "what": f"{user.full_name} ({user.phone})",
            "action": f"/console/users/{user.id}/delete",
            "back": f"/console/users/{user.id}",
        },
    )


@router.post("/{user_id:int}/delete")
async def delete_user(
    user_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await people.delete_user(
        session, ctx=ctx, company_id=console.company_id, user_id=user_id, actor_id=console.user.id
    )
    return redirect("/console/users", flash="User deleted.")
