"""300 concurrent media legs on the real engine: 150 echo tests and 150 callers on hold music, each a
paced PCMU stream; every caller gets its audio back (count, sequence, content), then limit + 1 -> 503."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from server.media.engine import RtpEngine
from server.media.feature_calls import ECHO_TEST, HOLD_MUSIC, FeatureCalls
from server.media.prompts import MOH_NOTES_HZ, ensure_prompts
from server.media.rtp_probe import ProbeLeg, SipProbe, pace, pcmu_tone

pytestmark = [
    pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing"),
    pytest.mark.slow,
]

LEGS = 300


async def test_300_legs_echo_and_hold_then_overload(tmp_path: Path) -> None:
    engine = RtpEngine(port_min=43000, port_max=44999)
    await engine.start()
    calls = FeatureCalls(engine, ensure_prompts(tmp_path), limit=LEGS)
    probe = SipProbe(await calls.start())
    await probe.open()
    legs: list[ProbeLeg] = []
    try:
        tones = pcmu_tone(700.0)
        answered = []
        for i in range(LEGS):
            leg = ProbeLeg("127.0.0.1", 700.0, tones)
            await leg.open()
            legs.append(leg)
            answered.append(await probe.invite(ECHO_TEST if i % 2 == 0 else HOLD_MUSIC, leg))
        assert [c.status for c in answered] == [200] * LEGS
        extra = ProbeLeg("127.0.0.1", 700.0, tones)
        await extra.open()
        legs.append(extra)
        refused = await probe.invite(ECHO_TEST, extra)
        assert refused.status == 503 and "Media capacity reached" in refused.reason_header
        await pace(legs[:LEGS], 3.0)
        await asyncio.sleep(1.0)  # the last echoes may still be in flight on a busy machine (late, not lost)
        echo, hold = legs[0:LEGS:2], legs[1:LEGS:2]
        # echo: everything sent after the 0.55 s beep comes back; hold: 50 packets/s of music
        for leg in echo:
            assert leg.stats.received >= 0.97 * leg.sent, (leg.stats.received, leg.sent)
            assert leg.stats.lost == 0
        for leg in hold:
            assert leg.stats.received >= 0.95 * 50 * 3.0, leg.stats.received
            assert leg.stats.lost == 0
        for leg in echo[::25]:
            assert abs(leg.stats.dominant_hz() - 700) < 30
        for leg in hold[::25]:
            assert min(abs(leg.stats.dominant_hz() - f) for f in MOH_NOTES_HZ) < 30
        late = sum(leg.stats.late for leg in legs)
        print(f"{LEGS} legs: late packets {late}, refused {calls.refused}")
        for i, call in enumerate(answered):
            probe.bye(call)
            if i % 50 == 49:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        assert not calls.calls
    finally:
        for leg in legs:
            leg.close()
        probe.close()
        await calls.stop()
        await engine.stop()
