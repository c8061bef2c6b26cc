"""Conference rooms on the engine: rtpengine relays each member to our mixer; what one member says is
heard by every other member, not by themselves.  Plus the mixing arithmetic, sans-IO."""

from __future__ import annotations

import asyncio
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from server.media.engine import RtpEngine
from server.media.feature_calls import FeatureCalls
from server.media.mixing import RoomMix, decode, encode
from server.media.prompts import ensure_prompts
from server.media.rtp_probe import ProbeLeg, SipProbe, pace, pcmu_tone

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


def test_g711_tables_match_the_reference_and_mixing_leaves_yourself_out() -> None:
    x = np.arange(-32768, 32768, dtype=np.int32)
    assert encode(x) == audioop.lin2ulaw(x.astype("<i2").tobytes(), 2)
    assert (decode(bytes(range(256))) == np.frombuffer(audioop.ulaw2lin(bytes(range(256)), 2), "<i2")).all()
    mix = RoomMix()
    for m in ("a", "b", "c"):
        mix.join(m)
    loud = encode(np.full(160, 4000, dtype=np.int32))
    mix.push("a", loud)
    out = mix.mix()
    assert abs(int(decode(out["b"])[0]) - 4000) < 200 and abs(int(decode(out["c"])[0]) - 4000) < 200
    assert abs(int(decode(out["a"])[0])) < 10  # nobody else spoke
    assert set(mix.mix()) == {"a", "b", "c"}  # a tick with no frames: silence to all


@pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing")
async def test_20_members_hear_the_one_who_speaks(tmp_path: Path) -> None:
    engine = RtpEngine(port_min=44000, port_max=44999)
    await engine.start()
    calls = FeatureCalls(engine, ensure_prompts(tmp_path), limit=100)
    probe = SipProbe(await calls.start())
    await probe.open()
    legs: list[ProbeLeg] = []
    try:
        speaker = ProbeLeg("127.0.0.1", 1000.0, pcmu_tone(1000.0))
        silent = pcmu_tone(1000.0, amplitude=0.0)
        legs = [speaker] + [ProbeLeg("127.0.0.1", 0.0, silent) for _ in range(19)]
        for leg in legs:
            await leg.open()
            call = await probe.invite("*801", leg)
            assert call.status == 200
        assert calls.mixer is not None
        assert len((await calls.mixer.rooms())["*801"]) == 20
        await pace(legs, 2.5)
        await asyncio.sleep(0.1)
        for listener in legs[1::3]:
            assert abs(listener.stats.dominant_hz() - 1000) < 30, listener.stats.dominant_hz()
            assert listener.stats.rms() > 1000
        assert speaker.stats.rms() < 200  # does not hear themselves
        for call in list(probe.calls.values()):
            probe.bye(call)
        for _ in range(30):  # bounded: BYEs on a loaded box
            if not await calls.mixer.rooms():
                break
            await asyncio.sleep(0.1)
        assert not await calls.mixer.rooms()
    finally:
        for leg in legs:
            leg.close()
        probe.close()
        await calls.stop()
        await engine.stop()


@pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing")
async def test_room_recording_holds_both_parties_and_is_valid_while_recording(tmp_path: Path) -> None:
    import json
    import wave

    from media_audio import amplitude, read_wav

    engine = RtpEngine(port_min=44000, port_max=44999)
    await engine.start()
    calls = FeatureCalls(engine, ensure_prompts(tmp_path / "prompts"), record_dir=tmp_path / "rec")
    probe = SipProbe(await calls.start())
    await probe.open()
    legs = [ProbeLeg("127.0.0.1", f, pcmu_tone(f)) for f in (700.0, 1200.0)]
    try:
        for leg in legs:
            await leg.open()
            assert (await probe.invite("*802", leg)).status == 200
        await pace(legs, 2.0)
        (wav_path,) = (tmp_path / "rec").glob("room802-*.wav")
        with wave.open(str(wav_path)) as wav:  # crash-safe: a valid WAV before the room ends
            assert wav.getnframes() >= 8000
        for call in list(probe.calls.values()):
            probe.bye(call)
        await asyncio.sleep(0.3)
        (line,) = (tmp_path / "rec" / "index.jsonl").read_text().splitlines()
        entry = json.loads(line)
        assert entry["room"] == "*802" and entry["path"] == wav_path.name
        assert sorted(entry["call_ids"]) == sorted(probe.calls)
        samples, rate = read_wav(wav_path)
        tail = samples[-rate:]
        assert amplitude(tail, rate, 700) > 1000 and amplitude(tail, rate, 1200) > 1000
    finally:
        for leg in legs:
            leg.close()
        probe.close()
        await calls.stop()
        await engine.stop()
