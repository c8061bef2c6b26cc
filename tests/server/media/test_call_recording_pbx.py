"""End to end: `softphone-server run --demo` with `media_record_calls = *`; agent 101 calls 102 through
the PBX (softphone-cli on both ends, each sending its own tone).  The call's media is anchored in
rtpengine (the SDP each phone gets points at the engine), each hears the other, and one WAV named with
the call's Call-ID holds both tones; index.jsonl lists it."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from media_audio import amplitude, read_wav

from softphone.testing import CliPeer, free_port, tone_levels

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("rtpengine") is None, reason="rtpengine-daemon missing"),
]
A_HZ, B_HZ = 600.0, 1100.0


def _agent(sip_port: int, ext: str, hz: float, *extra: str) -> CliPeer:
    peer = CliPeer(
        [
            "--account", f"{ext}:demo{ext}@demo.local",
            "--registrar", f"127.0.0.1:{sip_port}", "--proxy", f"127.0.0.1:{sip_port}",
            "--listen-port", str(free_port()), "--tone", str(hz), *extra,
        ],
        name=ext,
    )  # fmt: skip
    peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
    return peer


def _wait(pred: Callable[[], bool], timeout: float) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.1)


def test_two_party_call_is_recorded_through_the_pbx(
    start_demo_server: Callable[..., Any], tmp_path: Path
) -> None:
    env = {
        "SOFTPHONE_SERVER_MEDIA_RECORD_CALLS": "*",
        "SOFTPHONE_SERVER_MEDIA_PORT_MIN": "48000",
        "SOFTPHONE_SERVER_MEDIA_PORT_MAX": "48999",
    }
    server = start_demo_server(True, settings_env=env)
    _wait(lambda: "SIP service on" in server.text(), 60)
    assert "two-party call recording" in server.text()
    a = _agent(server.sip_port, "101", A_HZ)
    b = _agent(server.sip_port, "102", B_HZ, "--auto-answer")
    try:
        call = a.command("make_call", account_id="main", target="102")
        a.wait_state("confirmed", call)
        for peer, path in ((a, tmp_path / "a.wav"), (b, tmp_path / "b.wav")):
            peer.command("start_monitor", path=str(path))
        time.sleep(2.5)
        for peer in (a, b):
            peer.command("stop_monitor")
        a.command("hangup", call_id=call)
        a.wait_state("disconnected", call)
    finally:
        for peer in (a, b):
            peer.quit(10)
            peer.kill()
    assert tone_levels(tmp_path / "a.wav", [A_HZ, B_HZ], skip_s=0.3)[B_HZ] > 0.5
    assert tone_levels(tmp_path / "b.wav", [A_HZ, B_HZ], skip_s=0.3)[A_HZ] > 0.5
    recordings = tmp_path / "data" / "recordings"
    _wait(lambda: (recordings / "index.jsonl").exists(), 10)
    (line,) = (recordings / "index.jsonl").read_text().splitlines()
    entry = json.loads(line)
    assert (entry["caller"], entry["callee"]) == ("101", "102")
    wav = recordings / entry["path"]
    assert wav.name.startswith(tuple("0123456789")) and "_102_" in wav.name
    samples, rate = read_wav(wav)
    assert len(samples) >= 2 * rate, server.text()[-4000:]
    assert amplitude(samples, rate, A_HZ) > 300 and amplitude(samples, rate, B_HZ) > 300


def test_engine_kill_ends_recorded_calls_with_a_reason(
    start_demo_server: Callable[..., Any], tmp_path: Path
) -> None:
    import contextlib
    import os
    import re
    import signal
    import sqlite3

    env = {
        "SOFTPHONE_SERVER_MEDIA_RECORD_CALLS": "102",
        "SOFTPHONE_SERVER_MEDIA_PORT_MIN": "48000",
        "SOFTPHONE_SERVER_MEDIA_PORT_MAX": "48999",
    }
    server = start_demo_server(True, settings_env=env)
    _wait(lambda: "SIP service on" in server.text(), 60)
    a = _agent(server.sip_port, "101", A_HZ)
    b = _agent(server.sip_port, "102", B_HZ, "--auto-answer")
    try:
        call = a.command("make_call", account_id="main", target="102")
        a.wait_state("confirmed", call)
        time.sleep(1.0)
        (pid,) = [int(m) for m in re.findall(r"rtpengine running \(pid (\d+)", server.text())]
        os.kill(pid, signal.SIGKILL)
        ended = a.wait_state("disconnected", call, timeout=10)
        b.wait_state("disconnected", timeout=10)
        assert ended["duration_s"] < 5.0
        _wait(lambda: len(re.findall(r"rtpengine running \(pid (\d+)", server.text())) == 2, 10)
    finally:
        for peer in (a, b):
            peer.quit(10)
            peer.kill()
    row = None
    for _ in range(50):  # the CDR is written behind, in batches
        with contextlib.closing(sqlite3.connect(tmp_path / "data" / "softphone.db", timeout=10)) as db:
            row = db.execute(
                "select disposition, hangup_cause from call_records where callee = '102'"
            ).fetchone()
        if row and row[1]:
            break
        time.sleep(0.1)
    assert row == ("media_failure", "Media engine restarted"), row
