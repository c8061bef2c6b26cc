"""The rtpengine child and the leg API, against the real daemon on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import struct
from pathlib import Path

import pytest

from server.media.engine import DtmfEvent, EngineState, RtpEngine
from server.media.legs import MediaLegs
from server.media.ng import NgCodec, decode, encode
from server.media.prompts import ensure_prompts
from server.media.rtp_probe import ProbeLeg, pace, pcmu_tone, remote_of

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing")


def test_bencode_round_trip_and_cookies() -> None:
    value = {"command": "offer", "flags": ["inject-DTMF", "x"], "n": -3, "sdp": "v=0\r\n"}
    assert encode(value) == b"d7:command5:offer5:flagsl11:inject-DTMF1:xe1:ni-3e3:sdp5:v=0\r\ne"
    assert decode(encode(value)) == value
    codec = NgCodec(prefix="t")
    _cookie, data = codec.request("ping")
    assert data == b"t1 d7:command4:pinge"
    assert codec.request("ping")[0] == "t2"
    assert NgCodec.reply(b"t1 d6:result4:ponge") == ("t1", {"result": "pong"})


async def _leg(legs: MediaLegs, name: str, tone: float, dtmf: bool = True) -> tuple[ProbeLeg, object]:
    probe = ProbeLeg("127.0.0.1", tone, pcmu_tone(tone))
    await probe.open()
    leg = await legs.open(name, "caller-" + name, "engine-" + name, probe.sdp(), inject_dtmf=dtmf)
    probe.remote = remote_of(leg.sdp)
    return probe, leg


async def test_echo_play_dtmf_and_restart(tmp_path: Path) -> None:
    events: list[DtmfEvent] = []
    restarted: list[bool] = []
    engine = RtpEngine(
        port_min=41000, port_max=41999, on_dtmf=events.append, on_restart=lambda: restarted.append(True)
    )
    await engine.start()
    try:
        legs = MediaLegs(engine)
        prompts = ensure_prompts(tmp_path)
        echo_probe, echo_leg = await _leg(legs, "echo1", 700.0)
        await legs.echo(echo_leg)
        hold_probe, hold_leg = await _leg(legs, "hold1", 700.0)
        plain_probe, plain_leg = await _leg(legs, "plain1", 700.0, dtmf=False)
        await legs.play(hold_leg, str(prompts["prompt"]), loop=True)
        await pace([echo_probe, hold_probe], 1.5)
        await asyncio.sleep(0.1)
        assert echo_probe.stats.received >= 0.95 * echo_probe.sent
        assert abs(echo_probe.stats.dominant_hz() - 700) < 30
        assert hold_probe.stats.received > 50
        assert abs(hold_probe.stats.dominant_hz() - 880) < 30
        # RFC 4733 digit "5" from the caller reaches the DTMF log socket
        assert hold_probe.transport is not None and hold_probe.remote is not None
        for i, end in enumerate([0, 0, 0, 0x80, 0x80, 0x80]):
            body = struct.pack("!BBH", 5, end | 10, 160 * (i + 1))
            hdr = struct.pack("!BBHII", 0x80, 101 | (0x80 if i == 0 else 0), 9000 + i, 123456, 42)
            hold_probe.transport.sendto(hdr + body, hold_probe.remote)
            await asyncio.sleep(0.02)
        for _ in range(50):
            if events:
                break
            await asyncio.sleep(0.05)
        assert [(e.call_id, e.digit) for e in events][:1] == [("hold1", "5")]
        plain_probe.remote = remote_of(plain_leg.sdp)
        assert plain_probe.transport is not None
        for i, end in enumerate([0, 0, 0, 0x80, 0x80, 0x80]):
            body = struct.pack("!BBH", 7, end | 10, 160 * (i + 1))
            hdr = struct.pack("!BBHII", 0x80, 101 | (0x80 if i == 0 else 0), 7000 + i, 654321, 43)
            plain_probe.transport.sendto(hdr + body, plain_probe.remote)
        for _ in range(50):
            if any(e.call_id == "plain1" for e in events):
                break
            await asyncio.sleep(0.05)
        # without inject-DTMF too; the caller's tag tells the caller's digits from their echo
        assert ("plain1", "caller-plain1", "7") in [(e.call_id, e.source_tag, e.digit) for e in events]
        echo_probe.close()
        hold_probe.close()
        # kill -9: the supervisor restarts it within 2 s and the new process anchors calls
        pid = engine.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.1)
        await engine.wait_running(2.0)
        assert engine.state is EngineState.RUNNING and engine.pid != pid and restarted
        probe, leg = await _leg(legs, "echo2", 1200.0)
        await legs.echo(leg)
        await pace([probe], 0.6)
        await asyncio.sleep(0.1)
        assert probe.stats.received >= 0.9 * probe.sent
        probe.close()
    finally:
        await engine.stop()


async def test_missing_binary_is_one_clear_error_and_no_features(tmp_path: Path, caplog) -> None:
    from server.media.engine import EngineError
    from server.media.plane import MediaPlane

    engine = RtpEngine(binary="rtpengine-not-installed")
    with pytest.raises(EngineError, match="install rtpengine-daemon"):
        await engine.start()
    assert engine.state is EngineState.MISSING
    plane = MediaPlane(interface="127.0.0.1", port_min=41000, port_max=41099, limit=5, prompts_dir=tmp_path)
    plane.engine.binary = "rtpengine-not-installed"
    assert await plane.start() == {}
    assert [r.message for r in caplog.records if r.levelname == "ERROR"] == [
        "media engine not started: rtpengine-not-installed not found: install rtpengine-daemon "
        "(scripts/bootstrap); feature numbers (*43, rooms, call center) get 503"
    ]
    await plane.stop()
