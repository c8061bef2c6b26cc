"""Admin: desk phones provisioned by MAC (docs/desk-phones.md); the logic is `server.domain.desk_phones`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.common import ERROR_RESPONSES
from server.api.schemas.desk_phones import (
    DeskPhoneCreate,
    DeskPhoneLineSecret,
    DeskPhonePublic,
    DeskPhoneSecretsPublic,
    DeskPhoneUpdate,
    PairingWindow,
    TokenRotated,
    VendorPublic,
)
from server.domain import desk_phone_files, desk_phones

router = APIRouter(prefix="/admin/desk-phones", tags=["admin"], responses=ERROR_RESPONSES)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/vendors")
async def vendors(admin: CurrentAdmin) -> list[VendorPublic]:
    return [VendorPublic.model_validate(v) for v in desk_phones.vendor_catalog()]


@router.get("")
async def list_desk_phones(
    admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> list[DeskPhonePublic]:
    phones = await desk_phones.list_desk_phones(session, ctx=ctx, company_id=admin.company_id)
    return [DeskPhonePublic.model_validate(p) for p in phones]


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_desk_phone(
    body: DeskPhoneCreate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> DeskPhonePublic:
    phone = await desk_phones.add_desk_phone(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        mac=body.mac,
        vendor=body.vendor,
        model=body.model,
        user_id=body.user_id,
        label=body.label,
        line_user_ids=body.line_user_ids,
        blf_keys=[k.model_dump() for k in body.blf_keys],
        overrides=body.overrides,
        transport=body.transport,
        pairing_minutes=body.pairing_minutes,
        actor_id=admin.id,
    )
    return DeskPhonePublic.model_validate(phone)


@router.get("/{desk_phone_id}")
async def get_desk_phone(
    desk_phone_id: Id, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> DeskPhonePublic:
    phone = await desk_phones.get_desk_phone(
        session, ctx=ctx, company_id=admin.company_id, desk_phone_id=desk_phone_id
    )
    return DeskPhonePublic.model_validate(phone)


@router.patch("/{desk_phone_id}")
async def update_desk_phone(
    desk_phone_id: Id, body: DeskPhoneUpdate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> DeskPhonePublic:
    changes = body.model_dump(exclude_unset=True)
    if body.blf_keys is not None:
        changes["blf_keys"] = [k.model_dump() for k in body.blf_keys]
    phone = await desk_phones.update_desk_phone(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        desk_phone_id=desk_phone_id,
        changes=changes,
        actor_id=admin.id,
    )
    return DeskPhonePublic.model_validate(phone)


@router.delete("/{desk_phone_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_desk_phone(
    desk_phone_id: Id, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> Response:
    await desk_phones.delete_desk_phone(
        session, ctx=ctx, company_id=admin.company_id, desk_phone_id=desk_phone_id, actor_id=admin.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{desk_phone_id}/pairing")
async def open_pairing(
    desk_phone_id: Id,
    admin: CurrentAdmin,
    session: SessionDep,
    ctx: ContextDep,
    body: Annotated[PairingWindow | None, Body()] = None,
) -> DeskPhonePublic:
    """(Re)open the pairing window; the phone's next by-MAC fetch gets a new token URL."""
    phone = await desk_phones.open_pairing(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        desk_phone_id=desk_phone_id,
        minutes=body.minutes if body else None,
        actor_id=admin.id,
    )
    return DeskPhonePublic.model_validate(phone)


@router.delete("/{desk_phone_id}/pairing")
async def close_pairing(
    desk_phone_id: Id, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> DeskPhonePublic:
    phone = await desk_phones.close_pairing(
        session, ctx=ctx, company_id=admin.company_id, desk_phone_id=desk_phone_id, actor_id=admin.id
    )
    return DeskPhonePublic.model_validate(phone)


@router.post("/{desk_phone_id}/token")
async def rotate_token(
    desk_phone_id: Id, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> TokenRotated:
    """A new file URL for the phone; the old one answers 404 from now on."""
    url = await desk_phones.rotate_token(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        desk_phone_id=desk_phone_id,
        base_url=desk_phone_files.base_url_for(ctx, f"{ctx.public_base_url}/phones"),
        actor_id=admin.id,
    )
    return TokenRotated(token_url=url)


@router.get("/{desk_phone_id}/secrets")
async def desk_phone_secrets(
    desk_phone_id: Id, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> DeskPhoneSecretsPublic:
    """The phone's web UI password and its lines' SIP credentials (audited)."""
    secrets = await desk_phones.desk_phone_secrets(
        session, ctx=ctx, company_id=admin.company_id, desk_phone_id=desk_phone_id, actor_id=admin.id
    )
    return DeskPhoneSecretsPublic(
        admin_password=secrets.admin_password,
        lines=[
            DeskPhoneLineSecret(position=p, sip_username=u, sip_password=pw) for p, u, pw in secrets.lines
        ],
    )
