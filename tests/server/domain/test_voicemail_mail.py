"""Voicemail e-mails through the console e-mail sender (the test double other tests use)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.domain import voicemail_mail
from server.domain.notify import ConsoleEmailSender
from server.domain.voicemail_mail import mail_voicemail, voicemail_message

pytestmark = pytest.mark.unit

AT = 1796601600.0  # 2026-12-07 00:00 UTC: 07:00 in Ho Chi Minh City


def test_the_note_is_in_vietnamese_then_english_in_the_companys_zone() -> None:
    subject, body = voicemail_message("Sales voicemail", "0903123456", 12.4, AT)
    assert subject == "Tin nhắn thoại mới từ 0903123456 / New voicemail from 0903123456"
    assert "lúc 07/12/2026 07:00, dài 12 giây" in body and "at 07/12/2026 07:00, 12 seconds long" in body
    assert body.index("Hộp thư thoại") < body.index("Voicemail box")


async def test_the_recording_is_attached(tmp_path: Path) -> None:
    wav = tmp_path / "20261207-000000-abc.wav"
    wav.write_bytes(b"RIFF....WAVEfmt ")
    mail = ConsoleEmailSender()
    assert await mail_voicemail(mail, to="a@b.vn", box="Sales", caller="0903", path=wav, seconds=3, at=AT)
    assert mail.sent[-1][0] == "a@b.vn"
    (attached,) = mail.attachments[-1]
    assert attached.filename == wav.name and attached.content_type == "audio/wav"
    assert attached.data == wav.read_bytes()


async def test_a_recording_too_large_is_announced_not_attached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wav = tmp_path / "big.wav"
    wav.write_bytes(b"x" * 100)
    monkeypatch.setattr(voicemail_mail, "MAX_ATTACHMENT", 10)
    mail = ConsoleEmailSender()
    assert await mail_voicemail(mail, to="a@b.vn", box="Sales", caller="0903", path=wav, seconds=3, at=AT)
    assert mail.attachments[-1] == () and "too large to attach" in mail.sent[-1][2]


async def test_a_missing_file_or_a_failing_mail_server_is_logged_not_raised(tmp_path: Path) -> None:
    class Refusing(ConsoleEmailSender):
        async def send_email(self, *args: object, **kwargs: object) -> None:
            raise OSError("connection refused")

    wav = tmp_path / "m.wav"
    assert not await mail_voicemail(
        ConsoleEmailSender(), to="a@b.vn", box="S", caller="1", path=wav, seconds=1, at=AT
    )
    wav.write_bytes(b"RIFF")
    assert not await mail_voicemail(Refusing(), to="a@b.vn", box="S", caller="1", path=wav, seconds=1, at=AT)
