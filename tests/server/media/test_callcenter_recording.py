"""End to end on `softphone-server run --demo`: a call-center call is recorded when the agent who answers
says so ("always" override, the company's policy off).

A carrier (an RTP/SIP probe) calls the IVR hotline sending 700 Hz, presses 1, waits in the sales queue;
agent 101 (a real softphone-cli, auto-answer) answers sending 1200 Hz.  The WAV served at the call record's
`recording_url` holds both tones (the conversation with the agent: the IVR and the hold music are not in it).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest
from test_callcenter_calls import (  # the demo server, its admin API and the carrier probe
    AGENT_HZ,
    CALLER_HZ,
    HOTLINE,
    Admin,
    agent,
    carrier,
    dial,
    hears,
    in_thread,
    rfc4733,
    server,
)

from server.media.prompts import GREETING_HZ, MOH_NOTES_HZ
from server.media.rtp_probe import SipProbe
from softphone.testing import DemoServer, band_levels, read_wav

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing"),
]
__all__ = ["carrier", "server"]  # fixtures


async def test_the_agents_always_override_records_the_conversation_with_both_tones(
    server: DemoServer, carrier: SipProbe, tmp_path: Path
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    admin.send("PATCH", f"/admin/users/{admin.user_id('101')}", {"recording": "always"})
    a101 = await in_thread(agent, server, "101")
    try:
        leg, call, sender = await dial(carrier)
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 1)  # sales
        await hears(leg, MOH_NOTES_HZ)
        incoming = await in_thread(a101.wait_for, lambda e: e["event"] == "IncomingCall", 15)
        await in_thread(a101.wait_state, "confirmed", incoming["call_id"], 15)
        await hears(leg, (AGENT_HZ,))
        await asyncio.sleep(3.0)  # a conversation of a few seconds
        carrier.bye(call)
        await in_thread(a101.wait_state, "disconnected", incoming["call_id"], 15)
        sender.cancel()
    finally:
        await in_thread(a101.quit)
    record: dict[str, object] | None = None
    for _ in range(50):
        record = next((c for c in admin.calls() if c["callee"] == HOTLINE), None)
        if record and record["end"] and record.get("recording_url"):
            break
        await asyncio.sleep(0.2)
    assert record is not None and record.get("recording_url"), record
    assert record["callee_user_id"] == admin.user_id("101"), record
    url = f"{server.url}{record['recording_url']}"
    served = httpx.get(url, headers=admin.headers, timeout=10)
    assert served.status_code == 200 and served.content[:4] == b"RIFF", served.status_code

    wav = tmp_path / "served.wav"
    wav.write_bytes(served.content)
    samples, rate = read_wav(wav)
    assert len(samples) >= 2 * rate, len(samples) / rate
    levels = band_levels(samples, rate, [CALLER_HZ, AGENT_HZ])
    assert levels[CALLER_HZ] > 0.1 and levels[AGENT_HZ] > 0.1, levels
