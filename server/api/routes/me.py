"""The caller's own profile, SIP accounts, activation, settings and mobile QR provisioning."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from server.api.deps import ContextDep, CurrentUser, SessionDep
from server.api.schemas.common import ERROR_RESPONSES
from server.api.schemas.forwarding import Forwarding
from server.api.schemas.me import (
    AccountPublic,
    ActivationEmailPublic,
    CompanyPublic,
    MePublic,
    MobileProvisioningPublic,
    MobileProvisioningRequest,
    ProvisioningDocument,
    SettingsPublic,
    SettingsUpdate,
)
from server.domain import accounts, forwarding, provisioning

router = APIRouter(prefix="/me", tags=["me"], responses=ERROR_RESPONSES)

DeviceId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("")
async def me(user: CurrentUser) -> MePublic:
    return MePublic(
        id=user.id,
        full_name=user.full_name,
        phone=user.phone,
        email=user.email,
        role=user.role,  # type: ignore[arg-type]
        company=CompanyPublic.model_validate(user.company),
    )


@router.get("/accounts")
async def my_accounts(user: CurrentUser, session: SessionDep) -> list[AccountPublic]:
    return [AccountPublic.model_validate(a) for a in await accounts.list_accounts(session, user=user)]


@router.post("/accounts/{device_id}/activate")
async def activate(
    device_id: DeviceId,
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
    send_email: Annotated[bool, Query(description="e-mail the credentials again")] = False,
) -> ProvisioningDocument:
    document = await accounts.activate(
        session, ctx=ctx, user=user, device_id=device_id, send_email=send_email
    )
    return ProvisioningDocument.model_validate(document)


@router.post("/accounts/{device_id}/activation-email")
async def resend_activation_email(
    device_id: DeviceId, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> ActivationEmailPublic:
    sent = await accounts.resend_activation_email(session, ctx=ctx, user=user, device_id=device_id)
    assert user.email is not None
    return ActivationEmailPublic(to=user.email, sent=sent)


@router.get("/accounts/{device_id}/provisioning")
async def provisioning_document(
    device_id: DeviceId, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> ProvisioningDocument:
    device = await accounts.own_device(session, user=user, device_id=device_id)
    document = await accounts.provisioning_document(session, ctx=ctx, user=user, device=device)
    return ProvisioningDocument.model_validate(document)


@router.get("/settings")
async def my_settings(user: CurrentUser) -> SettingsPublic:
    return SettingsPublic.model_validate(user)


@router.patch("/settings")
async def update_settings(
    body: SettingsUpdate, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> SettingsPublic:
    updated = await accounts.update_my_settings(
        session, ctx=ctx, user=user, changes=body.model_dump(exclude_unset=True)
    )
    return SettingsPublic.model_validate(updated)


@router.get("/forwarding")
async def my_forwarding(user: CurrentUser, session: SessionDep) -> Forwarding:
    return Forwarding.of(await forwarding.get_rules(session, user_id=user.id))


@router.put("/forwarding")
async def set_my_forwarding(
    body: Forwarding, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> Forwarding:
    """Replace the caller's own call forwarding; 422 names each bad field ("no_answer.seconds")."""
    rules = await forwarding.set_rules(session, ctx=ctx, user=user, rules=body.settings(), actor_id=user.id)
    return Forwarding.of(rules)


@router.post("/mobile-provisioning", status_code=201)
async def mobile_provisioning(
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
    body: Annotated[MobileProvisioningRequest | None, Body()] = None,
) -> MobileProvisioningPublic:
    grant = await provisioning.create_mobile_token(
        session, ctx=ctx, user=user, device_id=body.device_id if body else None
    )
    return MobileProvisioningPublic.model_validate(grant)
