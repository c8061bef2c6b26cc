"""Interop with Debian's baresip: calls both ways, audio verified by tone, DTMF both ways.

baresip (softphone.testing.Baresip) sends a sine, dumps what it decodes to a WAV and takes commands.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from softphone.testing import Baresip, CliPeer, tone_levels

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed"),
]

BARESIP_HZ = 1100.0  # ausine frequency (set in the device argument)
OUR_HZ = 600.0


@pytest.fixture
def peers() -> Iterator[Callable[..., CliPeer]]:
    started: list[CliPeer] = []

    def start(name: str, *args: str) -> CliPeer:
        peer = CliPeer(["--user", name, *args], name=name)
        started.append(peer)
        return peer

    yield start
    for p in started:
        p.quit(timeout=10)
        p.kill()


@pytest.fixture
def baresip(tmp_path: Path) -> Iterator[Baresip]:
    # A port picked free can be taken by another process before baresip binds it: retry with new ports.
    for attempt in range(3):
        try:
            b = Baresip(tmp_path / f"baresip{attempt}", source=f"ausine,{int(BARESIP_HZ)}")
            break
        except RuntimeError:
            if attempt == 2:
                raise
    yield b
    b.stop()


def _wait_digits(get: Callable[[], str], expected: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    got = get()
    while time.monotonic() < deadline and len(got) < len(expected):
        time.sleep(0.1)
        got = get()
    return got


def _hear(peer: CliPeer, path: Path) -> dict[float, float]:
    peer.command("start_monitor", path=str(path))
    time.sleep(1.5)
    peer.command("stop_monitor")
    return tone_levels(path, [BARESIP_HZ, OUR_HZ], skip_s=0.3)


def test_we_call_baresip(peers, baresip: Baresip, tmp_path: Path) -> None:
    a = peers("alice", "--tone", str(OUR_HZ))
    call = a.command("make_call", account_id="local", target=baresip.uri)
    a.wait_state("confirmed", call)
    baresip.wait_for(lambda e: e.get("type") == "CALL_ESTABLISHED")
    heard = _hear(a, tmp_path / "a.wav")
    assert heard[BARESIP_HZ] > 0.5, heard
    a.command("send_dtmf", call_id=call, digits="1472", method="rfc4733")
    assert _wait_digits(baresip.dtmf_received, "1472") == "1472"
    a.command("hangup", call_id=call)
    a.wait_state("disconnected", call)
    baresip.wait_for(lambda e: e.get("type") == "CALL_CLOSED")
    levels = tone_levels(baresip.decoded_wav(), [BARESIP_HZ, OUR_HZ], skip_s=0.5)
    assert levels[OUR_HZ] > 0.5, levels


def test_baresip_calls_us(peers, baresip: Baresip, tmp_path: Path) -> None:
    a = peers("alice", "--tone", str(OUR_HZ), "--auto-answer")
    baresip.command("dial", a.uri)
    inc = a.wait_for(lambda e: e["event"] == "IncomingCall")
    a.wait_state("confirmed", inc["call_id"])
    baresip.wait_for(lambda e: e.get("type") == "CALL_ESTABLISHED")
    heard = _hear(a, tmp_path / "a.wav")
    assert heard[BARESIP_HZ] > 0.5, heard
    for digit in "58#":
        baresip.command("sndcode", digit)
        time.sleep(0.3)

    def ours() -> str:
        return "".join(e["digit"] for e in a.events if e["event"] == "DtmfReceived")

    assert _wait_digits(ours, "58#") == "58#"
    baresip.command("hangup")
    a.wait_state("disconnected", inc["call_id"])
    baresip.wait_for(lambda e: e.get("type") == "CALL_CLOSED")
    levels = tone_levels(baresip.decoded_wav(), [BARESIP_HZ, OUR_HZ], skip_s=0.5)
    assert levels[OUR_HZ] > 0.5, levels


def test_g722_level_matches_baresip(peers, tmp_path: Path) -> None:
    """What we send over G.722 arrives at baresip at the level we sent it (pjmedia's default scaling made it
    6 dB quieter, see softphone/runtime/stack.py)."""
    import numpy as np

    from softphone.testing import read_wav
    from softphone.tones import sine, write_wav_mono

    wav = tmp_path / "tone.wav"
    write_wav_mono(wav, sine(16000, 700.0, 3.0, amplitude=0.1 * 2**0.5), 16000)  # -20 dBFS RMS
    b = Baresip(tmp_path / "g722", source="ausine,1100", codecs=("g722",))
    try:
        a = peers("alice", "--play", str(wav), "--codec", "G722/16000")
        call = a.command("make_call", account_id="local", target=b.uri)
        a.wait_state("confirmed", call)
        assert a.command("call_stats", call_id=call)["codec"] == "G722"
        time.sleep(2.5)
        a.command("hangup", call_id=call)
        b.wait_for(lambda e: e.get("type") == "CALL_CLOSED")
        heard, rate = read_wav(b.decoded_wav())
        heard = heard[int(0.5 * rate) : int(2.0 * rate)]
        level = 20 * np.log10(np.sqrt(np.mean(heard**2)))
        assert -21.5 < level < -18.5, f"baresip heard {level:.1f} dBFS of a -20 dBFS tone"
    finally:
        b.stop()
