"""Full stack: two `softphone-cli` agents registered on the real demo server call each other, dial the echo
test, and keep talking while the media engine (rtpengine) is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest
from fullstack_audio import describe, first_window_with, seconds_of_tone
from fullstack_support import Agents, ServerProcess, call, hangup, heard, wait_audio_flowing, wait_until

from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TONE_101 = 440.0
TONE_102 = 880.0
TONE_103 = 660.0
BEEP = 1000.0


def _echo_test(peer: CliPeer, tone: float, path: Path) -> None:
    """Dial *43: the caller hears the 1 kHz beep first, then its own tone coming back."""
    heard(peer, path)
    call_id = call(peer, "*43")
    wait_audio_flowing(peer, call_id, packets=125)
    hangup(peer, call_id)
    peer.command("stop_monitor")
    picture = describe(path, (BEEP, tone))
    beep_at = first_window_with(path, BEEP)
    echo_at = first_window_with(path, tone)
    assert beep_at is not None, f"no 1 kHz beep heard: {picture}"
    assert echo_at is not None and echo_at > beep_at, f"own tone not echoed after the beep: {picture}"
    assert seconds_of_tone(path, tone) >= 1.0, f"echo too short: {picture}"


def test_agents_call_each_other_through_the_pbx(
    shared_server: ServerProcess, agents: Agents, tmp_path: Path
) -> None:
    rec101, rec102 = tmp_path / "rec101.wav", tmp_path / "rec102.wav"
    a101 = agents.start(shared_server, "101", "--tone", str(TONE_101), "--record", str(rec101))
    a102 = agents.start(
        shared_server, "102", "--tone", str(TONE_102), "--auto-answer=0", "--record", str(rec102)
    )
    heard(a101, tmp_path / "heard101.wav")
    heard(a102, tmp_path / "heard102.wav")
    call_id = call(a101, "102")
    incoming = a102.wait_for(lambda e: e["event"] == "IncomingCall", 10)
    assert "101" in incoming["remote_uri"]
    wait_audio_flowing(a101, call_id)
    hangup(a101, call_id)
    a102.wait_state("disconnected", timeout=15)
    a101.command("stop_monitor")
    a102.command("stop_monitor")

    # What each side heard is the other side's tone, not its own.
    heard101 = tmp_path / "heard101.wav"
    heard102 = tmp_path / "heard102.wav"
    assert seconds_of_tone(heard101, TONE_102) >= 1.0, describe(heard101, (TONE_101, TONE_102))
    assert seconds_of_tone(heard101, TONE_101, min_ratio=0.3) == 0.0, describe(heard101, (TONE_101, TONE_102))
    assert seconds_of_tone(heard102, TONE_101) >= 1.0, describe(heard102, (TONE_101, TONE_102))
    assert seconds_of_tone(heard102, TONE_102, min_ratio=0.3) == 0.0, describe(heard102, (TONE_101, TONE_102))
    # Both call recordings (the two parties mixed) hold both tones.
    for rec in (rec101, rec102):
        assert wait_until(lambda r=rec: r.exists() and r.stat().st_size > 16000, 10), rec
        assert seconds_of_tone(rec, TONE_101, min_ratio=0.2) >= 1.0, describe(rec, (TONE_101, TONE_102))
        assert seconds_of_tone(rec, TONE_102, min_ratio=0.2) >= 1.0, describe(rec, (TONE_101, TONE_102))


def test_echo_test_returns_beep_then_own_tone(
    shared_server: ServerProcess, agents: Agents, tmp_path: Path
) -> None:
    a101 = agents.start(shared_server, "101", "--tone", str(TONE_101))
    _echo_test(a101, TONE_101, tmp_path / "echo101.wav")


def test_media_crash_leaves_calls_up_and_is_restarted(
    shared_server: ServerProcess, agents: Agents, tmp_path: Path
) -> None:
    a101 = agents.start(shared_server, "101", "--tone", str(TONE_101))
    a102 = agents.start(shared_server, "102", "--tone", str(TONE_102), "--auto-answer=0")
    a103 = agents.start(shared_server, "103", "--tone", str(TONE_103))
    call_id = call(a101, "102")
    wait_audio_flowing(a101, call_id, packets=25)
    mark101, mark102 = a101.mark(), a102.mark()

    old_pid = shared_server.media_pid()
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.time()

    # The 101<->102 call does not notice: RTP keeps coming and what 101 hears is still 102's tone.
    after = tmp_path / "heard101-after-kill.wav"
    heard(a101, after)
    wait_audio_flowing(a101, call_id, packets=100)
    wait_audio_flowing(a102, a102.wait_state("confirmed")["call_id"], packets=50)
    a101.command("stop_monitor")
    assert seconds_of_tone(after, TONE_102) >= 1.0, describe(after, (TONE_101, TONE_102))
    for peer, mark in ((a101, mark101), (a102, mark102)):
        ended = peer.find(lambda e: e["event"] == "CallStateChanged" and e["state"] == "disconnected", mark)
        assert ended is None, f"{peer.name} lost its call after the media kill: {ended}"

    # The engine starts a new rtpengine; the echo test works again.
    new_pid = shared_server.media_pid(timeout=30, exclude=old_pid)
    assert new_pid is not None, f"rtpengine not restarted:\n{shared_server.text()}"
    ready_text = f"rtpengine running (pid {new_pid},"
    listening = wait_until(lambda: next((ln for ln in shared_server.output if ready_text in ln), None), 30)
    assert listening, shared_server.text()
    # The log line's own timestamp (local time, like time.time()) says when the new child was ready.
    logged = datetime.strptime(listening[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    restarted_in = logged - killed_at
    _echo_test(a103, TONE_103, tmp_path / "echo103.wav")
    hangup(a101, call_id)
    print(f"media restarted {restarted_in:.1f} s after SIGKILL")
