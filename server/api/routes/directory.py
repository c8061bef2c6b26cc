"""The company directory (colleagues and their extensions)."""

from __future__ import annotations

from fastapi import APIRouter

from server.api.deps import CurrentUser, SessionDep
from server.api.schemas.common import ERROR_RESPONSES
from server.api.schemas.me import ColleaguePublic
from server.domain import colleagues

router = APIRouter(tags=["directory"], responses=ERROR_RESPONSES)


@router.get("/directory")
async def directory(user: CurrentUser, session: SessionDep) -> list[ColleaguePublic]:
    found = await colleagues.list_colleagues(session, company_id=user.company_id)
    return [ColleaguePublic.model_validate(c) for c in found]
