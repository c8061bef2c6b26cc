"""The speexdsp echo canceller binding and the bridge's echo path, on synthetic signals (no audio server).

ERLE (echo return loss enhancement) = level of the echo in the microphone / level of what is left after the
canceller, in dB, measured after the filter converged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pjsua2 as pj
import pytest

from softphone.audio import SoundDeviceBridge
from softphone.echo_canceller import (
    UNAVAILABLE_REASON,
    EchoCanceller,
    PlaybackHistory,
    load_speexdsp,
)
from softphone.tones import goertzel

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(load_speexdsp() is None, reason="libspeexdsp1 not installed"),
]

RATE = 16000
FRAME = 320  # 20 ms


def far_end_speechlike(seconds: float, seed: int = 7) -> np.ndarray:
    """Band-limited noise with a syllable-rate (4 Hz) envelope: broadband like speech, never a pure tone."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    noise = np.convolve(rng.standard_normal(n), np.ones(4) / 4, mode="same")
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * np.arange(n) / RATE)
    return noise * envelope * 5000


def room_echo(far: np.ndarray, delay_ms: float) -> np.ndarray:
    """The far end as a microphone hears it from a speaker: delayed, attenuated, with a reflection."""
    d = int(delay_ms * RATE / 1000)
    echo = np.zeros_like(far)
    echo[d:] += 0.5 * far[:-d]
    echo[d + 40 :] += 0.2 * far[: -d - 40]
    echo[d + 200 :] -= 0.1 * far[: -d - 200]
    return echo


def run_canceller(ec: EchoCanceller, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
    mic16 = np.clip(mic, -32768, 32767).astype(np.int16)
    far16 = np.clip(far, -32768, 32767).astype(np.int16)
    out = [
        np.frombuffer(ec.process(mic16[i : i + FRAME].tobytes(), far16[i : i + FRAME].tobytes()), np.int16)
        for i in range(0, len(mic16) - FRAME + 1, FRAME)
    ]
    return np.concatenate(out).astype(np.float64)


def db(numerator: np.ndarray, denominator: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(numerator**2)) / max(float(np.mean(denominator**2)), 1e-9))


@pytest.mark.parametrize(("residual_suppression", "min_erle_db"), [(False, 12.0), (True, 20.0)])
def test_erle_after_convergence_and_the_near_end_survives(
    residual_suppression: bool, min_erle_db: float
) -> None:
    seconds = 10
    far = far_end_speechlike(seconds)
    echo = room_echo(far, delay_ms=60)
    t = np.arange(len(far)) / RATE
    near = np.where(t >= 6, 2000 * np.sin(2 * np.pi * 1000 * t), 0.0)  # the local talker, from 6 s on
    ec = EchoCanceller(FRAME, RATE, tail_ms=200, residual_suppression=residual_suppression)
    try:
        out = run_canceller(ec, echo + near, far)
    finally:
        ec.close()
    single_talk = slice(3 * RATE, 6 * RATE)  # converged (3 s), echo only
    erle = db(echo[single_talk], out[single_talk])
    print(f"\nERLE {erle:.1f} dB (residual suppression {'on' if residual_suppression else 'off'})")
    assert erle >= min_erle_db
    # Double talk: the near-end tone passes (at most 6 dB weaker), the echo stays well below it.
    double_talk = slice(7 * RATE, 10 * RATE - FRAME)
    kept = 10 * math.log10(goertzel(out[double_talk], RATE, 1000) / goertzel(near[double_talk], RATE, 1000))
    assert kept > -6, f"near end lost {-kept:.1f} dB"


