"""End to end on `softphone-server run --demo`: "this call may be recorded" before the IVR.

A carrier (an RTP/SIP probe) calls the IVR hotline of a company whose policy records inbound calls.  With
the notice on, the first seconds are speech (espeak-ng's built-in sentence: loud, its pitch moving, neither
a built-in tone nor the hold melody) and the IVR's greeting tone comes after it; with the notice off the
greeting tone comes at once and no speech precedes it.  A notice prompt of the company's that is missing
falls back to the built-in sentence.
"""

from __future__ import annotations

import pytest
from test_callcenter_calls import Admin, carrier, dial, hears, server
from test_queue_caller_experience import speech_at, timeline

from server.media.prompts import GREETING_HZ
from server.media.rtp_probe import SipProbe
from softphone.testing import DemoServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["carrier", "server"]  # fixtures


def _greeting_at(samples: list[tuple[float, float, float]], start: float, end: float) -> bool:
    return any(start <= t <= end and abs(hz - GREETING_HZ) < 30 for t, hz, _level in samples)


async def test_the_notice_is_spoken_before_the_ivr_when_on_and_not_when_off(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    notice_on = {"recording_policy": "inbound", "recording_notice": True}
    settings = admin.send("PATCH", "/admin/company", notice_on)
    assert settings["recording_notice"] is True and settings["recording_notice_prompt"] is None

    leg, call, sender = await dial(carrier)
    try:
        samples = await timeline(leg, 9.0)
        heard = [(round(t, 1), round(hz), round(level)) for t, hz, level in samples]
        assert speech_at(samples, 0.0, 4.0), heard  # the notice first
        greeting = next(t for t, hz, _ in samples if abs(hz - GREETING_HZ) < 30)
        assert greeting > 2.0, heard  # the IVR only after it
    finally:
        carrier.bye(call)
        sender.cancel()
    assert list((server.data_dir / "prompts" / "spoken" / "vi").glob("*.wav"))  # synthesized, kept

    admin.send("PATCH", "/admin/company", {"recording_notice": False})
    leg, call, sender = await dial(carrier)
    try:
        samples = await timeline(leg, 3.0)
        heard = [(round(t, 1), round(hz), round(level)) for t, hz, level in samples]
        assert _greeting_at(samples, 0.0, 2.0), heard  # the greeting at once
        assert not speech_at(samples, 0.0, 3.0), heard
        await hears(leg, (GREETING_HZ,))
    finally:
        carrier.bye(call)
        sender.cancel()

    # a prompt of the company's that does not exist (yet): the built-in sentence, not the chime
    admin.send("PATCH", "/admin/company", {"recording_notice": True, "recording_notice_prompt": "our-notice"})
    leg, call, sender = await dial(carrier)
    try:
        samples = await timeline(leg, 4.0)
        assert speech_at(samples, 0.0, 4.0), [(round(t, 1), round(hz)) for t, hz, _ in samples]
    finally:
        carrier.bye(call)
        sender.cancel()
