"""Call recording: both parties mixed in one WAV, and the WAV stays playable after kill -9."""

from __future__ import annotations

import shutil
import subprocess
import time
import wave
from pathlib import Path

import pytest

from softphone.testing import CliPeer, tone_levels

pytestmark = [pytest.mark.integration]

A_HZ, B_HZ = 700.0, 1300.0


def test_recording_has_both_parties(peers, tmp_path: Path) -> None:
    a = peers("alice", "--tone", str(A_HZ))
    b = peers("bob", "--tone", str(B_HZ), "--auto-answer")
    call = a.command("make_call", account_id="local", target=b.uri)
    a.wait_state("confirmed", call)
    path = tmp_path / "call.wav"
    a.command("start_recording", call_id=call, path=str(path))
    time.sleep(1.5)
    a.command("stop_recording", call_id=call)
    a.wait_for(lambda e: e["event"] == "RecordingChanged" and not e["recording"])
    levels = tone_levels(path, [A_HZ, B_HZ], skip_s=0.2)
    assert levels[A_HZ] > 0.2 and levels[B_HZ] > 0.2, levels
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getsampwidth() == 2
        assert 1.0 < w.getnframes() / 16000 < 3.0


def test_recording_survives_kill_9(peers, tmp_path: Path) -> None:
    b = peers("bob", "--tone", str(B_HZ), "--auto-answer")
    path = tmp_path / "killed.wav"
    args = ["--user", "alice", "--tone", str(A_HZ), "--call", b.uri, "--record", str(path)]
    victim = CliPeer(args, "alice")
    try:
        victim.wait_for(lambda e: e["event"] == "RecordingChanged" and e["recording"])
        time.sleep(2.0)
        victim.proc.kill()  # SIGKILL: no teardown, no header patch at close
        victim.proc.wait(10)
    finally:
        victim.kill()
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 1.0, seconds
    levels = tone_levels(path, [A_HZ, B_HZ], skip_s=0.2)
    assert levels[A_HZ] > 0.2 and levels[B_HZ] > 0.2, levels
    if shutil.which("soxi"):  # an independent reader agrees
        out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
        assert abs(float(out.stdout) - seconds) < 0.1


def _stopped(e: dict[str, object]) -> bool:
    return e["event"] == "RecordingChanged" and not e["recording"]


def test_recording_again_and_again_on_reused_taps(peers, tmp_path: Path) -> None:
    # Taps are reused (softphone/recording.py: TapPool); an idle tap keeps nothing, so each recording holds
    # only its own audio, and no tap is ever freed under the conference clock.
    a = peers("alice", "--tone", str(A_HZ))
    b = peers("bob", "--tone", str(B_HZ), "--auto-answer")
    call = a.command("make_call", account_id="local", target=b.uri)
    a.wait_state("confirmed", call)
    for i in range(4):
        path = tmp_path / f"take{i}.wav"
        mark = len(a.events)
        a.command("start_recording", call_id=call, path=str(path))
        time.sleep(0.8)
        a.command("stop_recording", call_id=call)
        a.wait_for(lambda e, m=mark: _stopped(e) and e in a.events[m:])
        time.sleep(0.7)  # idle: a tap that kept frames now would put this gap into the next take
        with wave.open(str(path)) as w:
            seconds = w.getnframes() / w.getframerate()
        assert 0.4 < seconds < 1.4, (i, seconds)
        levels = tone_levels(path, [A_HZ, B_HZ], skip_s=0.1)
        assert levels[A_HZ] > 0.2 and levels[B_HZ] > 0.2, (i, levels)
    assert a.proc.poll() is None
