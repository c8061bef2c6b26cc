"""Admin: the company itself (invite code), its audit log and call records."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import FileResponse

from server.api.deps import ContextDep, CurrentAdmin, SessionDep
from server.api.schemas.admin import (
    AuditPublic,
    CallPublic,
    CompanyInvite,
    CompanySettings,
    CompanySettingsUpdate,
)
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import audit, calls, companies
from server.domain.errors import NotFound

router = APIRouter(prefix="/admin", tags=["admin"], responses=ERROR_RESPONSES)


@router.get("/invite")
async def invite(admin: CurrentAdmin) -> CompanyInvite:
    """The code an agent gives at sign-up to join this company."""
    return CompanyInvite(invite_code=admin.company.invite_code)


@router.get("/audit")
async def audit_log(
    admin: CurrentAdmin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[AuditPublic]:
    entries = await audit.list_entries(session, company_id=admin.company_id, limit=limit, before_id=before_id)
    return [AuditPublic.model_validate(e) for e in entries]


@router.get("/calls")
async def call_records(
    admin: CurrentAdmin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[CallPublic]:
    """Call records of the company, newest first."""
    found = await calls.list_calls(session, company_id=admin.company_id, limit=limit, before_id=before_id)
    return [
        CallPublic.model_validate(c).model_copy(
            update={"recording_url": f"/api/v1/admin/calls/{c.id}/recording" if c.recording else None}
        )
        for c in found
    ]


@router.get("/calls/{record_id}/recording", response_class=FileResponse)
async def call_recording(
    record_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
) -> FileResponse:
    """The call's server recording (one mixed WAV), as its record links it."""
    record = await calls.get_call(session, company_id=admin.company_id, record_id=record_id)
    directory: FilePath = request.app.state.settings.data_dir / "recordings"
    path = directory / FilePath(record.recording).name if record.recording else None
    if path is None or not path.is_file():
        raise NotFound("recording")
    return FileResponse(path, media_type="audio/wav", filename=path.name)


@router.get("/company")
async def company_settings(admin: CurrentAdmin, session: SessionDep) -> CompanySettings:
    company = await companies.get_company(session, company_id=admin.company_id)
    return CompanySettings.model_validate(company)


@router.patch("/company")
async def update_company_settings(
    body: CompanySettingsUpdate, admin: CurrentAdmin, session: SessionDep, ctx: ContextDep
) -> CompanySettings:
    """Name, call recording policy (off/all/inbound/outbound), the console's default language."""
    company = await companies.update_company(
        session,
        ctx=ctx,
        company_id=admin.company_id,
        changes=body.model_dump(exclude_unset=True),
        actor_id=admin.id,
    )
    return CompanySettings.model_validate(company)
