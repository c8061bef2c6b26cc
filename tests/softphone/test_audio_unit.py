"""Ring buffer, tone generation/detection and level meter: pure logic, no devices."""

from __future__ import annotations

from array import array
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from softphone.audio import MicLevelMeter, device_fingerprint
from softphone.ringbuffer import ByteRing
from softphone.tones import (
    VN_RINGBACK,
    busy_tone,
    dominant_frequency,
    goertzel,
    read_wav_mono,
    resample,
    ringback,
    ringtone,
    rms,
    sine,
    tone_ratio,
    write_wav_mono,
)

pytestmark = pytest.mark.unit


def test_ring_fifo_order_and_wraparound() -> None:
    ring = ByteRing(10)
    for i in range(20):
        ring.write(bytes([i, i + 100]))
        assert ring.read(2) == bytes([i, i + 100])
    assert ring.available() == 0
    assert ring.underruns == 0 and ring.overruns == 0


def test_ring_underrun_pads_with_silence() -> None:
    ring = ByteRing(16)
    ring.write(b"\x01\x02\x03")
    out = bytearray(6)
    assert ring.read_into(out) == 3
    assert bytes(out) == b"\x01\x02\x03\x00\x00\x00"
    assert ring.underruns == 3


def test_ring_overflow_drops_oldest_and_bounds_fill() -> None:
    ring = ByteRing(64, max_fill=8)
    ring.write(bytes(range(6)))
    ring.write(bytes(range(6, 12)))
    assert ring.available() == 8
    assert ring.read(8) == bytes(range(4, 12))
    assert ring.overruns == 4
    ring.write(bytes(range(20)))  # larger than max_fill at once: keeps the newest 8
    assert ring.read(8) == bytes(range(12, 20))


def test_ring_trim_keeps_newest() -> None:
    ring = ByteRing(32)
    ring.write(bytes(range(10)))
    assert ring.trim(4) == 6
    assert ring.read(4) == bytes(range(6, 10))
    assert ring.trim(4) == 0


def test_goertzel_and_dominant_frequency_find_the_tone() -> None:
    x = sine(16000, 1000, 0.5, 0.5)
    assert dominant_frequency(x, 16000) == pytest.approx(1000, abs=2)
    assert tone_ratio(x, 16000, 1000) > 0.99
    assert tone_ratio(x, 16000, 1500) < 0.01
    assert goertzel(x, 16000, 1000) == pytest.approx((0.5 * 32767) ** 2 / 4, rel=0.01)
    # bytes in, same answer
    assert dominant_frequency(x.astype("<i2").tobytes(), 16000) == pytest.approx(1000, abs=2)
    mix = sine(8000, 425, 1.0, 0.2) + sine(8000, 1300, 1.0, 0.4)
    assert dominant_frequency(mix, 8000) == pytest.approx(1300, abs=2)
    assert dominant_frequency(np.zeros(800), 8000) == 0.0


