"""Admin: the company itself (invite code), its audit log and call records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from server.api.deps import CurrentAdmin, SessionDep
from server.api.schemas.admin import AuditPublic, CallPublic, CompanyInvite
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import audit, calls

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
    return [CallPublic.model_validate(c) for c in found]
