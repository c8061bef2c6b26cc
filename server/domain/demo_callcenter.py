"""The demo company's call center (issue 14 "Demo"), seeded through the domain service like an admin would.

Hotline 02873001234 -> business hours (Mon-Sat 08:00-17:30, Asia/Ho_Chi_Minh, one dated holiday) -> when
open, an IVR: 1 sales queue (101, 102), 2 support queue (103), 0 the operator (101); when closed or on the
holiday, the "closed" prompt and a voicemail box.  Each queue has a voicemail box (its members get the
message-waiting light); the agents start logged in to their queues.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import callcenter
from server.domain.callcenter_models import Schedule
from server.domain.context import DomainContext
from server.domain.models import Extension, Hotline

DEMO_IVR_HOTLINE = "02873001234"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
DEMO_HOLIDAY = {"name": "Tết Đinh Mùi", "start": "2027-02-05", "end": "2027-02-09"}


def _dest(kind: str, row_id: int) -> dict[str, Any]:
    return {"kind": kind, "id": row_id}


async def seed_demo_call_center(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, actor_id: int | None
) -> bool:
    """Seed once (a company that has a schedule already is left alone); True when seeded."""
    if await session.scalar(select(Schedule.id).where(Schedule.company_id == company_id)) is not None:
        return False
    users = {
        e.number: e.user_id
        for e in await session.scalars(select(Extension).where(Extension.company_id == company_id))
    }
    hotline_id = await session.scalar(
        select(Hotline.id).where(Hotline.company_id == company_id, Hotline.number == DEMO_IVR_HOTLINE)
    )
    if hotline_id is None or not {"101", "102", "103"} <= users.keys():
        return False

    async def create(kind: str, name: str, config: dict[str, Any]) -> int:
        row = await callcenter.create_configured(
            session, ctx=ctx, company_id=company_id, kind=kind, name=name, config=config, actor_id=actor_id
        )
        return row.id

    queue = {
        "strategy": "longest_idle",
        "ring_timeout": 15,
        "wrapup": 10,
        "no_agent_grace": 30,
        "announce_every": 60,  # a caller who waits hears their position (and the wait) once a minute
    }
    sales = await create("queues", "Sales", queue)
    support = await create("queues", "Support", queue)
    for queue_id, extensions in ((sales, ("101", "102")), (support, ("103",))):
        await callcenter.set_members(
            session,
            ctx=ctx,
            company_id=company_id,
            queue_id=queue_id,
            members=[{"user_id": users[e]} for e in extensions],
            actor_id=actor_id,
        )
    sales_box = await create(
        "voicemail_boxes", "Sales voicemail", {"owner": "queue", "queue_id": sales, "greeting": "voicemail"}
    )
    support_box = await create(
        "voicemail_boxes",
        "Support voicemail",
        {"owner": "queue", "queue_id": support, "greeting": "voicemail"},
    )
    after_hours = await create(
        "voicemail_boxes", "After hours", {"owner": "queue", "queue_id": sales, "greeting": "closed"}
    )
    for queue_id, box in ((sales, sales_box), (support, support_box)):
        config = {
            **queue,
            "max_wait": 300,
            "max_wait_destination": _dest("voicemail", box),
            "no_agent_destination": _dest("voicemail", box),
        }
        name = "Sales" if queue_id == sales else "Support"
        await callcenter.update_configured(
            session,
            ctx=ctx,
            company_id=company_id,
            kind="queues",
            row_id=queue_id,
            name=name,
            config=config,
            actor_id=actor_id,
        )
    menu = await create(
        "ivr_menus",
        "Main menu",
        {
            "greeting": "greeting",
            "options": {
                "1": _dest("queue", sales),
                "2": _dest("queue", support),
                "0": {"kind": "extension", "extension": "101"},
            },
            "timeout": 8,
            "retries": 2,
            "invalid_destination": _dest("queue", sales),
            "timeout_destination": _dest("queue", sales),
        },
    )
    schedule = await create(
        "schedules",
        "Business hours",
        {
            "timezone": "Asia/Ho_Chi_Minh",
            "weekly": [{"day": d, "start": "08:00", "end": "17:30"} for d in WEEKDAYS],
            "holidays": [DEMO_HOLIDAY],
            "override": None,
            "open": _dest("ivr", menu),
            "closed": _dest("voicemail", after_hours),
        },
    )
    await callcenter.set_hotline_route(
        session,
        ctx=ctx,
        company_id=company_id,
        hotline_id=hotline_id,
        destination=_dest("schedule", schedule),
        actor_id=actor_id,
    )
    for extension in ("101", "102", "103"):
        await callcenter.set_agent_state(
            session,
            ctx=ctx,
            company_id=company_id,
            user_id=users[extension],
            queue_id=None,
            logged_in=True,
            actor_id=actor_id,
        )
    return True