def test_vietnamese_ringback_cadence() -> None:
    rate = 8000
    period = ringback(rate)
    assert len(period) == rate * 5  # 1 s on + 4 s off
    on, off = period[: rate], period[rate:]
    assert dominant_frequency(on, rate) == pytest.approx(425, abs=2)
    assert not np.any(off)
    assert VN_RINGBACK.on_ms == 1000 and VN_RINGBACK.off_ms == 4000
    busy = busy_tone(rate)
    assert len(busy) == rate and dominant_frequency(busy[: rate // 2], rate) == pytest.approx(425, abs=3)


def test_ringtone_from_wav_is_resampled(tmp_path: Path) -> None:
    wav = tmp_path / "ring.wav"
    write_wav_mono(wav, sine(8000, 600, 0.5), 8000)
    samples, rate = read_wav_mono(wav)
    assert rate == 8000 and len(samples) == 4000
    rt = ringtone(48000, wav)
    assert len(rt) == 24000
    assert dominant_frequency(rt, 48000) == pytest.approx(600, abs=3)
    generated = ringtone(16000, tmp_path / "missing.wav")
    trill = dominant_frequency(generated[:16000], 16000)
    assert trill in (pytest.approx(440, abs=5), pytest.approx(480, abs=5))
    assert len(resample(sine(16000, 300, 1.0), 16000, 8000)) == 8000


def test_level_meter_maps_db_to_unit_range() -> None:
    meter = MicLevelMeter()
    assert meter.update(np.zeros(320, dtype="<i2").tobytes()) == 0.0
    loud = sine(16000, 1000, 0.02, 1.0).tobytes()  # -3 dBFS RMS
    assert meter.update(loud) == pytest.approx(0.95, abs=0.01)
    quiet = sine(16000, 1000, 0.02, 0.01).tobytes()  # -43 dBFS: falls gradually, not at once
    after_one = meter.update(quiet)
    assert 0.9 < after_one < 0.95
    for _ in range(100):
        level = meter.update(quiet)
    assert level == pytest.approx((60 - 43) / 60, abs=0.02)
    assert rms(sine(16000, 1000, 0.1, 1.0)) == pytest.approx(0.707, abs=0.01)


def test_device_fingerprint_changes_with_directory(tmp_path: Path) -> None:
    before = device_fingerprint(tmp_path)
    (tmp_path / "pcmC1D0p").touch()
    assert device_fingerprint(tmp_path) != before
    assert device_fingerprint(tmp_path / "absent") == ()


def test_tone_loop_and_mixing_without_numpy() -> None:
    from softphone.audio import _Loop, _mix_into

    once = _Loop(array("h", [1, 2, 3]), once=True)
    assert array("h", once.take(2)).tolist() == [1, 2]
    assert array("h", once.take(3)).tolist() == [3, 0, 0] and once.finished
    looped = _Loop(array("h", [5, 6]))
    assert array("h", looped.take(5)).tolist() == [5, 6, 5, 6, 5]
    out = memoryview(bytearray(array("h", [100, 32000, -32000, 0]).tobytes()))
    _mix_into(out, array("h", [-100, 1000, -1000, 7]).tobytes())
    assert array("h", bytes(out)).tolist() == [0, 32767, -32768, 7]  # clipped at full scale
    silent = memoryview(bytearray(4))
    _mix_into(silent, array("h", [3, -3]).tobytes())
    assert array("h", bytes(silent)).tolist() == [3, -3]


def test_stereo_wav_ringtone_is_mixed_to_mono_and_goertzel_reads_bytes(tmp_path: Path) -> None:
    import wave

    left, right = sine(8000, 600, 0.5, 0.4), sine(8000, 600, 0.5, 0.2)
    wav = tmp_path / "stereo.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.column_stack([left, right]).astype("<i2").tobytes())
    rt = ringtone(16000, wav)
    assert isinstance(rt, array) and len(rt) == 8000
    assert dominant_frequency(rt, 16000) == pytest.approx(600, abs=3)
    assert max(rt) == pytest.approx(0.3 * 32767, rel=0.02)  # the average of both channels
    assert tone_ratio(rt.tobytes(), 16000, 600) > 0.95 and tone_ratio(rt, 16000, 900) < 0.01


def test_tone_share_survives_phase_jumps() -> None:
    from softphone.tones import tone_share

    # a received tone with a phase jump every 0.3 s (packet loss concealment): one long Goertzel misses it
    jumpy = np.concatenate([sine(16000, 440, 0.3, 0.3)[(37 * i) % 36 :] for i in range(13)])
    assert tone_ratio(jumpy, 16000, 440) < 0.2
    assert tone_share(jumpy, 16000, 440) > 0.95
    assert tone_share(jumpy.astype("<i2").tobytes(), 16000, 440) > 0.95
    assert tone_share(sine(16000, 700, 1.0, 0.3), 16000, 440) < 0.01
    assert tone_share(b"", 16000, 440) == 0.0


class _FakeStream:
    def __init__(self, device: int, **_kw: object) -> None:
        self.device, self.active, self.latency = device, False, 0.01

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        pass


def _fake_sounddevice() -> object:
    def query_devices(index: int | None = None) -> object:
        devices = [
            {"index": i, "name": name, "hostapi": 0, "max_input_channels": 1, "max_output_channels": 2,
             "default_samplerate": 48000.0}
            for i, name in enumerate(("Built-in", "Headset"))
        ]
        return devices if index is None else devices[index]

    return SimpleNamespace(
        PortAudioError=OSError,
        RawInputStream=_FakeStream,
        RawOutputStream=_FakeStream,
        query_devices=query_devices,
        query_hostapis=lambda index=None: [{"name": "ALSA"}] if index is None else {"name": "ALSA"},
        default=SimpleNamespace(device=(0, 0)),
    )


def test_changing_the_microphone_keeps_the_running_speaker_stream() -> None:
    """PortAudio's streams into PulseAudio do not run for ~1.9 s after a start: restarting one that did not
    change (the app re-sends its devices) disturbed the call."""
    from softphone.audio import SoundDeviceBridge

    bridge = SoundDeviceBridge(sd=_fake_sounddevice(), echo_cancellation=False)  # type: ignore[arg-type]
    assert bridge.open("Built-in", "Built-in") is None
    speaker, mic = bridge._out_stream, bridge._in_stream
    assert bridge.open("Headset", 0) is None  # the same speaker, by index (the UI's form) instead of name
    assert bridge._out_stream is speaker and speaker.active
    assert bridge._in_stream is not mic and bridge._in_stream.device == 1 and not mic.active
    speaker.active = False  # stopped (device gone): opened again even though the name is the same
    assert bridge.open("Headset", "Built-in") is None
    assert bridge._out_stream is not speaker and bridge._out_stream.active
    bridge.close()
    assert not bridge.output_open and not bridge.input_open


def test_output_underflows_are_counted_apart_from_other_stream_errors() -> None:
    """``speaker_underflows`` tells a speaker that ran dry (PortAudio's output_underflow) from other xruns."""
    from softphone.audio import SoundDeviceBridge

    bridge = SoundDeviceBridge(sd=_fake_sounddevice(), echo_cancellation=False)  # type: ignore[arg-type]
    core = bridge._core
    out = memoryview(bytearray(320))
    core.on_output(out, 160, None, SimpleNamespace(output_underflow=True))
    core.on_output(out, 160, None, SimpleNamespace(output_underflow=False, priming_output=True))
    core.on_output(out, 160, None, None)
    core.on_input(bytes(320), 160, None, SimpleNamespace(input_overflow=True))
    stats = bridge.stats
    assert stats.stream_errors == 3 and stats.speaker_underflows == 1


@pytest.mark.parametrize("aec", [False, True])
def test_a_microphone_block_just_late_is_waited_for_not_replaced_by_silence(aec: bool) -> None:
    """The clock thread waits up to 3 ms for a block due any moment (a silent frame shifts the speech, and a
    second later the trim cut a frame out of it); a stalled stream costs that wait once, not every frame."""
    import threading
    import time

    import pjsua2 as pj

    from softphone.audio import CAPTURE_WAIT_S, SoundDeviceBridge

    bridge = SoundDeviceBridge(sd=_fake_sounddevice(), echo_cancellation=aec)  # type: ignore[arg-type]
    try:
        assert bridge.open("Built-in", "Built-in") is None
        core, block = bridge._core, b"\x10\x27\xf0\xd8" * (bridge.frame_bytes // 4)  # +-10000
        late = threading.Timer(0.001, lambda: core.on_input(block, len(block) // 2, None, None))
        late.start()
        frame = pj.MediaFrame()
        bridge.onFrameRequested(frame)
        late.join()
        assert core.mic_starved_frames == 0 and core.mic.read_position == bridge.frame_bytes
        assert aec or bytes(frame.buf) == block  # (the canceller's first frames are its own business)
        # nothing comes: one wait, then silence at once while the stream stays dry
        started = time.monotonic()
        for _ in range(5):
            bridge.onFrameRequested(frame)
        assert core.mic_starved_frames == 5 and time.monotonic() - started < CAPTURE_WAIT_S + 0.002
        core.on_input(block, len(block) // 2, None, None)
        bridge.onFrameRequested(frame)  # audio flows again: the next shortage is waited for again
        assert not core.capture_late
    finally:
        bridge.destroy()
