"""End to end: a caller leaves a voicemail in a box that has an e-mail address; the message reaches the
mail server (aiosmtpd on loopback, the server's SMTP sender) with the recording attached, and the WAV
attached is the caller's voice (their tone), the same file as the one kept in the box."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_callcenter_calls import CALLER_HZ, Admin, dial, hears, in_thread

from server.media.prompts import CLOSED_HZ
from server.media.rtp_probe import SipProbe
from softphone.testing import tone_levels, wait_http_ok

sys.path.insert(0, str(Path(__file__).parents[1] / "api"))
from test_activation_email import Inbox, smtp_server  # an SMTP server on loopback that keeps what it gets

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["smtp_server"]  # fixture

BOX_EMAIL = "sales-voicemail@demo.local"


async def test_a_voicemail_is_emailed_with_the_recording_attached(
    start_demo_server: Callable[..., Any], smtp_server: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    env = {
        "SOFTPHONE_SERVER_EMAIL_BACKEND": "smtp",
        "SOFTPHONE_SERVER_SMTP_HOST": "127.0.0.1",
        "SOFTPHONE_SERVER_SMTP_PORT": str(port),
    }
    server = start_demo_server(True, settings_env=env)
    await in_thread(wait_http_ok, f"{server.base_url}/api/v1/health", process=server.process, timeout=60)
    admin = Admin(SimpleNamespace(url=server.base_url))  # type: ignore[arg-type]
    for box in admin.get("/admin/voicemail_boxes"):
        config = {**box["config"], "email": BOX_EMAIL}
        admin.send("PUT", f"/admin/voicemail_boxes/{box['id']}", {"name": box["name"], "config": config})
    admin.business_hours("closed")
    carrier = SipProbe(("127.0.0.1", server.sip_port))
    await carrier.open()
    try:
        leg, call, sender = await dial(carrier)
        await hears(leg, (CLOSED_HZ,))
        await asyncio.sleep(4.0)  # the rest of the prompt, the beep, then the caller's tone is recorded
        carrier.bye(call)
        sender.cancel()
        await in_thread(inbox.wait_for, 1, 15)
    finally:
        carrier.close()
    _sender, recipients, message = inbox.messages[0]
    assert recipients == [BOX_EMAIL]
    assert "Tin nhắn thoại mới" in str(message["Subject"]) and "New voicemail" in str(message["Subject"])
    (attached,) = list(message.iter_attachments())
    assert attached.get_content_type() == "audio/wav" and attached.get_filename().endswith(".wav")
    data = attached.get_content()
    wav = tmp_path / "attached.wav"
    wav.write_bytes(data)
    assert tone_levels(wav, [CALLER_HZ], skip_s=0.3)[CALLER_HZ] > 0.3  # the caller's voice
    kept = list((tmp_path / "data" / "voicemail").glob("*/*.wav"))  # start_demo_server's data dir
    assert [p.read_bytes() for p in kept] == [data]  # and the message stays in the box

