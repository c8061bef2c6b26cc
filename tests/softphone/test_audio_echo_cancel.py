"""Acoustic echo cancellation in the sounddevice bridge, on a real echo path.

The private PulseAudio of audio_env gets an "acoustic" path: the bridge's microphone is the ``speaker`` sink's
monitor, so whatever the bridge plays comes straight back into its microphone (the echo, ~40 ms after the
bridge handed it to PortAudio), and a near-end 1000 Hz tone played into the same sink is the agent talking.
(``module-loopback`` from speaker.monitor into the ``mic`` sink would do too, but its latency controller and
extra resampler make the echo path wander under CPU load.) The far end, a pjsua2 peer, sends 600 Hz and
records what it receives: with echo cancellation on, the 600 Hz coming back to it must be far weaker than
with it off, while the near-end 1000 Hz still arrives.
"""

from __future__ import annotations

import math
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
from audio_env import PulseServer, pulse_available, start_pulse, stop_pulse
from test_audio_pulse import agent, events_of, first, wait_ready

from softphone.tones import goertzel, read_wav_mono, sine

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not pulse_available(), reason="pulseaudio + pulseaudio-utils not installed"),
]

RATE = 16000
FAR_HZ = 600
NEAR_HZ = 1000
TALK_S = 10.0
NEAR_AMPLITUDE = 0.1  # -20 dBFS
FAR_VOLUME = 6500  # -14 dBFS: a loud talker, no clipping anywhere
# Uncompressed audio on the wire: with G.722, pjmedia drops its 2-bit PCM shift (shared by encoder and
# decoder) after any decoder clipping, e.g. from an xrun glitch, and every level the peer hears jumps by 12 dB
# mid-call; PCMU's quantisation noise lets the adaptive filter slowly cancel a perfectly steady near-end tone.
# Neither says anything about the canceller; both would make the measurement wander.
CODEC = "L16/44100/1"
CONVERGE_S = 3.0  # what the canceller may take to learn the echo path


@pytest.fixture(scope="module")
def echoing_pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    server = start_pulse(tmp_path_factory.mktemp("pulse-echo"))
    try:
        server.pactl("set-default-source", "speaker.monitor")
        yield server
    finally:
        stop_pulse(server)


def tone_db(samples: np.ndarray, hz: float) -> float:
    """Level of ``hz`` in ``samples`` in dB relative to int16 full scale (amplitude)."""
    power = goertzel(samples, RATE, hz)  # ~ A²/4 for a sine of amplitude A
    return 10 * math.log10(max(4 * power, 1e-12) / 32767.0**2)


def steady_levels(heard: np.ndarray, hz: float) -> list[float]:
    """``hz`` level of each half second from CONVERGE_S after audio starts to half a second before the end.

    The median of these is what the test compares: on a loaded machine an xrun now and then shifts the echo
    path and the canceller needs a moment to re-learn it; such moments must not decide the verdict.
    """
    n = RATE // 2
    windows = [heard[i : i + n] for i in range(0, len(heard) - n, n)]
    start = next((k for k, w in enumerate(windows) if np.max(np.abs(w)) > 300), len(windows))
    steady = windows[start + int(CONVERGE_S * 2) : -1]
    assert len(steady) >= 6, f"too little audio reached the peer ({len(windows)} half seconds)"
    return [tone_db(w, hz) for w in steady]


def call_with_echo(pulse: PulseServer, tmp_path: Path, aec: str) -> tuple[np.ndarray, dict[str, Any]]:
    """One call from the bridge to a 600 Hz peer; returns what the peer heard and the bridge's result."""
    peer_wav = tmp_path / f"peer-{aec}.wav"
    peer = agent(
        pulse.env, "--role", "peer", "--tone-hz", str(FAR_HZ), "--tone-volume", str(FAR_VOLUME),
        "--record", str(peer_wav), "--max-seconds", "60", "--codec", CODEC,
    )
    near: subprocess.Popen[bytes] | None = None
    try:
        port = wait_ready(peer)["port"]
        near = pulse.play_tone_into("speaker", sine(RATE, NEAR_HZ, TALK_S + 20, NEAR_AMPLITUDE))
        caller = agent(
            pulse.env, "--role", "bridge", "--call", f"sip:peer@127.0.0.1:{port}", "--talk", str(TALK_S),
            "--input", "pulse", "--output", "pulse", "--echo-cancellation", aec, "--codec", CODEC,
        )
        events = events_of(caller)
        events_of(peer, timeout=30)
    finally:
        if near is not None:
            pulse.stop_helper(near)
        if peer.poll() is None:
            peer.kill()
            peer.communicate(timeout=10)
    assert first(events, "opened")["problem"] is None
    result = first(events, "result")
    assert result["ok"]
    heard, rate = read_wav_mono(peer_wav)
    assert rate == RATE
    return heard, result


