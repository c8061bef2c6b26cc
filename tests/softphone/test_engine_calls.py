"""Calls between two engine processes over loopback: audio both ways, hold, mute, DTMF, decline, stats."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration]

A_HZ, B_HZ = 700.0, 1300.0


def connect(a: CliPeer, b: CliPeer, *, hotline: str | None = None) -> tuple[str, str]:
    """a calls b, b answers; returns (a_call_id, b_call_id) once both are confirmed."""
    mark_b = b.mark()
    args = {"account_id": "local", "target": b.uri}
    if hotline:
        args["hotline"] = hotline
    a_call = a.command("make_call", **args)
    inc = b.wait_for(lambda e: e["event"] == "IncomingCall", start=mark_b)
    b.command("answer", call_id=inc["call_id"])
    a.wait_state("confirmed", a_call)
    b.wait_state("confirmed", inc["call_id"])
    return a_call, inc["call_id"]


def heard(peer: CliPeer, path: Path, expect: dict[float, float] | None = None) -> dict[float, float]:
    """Levels of both test tones in what ``peer`` hears (retrying until ``expect`` when given)."""
    return peer.heard(path, [A_HZ, B_HZ], seconds=1.2, expect=expect)


def test_call_both_ways_with_audio_and_hotline(peers, tmp_path: Path) -> None:
    a = peers("alice", "--tone", str(A_HZ))
    b = peers("bob", "--tone", str(B_HZ))
    a_call, b_call = connect(a, b, hotline="02873001234")
    inc = b.find(lambda e: e["event"] == "IncomingCall")
    assert inc is not None and inc["headers"].get("x-hotline") == "02873001234"

    a_heard = heard(a, tmp_path / "a.wav", {B_HZ: 0.5})
    b_heard = heard(b, tmp_path / "b.wav", {A_HZ: 0.5})
    assert a_heard[B_HZ] > 0.5 and a_heard[A_HZ] < 0.05, a_heard
    assert b_heard[A_HZ] > 0.5 and b_heard[B_HZ] < 0.05, b_heard

    stats = a.command("call_stats", call_id=a_call)
    assert stats["codec"].upper() == "G722" and stats["rx_packets"] > 20
    assert 3.5 < stats["mos"] <= 4.5 and stats["rx_loss_pct"] < 5
    assert 0 < stats["jb_delay_ms"] < 500
    assert min(stats["jb_empty"], stats["jb_lost"], stats["jb_discarded"]) >= 0
    assert a.command("call_duration", call_id=a_call) > 1.0

    # the other direction: b calls a
    a.command("hangup", call_id=a_call)
    b.wait_state("disconnected", b_call)
    b_call2, a_call2 = connect(b, a)
    assert heard(a, tmp_path / "a2.wav", {B_HZ: 0.5})[B_HZ] > 0.5
    assert heard(b, tmp_path / "b2.wav", {A_HZ: 0.5})[A_HZ] > 0.5
    b.command("hangup", call_id=b_call2)
    ev = a.wait_state("disconnected", a_call2)
    assert ev["duration_s"] > 1.0


def test_hold_resume_and_mute(peers, tmp_path: Path) -> None:
    a = peers("alice", "--tone", str(A_HZ))
    b = peers("bob", "--tone", str(B_HZ))
    a_call, _ = connect(a, b)

    mark = b.mark()
    a.command("hold", call_id=a_call)
    b.wait_for(lambda e: e["event"] == "CallMediaChanged" and e["held_remote"], start=mark)
    a.wait_for(lambda e: e["event"] == "CallMediaChanged" and e["held_local"])
    assert heard(b, tmp_path / "b_hold.wav")[A_HZ] < 0.05
    assert heard(a, tmp_path / "a_hold.wav")[B_HZ] < 0.05

    mark = b.mark()
    a.command("resume", call_id=a_call)
    b.wait_for(lambda e: e["event"] == "CallMediaChanged" and not e["held_remote"], start=mark)
    assert heard(b, tmp_path / "b_resumed.wav", {A_HZ: 0.5})[A_HZ] > 0.5
    assert heard(a, tmp_path / "a_resumed.wav", {B_HZ: 0.5})[B_HZ] > 0.5

    a.command("set_mute", call_id=a_call, muted=True)
    assert heard(b, tmp_path / "b_muted.wav")[A_HZ] < 0.05
    assert heard(a, tmp_path / "a_while_muted.wav", {B_HZ: 0.5})[B_HZ] > 0.5  # mute is one-way
    a.command("set_mute", call_id=a_call, muted=False)
    assert heard(b, tmp_path / "b_unmuted.wav", {A_HZ: 0.5})[A_HZ] > 0.5


@pytest.mark.parametrize("method", ["rfc4733", "info"])
def test_dtmf_digits_arrive(peers, method: str) -> None:
    a = peers("alice")
    b = peers("bob")
    a_call, _ = connect(a, b)
    a.command("send_dtmf", call_id=a_call, digits="1590*#", method=method)
    deadline = time.monotonic() + 15
    got = ""
    while time.monotonic() < deadline and len(got) < 6:
        time.sleep(0.1)
        got = "".join(e["digit"] for e in b.events if e["event"] == "DtmfReceived")
    assert got == "1590*#"


@pytest.mark.parametrize("code", [486, 603])
def test_decline(peers, code: int) -> None:
    a = peers("alice")
    b = peers("bob")
    a_call = a.command("make_call", account_id="local", target=b.uri)
    inc = b.wait_for(lambda e: e["event"] == "IncomingCall")
    a.wait_state("ringing", a_call)
    b.command("decline", call_id=inc["call_id"], code=code)
    ev = a.wait_state("disconnected", a_call)
    assert ev["code"] == code


def test_outgoing_cli_call_exits_after_hangup(peers) -> None:
    b = peers("bob", "--tone", str(B_HZ), "--auto-answer")
    import subprocess
    import sys

    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "--call", b.uri, "--hangup-after", "1", "--json-events"],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert '"state": "confirmed"' in out.stdout and '"event": "Exit"' in out.stdout
    assert time.monotonic() - t0 < 15
