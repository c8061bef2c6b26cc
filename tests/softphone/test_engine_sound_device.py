"""The engine with real sound devices (``softphone-cli --sound-device``) against a private PulseAudio server
with null sinks (tests/softphone/audio_env.py): microphone -> peer, peer -> speaker, ringback, mic level."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_env import PulseServer, pulse_available, pulse_server_fixture, read_raw

from softphone.testing import CliPeer, band_levels
from softphone.tones import sine, write_wav_mono

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not pulse_available(), reason="pulseaudio + pulseaudio-utils not installed"),
]

RATE = 16000


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    yield from pulse_server_fixture(tmp_path_factory.mktemp("pulse-engine"))


def band_level(samples: np.ndarray, freq: float) -> float:
    return band_levels(samples, RATE, [freq])[freq]


def test_microphone_and_speaker_through_the_engine(peers, pulse: PulseServer, tmp_path: Path) -> None:
    b = peers("bob", "--tone", "1100", "--auto-answer=2.5")
    speaker = tmp_path / "speaker.raw"
    rec = pulse.start_recording("speaker.monitor", speaker)
    player = pulse.play_tone_into("mic", sine(RATE, 650, 30, 0.3))
    a = CliPeer(["--user", "alice", "--sound-device"], name="alice", env=pulse.env)
    try:
        assert a.find(lambda e: e["event"] == "AudioDeviceProblem") is None
        time.sleep(1.0)  # let the freshly opened PulseAudio streams start flowing
        call = a.command("make_call", account_id="local", target=b.uri)
        ringing = a.wait_state("ringing", call)
        t_ring = time.monotonic()
        a.wait_state("confirmed", call, start=a.events.index(ringing))
        ring_s = time.monotonic() - t_ring
        mic_levels = b.heard(tmp_path / "b.wav", [650], seconds=1.5, expect={650: 0.3})
        a.wait_for(lambda e: e["event"] == "MicLevel" and e["level"] > 0.1)
        stats = a.command("sound_stats")
        assert stats["frames_received"] > 100 and stats["frames_requested"] > 100
        a.command("hangup", call_id=call)
        a.wait_state("disconnected", call)
    finally:
        a.quit()
        a.kill()
        pulse.stop_helper(rec)
        pulse.stop_helper(player)
    assert mic_levels[650] > 0.3  # microphone -> engine -> RTP -> bob
    out = read_raw(speaker)
    chunks = [out[i: i + RATE // 4] for i in range(0, len(out) - RATE // 4, RATE // 4)]
    assert max(band_level(c, 1100) for c in chunks) > 0.5  # bob -> RTP -> engine -> speaker
    # ringback (425 Hz) played on the speaker while bob's phone rang, before his tone took over
    assert ring_s > 2.0 and max(band_level(c, 425) for c in chunks) > 0.5


def mic_levels(peer: CliPeer, start: int) -> list[float]:
    return [e["level"] for e in peer.events[start:] if e["event"] == "MicLevel"]


def test_mic_meter_outside_calls_follows_the_microphone(pulse: PulseServer) -> None:
    """Settings-page meter: MicLevel only while enabled, high with a tone in the mic, low in silence."""
    player = pulse.play_tone_into("mic", sine(RATE, 650, 30, 0.3))
    a = CliPeer(["--user", "alice", "--sound-device"], name="alice", env=pulse.env)
    try:
        time.sleep(0.5)
        assert mic_levels(a, 0) == []  # no call, meter off: no polling, no events
        mark = a.mark()
        a.command("set_mic_meter", enabled=True)
        a.wait_for(lambda e: e["event"] == "MicLevel" and e["level"] > 0.5, start=mark)
        mark = a.mark()
        a.command("set_mic_meter", enabled=False)
        a.wait_for(lambda e: e["event"] == "MicLevel" and e["level"] == 0.0, start=mark)  # meter at rest
        quiet = a.mark()
        time.sleep(0.5)
        assert mic_levels(a, quiet) == []  # the tone still plays, but nobody wants the meter
        pulse.stop_helper(player)
        mark = a.mark()
        a.command("set_mic_meter", enabled=True)
        a.wait_for(lambda e: e["event"] == "MicLevel" and e["level"] < 0.1, start=mark)
    finally:
        a.quit()
        a.kill()
        pulse.stop_helper(player)


def test_device_problem_is_reported_and_meter_needs_an_open_microphone(pulse: PulseServer) -> None:
    player = pulse.play_tone_into("mic", sine(RATE, 650, 30, 0.3))
    a = CliPeer(["--user", "alice", "--sound-device", "--audio-input", "no-such-mic"], name="alice",
                env=pulse.env)
    try:
        problem = a.wait_for(lambda e: e["event"] == "AudioDeviceProblem")
        assert "microphone" in problem["reason"] and "no-such-mic" in problem["reason"]
        a.command("set_mic_meter", enabled=True)
        mark = a.mark()
        time.sleep(0.5)
        assert mic_levels(a, mark) == []  # no microphone open: nothing to meter
        a.command("set_audio_devices", input=None, output=None, ringer=None)  # back to the default mic
        a.wait_for(lambda e: e["event"] == "MicLevel" and e["level"] > 0.5, start=mark)
        mark = a.mark()
        a.command("set_audio_devices", input="still-no-such-mic", output=None, ringer=None)
        problem = a.wait_for(lambda e: e["event"] == "AudioDeviceProblem", start=mark)
        assert "still-no-such-mic" in problem["reason"]
    finally:
        a.quit()
        a.kill()
        pulse.stop_helper(player)


def test_the_first_words_of_a_call_reach_the_speaker(peers, pulse: PulseServer, tmp_path: Path) -> None:
    """Bob answers at once and opens with 400 ms of 700 Hz, then 1100 Hz: the opening must be heard.

    PortAudio's ALSA output into PulseAudio does not pull for ~1.9 s after a stream starts (3 callbacks, then
    none, whatever the latency asked): audio of a call placed in that window is dropped from the speaker
    FIFO. The engine opens the streams once at start and keeps them running, so calls after that hear their
    first words; this guards that (a bridge opening its streams per call would lose them), and that choosing
    the same devices again mid-call restarts nothing (it starved the microphone ~4 s)."""
    opening = tmp_path / "opening.wav"
    write_wav_mono(opening, np.concatenate([sine(RATE, 700, 0.4, 0.5), sine(RATE, 1100, 20, 0.5)]), RATE)
    b = peers("bob", "--wait", "--auto-answer", "--play", str(opening))
    speaker = tmp_path / "speaker.raw"
    rec = pulse.start_recording("speaker.monitor", speaker)
    a = CliPeer(["--user", "alice", "--sound-device"], name="alice", env=pulse.env)
    try:
        time.sleep(3.0)  # the app starts long before its first call; past PulseAudio's start-up stall
        call = a.command("make_call", account_id="local", target=b.uri)
        a.wait_state("confirmed", call)
        time.sleep(0.6)
        # Settings re-sends the devices (at start-up, for another microphone): the speaker keeps running
        a.command("set_audio_devices", input=None, output=None)
        time.sleep(2.0)
        stats = a.command("sound_stats")
        a.command("hangup", call_id=call)
        a.wait_state("disconnected", call)
    finally:
        a.quit()
        a.kill()
        time.sleep(0.3)
        pulse.stop_helper(rec)
    out = read_raw(speaker)
    windows = [out[i: i + RATE // 10] for i in range(0, len(out) - RATE // 10, RATE // 10)]
    assert max(band_level(w, 700) for w in windows) > 0.5, "the call's first 400 ms were not played"
    assert stats["speaker_overrun_bytes"] == 0, stats
    # a restarted microphone starved 200 frames (4 s) in 1 of 2 runs; the unit test checks the rule itself
    assert stats["mic_starved_frames"] < 50, stats
    # the caller's tone plays on without a hole where the devices were chosen again
    heard = [i for i, w in enumerate(windows) if band_level(w, 1100) > 0.3]
    holes = [b - a - 1 for a, b in itertools.pairwise(heard)]
    assert heard and max(holes, default=0) <= 2, f"1100 Hz missing for {max(holes) / 10:.1f} s"
