"""Admin: SIP devices of users, their credentials in web / IP-phone form, and QR grants for mobiles."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Response, status

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.admin import DeviceCreate, DeviceCredentials, DevicePublic, DeviceUpdate
from server.api.schemas.common import ERROR_RESPONSES
from server.api.schemas.me import MobileProvisioningPublic, MobileProvisioningRequest
from server.domain import accounts, people, provisioning
from server.domain.models import DeviceKind

router = APIRouter(prefix="/admin", tags=["admin"], responses=ERROR_RESPONSES)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/users/{user_id}/devices")
async def list_devices(user_id: Id, admin: CurrentAdmin, session: SessionDep) -> list[DevicePublic]:
    devices = await people.list_devices(session, company_id=admin.company_id, user_id=user_id)
    return [DevicePublic.model_validate(d) for d in devices]


@router.post("/users/{user_id}/devices", status_code=status.HTTP_201_CREATED)
async def add_device(
    user_id: Id, body: DeviceCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> DevicePublic:
    device = await people.add_device(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        user_id=user_id,
        kind=DeviceKind(body.kind),
        label=body.label,
        sip_username=body.sip_username or None,
        sip_password=body.sip_password or None,
        actor_id=admin.id,
    )
    return DevicePublic.model_validate(device)


@router.post("/users/{user_id}/mobile-provisioning", status_code=status.HTTP_201_CREATED)
async def mobile_provisioning(
    user_id: Id,
    admin: CurrentAdmin,
    session: SessionDep,
    ctx: ContextDep,
    body: Annotated[MobileProvisioningRequest | None, Body()] = None,
) -> MobileProvisioningPublic:
    user = await people.get_user(session, company_id=admin.company_id, user_id=user_id)
    grant = await provisioning.create_mobile_token(
        session, ctx=ctx, user=user, device_id=body.device_id if body else None
    )
    return MobileProvisioningPublic.model_validate(grant)


@router.get("/devices/{device_id}")
async def get_device(device_id: Id, admin: CurrentAdmin, session: SessionDep) -> DevicePublic:
    return DevicePublic.model_validate(
        await people.get_device(session, company_id=admin.company_id, device_id=device_id)
    )


@router.patch("/devices/{device_id}")
async def update_device(
    device_id: Id, body: DeviceUpdate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> DevicePublic:
    device = await people.update_device(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        device_id=device_id,
        changes=body.model_dump(exclude_unset=True),
        actor_id=admin.id,
    )
    return DevicePublic.model_validate(device)


@router.delete("/devices/{device_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_device(device_id: Id, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep) -> Response:
    await people.delete_device(
        session, ctx=ctx, company_id=admin.company_id, device_id=device_id, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/devices/{device_id}/credentials")
async def device_credentials(
    device_id: Id,
    admin: CurrentAdmin,
    session: SessionDep,
    ctx: ContextDep,
    form: Annotated[Literal["web", "ip_phone"], Query()] = "web",
) -> DeviceCredentials:
    values = await accounts.device_credentials(
        session, ctx=ctx, company_id=admin.company_id, device_id=device_id, form=form
    )
    return DeviceCredentials(form=form, device_id=device_id, values=values)
