"""End to end on `softphone-server run --demo`: a caller who speaks only PCMA reaches an agent whose phone
takes only PCMU; the call center offers the agent PCMU besides the caller's codec and the bridge transcodes.

The carrier probe sends a 700 Hz A-law tone to the IVR hotline and presses 1; agent 101 is a baresip with
`audio_codecs=PCMU` sending 1200 Hz.  Checked by frequency both ways: the caller hears 1200 Hz (A-law
decoded), baresip decodes 700 Hz (its sndfile dump).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_callcenter_calls import (  # the demo server, its admin API and the carrier probe
    AGENT_HZ,
    CALLER_HZ,
    HOTLINE,
    Admin,
    carrier,
    in_thread,
    rfc4733,
    server,
)

from server.media.rtp_probe import SAMPLES, ProbeLeg, SipProbe, pace
from softphone.testing import Baresip, DemoServer, band_levels, read_wav

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing"),
    pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip missing"),
]
__all__ = ["carrier", "server"]  # fixtures


class AlawLeg(ProbeLeg):
    """A probe leg that offers and sends only PCMA."""

    def __init__(self, host: str, tone_hz: float) -> None:
        super().__init__(host, tone_hz, alaw_tone(tone_hz), codec=(8, "PCMA/8000"))

    def heard(self, freqs: list[float]) -> dict[float, float]:
        pcm = np.frombuffer(audioop.alaw2lin(bytes(self.stats.audio), 2), dtype="<i2") / 32768.0
        return band_levels(pcm, 8000, freqs)


def alaw_tone(freq: float) -> list[bytes]:
    t = np.arange(8000) / 8000.0
    pcm = (8000 * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()
    alaw = audioop.lin2alaw(pcm, 2)
    return [alaw[i : i + SAMPLES] for i in range(0, len(alaw) - SAMPLES + 1, SAMPLES)]


async def test_a_pcma_caller_and_a_pcmu_only_agent_hear_each_other(
    server: DemoServer, carrier: SipProbe, tmp_path: Path
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    account = (
        f'<sip:101@demo.local>;auth_pass=demo101;outbound="sip:127.0.0.1:{server.sip_port}";'
        "regint=300;answermode=auto;audio_codecs=PCMU"
    )
    agent = Baresip(tmp_path / "agent", source=f"ausine,{int(AGENT_HZ)}", account=account, codecs=("g711",))
    try:
        await in_thread(agent.wait_registered, 30)
        leg = AlawLeg("127.0.0.1", CALLER_HZ)
        await leg.open()
        call = await carrier.invite(HOTLINE, leg, timeout=10)
        assert call.status == 200, (call.status, call.reason_header)
        sender = asyncio.create_task(pace([leg], 40.0))
        await asyncio.sleep(1.5)
        rfc4733(leg, 1)  # sales
        heard: dict[float, float] = {}
        for _ in range(60):  # the queue rings baresip, which answers at once
            await asyncio.sleep(0.3)
            heard = leg.heard([AGENT_HZ])
            if heard[AGENT_HZ] > 0.5:
                break
        assert heard[AGENT_HZ] > 0.5, (heard, "".join(server.output)[-3000:])
        await asyncio.sleep(2.0)
        carrier.bye(call)
        sender.cancel()
        await asyncio.sleep(1.0)
    finally:
        await in_thread(agent.stop)
    assert "transcoding to PCMU" in "".join(server.output)
    samples, rate = read_wav(agent.decoded_wav())
    levels = band_levels(samples[-2 * rate :], rate, [CALLER_HZ, AGENT_HZ])
    assert levels[CALLER_HZ] > 0.3, levels  # the caller's A-law tone reached the PCMU-only agent


async def test_a_g722_only_caller_and_a_pcmu_only_agent_hear_each_other(
    server: DemoServer, tmp_path: Path
) -> None:
    """A wideband-only caller (baresip with only its G.722 codec, from the carrier's address) through the
    IVR and the queue to a PCMU-only desk phone: the bridge transcodes G.722 <-> PCMU both ways."""
    Admin(server).business_hours("open")
    account = (
        f'<sip:101@demo.local>;auth_pass=demo101;outbound="sip:127.0.0.1:{server.sip_port}";'
        "regint=300;answermode=auto;audio_codecs=PCMU"
    )
    agent = Baresip(tmp_path / "agent", source=f"ausine,{int(AGENT_HZ)}", account=account, codecs=("g711",))
    caller = Baresip(tmp_path / "caller", source=f"ausine,{int(CALLER_HZ)}", codecs=("g722",))
    try:
        await in_thread(agent.wait_registered, 30)
        caller.command("dial", f"sip:{HOTLINE}@127.0.0.1:{server.sip_port}")
        await in_thread(caller.wait_for, lambda e: e.get("type") == "CALL_ESTABLISHED", 20)
        await asyncio.sleep(1.5)  # the greeting
        caller.command("sndcode", "1")  # sales: baresip sends RFC 4733
        await in_thread(agent.wait_for, lambda e: e.get("type") == "CALL_ESTABLISHED", 30)
        await asyncio.sleep(4.0)
        caller.command("hangup")
        await in_thread(agent.wait_for, lambda e: e.get("type") == "CALL_CLOSED", 15)
    finally:
        await in_thread(caller.stop)
        await in_thread(agent.stop)
    assert "transcoding to PCMU" in "".join(server.output)
    samples, rate = read_wav(agent.decoded_wav())
    levels = band_levels(samples[-2 * rate :], rate, [CALLER_HZ, AGENT_HZ])
    assert levels[CALLER_HZ] > 0.3, levels  # the caller's G.722 tone reached the PCMU-only agent
    samples, rate = read_wav(caller.decoded_wav())
    levels = band_levels(samples[-2 * rate :], rate, [CALLER_HZ, AGENT_HZ])
    assert levels[AGENT_HZ] > 0.3, levels  # and the agent's PCMU tone reached the G.722-only caller
