"""End to end: `softphone-server run --demo` with its media engine; agent 101 dials *43 through
the PBX (digest auth, Record-Route), the PBX's own UAS answers with rtpengine's SDP, and the agent
hears the beep and its own tone, also after rtpengine was killed with -9 and restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from media_audio import amplitude, assert_echo, read_wav

sys.path.insert(0, str(Path(__file__).parents[2] / "interop"))
from sipp_runner import auth_field, free_udp_port, run_sipp

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEDIA_UP = re.compile(r"rtpengine running \(pid (\d+), ng port (\d+)\)")


@dataclass
class Pbx:
    process: subprocess.Popen[str]
    sip_port: int
    output: list[str]

    def media_children(self) -> list[tuple[int, int]]:
        return [(int(m[1]), int(m[2])) for m in MEDIA_UP.finditer("".join(self.output))]

    async def wait_for_media(self, count: int, timeout: float = 30.0) -> tuple[int, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "".join(self.output)
            children = self.media_children()
            if len(children) >= count and "SIP service on" in "".join(self.output):
                return children[count - 1]
            await asyncio.sleep(0.1)
        raise AssertionError("media engine not up:\n" + "".join(self.output[-30:]))


@pytest.fixture
def pbx(start_demo_server: Callable[[bool], Any]) -> Pbx:
    server = start_demo_server(True)  # with its media engine
    return Pbx(server.process, server.sip_port, server.output)


def through_pbx(pbx: Pbx) -> dict[str, object]:
    return {
        "proxy": f"sip:127.0.0.1:{pbx.sip_port};lr",
        "username": "101",
        "password": "demo101",
        "domain": "demo.local",
    }


async def test_agent_dials_echo_test_through_the_pbx_even_after_a_media_crash(pbx, callers, tmp_path):
    first_pid, _ = await pbx.wait_for_media(1)

    wav = tmp_path / "first.wav"
    result = await callers.call("sip:*43@demo.local", record=wav, seconds=2.0, **through_pbx(pbx))
    assert result["connected"] is True, result
    assert_echo(wav, 700)

    os.kill(first_pid, signal.SIGKILL)
    started = time.monotonic()
    second_pid, _ = await pbx.wait_for_media(2)
    assert second_pid != first_pid and time.monotonic() - started < 2.0

    wav = tmp_path / "after-crash.wav"
    result = await callers.call("sip:*43@demo.local", record=wav, seconds=2.0, **through_pbx(pbx))
    assert result["connected"] is True, result
    assert_echo(wav, 700)
    assert len(pbx.media_children()) == 2, "the media engine restarted more than once"


@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")
async def test_60_sipp_callers_on_the_echo_test_at_once_while_an_agent_hears_their_echo(
    pbx, callers, tmp_path
):
    """The old pjsua2 path answered 4 and gave the rest 486; now all 60 are answered and the PBX's echo
    still returns an agent's tone while they are up (sipp plays G.711 speech from a pcap meanwhile)."""
    await pbx.wait_for_media(1)
    rows = [["101", auth_field("101", "demo101"), "demo.local", "*43"]]
    sipp = asyncio.create_task(
        run_sipp(
            ("127.0.0.1", pbx.sip_port),
            "uac_echo_media.xml",
            local_port=free_udp_port(),
            rows=rows,
            calls=60,
            rate=30,
            limit=60,
            timeout=40,
        )
    )
    await asyncio.sleep(2.5)  # all 60 set up (rate 30/s) and holding their 4 s
    wav = tmp_path / "during.wav"
    result = await callers.call("sip:*43@demo.local", record=wav, seconds=2.0, **through_pbx(pbx))
    done = await sipp
    assert done.returncode == 0, done.output[-2000:] + done.errors[-2000:]
    assert "Successful call" in done.output
    assert result["connected"] is True, result
    assert_echo(wav, 700)


async def test_engine_killed_mid_call_ends_it_with_a_bye_and_the_cdr_says_why(pbx, callers, tmp_path):
    first_pid, _ = await pbx.wait_for_media(1)
    run = await callers.start("sip:*43@demo.local", seconds=8.0, **through_pbx(pbx))
    assert await run.connected()
    await asyncio.sleep(1.0)
    os.kill(first_pid, signal.SIGKILL)
    await pbx.wait_for_media(2)
    result = await run.result(timeout=10)
    assert result["connected"] is True and result["recorded_s"] < 6.0, result  # ended by the PBX's BYE
    for _ in range(50):  # the CDR is written behind, in batches
        with contextlib.closing(sqlite3.connect(tmp_path / "data" / "softphone.db", timeout=10)) as db:
            row = db.execute(
                "select disposition, hangup_cause from call_records where callee = '*43'"
            ).fetchone()
        if row and row[0] == "media_failure":
            break
        await asyncio.sleep(0.1)
    assert row == ("media_failure", "Media engine restarted"), row


MIXER_UP = re.compile(r"conference mixer pid (\d+) listening")


def as_user(pbx: Pbx, ext: str) -> dict[str, object]:
    return {**through_pbx(pbx), "username": ext, "password": f"demo{ext}"}


async def test_mixer_killed_mid_conference_ends_its_calls_and_the_cdr_says_media_failure(
    pbx, callers, tmp_path
):
    await pbx.wait_for_media(1)
    mixers = [int(m) for m in MIXER_UP.findall("".join(pbx.output))]
    assert len(mixers) == 1, "".join(pbx.output[-30:])
    runs = [
        await callers.start("sip:*802@demo.local", tone=hz, seconds=10.0, **as_user(pbx, ext))
        for ext, hz in (("101", 700), ("102", 1200))
    ]
    for run in runs:
        assert await run.connected()
    await asyncio.sleep(1.5)
    os.kill(mixers[0], signal.SIGKILL)
    killed = time.monotonic()
    while len(MIXER_UP.findall("".join(pbx.output))) < 2:
        assert time.monotonic() - killed < 2.0, "the mixer did not come back within 2 s"
        await asyncio.sleep(0.05)
    results = [await run.result(timeout=15) for run in runs]
    assert all(r["connected"] is True and r["recorded_s"] < 8.0 for r in results), results  # the PBX's BYE
    rows: list[tuple[str, str]] = []
    for _ in range(50):  # the CDR is written behind, in batches
        with contextlib.closing(sqlite3.connect(tmp_path / "data" / "softphone.db", timeout=10)) as db:
            rows = db.execute(
                "select disposition, hangup_cause from call_records where callee = '*802'"
            ).fetchall()
        if len(rows) == 2 and all(r[0] == "media_failure" for r in rows):
            break
        await asyncio.sleep(0.1)
    assert rows == [("media_failure", "Conference mixer restarted")] * 2, rows

    # registrations and the echo test never depended on the mixer; a new room call works at once
    wav = tmp_path / "echo.wav"
    result = await callers.call("sip:*43@demo.local", record=wav, seconds=2.0, **through_pbx(pbx))
    assert result["connected"] is True, result
    assert_echo(wav, 700)
    runs = [
        await callers.start(
            "sip:*802@demo.local", tone=hz, seconds=3.0, record=tmp_path / f"{ext}.wav", **as_user(pbx, ext)
        )
        for ext, hz in (("101", 700), ("102", 1200))
    ]
    results = [await run.result(timeout=20) for run in runs]
    assert all(r["connected"] is True for r in results), results
    for ext, heard in (("101", 1200), ("102", 700)):
        samples, rate = read_wav(tmp_path / f"{ext}.wav")
        assert amplitude(samples[-rate:], rate, heard) > 1000, (ext, amplitude(samples[-rate:], rate, heard))
