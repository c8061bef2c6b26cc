"""Groups, hotlines, desk phones, the audit log and company settings: the domain services of the JSON API,
called with the signed-in admin's company and id."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.domain import audit, companies, desk_phones, groups, hotlines, people, rate_tables, sender_check
from server.domain.errors import DomainError, InvalidInput
from server.domain.notify import sender_description
from server.domain.prompts import list_prompts
from server.web.deps import Admin, ContextDep, FormDep, SessionDep, SignedIn
from server.web.render import field_errors, gettext_for, redirect, render, zone

router = APIRouter()


def _confirm(request: Request, title: str, what: str, action: str, back: str) -> Response:
    return render(request, "confirm.html", {"title": title, "what": what, "action": action, "back": back})


# --- groups -----------------------------------------------------------------------------------------
def _member_ids(form: Any) -> list[int]:
    return [int(v) for k, v in form.multi_items() if k == "members" and str(v).isdigit()]


@router.get("/groups")
async def group_list(request: Request, console: SignedIn, session: SessionDep) -> Response:
    return render(
        request,
        "groups.html",
        {
            "groups": await groups.list_groups(session, company_id=console.company_id),
            "users": await people.list_users(session, company_id=console.company_id),
            "errors": {},
            "values": {},
        },
    )


@router.post("/groups")
async def group_create(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    raw = await request.form()
    try:
        await groups.create_group(
            session,
            ctx=ctx,
            company_id=console.company_id,
            name=str(form.get("name", "")).strip(),
            member_ids=_member_ids(raw),
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        return render(
            request,
            "groups.html",
            {
                "groups": await groups.list_groups(session, company_id=console.company_id),
                "users": await people.list_users(session, company_id=console.company_id),
                "errors": field_errors(request, exc),
                "values": {"name": form.get("name", "")},
            },
            status=422,
        )
    return redirect("/console/groups", flash="Group created.")


@router.post("/groups/{group_id:int}")
async def group_update(
    request: Request, group_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    raw = await request.form()
    try:
        await groups.update_group(
            session,
            ctx=ctx,
            company_id=console.company_id,
            group_id=group_id,
            name=str(form.get("name", "")).strip() or None,
            member_ids=_member_ids(raw),
            actor_id=console.user.id,
        )
    except InvalidInput as exc:
        await session.rollback()
        return redirect("/console/groups", flash=next(iter(field_errors(request, exc).values())))
    return redirect("/console/groups", flash="Saved.")


@router.get("/groups/{group_id:int}/delete")
async def group_delete_confirm(
    request: Request, group_id: int, console: Admin, session: SessionDep
) -> Response:
    group = await groups.get_group(session, company_id=console.company_id, group_id=group_id)
    return _confirm(
        request, "Delete group", group.name, f"/console/groups/{group_id}/delete", "/console/groups"
    )


@router.post("/groups/{group_id:int}/delete")
async def group_delete(
    group_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await groups.delete_group(
        session, ctx=ctx, company_id=console.company_id, group_id=group_id, actor_id=console.user.id
    )
    return redirect("/console/groups", flash="Group deleted.")


# --- hotlines ---------------------------------------------------------------------------------------
HOTLINE_TEXT = ("number", "carrier", "label", "trunk_host", "trunk_username", "inbound_extension")


def _hotline_values(form: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in HOTLINE_TEXT}
    if not creating:
        values.pop("number")
    port = str(form.get("trunk_port", "5060")).strip() or "5060"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InvalidInput("invalid_port", "not a port number", fields={"trunk_port": "1-65535"})
    values["trunk_port"] = int(port)
    transport = str(form.get("trunk_transport", "udp"))
    if transport not in ("udp", "tcp", "tls"):
        raise InvalidInput(
            "invalid_transport", "transport: udp, tcp or tls", fields={"trunk_transport": "udp"}
        )
    values["trunk_transport"] = transport
    values["trunk_register"] = "trunk_register" in form
    values["trunk_username"] = values["trunk_username"] or None
    password = str(form.get("trunk_password", ""))
    if password:
        values["trunk_password"] = password
    table = str(form.get("rate_table_id", "")).strip()
    values["rate_table_id"] = int(table) if table.isdigit() and len(table) < 10 else None
    if not values["trunk_host"]:
        raise InvalidInput("invalid_host", "not a host name or address", fields={"trunk_host": "required"})
    return values


async def _hotline_page(request: Request, console: Any, session: Any, **extra: Any) -> Response:
    status = extra.pop("status", 200)
    tables = await rate_tables.list_tables(session, company_id=console.company_id)
    return render(
        request,
        "hotlines.html",
        {
            "hotlines": await hotlines.list_hotlines(session, company_id=console.company_id),
            "rate_tables": tables,
            "rate_table_options": [(t.id, t.name) for t in tables],
            "trunks": request.app.state.trunk_states() if request.app.state.trunk_states else None,
            "errors": {},
            "values": {},
            "editing": None,
            **extra,
        },
        status=status,
    )


@router.get("/hotlines")
async def hotline_list(request: Request, console: SignedIn, session: SessionDep) -> Response:
    editing = request.query_params.get("edit", "")
    hotline = None
    if editing.isdigit():
        hotline = await hotlines.get_hotline(session, company_id=console.company_id, hotline_id=int(editing))
    return await _hotline_page(request, console, session, editing=hotline)


@router.post("/hotlines")
async def hotline_create(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    try:
        await hotlines.create_hotline(
            session,
            ctx=ctx,
            company_id=console.company_id,
            values=_hotline_values(form, creating=True),
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        values = {k: v for k, v in form.items() if k != "trunk_password"}
        return await _hotline_page(
            request, console, session, errors=field_errors(request, exc), values=values, status=422
        )
    return redirect("/console/hotlines", flash="Hotline created.")


@router.post("/hotlines/{hotline_id:int}")
async def hotline_update(
    request: Request, hotline_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    try:
        await hotlines.update_hotline(
            session,
            ctx=ctx,
            company_id=console.company_id,
            hotline_id=hotline_id,
            changes=_hotline_values(form, creating=False),
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        hotline = await hotlines.get_hotline(session, company_id=console.company_id, hotline_id=hotline_id)
        return await _hotline_page(
            request, console, session, errors=field_errors(request, exc), editing=hotline, status=422
        )
    return redirect("/console/hotlines", flash="Saved.")


@router.get("/hotlines/{hotline_id:int}/delete")
async def hotline_delete_confirm(
    request: Request, hotline_id: int, console: Admin, session: SessionDep
) -> Response:
    hotline = await hotlines.get_hotline(session, company_id=console.company_id, hotline_id=hotline_id)
    return _confirm(
        request,
        "Delete hotline",
        hotline.number,
        f"/console/hotlines/{hotline_id}/delete",
        "/console/hotlines",
    )


@router.post("/hotlines/{hotline_id:int}/delete")
async def hotline_delete(
    hotline_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await hotlines.delete_hotline(
        session, ctx=ctx, company_id=console.company_id, hotline_id=hotline_id, actor_id=console.user.id
    )
    return redirect("/console/hotlines", flash="Hotline deleted.")


# --- desk phones ------------------------------------------------------------------------------------
async def _desk_page(request: Request, console: Any, session: Any, ctx: Any, **extra: Any) -> Response:
    status = extra.pop("status", 200)
    return render(
        request,
        "desk_phones.html",
        {
            "phones": await desk_phones.list_desk_phones(session, ctx=ctx, company_id=console.company_id),
            "users": await people.list_users(session, company_id=console.company_id),
            "vendors": desk_phones.vendor_catalog(),
            "errors": {},
            "values": {},
            **extra,
        },
        status=status,
    )


@router.get("/desk-phones")
async def desk_phone_list(
    request: Request, console: SignedIn, session: SessionDep, ctx: ContextDep
) -> Response:
    return await _desk_page(request, console, session, ctx)


@router.post("/desk-phones")
async def desk_phone_add(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    vendor, _sep, model = str(form.get("model", "")).partition("/")
    user = str(form.get("user_id", ""))
    try:
        if not user.isdigit():
            raise InvalidInput("user_required", "choose whose phone it is", fields={"user_id": "required"})
        await desk_phones.add_desk_phone(
            session,
            ctx=ctx,
            company_id=console.company_id,
            mac=str(form.get("mac", "")),
            vendor=vendor,
            model=model,
            user_id=int(user),
            label=str(form.get("label", "")).strip(),
            actor_id=console.user.id,
        )
    except DomainError as exc:
        await session.rollback()
        return await _desk_page(
            request, console, session, ctx, errors=field_errors(request, exc), values=dict(form), status=422
        )
    return redirect("/console/desk-phones", flash="Desk phone added: its pairing window is open.")


@router.post("/desk-phones/{phone_id:int}/pairing")
async def desk_phone_pairing(
    phone_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await desk_phones.open_pairing(
        session, ctx=ctx, company_id=console.company_id, desk_phone_id=phone_id, actor_id=console.user.id
    )
    return redirect("/console/desk-phones", flash="Pairing window opened.")


@router.get("/desk-phones/{phone_id:int}/delete")
async def desk_phone_delete_confirm(
    request: Request, phone_id: int, console: Admin, session: SessionDep, ctx: ContextDep
) -> Response:
    phone = await desk_phones.get_desk_phone(
        session, ctx=ctx, company_id=console.company_id, desk_phone_id=phone_id
    )
    return _confirm(
        request,
        "Delete desk phone",
        f"{phone.vendor} {phone.model} {phone.mac}",
        f"/console/desk-phones/{phone_id}/delete",
        "/console/desk-phones",
    )


@router.post("/desk-phones/{phone_id:int}/delete")
async def desk_phone_delete(
    phone_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await desk_phones.delete_desk_phone(
        session, ctx=ctx, company_id=console.company_id, desk_phone_id=phone_id, actor_id=console.user.id
    )
    return redirect("/console/desk-phones", flash="Desk phone deleted.")


# --- audit log --------------------------------------------------------------------------------------
ENTITIES = (
    "user",
    "device",
    "extension",
    "group",
    "hotline",
    "desk_phone",
    "company",
    "schedule",
    "ivr_menu",
    "queue",
    "queue_members",
    "ring_group",
    "voicemail_box",
    "hotline_route",
    "prompt",
)


def _utc_day(request: Request, value: str, *, next_day: bool = False) -> datetime | None:
    try:
        day = datetime.fromisoformat(value).date()
    except ValueError:
        return None
    local = datetime.combine(day + timedelta(days=1 if next_day else 0), time(), zone(request))
    return local.astimezone(UTC).replace(tzinfo=None)


@router.get("/audit")
async def audit_log(request: Request, console: SignedIn, session: SessionDep) -> Response:
    p = request.query_params
    actor = p.get("actor", "")
    before = p.get("before", "")
    entries = await audit.search_entries(
        session,
        company_id=console.company_id,
        actor_id=int(actor) if actor.isdigit() else None,
        entity=p.get("entity") if p.get("entity") in ENTITIES else None,
        since=_utc_day(request, p.get("from", "")),
        until=_utc_day(request, p.get("to", ""), next_day=True),
        limit=100,
        before_id=int(before) if before.isdigit() else None,
    )
    users = await people.list_users(session, company_id=console.company_id)
    return render(
        request,
        "audit.html",
        {
            "entries": entries,
            "users": users,
            "names": {u.id: u.full_name for u in users},
            "entities": ENTITIES,
            "f": {k: p.get(k, "") for k in ("actor", "entity", "from", "to")},
            "next_before": entries[-1].id if len(entries) == 100 else None,
        },
    )


# --- company ----------------------------------------------------------------------------------------
def _company_page(request: Request, console: Any, ctx: Any, *, status: int = 200, **extra: Any) -> Response:
    prompts_dir = request.app.state.prompts_dir
    values = {
        "prompts": [p.name for p in list_prompts(prompts_dir, console.company_id)] if prompts_dir else [],
        "company": console.user.company,
        "ctx": ctx,
        "errors": {},
        "values": None,
        "recording_available": request.app.state.call_recording,
        "senders": {"sms": sender_description(ctx.sms), "email": sender_description(ctx.mail)},
        "test": {"channel": "sms", "to": ""},
        "test_errors": {},
        **extra,
    }
    return render(request, "company.html", values, status=status)


@router.get("/company")
async def company_settings(request: Request, console: SignedIn, ctx: ContextDep) -> Response:
    return _company_page(request, console, ctx)


@router.post("/company/test-message")
async def company_test_message(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    channel, to = str(form.get("channel", "")), str(form.get("to", ""))
    try:
        sent_to = await sender_check.send_test(
            session,
            ctx=ctx,
            company_id=console.company_id,
            company_name=console.user.company.name,
            channel=channel,
            to=to,
            actor_id=console.user.id,
        )
    except sender_check.SenderFailed as exc:
        _ = gettext_for(request)
        message = _("Not sent: %s") % (_(exc.reason) % exc.detail)
        return _company_page(
            request,
            console,
            ctx,
            test={"channel": channel, "to": to},
            test_errors={"_form": message},
            status=502,
        )
    except InvalidInput as exc:
        await session.rollback()
        return _company_page(
            request,
            console,
            ctx,
            test={"channel": channel, "to": to},
            test_errors=field_errors(request, exc),
            status=422,
        )
    sent = "Test SMS sent to %s." if channel == "sms" else "Test e-mail sent to %s."
    return redirect("/console/company", flash=f"{sent}|{sent_to}")


@router.post("/company")
async def company_update(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    fields = (
        "name",
        "recording_policy",
        "console_language",
        "recording_notice_prompt",
        "recording_retention_days",
    )
    changes: dict[str, Any] = {k: str(form.get(k, "")) for k in fields if k in form}
    changes["recording_notice"] = "recording_notice" in form  # an unchecked box is not sent
    try:
        await companies.update_company(
            session, ctx=ctx, company_id=console.company_id, changes=changes, actor_id=console.user.id
        )
    except InvalidInput as exc:
        await session.rollback()
        return _company_page(
            request, console, ctx, values=changes, errors=field_errors(request, exc), status=422
        )
    return redirect("/console/company", flash="Saved.")