def test_with_a_silent_far_end_the_microphone_passes_untouched_and_echo_is_still_cancelled() -> None:
    """speexdsp's processing costs the near end quality, so it is skipped while there is no echo to remove;
    the canceller keeps learning, so the far end's first words after a silence are cancelled at once."""
    seconds = 10
    t = np.arange(seconds * RATE) / RATE
    talking = (t < 3) | (t >= 6)  # the far end talks, pauses 3 s (the agent talks), talks again
    far = far_end_speechlike(seconds) * talking + np.where(talking, 0, 30)  # decoded silence is not zero
    echo = room_echo(far, delay_ms=60)
    near = np.where((t >= 3) & (t < 6), 2000 * np.sin(2 * np.pi * 1000 * t), 0.0)
    mic = np.clip(echo + near, -32768, 32767).astype(np.int16).astype(np.float64)
    ec = EchoCanceller(FRAME, RATE, tail_ms=200)
    try:
        out = run_canceller(ec, mic, far)
        # the far end silent for the tail and the hold (0.4 s): the agent's frames go out as captured
        alone = slice(int(3.5 * RATE), 6 * RATE)
        assert np.array_equal(out[alone], mic[alone])
        assert ec.passed_frames >= (2.5 * RATE) // FRAME
        # the far end speaks again: cancelled as well as it was before the pause once the suppressor caught up
        # (a quarter second; 14 dB in that quarter, and 10 dB when every frame is processed all along)
        back = slice(int(6.25 * RATE), 7 * RATE)
        assert db(echo[back], out[back]) >= 20
        # no click at the switches: no step larger than the signal's own between samples
        steps = np.abs(np.diff(out[int(2.9 * RATE) : int(3.6 * RATE)]))
        assert steps.max() <= np.abs(np.diff(mic[int(2.9 * RATE) : int(3.6 * RATE)])).max() + 200
    finally:
        ec.close()
    # with noise suppression on, the user asked for processing: never untouched
    ec = EchoCanceller(FRAME, RATE, tail_ms=200)
    ec.set_options(noise_suppression=True, auto_gain=False)
    try:
        run_canceller(ec, mic, far)
        assert ec.passed_frames == 0
    finally:
        ec.close()


def test_an_echo_longer_than_the_tail_is_not_cancelled() -> None:
    far = far_end_speechlike(6)
    echo = room_echo(far, delay_ms=300)
    ec = EchoCanceller(FRAME, RATE, tail_ms=100, residual_suppression=False)
    try:
        out = run_canceller(ec, echo, far)
    finally:
        ec.close()
    window = slice(3 * RATE, 6 * RATE - FRAME)
    assert db(echo[window], out[window]) < 3  # the tail must cover the delay: hence configurable


