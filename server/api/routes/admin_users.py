"""Admin: users of the admin's company, their extensions and call settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.admin import (
    BulkDeviceCreated,
    BulkUserCreate,
    BulkUserCreated,
    BulkUserResult,
    DevicePublic,
    ExtensionCreate,
    ExtensionPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from server.api.schemas.common import ERROR_RESPONSES
from server.api.schemas.forwarding import Forwarding
from server.domain import bulk_users, forwarding, people
from server.domain.clock import period_of
from server.domain.context import DomainContext
from server.domain.models import DeviceKind, RingMethod, Role, User

router = APIRouter(prefix="/admin/users", tags=["admin"], responses=ERROR_RESPONSES)

UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def user_public(user: User, ctx: DomainContext) -> UserPublic:
    now = ctx.clock()
    return UserPublic(
        id=user.id,
        full_name=user.full_name,
        phone=user.phone,
        email=user.email,
        role=user.role,  # type: ignore[arg-type]
        active=user.active,
        locked=user.locked_until is not None and user.locked_until > now,
        extensions=[e.number for e in user.extensions],
        devices=[DevicePublic.model_validate(d) for d in user.devices],
        allow_outbound=user.allow_outbound,
        monthly_minutes=user.monthly_minutes,
        minutes_used=round(people.usage_seconds(user, now_period=period_of(now)) / 60.0, 2),
        ring_method=user.ring_method,  # type: ignore[arg-type]
        mobile_number=user.mobile_number,
        auto_answer=user.auto_answer,
        auto_answer_delay=user.auto_answer_delay,
        dnd=user.dnd,
        default_hotline_id=user.default_hotline_id,
        recording=user.recording,  # type: ignore[arg-type]
        revision=user.revision,
    )


@router.get("")
async def list_users(admin: CurrentAdmin, session: SessionDep, ctx: ContextDep) -> list[UserPublic]:
    return [user_public(u, ctx) for u in await people.list_users(session, company_id=admin.company_id)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> UserPublic:
    user = await people.create_user(
        session,
        ctx=ctx,
        company=admin.company,
        full_name=body.full_name,
        phone=body.phone,
        password=body.password,
        email=body.email or None,
        role=Role(body.role),
        extensions=body.extensions,
        desktop_device=body.desktop_device,
        actor_id=admin.id,
    )
    return user_public(user, ctx)


@router.post(
    "/bulk",
    status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "some rows cannot be created: `error.rows` lists each with its fields"}},
)
async def create_users_in_bulk(
    body: BulkUserCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> BulkUserResult:
    """Many users in one transaction (all or none).  Rows without a password cost no hashing: those agents
    set theirs with the SMS-code reset on first use.  `dry_run` validates only."""
    rows = [
        bulk_users.NewUser(
            full_name=r.full_name,
            phone=r.phone,
            email=r.email or None,
            password=r.password,
            role=Role(r.role),
            extensions=tuple(r.extensions),
            devices=tuple(
                bulk_users.NewDevice(DeviceKind(d.kind), d.sip_username, d.sip_password, d.label)
                for d in r.devices
            ),
            allow_outbound=r.allow_outbound,
            monthly_minutes=r.monthly_minutes,
            ring_method=RingMethod(r.ring_method),
            mobile_number=r.mobile_number or None,
        )
        for r in body.rows
    ]
    created = await bulk_users.create_users(
        session, ctx=ctx, company=admin.company, rows=rows, actor_id=admin.id, dry_run=body.dry_run
    )
    return BulkUserResult(
        created=len(created),
        users=[
            BulkUserCreated(
                id=c.user.id,
                full_name=c.user.full_name,
                phone=c.user.phone,
                extensions=list(c.extensions),
                devices=[
                    BulkDeviceCreated(id=d.id, kind=d.kind, sip_username=d.sip_username)  # type: ignore[arg-type]
                    for d in c.devices
                ],
            )
            for c in created
        ],
    )


@router.get("/{user_id}")
async def get_user(user_id: UserId, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep) -> UserPublic:
    return user_public(await people.get_user(session, company_id=admin.company_id, user_id=user_id), ctx)


@router.patch("/{user_id}")
async def update_user(
    user_id: UserId, body: UserUpdate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> UserPublic:
    user = await people.update_user(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        user_id=user_id,
        changes=body.model_dump(exclude_unset=True),
        actor_id=admin.id,
    )
    return user_public(user, ctx)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: UserId, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep) -> Response:
    await people.delete_user(
        session, ctx=ctx, company_id=admin.company_id, user_id=user_id, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{user_id}/extensions")
async def list_extensions(user_id: UserId, admin: CurrentAdmin, session: SessionDep) -> list[ExtensionPublic]:
    user = await people.get_user(session, company_id=admin.company_id, user_id=user_id)
    return [ExtensionPublic.model_validate(e) for e in user.extensions]


@router.post("/{user_id}/extensions", status_code=status.HTTP_201_CREATED)
async def add_extension(
    user_id: UserId, body: ExtensionCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> ExtensionPublic:
    extension = await people.add_extension(
        session, ctx=ctx, company_id=admin.company_id, user_id=user_id, number=body.number, actor_id=admin.id
    )
    return ExtensionPublic.model_validate(extension)


@router.delete("/{user_id}/extensions/{number}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_extension(
    user_id: UserId,
    number: Annotated[str, Path(max_length=8)],
    admin: CurrentAdmin,
    session: SessionDep,
    ctx: ContextDep,
) -> Response:
    await people.remove_extension(
        session, ctx=ctx, company_id=admin.company_id, user_id=user_id, number=number, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{user_id}/forwarding")
async def get_forwarding(user_id: UserId, admin: CurrentAdmin, session: SessionDep) -> Forwarding:
    user = await people.get_user(session, company_id=admin.company_id, user_id=user_id)
    return Forwarding.of(await forwarding.get_rules(session, user_id=user.id))


@router.put("/{user_id}/forwarding")
async def set_forwarding(
    user_id: UserId, body: Forwarding, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> Forwarding:
    """Replace the user's call forwarding; 422 names each bad field ("busy.target")."""
    user = await people.get_user(session, company_id=admin.company_id, user_id=user_id)
    rules = await forwarding.set_rules(session, ctx=ctx, user=user, rules=body.settings(), actor_id=admin.id)
    return Forwarding.of(rules)