def wait_for_a_quiet_machine(max_wait_s: float = 30.0, busy_below: float = 50.0) -> str:
    """Start the calls on a quiet machine: under load PortAudio's callbacks come late (xruns), and each xrun
    makes the canceller start over (one full-suite run had them in both pairs; its load is unknown)."""
    start = time.monotonic()
    while (busy := psutil.cpu_percent(interval=0.5)) >= busy_below and time.monotonic() - start < max_wait_s:
        pass
    waited = time.monotonic() - start
    return f"waited {waited:.1f} s for the CPUs to be under {busy_below:.0f} % busy ({busy:.0f} %)"


def measure(pulse: PulseServer, folder: Path) -> list[str]:
    """A call without and one with echo cancellation; what falls short (nothing when the canceller works)."""
    folder.mkdir()
    print(f"\n{wait_for_a_quiet_machine()}")
    off, off_result = call_with_echo(pulse, folder, "off")
    on, on_result = call_with_echo(pulse, folder, "on")
    assert off_result["echo_state"] == "off" and on_result["echo_state"] == "on"
    assert on_result["echo_frames"] > 100
    echo_off, echo_on = (float(np.median(steady_levels(x, FAR_HZ))) for x in (off, on))
    near_off, near_on = (float(np.median(steady_levels(x, NEAR_HZ))) for x in (off, on))
    print(
        f"\necho at the far end: {echo_off:.1f} dBFS without AEC, {echo_on:.1f} dBFS with it"
        f" ({echo_off - echo_on:.1f} dB less); near end {near_off:.1f} -> {near_on:.1f} dBFS"
        f" (echo/near {echo_off - near_off:.1f} -> {echo_on - near_on:.1f} dB);"
        f" AEC {on_result['echo_mean_us']:.0f} us/frame mean, {on_result['echo_max_us']:.0f} us max;"
        f" realignments {on_result['echo_resyncs']}, stream errors {on_result['stream_errors']}"
        f"\n600 Hz per half second, off: {[round(x) for x in steady_levels(off, FAR_HZ)]}"
        f"\n600 Hz per half second, on:  {[round(x) for x in steady_levels(on, FAR_HZ)]}"
        f"\n1 kHz per half second, on:   {[round(x) for x in steady_levels(on, NEAR_HZ)]}"
    )
    problems = []
    # Without cancellation the echo is loud at the far end: the path really exists.
    if echo_off <= -30:
        problems.append(f"no echo path? {echo_off:.1f} dBFS")
    if echo_off - echo_on < 15:
        problems.append(f"echo only {echo_off - echo_on:.1f} dB weaker with AEC")
    # The same, independent of any gain change between the two calls: echo relative to the near-end talker.
    improvement = (echo_off - near_off) - (echo_on - near_on)
    if improvement < 15:
        problems.append(f"echo-to-near-end ratio only {improvement:.1f} dB better with AEC")
    # The near-end talker is still heard: near its injected level (the residual echo suppressor's denoiser
    # takes ~3 dB off a steady tone), and well above what is left of the echo. Compared with the injected
    # level, not with the AEC-off call, whose levels wander by several dB on a loaded machine.
    injected = 20 * math.log10(NEAR_AMPLITUDE)
    if near_on <= injected - 8:
        problems.append(f"near end {near_on:.1f} dBFS at the far end, injected at {injected:.0f}")
    if near_on <= echo_on + 10:
        problems.append(f"near end {near_on:.1f} dBFS only {near_on - echo_on:.1f} dB above the echo")
    return problems


def test_echo_of_the_far_end_is_cancelled_and_the_near_end_still_arrives(
    echoing_pulse: PulseServer, tmp_path: Path
) -> None:
    # Until the alignment stopped resetting the canceller on callback jitter (softphone.echo_canceller.
    # EchoAlignment), about one pair in five came back only 8-19 dB weaker instead of 29-47 dB. An xrun on a
    # loaded CI machine still makes it start over mid-call; a second pair is allowed so that CI measures the
    # canceller rather than the machine, and the output says when it was needed.
    problems = measure(echoing_pulse, tmp_path / "try1")
    if problems:
        print(f"\nfirst pair of calls: {'; '.join(problems)}; calling again")
        problems = measure(echoing_pulse, tmp_path / "try2")
    assert not problems, "; ".join(problems)
