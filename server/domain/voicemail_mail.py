"""A voicemail message by e-mail: the recording attached, a short note in Vietnamese and English."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from server.domain.notify import Attachment, EmailSender

log = logging.getLogger(__name__)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_ATTACHMENT = 15 * 1024 * 1024  # larger recordings (over ~2.5 min at 48 kHz) are announced, not attached


def voicemail_message(box: str, caller: str, seconds: float, at: float) -> tuple[str, str]:
    """(subject, body) of the e-mail for a message left in `box` by `caller`."""
    when = datetime.fromtimestamp(at, UTC).astimezone(ZONE).strftime("%d/%m/%Y %H:%M")
    subject = f"Tin nhắn thoại mới từ {caller} / New voicemail from {caller}"
    body = (
        f"Hộp thư thoại {box} có tin nhắn mới từ {caller} lúc {when}, dài {seconds:.0f} giây.\n"
        "Bản ghi âm được đính kèm.\n\n"
        f"Voicemail box {box} has a new message from {caller} at {when}, {seconds:.0f} seconds long.\n"
        "The recording is attached.\n"
    )
    return subject, body


async def mail_voicemail(
    mail: EmailSender, *, to: str, box: str, caller: str, path: Path, seconds: float, at: float
) -> bool:
    """Send it; False (and a log line) when the file or the mail server fails: the message stays in the
    box either way."""
    subject, body = voicemail_message(box, caller, seconds, at)
    try:
        data = await asyncio.to_thread(path.read_bytes)
        attachments = [Attachment(path.name, data, "audio/wav")] if len(data) <= MAX_ATTACHMENT else []
        if not attachments:
            body += "\n(Bản ghi quá lớn để đính kèm. / The recording is too large to attach.)\n"
        await mail.send_email(to, subject, body, attachments)
    except Exception:
        log.exception("voicemail %s: e-mail to %s failed", path.name, to)
        return False
    log.info("voicemail %s e-mailed to %s", path.name, to)
    return True
