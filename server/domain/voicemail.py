"""The voicemail a user may read: the boxes of their extensions and of the queues they serve, and what
they do with a message (listen, mark heard, delete).  Messages are files (`server.media.voicemail_store`);
after a change the box's owners' phones get a new message summary from the PBX (change kind
`VOICEMAIL_MESSAGES`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.callcenter_models import QueueMember, VoicemailBox
from server.domain.changes import VOICEMAIL_MESSAGES, Change
from server.domain.context import DomainContext
from server.domain.errors import NotFound
from server.domain.models import Extension
from server.media import voicemail_store
from server.media.voicemail_store import VoicemailMessage


@dataclass(frozen=True, slots=True)
class MyMessage:
    message: VoicemailMessage
    box_name: str


async def my_boxes(session: AsyncSession, *, company_id: int, user_id: int) -> dict[int, str]:
    """Box id -> name of every box the user may read."""
    extensions = set(
        await session.scalars(
            select(Extension.number).where(Extension.company_id == company_id, Extension.user_id == user_id)
        )
    )
    queues = set(
        await session.scalars(
            select(QueueMember.queue_id).where(
                QueueMember.company_id == company_id, QueueMember.user_id == user_id
            )
        )
    )
    boxes = await session.scalars(select(VoicemailBox).where(VoicemailBox.company_id == company_id))
    return {
        b.id: b.name
        for b in boxes
        if (b.config.get("owner") == "extension" and b.config.get("extension") in extensions)
        or (b.config.get("owner") == "queue" and b.config.get("queue_id") in queues)
    }


async def my_messages(session: AsyncSession, *, root: Path, company_id: int, user_id: int) -> list[MyMessage]:
    """Newest first, over all the user's boxes."""
    boxes = await my_boxes(session, company_id=company_id, user_id=user_id)
    found = [
        MyMessage(m, name)
        for box_id, name in boxes.items()
        for m in voicemail_store.messages(root / str(box_id), box_id)
    ]
    return sorted(found, key=lambda m: m.message.start, reverse=True)


async def _locate(
    session: AsyncSession, *, root: Path, company_id: int, user_id: int, message_id: str
) -> tuple[int, Path, str]:
    parsed = voicemail_store.parse_message_id(message_id)
    if parsed is None:
        raise NotFound("voicemail")
    box_id, name = parsed
    if box_id not in await my_boxes(session, company_id=company_id, user_id=user_id):
        raise NotFound("voicemail")
    return box_id, root / str(box_id), name


async def audio(session: AsyncSession, *, root: Path, company_id: int, user_id: int, message_id: str) -> Path:
    _box, folder, name = await _locate(
        session, root=root, company_id=company_id, user_id=user_id, message_id=message_id
    )
    path = voicemail_store.audio(folder, name)
    if path is None:
        raise NotFound("voicemail")
    return path


async def mark_heard(
    session: AsyncSession, *, ctx: DomainContext, root: Path, company_id: int, user_id: int, message_id: str
) -> None:
    box_id, folder, name = await _locate(
        session, root=root, company_id=company_id, user_id=user_id, message_id=message_id
    )
    if not voicemail_store.mark_heard(folder, name):
        raise NotFound("voicemail")
    ctx.changes.publish([Change(VOICEMAIL_MESSAGES, company_id, ids=(box_id,))])


async def delete(
    session: AsyncSession, *, ctx: DomainContext, root: Path, company_id: int, user_id: int, message_id: str
) -> None:
    box_id, folder, name = await _locate(
        session, root=root, company_id=company_id, user_id=user_id, message_id=message_id
    )
    if not voicemail_store.delete(folder, name):
        raise NotFound("voicemail")
    ctx.changes.publish([Change(VOICEMAIL_MESSAGES, company_id, ids=(box_id,))])
