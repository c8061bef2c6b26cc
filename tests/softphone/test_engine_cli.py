"""softphone-cli as a script tool: --play, --dtmf, --message exit codes, --presence/--subscribe."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from softphone.testing import tone_levels

pytestmark = [pytest.mark.integration]


def cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "softphone.cli", "--json-events", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def write_tone(path: Path, freq: float, seconds: float = 0.5, rate: int = 16000) -> None:
    t = np.arange(int(rate * seconds)) / rate
    data = (0.4 * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def test_play_loops_a_wav_and_dtmf_flag(peers, tmp_path: Path) -> None:
    b = peers("bob", "--auto-answer", "--record-heard", str(tmp_path / "bob.wav"))
    wav = tmp_path / "prompt.wav"
    write_tone(wav, 900.0)  # 0.5 s: looping keeps it going for the whole call
    out = cli("--call", b.uri, "--play", str(wav), "--dtmf", "42", "--hangup-after", "2.5")
    assert out.returncode == 0, out.stderr[-2000:]
    b.wait_for(lambda e: e["event"] == "CallStateChanged" and e["state"] == "disconnected")
    assert "".join(e["digit"] for e in b.events if e["event"] == "DtmfReceived") == "42"
    b.command("stop_monitor")
    assert tone_levels(tmp_path / "bob.wav", [900.0], skip_s=0.5, max_s=1.5)[900.0] > 0.5


def test_message_flag_exit_codes(peers) -> None:
    b = peers("bob")
    ok = cli("--message", b.uri, "ping")
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert '"code": 200' in ok.stdout
    assert b.wait_for(lambda e: e["event"] == "MessageReceived")["text"] == "ping"
    dead = b.uri.replace("bob@", "nobody@").rsplit(":", 1)[0] + ":9;transport=tcp"
    bad = cli("--message", dead, "lost")
    assert bad.returncode == 1


def test_presence_flags(peers) -> None:
    b = peers("bob", "--presence", "away")
    a = peers("alice", "--subscribe", b.uri)
    ev = a.wait_for(lambda e: e["event"] == "PresenceChanged" and e["status"] == "away")
    assert ev["uri"] == b.uri
