"""A conference room with a PIN and join/leave tones, with the real rtpengine and RTP callers: the PIN
prompt is heard, a wrong PIN gets the "wrong" tone and another try, three wrong PINs end the call, the
right PIN (RFC 4733 digits) admits; members hear the join tone, the leave tone, and each other."""

from __future__ import annotations

import asyncio
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from server.media.engine import RtpEngine
from server.media.feature_calls import FeatureCalls
from server.media.mixing import JOIN_TONE_HZ, LEAVE_TONE_HZ
from server.media.prompts import PIN_HZ, PIN_WRONG_HZ, ensure_prompts
from server.media.rtp_probe import ProbeLeg, SipProbe, pace, pcmu_tone
from softphone.tones import goertzel

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing")
SILENCE = pcmu_tone(1000.0, amplitude=0.0)


def _level(leg: ProbeLeg, hz: float, window: int = 800) -> float:
    """Highest amplitude of ``hz`` over 100 ms windows of what the leg heard since it was cleared."""
    pcm = np.frombuffer(audioop.ulaw2lin(bytes(leg.stats.audio), 2), dtype="<i2").astype(np.float64)
    levels = [
        2.0 * float(np.sqrt(goertzel(pcm[i : i + window], 8000, hz)))
        for i in range(0, len(pcm) - window + 1, window // 2)
    ]
    return max(levels, default=0.0)


async def _talk(legs: list[ProbeLeg], seconds: float, listen: list[ProbeLeg]) -> None:
    for leg in listen:
        leg.stats.audio.clear()
    await pace(legs, seconds)


async def _digits(legs: list[ProbeLeg], leg: ProbeLeg, digits: str) -> None:
    for digit in digits:
        leg.send_dtmf(digit)
        await pace(legs, 0.2)


async def test_pin_room_admits_on_the_right_pin_and_plays_join_and_leave_tones(tmp_path: Path) -> None:
    engine = RtpEngine(port_min=45000, port_max=45999)
    await engine.start()
    calls = FeatureCalls(engine, ensure_prompts(tmp_path), room_pins={"*805": "12"})
    probe = SipProbe(await calls.start())
    await probe.open()
    a, b, c = (ProbeLeg("127.0.0.1", 0.0, SILENCE) for _ in range(3))
    for leg in (a, b, c):
        leg.stats.keep_audio = 8000 * 30
    legs = [a, b, c]
    try:
        for leg in legs:
            await leg.open()
        call_a = await probe.invite("*805", a)
        assert call_a.status == 200
        await _talk(legs, 1.2, [a])
        assert max(_level(a, f) for f in PIN_HZ) > 1000  # the PIN prompt
        await _digits(legs, a, "12")
        await pace(legs, 0.3)
        assert await _admitted(calls, call_a.call_id)

        call_b = await probe.invite("*805", b)
        assert call_b.status == 200 and not await _admitted(calls, call_b.call_id)
        await pace(legs, 0.5)
        await _digits(legs, b, "99")
        await _talk(legs, 0.6, [b])
        assert _level(b, PIN_WRONG_HZ) > 1000  # "wrong PIN", another try
        assert not await _admitted(calls, call_b.call_id)
        a.stats.audio.clear()
        await _digits(legs, b, "12")
        await pace(legs, 0.5)
        assert await _admitted(calls, call_b.call_id)
        assert min(_level(a, f) for f in JOIN_TONE_HZ) > 800, [_level(a, f) for f in JOIN_TONE_HZ]

        call_c = await probe.invite("*805", c)  # three wrong PINs: the call ends
        assert call_c.status == 200
        await pace(legs, 0.5)
        for wrong in ("34", "56", "78"):
            await _digits(legs, c, wrong)
        for _ in range(20):
            if call_c.got_bye:
                break
            await pace(legs, 0.1)
        assert call_c.got_bye and "wrong conference PIN" in call_c.reason_header
        assert call_c.call_id not in await _members(calls)

        b.payloads = pcmu_tone(1000.0)  # b speaks: a hears b
        await _talk(legs, 1.0, [a])
        assert abs(a.stats.dominant_hz() - 1000) < 30 and _level(a, 1000) > 1000
        b.payloads = SILENCE
        await pace(legs, 0.2)
        a.stats.audio.clear()
        probe.bye(call_b)  # b leaves: a hears the leave tone
        await pace(legs, 0.6)
        assert min(_level(a, f) for f in LEAVE_TONE_HZ) > 800, [_level(a, f) for f in LEAVE_TONE_HZ]
        probe.bye(call_a)
        await asyncio.sleep(0.3)
        assert not calls.calls and not await _members(calls)
    finally:
        for leg in legs:
            leg.close()
        probe.close()
        await calls.stop()
        await engine.stop()


async def _members(calls: FeatureCalls) -> dict[str, bool]:
    """Member -> admitted, as the mixer process holds them (every room)."""
    assert calls.mixer is not None
    return {m: a for room in (await calls.mixer.rooms()).values() for m, a in room.items()}


async def _admitted(calls: FeatureCalls, call_id: str) -> bool:
    return (await _members(calls)).get(call_id, False)
