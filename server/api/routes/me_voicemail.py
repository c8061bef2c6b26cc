"""The signed-in user's voicemail: their extensions' boxes and their queues' boxes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

from server.api.deps import ContextDep, CurrentUser, SessionDep
from server.api.schemas.common import ERROR_RESPONSES
from server.api.schemas.me import VoicemailPublic
from server.domain import voicemail

router = APIRouter(prefix="/me/voicemail", tags=["me"], responses=ERROR_RESPONSES)

MessageId = Annotated[str, PathParam(max_length=140, description="`<box id>-<name>` from the list")]


def _root(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir) / "voicemail"


@router.get("")
async def my_voicemail(request: Request, user: CurrentUser, session: SessionDep) -> list[VoicemailPublic]:
    """Newest first: `{id, box_id, box_name, caller, at (UNIX time), duration (s), heard}`."""
    found = await voicemail.my_messages(
        session, root=_root(request), company_id=user.company_id, user_id=user.id
    )
    return [
        VoicemailPublic(
            id=m.message.id,
            box_id=m.message.box_id,
            box_name=m.box_name,
            caller=m.message.caller,
            at=m.message.start,
            duration=m.message.duration,
            heard=m.message.heard,
        )
        for m in found
    ]


@router.get("/{message_id}/audio", response_class=FileResponse)
async def audio(
    message_id: MessageId, request: Request, user: CurrentUser, session: SessionDep
) -> FileResponse:
    path = await voicemail.audio(
        session, root=_root(request), company_id=user.company_id, user_id=user.id, message_id=message_id
    )
    return FileResponse(path, media_type="audio/wav", filename=path.name)


@router.post("/{message_id}/heard", status_code=204)
async def heard(
    message_id: MessageId, request: Request, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> Response:
    await voicemail.mark_heard(
        session,
        ctx=ctx,
        root=_root(request),
        company_id=user.company_id,
        user_id=user.id,
        message_id=message_id,
    )
    return Response(status_code=204)


@router.delete("/{message_id}", status_code=204)
async def delete(
    message_id: MessageId, request: Request, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> Response:
    """Removes the message (its recording and its index line) for every member of the box."""
    await voicemail.delete(
        session,
        ctx=ctx,
        root=_root(request),
        company_id=user.company_id,
        user_id=user.id,
        message_id=message_id,
    )
    return Response(status_code=204)
