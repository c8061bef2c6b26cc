"""Call-center configuration per company: schedules, IVR menus, queues, ring groups, voicemail boxes,
hotline inbound routes, queue members and agent states.

Configurations arrive validated in shape by the API; this service checks what only the database knows
(that every destination points at something of the same company) and refuses to delete what another
configuration still points at.  Every write is audited and, being ORM writes of company rows, published
as change events so the PBX's snapshot refreshes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit, queue_log
from server.domain.callcenter_models import (
    AgentState,
    HotlineRoute,
    IvrMenu,
    Queue,
    QueueMember,
    RingGroup,
    Schedule,
    VoicemailBox,
)
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.models import Extension, Hotline, User
from server.domain.tenancy import get_in_company

Configured = Schedule | IvrMenu | Queue | RingGroup | VoicemailBox

# API path segment -> (model, entity name, destination kind that points at it)
KINDS: dict[str, tuple[type[Configured], str, str]] = {
    "schedules": (Schedule, "schedule", "schedule"),
    "ivr_menus": (IvrMenu, "ivr_menu", "ivr"),
    "queues": (Queue, "queue", "queue"),
    "ring_groups": (RingGroup, "ring_group", "ring_group"),
    "voicemail_boxes": (VoicemailBox, "voicemail_box", "voicemail"),
}
_BY_DESTINATION = {dest: model for model, _entity, dest in KINDS.values()}
DESTINATION_KINDS = frozenset({*_BY_DESTINATION, "extension", "prompt_hangup", "external", "hangup"})


def destinations(doc: Any) -> Iterator[Mapping[str, Any]]:
    """Every destination inside a configuration document (dicts whose "kind" is a destination kind)."""
    if isinstance(doc, Mapping):
        if doc.get("kind") in DESTINATION_KINDS:
            yield doc
            return
        for value in doc.values():
            yield from destinations(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from destinations(value)


async def _extension_exists(session: AsyncSession, company_id: int, number: str) -> bool:
    found = await session.scalar(
        select(Extension.id).where(Extension.company_id == company_id, Extension.number == number)
    )
    return found is not None


async def _check_destinations(session: AsyncSession, company_id: int, doc: Any) -> None:
    for dest in destinations(doc):
        kind = dest["kind"]
        if kind == "extension":
            ok = await _extension_exists(session, company_id, dest["extension"])
        elif kind == "external":
            ok = (
                await session.scalar(
                    select(Hotline.id).where(
                        Hotline.company_id == company_id, Hotline.number == dest["hotline"]
                    )
                )
                is not None
            )
        elif kind in _BY_DESTINATION:
            model = _BY_DESTINATION[kind]
            ok = (
                await session.scalar(
                    select(model.id).where(model.company_id == company_id, model.id == dest["id"])
                )
                is not None
            )
        else:
            ok = True
        if not ok:
            raise InvalidInput(
                "unknown_destination", f"no such {kind} in this company", fields={"destination": "unknown"}
            )


async def _check_owner(session: AsyncSession, company_id: int, model: type[Configured], config: Any) -> None:
    if model is VoicemailBox:
        if config.get("extension") is not None and not await _extension_exists(
            session, company_id, config["extension"]
        ):
            raise InvalidInput("unknown_extension", "no such extension", fields={"extension": "unknown"})
        if config.get("queue_id") is not None:
            await get_in_company(
                session, Queue, company_id=company_id, row_id=config["queue_id"], entity="queue"
            )
    if model is IvrMenu and config.get("parent_id") is not None:
        await get_in_company(
            session, IvrMenu, company_id=company_id, row_id=config["parent_id"], entity="ivr_menu"
        )


def _kind(kind: str) -> tuple[type[Configured], str, str]:
    try:
        return KINDS[kind]
    except KeyError:
        raise NotFound(kind) from None


async def list_configured(session: AsyncSession, *, company_id: int, kind: str) -> list[Configured]:
    model, _entity, _dest = _kind(kind)
    rows = await session.scalars(select(model).where(model.company_id == company_id).order_by(model.id))
    return list(rows)


async def get_configured(session: AsyncSession, *, company_id: int, kind: str, row_id: int) -> Configured:
    model, entity, _dest = _kind(kind)
    row: Configured = await get_in_company(
        session, model, company_id=company_id, row_id=row_id, entity=entity
    )
    return row


async def create_configured(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    kind: str,
    name: str,
    config: Mapping[str, Any],
    actor_id: int | None,
) -> Configured:
    model, entity, _dest = _kind(kind)
    await _check_destinations(session, company_id, config)
    await _check_owner(session, company_id, model, config)
    row = model(company_id=company_id, name=name, config=dict(config))
    session.add(row)
    await session.flush()
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="create",
        entity=entity,
        entity_id=row.id,
        detail={"name": name, "config": dict(config)},
    )
    await session.commit()
    return row


async def update_configured(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    kind: str,
    row_id: int,
    name: str,
    config: Mapping[str, Any],
    actor_id: int | None,
) -> Configured:
    """Replace the name and configuration (PUT: the whole document)."""
    model, entity, _dest = _kind(kind)
    row = await get_configured(session, company_id=company_id, kind=kind, row_id=row_id)
    await _check_destinations(session, company_id, config)
    await _check_owner(session, company_id, model, config)
    if model is IvrMenu and config.get("parent_id") == row_id:
        raise InvalidInput("ivr_loop", "a menu cannot be its own parent", fields={"parent_id": "loop"})
    row.name = name
    row.config = dict(config)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity=entity,
        entity_id=row.id,
        detail={"name": name, "config": dict(config)},
    )
    await session.commit()
    return row


async def _referrers(session: AsyncSession, company_id: int, dest_kind: str, row_id: int) -> list[str]:
    """Names of configurations and hotline routes whose destinations point at (dest_kind, row_id)."""
    found: list[str] = []
    for model, entity, _dest in KINDS.values():
        for row in await session.scalars(select(model).where(model.company_id == company_id)):
            if any(d["kind"] == dest_kind and d.get("id") == row_id for d in destinations(row.config)):
                found.append(f"{entity} {row.name}")
            if dest_kind == "queue" and model is VoicemailBox and row.config.get("queue_id") == row_id:
                found.append(f"{entity} {row.name}")
            if dest_kind == "ivr" and model is IvrMenu and row.config.get("parent_id") == row_id:
                found.append(f"{entity} {row.name}")
    for route in await session.scalars(select(HotlineRoute).where(HotlineRoute.company_id == company_id)):
        dest = route.destination
        if dest.get("kind") == dest_kind and dest.get("id") == row_id:
            found.append(f"hotline route {route.hotline_id}")
    return found


async def delete_configured(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    kind: str,
    row_id: int,
    actor_id: int | None,
) -> None:
    _model, entity, dest = _kind(kind)
    row = await get_configured(session, company_id=company_id, kind=kind, row_id=row_id)
    users = await _referrers(session, company_id, dest, row_id)
    if users:
        raise Conflict("in_use", f"still used by {', '.join(users)}", fields={"id": "in_use"})
    await audit.commit_deletion(
        session,
        row,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity=entity,
        entity_id=row.id,
        detail={"name": row.name},
    )


# --- hotline routes --------------------------------------------------------------------------------
async def get_hotline_route(session: AsyncSession, *, company_id: int, hotline_id: int) -> HotlineRoute:
    await get_in_company(session, Hotline, company_id=company_id, row_id=hotline_id, entity="hotline")
    route = await session.scalar(select(HotlineRoute).where(HotlineRoute.hotline_id == hotline_id))
    if route is None:
        raise NotFound("hotline_route")
    return route


async def set_hotline_route(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    hotline_id: int,
    destination: Mapping[str, Any],
    actor_id: int | None,
) -> HotlineRoute:
    await get_in_company(session, Hotline, company_id=company_id, row_id=hotline_id, entity="hotline")
    await _check_destinations(session, company_id, destination)
    route = await session.scalar(select(HotlineRoute).where(HotlineRoute.hotline_id == hotline_id))
    if route is None:
        route = HotlineRoute(company_id=company_id, hotline_id=hotline_id, destination=dict(destination))
        session.add(route)
    else:
        route.destination = dict(destination)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="hotline_route",
        entity_id=hotline_id,
        detail={"destination": dict(destination)},
    )
    await session.commit()
    return route


async def delete_hotline_route(
    session: AsyncSession, *, ctx: DomainContext, company_id: int, hotline_id: int, actor_id: int | None
) -> None:
    route = await get_hotline_route(session, company_id=company_id, hotline_id=hotline_id)
    await audit.commit_deletion(
        session,
        route,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        entity="hotline_route",
        entity_id=hotline_id,
        detail={},
    )


# --- queue members ---------------------------------------------------------------------------------
async def list_members(session: AsyncSession, *, company_id: int, queue_id: int) -> list[QueueMember]:
    await get_in_company(session, Queue, company_id=company_id, row_id=queue_id, entity="queue")
    rows = await session.scalars(
        select(QueueMember).where(QueueMember.queue_id == queue_id).order_by(QueueMember.tier, QueueMember.id)
    )
    return list(rows)


async def set_members(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    queue_id: int,
    members: Sequence[Mapping[str, Any]],
    actor_id: int | None,
) -> list[QueueMember]:
    """Replace a queue's members (their order in `members` is the linear strategy's order)."""
    await get_in_company(session, Queue, company_id=company_id, row_id=queue_id, entity="queue")
    wanted = [int(m["user_id"]) for m in members]
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("duplicate_member", "a user is listed twice", fields={"members": "duplicate"})
    known = set(
        await session.scalars(select(User.id).where(User.company_id == company_id, User.id.in_(wanted)))
    )
    if known != set(wanted):
        raise InvalidInput("unknown_user", "no such user in this company", fields={"members": "unknown"})
    for old in await session.scalars(select(QueueMember).where(QueueMember.queue_id == queue_id)):
        await session.delete(old)
    await session.flush()
    for m in members:
        session.add(
            QueueMember(
                company_id=company_id,
                queue_id=queue_id,
                user_id=int(m["user_id"]),
                tier=int(m.get("tier", 0)),
                penalty=int(m.get("penalty", 0)),
            )
        )
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="queue_members",
        entity_id=queue_id,
        detail={"members": [dict(m) for m in members]},
    )
    await session.commit()
    return await list_members(session, company_id=company_id, queue_id=queue_id)


# --- agent states ----------------------------------------------------------------------------------
async def list_agent_states(session: AsyncSession, *, company_id: int, queue_id: int) -> list[AgentState]:
    await get_in_company(session, Queue, company_id=company_id, row_id=queue_id, entity="queue")
    rows = await session.scalars(
        select(AgentState).where(AgentState.queue_id == queue_id).order_by(AgentState.user_id)
    )
    return list(rows)


async def set_agent_state(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    user_id: int,
    queue_id: int | None,
    logged_in: bool | None = None,
    paused: bool | None = None,
    pause_reason: str | None = None,
    actor_id: int | None,
) -> list[AgentState]:
    """Log an agent in or out, pause or unpause them, in one queue or (queue_id None) all their queues.

    Each change is also a queue-log line (AGENTLOGIN/AGENTLOGOFF, PAUSE with its reason/UNPAUSE),
    written in the same transaction; logging off ends a pause without an UNPAUSE line."""
    if queue_id is not None:
        await get_in_company(session, Queue, company_id=company_id, row_id=queue_id, entity="queue")
    query = select(QueueMember.queue_id).where(
        QueueMember.company_id == company_id, QueueMember.user_id == user_id
    )
    if queue_id is not None:
        query = query.where(QueueMember.queue_id == queue_id)
    queue_ids = list(await session.scalars(query))
    if not queue_ids:
        raise InvalidInput(
            "not_a_member", "the user serves no such queue", fields={"user_id": "not_a_member"}
        )
    now = ctx.clock()
    states: list[AgentState] = []
    for qid in queue_ids:
        state = await session.scalar(
            select(AgentState).where(AgentState.queue_id == qid, AgentState.user_id == user_id)
        )
        if state is None:
            state = AgentState(
                company_id=company_id,
                queue_id=qid,
                user_id=user_id,
                logged_in=False,
                paused=False,
                pause_reason="",
            )
            session.add(state)
        was_in, was_paused = state.logged_in, state.paused
        if logged_in is not None:
            state.logged_in = logged_in
            if not logged_in:
                state.paused, state.pause_reason = False, ""
        if paused is not None:
            state.paused = paused
            state.pause_reason = (pause_reason or "") if paused else ""
        state.updated_at = now
        states.append(state)
        for event, changed in (
            ("AGENTLOGIN" if state.logged_in else "AGENTLOGOFF", state.logged_in != was_in),
            ("PAUSE" if state.paused else "UNPAUSE", state.paused != was_paused and state.logged_in),
        ):
            if changed:
                session.add(
                    queue_log.agent_event(
                        company_id=company_id,
                        queue_id=qid,
                        user_id=user_id,
                        event=event,
                        at=now,
                        reason=state.pause_reason,
                    )
                )
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update",
        entity="agent_state",
        entity_id=user_id,
        detail={"queues": queue_ids, "logged_in": logged_in, "paused": paused, "reason": pause_reason},
    )
    await session.commit()
    return states


async def my_queues(
    session: AsyncSession, *, company_id: int, user_id: int
) -> list[tuple[Queue, AgentState | None]]:
    """The queues a user serves, with their state in each (None: never logged in there)."""
    rows = await session.execute(
        select(Queue, AgentState)
        .join(QueueMember, QueueMember.queue_id == Queue.id)
        .outerjoin(AgentState, (AgentState.queue_id == Queue.id) & (AgentState.user_id == user_id))
        .where(Queue.company_id == company_id, QueueMember.user_id == user_id)
        .order_by(Queue.id)
    )
    return [(row[0], row[1]) for row in rows.all()]
