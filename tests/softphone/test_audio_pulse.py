"""The sounddevice path against a real audio server: a private PulseAudio with null sinks (see audio_env.py).

pjsua2 runs in subprocesses (tests/softphone/pj_audio_agent.py): one Endpoint per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio_env import PulseServer, pulse_available, pulse_server_fixture, read_raw

from softphone.audio import Ringer, SoundDeviceBridge, list_devices, load_sounddevice, rescan_devices
from softphone.tones import dominant_frequency, read_wav_mono, sine, tone_ratio

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not pulse_available(), reason="pulseaudio + pulseaudio-utils not installed"),
]

AGENT = Path(__file__).with_name("pj_audio_agent.py")
ROOT = Path(__file__).resolve().parents[2]
RATE = 16000


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    yield from pulse_server_fixture(tmp_path_factory.mktemp("pulse"))


def agent(env: dict[str, str], *args: str, timeout: float = 90) -> subprocess.Popen[str]:
    env = dict(env)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, str(AGENT), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def events_of(proc: subprocess.Popen[str], timeout: float = 90) -> list[dict[str, Any]]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"agent timed out; stderr tail: {err[-2000:]}")
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert proc.returncode == 0, f"agent failed ({proc.returncode}): {out[-2000:]} {err[-2000:]}"
    return events


def first(events: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [e for e in events if e.get("event") == name]
    assert found, f"no {name!r} event in {events}"
    return found[0]


def wait_ready(proc: subprocess.Popen[str], timeout: float = 30) -> dict[str, Any]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "ready":
                return event
    proc.kill()
    pytest.fail("peer did not become ready")


def assert_tone(samples: np.ndarray, rate: int, hz: float, seconds: float = 0.5) -> None:
    """Some ``seconds``-long stretch has a clean ``hz`` tone (PulseAudio capture takes ~1-2 s to start)."""
    n = int(rate * seconds)
    best = (0.0, 0.0, 0.0)
    for start in range(0, max(1, len(samples) - n + 1), n // 4):
        window = samples[start : start + n]
        energy = float(np.sqrt(np.mean(window.astype(np.float64) ** 2)))
        if energy > 1000:
            best = max(best, (tone_ratio(window, rate, hz), dominant_frequency(window, rate), energy))
    ratio, freq, energy = best
    assert energy > 1000, f"no audio energy at {hz} Hz"
    assert freq == pytest.approx(hz, abs=8)
    assert ratio > 0.8


def test_ringer_tone_reaches_the_output_device_after_rescan(
    pulse: PulseServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sd = load_sounddevice()
    assert sd is not None
    for key in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "XDG_RUNTIME_DIR", "HOME"):
        monkeypatch.setenv(key, pulse.env[key])
    # PortAudio may have enumerated before the server existed: the hot-plug rescan must find it now.
    rescan_devices(sd)
    try:
        names = [d.name for d in list_devices(sd)]
        assert "pulse" in names
        recording = tmp_path / "speaker.raw"
        rec = pulse.start_recording("speaker.monitor", recording)
        ringer = Ringer(sd)
        ringer.set_device("pulse")
        assert ringer.start(lambda rate: sine(rate, 900, 1.0, 0.5)) is None
        assert ringer.ringing
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and recording.stat().st_size < RATE * 2 * 3:
            time.sleep(0.1)
        ringer.stop()
        pulse.stop_helper(rec)
        assert_tone(read_raw(recording), RATE, 900)
    finally:
        monkeypatch.undo()
        rescan_devices(sd)


def test_a_device_that_appears_later_is_opened_by_refresh(
    pulse: PulseServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sd = load_sounddevice()
    assert sd is not None
    # No audio server reachable: no device at all.
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'nothing-here'}")
    rescan_devices(sd)
    bridge = SoundDeviceBridge(sd=sd)  # the port itself is not needed to open streams
    try:
        problem = bridge.open("pulse", "pulse")
        assert problem is not None and "microphone" in problem.reason and "speaker" in problem.reason
        assert not bridge.input_open and not bridge.output_open
        # The "headset is plugged in": the server becomes reachable; a refresh finds and opens it.
        for key in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "XDG_RUNTIME_DIR", "HOME"):
            monkeypatch.setenv(key, pulse.env[key])
        player = pulse.play_tone_into("mic", sine(RATE, 700, 20, 0.3))
        devices, problem = bridge.refresh_devices()
        assert problem is None and "pulse" in [d.name for d in devices]
        assert bridge.input_open and bridge.output_open
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and bridge.mic_level < 0.5:
            time.sleep(0.05)
        pulse.stop_helper(player)
        assert bridge.mic_level > 0.5  # -10 dBFS tone -> ~0.83 on the meter
    finally:
        bridge.destroy()
        monkeypatch.undo()
        rescan_devices(sd)


def test_bridge_plays_call_audio_and_captures_the_microphone(pulse: PulseServer, tmp_path: Path) -> None:
    speaker = tmp_path / "speaker.raw"
    mic_wav = tmp_path / "mic.wav"
    rec = pulse.start_recording("speaker.monitor", speaker)
    player = pulse.play_tone_into("mic", sine(RATE, 700, 30, 0.3))
    proc = agent(pulse.env, "--role", "bridge", "--tone-hz", "1000", "--record", str(mic_wav), "--talk", "5")
    events = events_of(proc)
    pulse.stop_helper(rec)
    pulse.stop_helper(player)
    opened = first(events, "opened")
    assert opened["problem"] is None and opened["input_open"] and opened["output_open"]
    result = first(events, "result")
    assert result["max_mic_level"] > 0.4
    # What pjsua2 sent to the bridge came out of the "speaker"...
    assert_tone(read_raw(speaker), RATE, 1000)
    # ...and what was played into the "microphone" came into pjsua2's conference.
    mic, rate = read_wav_mono(mic_wav)
    assert_tone(mic, rate, 700)


def test_microphone_tone_reaches_the_peer_over_a_call(pulse: PulseServer, tmp_path: Path) -> None:
    peer_wav = tmp_path / "peer.wav"
    speaker = tmp_path / "speaker.raw"
    peer = agent(
        pulse.env, "--role", "peer", "--tone-hz", "1100", "--record", str(peer_wav), "--max-seconds", "60"
    )
    try:
        port = wait_ready(peer)["port"]
        rec = pulse.start_recording("speaker.monitor", speaker)
        player = pulse.play_tone_into("mic", sine(RATE, 650, 30, 0.3))
        caller = agent(pulse.env, "--role", "bridge", "--call", f"sip:peer@127.0.0.1:{port}", "--talk", "5")
        events = events_of(caller)
        pulse.stop_helper(rec)
        pulse.stop_helper(player)
        assert first(events, "opened")["problem"] is None
        assert first(events, "result")["ok"]
        events_of(peer, timeout=30)
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.communicate(timeout=10)
    heard, rate = read_wav_mono(peer_wav)
    # A loaded machine drops capture fragments now and then: ask for one clean quarter second.
    assert_tone(heard, rate, 650, seconds=0.25)  # microphone -> bridge -> RTP -> peer
    assert_tone(read_raw(speaker), RATE, 1100)  # peer -> RTP -> bridge -> speaker


def test_without_a_device_the_problem_is_reported_and_calls_still_connect(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PULSE_SERVER"] = f"unix:{tmp_path / 'no-such-server'}"
    peer_wav = tmp_path / "peer.wav"
    peer = agent(env, "--role", "peer", "--tone-hz", "1100", "--record", str(peer_wav), "--max-seconds", "60")
    try:
        port = wait_ready(peer)["port"]
        caller = agent(
            env, "--role", "bridge", "--call", f"sip:peer@127.0.0.1:{port}", "--talk", "2",
            "--input", "no-such-microphone", "--output", "no-such-speaker",
        )
        events = events_of(caller)
        events_of(peer, timeout=30)
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.communicate(timeout=10)
    opened = first(events, "opened")
    assert opened["problem"] and "microphone" in opened["problem"] and "speaker" in opened["problem"]
    assert not opened["input_open"] and not opened["output_open"]
    assert any(e.get("state") == "CONFIRMED" for e in events if e.get("event") == "call_state")
    result = first(events, "result")
    # The peer's tone still reached the bridge port (metered, not played) and the bridge fed frames (silence).
    assert result["max_speaker_level"] > 0.5
    assert result["frames_requested"] > 50
    heard, _rate = read_wav_mono(peer_wav)
    assert len(heard) > 0 and np.max(np.abs(heard[heard.size // 4 :])) < 200


def test_ringback_cadence_plays_on_the_speaker(pulse: PulseServer, tmp_path: Path) -> None:
    speaker = tmp_path / "speaker.raw"
    rec = pulse.start_recording("speaker.monitor", speaker)
    proc = agent(pulse.env, "--role", "bridge", "--ringback", "--talk", "11")
    events = events_of(proc)
    pulse.stop_helper(rec)
    assert first(events, "opened")["problem"] is None
    samples = read_raw(speaker)
    assert_tone(samples, RATE, 425, seconds=0.25)
    # Bursts separated by silence. Only roughly: under CPU load the recorder (parec) can drop audio, which
    # shortens pauses; the exact 1 s / 4 s cadence is checked sample-exactly in test_audio_unit.py.
    loud_at = np.flatnonzero(np.abs(samples) > 2000)
    assert len(loud_at) > 0
    longest_pause_between_bursts = int(np.max(np.diff(loud_at), initial=0))
    assert longest_pause_between_bursts > RATE, "ringback must pause between bursts"


def test_hot_plug_refresh_reopens_the_devices_and_audio_continues(pulse: PulseServer, tmp_path: Path) -> None:
    speaker = tmp_path / "speaker.raw"
    rec = pulse.start_recording("speaker.monitor", speaker)
    proc = agent(
        pulse.env, "--role", "bridge", "--tone-hz", "800", "--talk", "7", "--refresh-at", "3",
        "--tone-after-refresh", "1200", "--input", "pulse", "--output", "pulse",
    )
    events = events_of(proc)
    pulse.stop_helper(rec)
    refreshed = first(events, "refreshed")
    assert refreshed["problem"] is None and "pulse" in refreshed["devices"]
    assert refreshed["input_open"] and refreshed["output_open"]
    samples = read_raw(speaker)
    assert_tone(samples, RATE, 800, seconds=0.25)  # before the refresh
    assert_tone(samples, RATE, 1200)  # the agent switched to 1200 Hz only once the refresh had returned