def test_processing_cost_per_frame_is_small() -> None:
    far = far_end_speechlike(2)
    ec = EchoCanceller(FRAME, RATE, tail_ms=200)
    try:
        import time

        started = time.perf_counter()
        run_canceller(ec, room_echo(far, 50), far)
        per_frame_us = (time.perf_counter() - started) / (len(far) // FRAME) * 1e6
    finally:
        ec.close()
    print(f"\nspeexdsp AEC + residual suppression: {per_frame_us:.0f} us per 20 ms frame")
    assert per_frame_us < 5000  # generous: the machine may be loaded; typical is ~0.2-0.5 ms


def test_frames_of_the_wrong_size_are_refused_and_close_is_idempotent() -> None:
    ec = EchoCanceller(FRAME, RATE)
    with pytest.raises(ValueError):
        ec.process(bytes(10), bytes(FRAME * 2))
    ec.close()
    ec.close()
    assert ec.closed
    assert ec.process(b"\x01\x00" * FRAME, bytes(FRAME * 2)) == b"\x01\x00" * FRAME  # closed: pass-through


def test_missing_library_is_reported_not_raised() -> None:
    assert load_speexdsp(["/nonexistent/libspeexdsp.so.1"]) is None
    bridge = SoundDeviceBridge(sd=None, speexdsp_names=["/nonexistent/libspeexdsp.so.1"])
    try:
        problem = bridge.health()
        assert problem is not None and problem.reason == UNAVAILABLE_REASON
        assert bridge.echo_stats.state == "unavailable"
        frame = pj.MediaFrame()
        bridge.onFrameRequested(frame)  # still hands out (silent) audio
        assert frame.size == bridge.frame_bytes
    finally:
        bridge.destroy()
    off = SoundDeviceBridge(sd=None, echo_cancellation=False)
    try:
        assert off.echo_stats.state == "off" and off.health() is None
    finally:
        off.destroy()


def test_playback_history_is_addressed_by_stream_position() -> None:
    h = PlaybackHistory(10)
    h.write(b"abcdefgh")
    assert h.read_ending(4, 0) == b"efgh"
    assert h.read_ending(4, 2) == b"cdef"
    assert h.read_ending(4, 6) == b"\x00\x00ab"  # before the stream began: silence
    h.write(b"ijklmnopqrstuvwxyz")  # wraps; only the last 10 bytes are kept
    assert h.written == 26
    assert h.read_at(21, 5) == b"vwxyz"
    assert h.read_at(14, 5) == b"\x00\x00qrs"  # too old
    assert h.read_at(24, 4) == b"yz\x00\x00"  # not played yet
    h.clear()
    assert h.written == 26 and h.read_at(21, 5) == bytes(5)


class _RunningStream:
    """Stands in for an open PortAudio stream: the test calls the bridge's stream callbacks itself."""

    active = True
    latency = 0.01

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.parametrize("aec", [True, False])
def test_bridge_cancels_the_echo_of_what_it_played(aec: bool) -> None:
    """The bridge's own path: far-end frames in, speaker blocks out, their echo into the mic callback 3 blocks
    later (plus 2 ms in the room), mic frames out to pjsua2 — with callbacks in a bursty order."""
    bridge = SoundDeviceBridge(sd=None, echo_tail_ms=200, echo_cancellation=aec, frame_ms=20, block_ms=10)
    core: Any = bridge._core
    bridge._in_stream = bridge._out_stream = _RunningStream()  # as if open() had succeeded
    far = far_end_speechlike(8, seed=3).astype(np.int16)
    block = 160
    speaker_out: list[np.ndarray] = []
    to_pjsua: list[np.ndarray] = []
    echo_in_mic: list[np.ndarray] = []
    room_delay = 32  # samples
    try:
        for tick in range(len(far) // FRAME):
            frame = pj.MediaFrame()
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            chunk = far[tick * FRAME : (tick + 1) * FRAME].tobytes()
            frame.buf = pj.ByteVector(chunk)
            frame.size = len(chunk)
            bridge.onFrameReceived(frame)
            for _ in range(2):  # two 10 ms PortAudio blocks per 20 ms pjmedia frame
                out = bytearray(block * 2)
                core.on_output(memoryview(out), block, None, None)
                speaker_out.append(np.frombuffer(bytes(out), np.int16))
                played = np.concatenate(speaker_out).astype(np.float64)
                # Echo: what the speaker played 3 blocks ago (output + input latency), through the room.
                end = len(played) - 3 * block
                start = end - block
                seg = np.zeros(block)
                if start - room_delay >= 0:
                    seg = 0.5 * played[start - room_delay : end - room_delay]
                echo_in_mic.append(seg)
                if tick % 3 != 2:  # bursty capture: some blocks arrive a tick late
                    pending = np.concatenate(echo_in_mic).astype(np.int16)
                    echo_in_mic.clear()
                    core.on_input(memoryview(pending.tobytes()), len(pending), None, None)
            request = pj.MediaFrame()
            bridge.onFrameRequested(request)
            to_pjsua.append(np.frombuffer(bytes(request.buf), np.int16))
        stats = bridge.echo_stats
    finally:
        bridge._in_stream = bridge._out_stream = None
        bridge.destroy()
    sent = np.concatenate(to_pjsua).astype(np.float64)
    played = np.concatenate(speaker_out).astype(np.float64)
    assert np.max(np.abs(played)) > 1000, "the far end was not played"
    tail = slice(5 * RATE, 8 * RATE - 2 * FRAME)
    echo_level = float(np.sqrt(np.mean((0.5 * played[tail]) ** 2)))  # the echo's level at the mic
    frames = sent[tail].reshape(-1, FRAME)
    frames = frames[np.any(frames != 0, axis=1)]  # frames the mic FIFO had audio for (not starved)
    assert len(frames) > 50
    left = float(np.sqrt(np.mean(frames**2)))
    erle = 20 * math.log10(echo_level / max(left, 1e-9))
    print(f"\nbridge ERLE {erle:.1f} dB, {stats.mean_us:.0f} us/frame mean, {stats.max_us:.0f} us max")
    if aec:
        assert stats.state == "on" and stats.frames > 300
        assert erle >= 15
    else:
        assert stats.state == "off" and abs(erle) < 3  # control: the harness really delivers the echo
