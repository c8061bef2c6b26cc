"""Call-center pages: schedules and holidays, IVR menus, queues and their members, ring groups, voicemail
boxes, and the hotlines' inbound routes, over `server.domain.callcenter` (the JSON API's service) with the
signed-in admin's company and id.  Supervisors read every page and may flip a schedule's open/closed
override; every other POST is admin only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.api.schemas.callcenter import HotlineRouteBody
from server.callcenter.queue import STRATEGIES
from server.callcenter.schedule import Decision, decide, schedule_from_json
from server.domain import callcenter, hotlines, people
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.prompts import list_prompts
from server.web import callcenter_forms as forms
from server.web.deps import Admin, ContextDep, FormDep, SessionDep, SignedIn
from server.web.render import redirect, render

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Page:
    """One configured kind as the console shows it."""

    segment: str  # URL path segment under /console
    kind: str  # the service's kind
    template: str
    title: str  # English message ids
    singular: str
    parse: Callable[[Any], dict[str, Any]]


PAGES = (
    Page("schedules", "schedules", "cc_schedule.html", "Schedules", "schedule", forms.schedule_config),
    Page("ivr-menus", "ivr_menus", "cc_ivr.html", "IVR menus", "IVR menu", forms.ivr_config),
    Page("queues", "queues", "cc_queue.html", "Queues", "queue", forms.queue_config),
    Page(
        "ring-groups",
        "ring_groups",
        "cc_ring_group.html",
        "Ring groups",
        "ring group",
        forms.ring_group_config,
    ),
    Page(
        "voicemail",
        "voicemail_boxes",
        "cc_voicemail.html",
        "Voicemail boxes",
        "voicemail box",
        forms.voicemail_config,
    ),
)
DEST_KIND = {
    "schedules": "schedule",
    "ivr_menus": "ivr",
    "queues": "queue",
    "ring_groups": "ring_group",
    "voicemail_boxes": "voicemail",
}


async def _targets(request: Request, session: Any, company_id: int) -> dict[str, Any]:
    """Everything the forms pick from: destinations, users, extensions, prompts, hotlines."""
    users = await people.list_users(session, company_id=company_id)
    extensions = sorted((e.number, u.full_name) for u in users for e in u.extensions)
    configured = {
        DEST_KIND[kind]: [
            (r.id, r.name)
            for r in await callcenter.list_configured(session, company_id=company_id, kind=kind)
        ]
        for kind in DEST_KIND
    }
    prompts_dir = request.app.state.prompts_dir
    prompts = [p.name for p in list_prompts(prompts_dir, company_id)] if prompts_dir else []
    lines = [h.number for h in await hotlines.list_hotlines(session, company_id=company_id)]
    return {
        "targets": forms.build_targets(
            extensions=extensions, configured=configured, prompts=prompts, hotlines=lines
        ),
        "users": users,
        "extensions": extensions,
        "configured": configured,
        "prompts": prompts,
        "enc": forms.encode_destination,
        "days": forms.DAYS,
        "day_names": forms.DAY_NAMES,
        "state_names": forms.STATE_NAMES,
        "digits": forms.DIGITS,
        "digit_field": forms.digit_field,
        "strategies": STRATEGIES,
        "strategy_names": forms.STRATEGY_NAMES,
    }


async def _form_page(
    request: Request,
    page: Page,
    console: Any,
    session: Any,
    *,
    row: Any = None,
    config: dict[str, Any] | None = None,
    name: str = "",
    errors: dict[str, str] | None = None,
    form: Any = None,
    member_form: Any = None,
    status: int = 200,
) -> Response:
    values = await _targets(request, session, console.company_id)
    cfg = config if config is not None else (row.config if row is not None else {})
    extra: dict[str, Any] = {}
    if page.kind == "schedules" and form is not None:
        weekly, holidays = forms.rows_from_form(form)
        extra = {"weekly_rows": weekly, "holiday_rows": holidays}
    elif page.kind == "schedules":
        extra = {"weekly_rows": forms.weekly_rows(cfg), "holiday_rows": forms.holiday_rows(cfg)}
    if page.kind == "queues" and row is not None:
        members = await callcenter.list_members(session, company_id=console.company_id, queue_id=row.id)
        states = await callcenter.list_agent_states(session, company_id=console.company_id, queue_id=row.id)
        extra = {
            "members": {m.user_id: m for m in members},
            "member_form": member_form,
            "agent_states": {s.user_id: s for s in states},
        }
    return render(
        request,
        page.template,
        {
            "page": page,
            "row": row,
            "cfg": cfg,
            "name": name or (row.name if row is not None else ""),
            "errors": errors or {},
            "form": form,
            "action": f"/console/{page.segment}" + (f"/{row.id}" if row is not None else ""),
            **values,
            **extra,
        },
        status=status,
    )


def _register(page: Page) -> None:
    base = f"/{page.segment}"

    async def list_rows(request: Request, console: SignedIn, session: SessionDep) -> Response:
        rows = await callcenter.list_configured(session, company_id=console.company_id, kind=page.kind)
        values = await _targets(request, session, console.company_id)
        now = {r.id: _state_now(request, r.config) for r in rows} if page.kind == "schedules" else {}
        return render(request, "cc_list.html", {"page": page, "rows": rows, "now": now, **values})

    async def new_row(request: Request, console: Admin, session: SessionDep) -> Response:
        return await _form_page(request, page, console, session)

    async def show_row(request: Request, row_id: int, console: SignedIn, session: SessionDep) -> Response:
        row = await callcenter.get_configured(
            session, company_id=console.company_id, kind=page.kind, row_id=row_id
        )
        return await _form_page(request, page, console, session, row=row)

    async def save(request: Request, console: Any, session: Any, ctx: Any, row_id: int | None) -> Response:
        raw = await request.form()
        row = None
        if row_id is not None:
            row = await callcenter.get_configured(
                session, company_id=console.company_id, kind=page.kind, row_id=row_id
            )
        try:
            name = forms.name_of(raw)
            config = page.parse(raw)
            try:
                if row is None:
                    await callcenter.create_configured(
                        session,
                        ctx=ctx,
                        company_id=console.company_id,
                        kind=page.kind,
                        name=name,
                        config=config,
                        actor_id=console.user.id,
                    )
                else:
                    await callcenter.update_configured(
                        session,
                        ctx=ctx,
                        company_id=console.company_id,
                        kind=page.kind,
                        row_id=row.id,
                        name=name,
                        config=config,
                        actor_id=console.user.id,
                    )
            except InvalidInput as exc:
                await session.rollback()
                raise forms.refused(exc) from None
        except forms.FormRefused as exc:
            if row is not None:
                row = await callcenter.get_configured(
                    session, company_id=console.company_id, kind=page.kind, row_id=row.id
                )
            return await _form_page(
                request,
                page,
                console,
                session,
                row=row,
                name=str(raw.get("name", "")),
                config=_echo(page, raw),
                errors=exc.errors,
                form=raw,
                status=422,
            )
        return redirect(f"/console/{page.segment}", flash="Saved.")

    async def create(
        request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
    ) -> Response:
        return await save(request, console, session, ctx, None)

    async def update(
        request: Request, row_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
    ) -> Response:
        return await save(request, console, session, ctx, row_id)

    async def delete_confirm(request: Request, row_id: int, console: Admin, session: SessionDep) -> Response:
        row = await callcenter.get_configured(
            session, company_id=console.company_id, kind=page.kind, row_id=row_id
        )
        return render(
            request,
            "confirm.html",
            {
                "title": f"Delete {page.singular}",
                "what": row.name,
                "action": f"/console/{page.segment}/{row_id}/delete",
                "back": f"/console/{page.segment}",
            },
        )

    async def delete(
        row_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
    ) -> Response:
        try:
            await callcenter.delete_configured(
                session,
                ctx=ctx,
                company_id=console.company_id,
                kind=page.kind,
                row_id=row_id,
                actor_id=console.user.id,
            )
        except Conflict as exc:
            await session.rollback()
            return redirect(f"/console/{page.segment}", flash=f"Still in use: %s|{exc.message}")
        return redirect(f"/console/{page.segment}", flash="Deleted.")

    router.add_api_route(base, list_rows, methods=["GET"])
    router.add_api_route(base, create, methods=["POST"])
    router.add_api_route(base + "/new", new_row, methods=["GET"])
    router.add_api_route(base + "/{row_id:int}", show_row, methods=["GET"])
    router.add_api_route(base + "/{row_id:int}", update, methods=["POST"])
    router.add_api_route(base + "/{row_id:int}/delete", delete_confirm, methods=["GET"])
    router.add_api_route(base + "/{row_id:int}/delete", delete, methods=["POST"])


def _state_now(request: Request, config: dict[str, Any]) -> Decision | None:
    """What the PBX decides for a call arriving now (the same sans-IO decision it makes)."""
    try:
        return decide(schedule_from_json(config), request.app.state.ctx.clock().replace(tzinfo=UTC))
    except (KeyError, ValueError):
        return None


def _echo(page: Page, raw: Any) -> dict[str, Any]:
    """What the refused form held, shaped like a configuration so the form shows it again."""
    cfg: dict[str, Any] = {k: v for k, v in raw.items() if k != "csrf_token"}
    for key, value in list(cfg.items()):
        with contextlib.suppress(forms.FormRefused):
            if ":" in str(value) or value == "hangup":
                cfg[key] = forms.decode_destination(raw, key)
    if page.kind == "schedules":
        cfg["weekly"] = []
        cfg["holidays"] = []
    if page.kind == "ivr_menus":
        cfg["options"] = {}
        for digit in forms.DIGITS:
            try:
                dest = forms.decode_destination(raw, forms.digit_field(digit))
            except forms.FormRefused:
                dest = None
            if dest:
                cfg["options"][digit] = dest
        cfg["direct_dial"] = "direct_dial" in raw
    if page.kind == "ring_groups":
        cfg["extensions"] = raw.getlist("extensions")
    if page.kind == "queues":
        for flag in forms.QUEUE_FLAGS:
            cfg[flag] = flag in raw
    return cfg


for _page in PAGES:
    _register(_page)
SCHEDULES = PAGES[0]
QUEUES = PAGES[2]


# --- the override a supervisor may flip ------------------------------------------------------------
@router.post("/schedules/{row_id:int}/override")
async def schedule_override(
    row_id: int, console: SignedIn, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    row = await callcenter.get_configured(
        session, company_id=console.company_id, kind="schedules", row_id=row_id
    )
    try:
        config = forms.with_override(row.config, str(form.get("override", "")))
    except forms.FormRefused:
        return redirect("/console/schedules", flash="Choose a value from the list.")
    await callcenter.update_configured(
        session,
        ctx=ctx,
        company_id=console.company_id,
        kind="schedules",
        row_id=row_id,
        name=row.name,
        config=config,
        actor_id=console.user.id,
    )
    return redirect("/console/schedules", flash="Override saved.")


# --- queue members ---------------------------------------------------------------------------------
@router.post("/queues/{row_id:int}/members")
async def queue_members(
    request: Request, row_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    row = await callcenter.get_configured(
        session, company_id=console.company_id, kind="queues", row_id=row_id
    )
    users = await people.list_users(session, company_id=console.company_id)
    raw = await request.form()
    try:
        members = forms.queue_members(raw, [u.id for u in users])
        try:
            await callcenter.set_members(
                session,
                ctx=ctx,
                company_id=console.company_id,
                queue_id=row_id,
                members=members,
                actor_id=console.user.id,
            )
        except InvalidInput as exc:
            await session.rollback()
            raise forms.refused(exc) from None
    except forms.FormRefused as exc:
        return await _form_page(
            request, QUEUES, console, session, row=row, errors=exc.errors, member_form=raw, status=422
        )
    return redirect(f"/console/queues/{row_id}#members", flash="Members saved.")


# --- agents' log-in and pause (supervisors too) ----------------------------------------------------
AGENT_ACTIONS = {
    "login": {"logged_in": True},
    "logout": {"logged_in": False},
    "pause": {"paused": True},
    "resume": {"paused": False},
}


@router.post("/queues/{row_id:int}/agents/{user_id:int}")
async def queue_agent(
    row_id: int, user_id: int, console: SignedIn, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    change = AGENT_ACTIONS.get(str(form.get("action", "")))
    if change is None:
        return redirect(f"/console/queues/{row_id}#agents", flash="Choose a value from the list.")
    try:
        await callcenter.set_agent_state(
            session,
            ctx=ctx,
            company_id=console.company_id,
            user_id=user_id,
            queue_id=row_id,
            pause_reason=str(form.get("reason", "")).strip()[:100] or None,
            actor_id=console.user.id,
            **change,
        )
    except InvalidInput:
        await session.rollback()
        return redirect(f"/console/queues/{row_id}#agents", flash="Not a member of this queue.")
    return redirect(f"/console/queues/{row_id}#agents", flash="Agent state saved.")


# --- hotline inbound routes ------------------------------------------------------------------------
async def _route_page(
    request: Request,
    console: Any,
    session: Any,
    hotline_id: int,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    hotline = await hotlines.get_hotline(session, company_id=console.company_id, hotline_id=hotline_id)
    try:
        route = await callcenter.get_hotline_route(
            session, company_id=console.company_id, hotline_id=hotline_id
        )
        current = route.destination
    except NotFound:
        current = None
    values = await _targets(request, session, console.company_id)
    return render(
        request,
        "cc_hotline_route.html",
        {"hotline": hotline, "current": current, "errors": errors or {}, **values},
        status=status,
    )


@router.get("/hotlines/{hotline_id:int}/route")
async def hotline_route(
    request: Request, hotline_id: int, console: SignedIn, session: SessionDep
) -> Response:
    return await _route_page(request, console, session, hotline_id)


@router.post("/hotlines/{hotline_id:int}/route")
async def hotline_route_save(
    request: Request, hotline_id: int, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    await hotlines.get_hotline(session, company_id=console.company_id, hotline_id=hotline_id)
    try:
        destination = forms.decode_destination(form, "destination")
        if destination is None:
            with contextlib.suppress(NotFound):  # no route: it rings its inbound extension already
                await callcenter.delete_hotline_route(
                    session,
                    ctx=ctx,
                    company_id=console.company_id,
                    hotline_id=hotline_id,
                    actor_id=console.user.id,
                )
            return redirect("/console/hotlines", flash="Saved.")
        destination = forms.validate(HotlineRouteBody, {"destination": destination})["destination"]
        try:
            await callcenter.set_hotline_route(
                session,
                ctx=ctx,
                company_id=console.company_id,
                hotline_id=hotline_id,
                destination=destination,
                actor_id=console.user.id,
            )
        except InvalidInput as exc:
            await session.rollback()
            raise forms.refused(exc) from None
    except forms.FormRefused as exc:
        errors = {("destination" if k in ("_form", "destination") else k): v for k, v in exc.errors.items()}
        return await _route_page(request, console, session, hotline_id, errors=errors, status=422)
    return redirect("/console/hotlines", flash="Saved.")
