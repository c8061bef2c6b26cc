"""Feature calls on the engine's own UAS, with the real rtpengine: echo, hold music, DTMF both ways,
overload refused with 503 + Reason while calls already up keep their audio, engine kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.media.engine import RtpEngine
from server.media.feature_calls import DIGIT_TEST, ECHO_TEST, HOLD_MUSIC, FeatureCalls
from server.media.prompts import MOH_NOTES_HZ, PROMPT_HZ, ensure_prompts
from server.media.rtp_probe import ProbeLeg, SipProbe, pace, pcmu_tone

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing")


@pytest.fixture
async def uas(tmp_path: Path) -> AsyncIterator[tuple[FeatureCalls, SipProbe]]:
    engine = RtpEngine(port_min=42000, port_max=42999)
    await engine.start()
    calls = FeatureCalls(engine, ensure_prompts(tmp_path), limit=3)
    address = await calls.start()
    probe = SipProbe(address)
    await probe.open()
    try:
        yield calls, probe
    finally:
        probe.close()
        await calls.stop()
        await engine.stop()


async def _call(probe: SipProbe, number: str, tone: float) -> tuple[ProbeLeg, object]:
    leg = ProbeLeg("127.0.0.1", tone, pcmu_tone(tone))
    await leg.open()
    return leg, await probe.invite(number, leg)


def _rfc4733(leg: ProbeLeg, event: int) -> None:
    assert leg.transport is not None and leg.remote is not None
    for i, end in enumerate([0, 0, 0, 0x80, 0x80, 0x80]):
        body = struct.pack("!BBH", event, end | 10, 160 * (i + 1))
        hdr = struct.pack(
            "!BBHII", 0x80, 101 | (0x80 if i == 0 else 0), 5000 + event * 10 + i, 8000 * event, 7
        )
        leg.transport.sendto(hdr + body, leg.remote)


async def test_echo_hold_overload_and_digits(uas: tuple[FeatureCalls, SipProbe]) -> None:
    calls, probe = uas
    echo_leg, echo = await _call(probe, ECHO_TEST, 700.0)
    hold_leg, hold = await _call(probe, HOLD_MUSIC, 700.0)
    digits_leg, digits = await _call(probe, DIGIT_TEST, 700.0)
    assert (echo.status, hold.status, digits.status) == (200, 200, 200)
    # limit 3: the 4th is refused with a Reason, the three up are untouched
    extra_leg, extra = await _call(probe, ECHO_TEST, 700.0)
    assert extra.status == 503 and "Media capacity reached" in extra.reason_header
    assert calls.refused == 1
    await pace([echo_leg, hold_leg], 2.5)
    await asyncio.sleep(0.1)
    assert echo_leg.stats.received >= 0.95 * echo_leg.sent and echo_leg.stats.lost == 0
    assert abs(echo_leg.stats.dominant_hz() - 700) < 30
    assert min(abs(hold_leg.stats.dominant_hz() - f) for f in MOH_NOTES_HZ) < 30
    # digits: prompt first, then "1" by RFC 4733, "2" by SIP INFO, "#" by RFC 4733
    await asyncio.sleep(0.3)
    assert abs(digits_leg.stats.dominant_hz() - PROMPT_HZ) < 30
    _rfc4733(digits_leg, 1)
    await asyncio.sleep(0.3)
    probe.info(digits, "2", 2)
    await asyncio.sleep(0.3)
    _rfc4733(digits_leg, 11)  # '#'
    for _ in range(40):
        if digits.call_id in calls.collected:
            break
        await asyncio.sleep(0.05)
    assert calls.collected[digits.call_id] == "12"
    await asyncio.sleep(0.2)
    assert digits.got_bye
    probe.bye(echo)
    probe.bye(hold)
    await asyncio.sleep(0.3)
    assert not calls.calls
    for leg in (echo_leg, hold_leg, digits_leg, extra_leg):
        leg.close()


async def test_engine_kill_ends_its_calls_with_bye_and_new_calls_work(
    uas: tuple[FeatureCalls, SipProbe],
) -> None:
    calls, probe = uas
    leg, call = await _call(probe, ECHO_TEST, 700.0)
    assert call.status == 200
    pid = calls.engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.2)
    await calls.engine.wait_running(2.0)
    for _ in range(20):
        if call.got_bye:
            break
        await asyncio.sleep(0.05)
    assert call.got_bye and "Media engine restarted" in call.reason_header
    assert not calls.calls
    leg2, call2 = await _call(probe, ECHO_TEST, 900.0)
    assert call2.status == 200
    await pace([leg2], 2.0)
    await asyncio.sleep(0.1)
    assert leg2.stats.received >= 0.9 * leg2.sent
    assert abs(leg2.stats.dominant_hz() - 900) < 30
    leg.close()
    leg2.close()
