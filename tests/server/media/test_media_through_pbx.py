"""End to end: `softphone-server run --demo` with its media service; agent 101 dials *43 through
the PBX (digest auth, Record-Route) and hears the beep and its own tone, also after the media
process was killed with -9 and restarted by the supervisor."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from media_audio import assert_echo

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEDIA_UP = re.compile(r"media service pid (\d+) listening on 127\.0\.0\.1:(\d+)")


def free_port_both() -> int:
    """A port free for both UDP and TCP (the PBX binds SIP on both)."""
    for _ in range(50):
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


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
        raise AssertionError("media service not up:\n" + "".join(self.output[-30:]))


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[Pbx]:
    sip_port, http_port = free_port_both(), free_port_both()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "-m", "server.cli", "run", "--demo", "--data-dir", str(tmp_path / "data")]
    cmd += ["--http-port", str(http_port), "--sip-port", str(sip_port)]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield Pbx(process, sip_port, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def through_pbx(pbx: Pbx) -> dict[str, object]:
    return {
        "proxy": f"sip:127.0.0.1:{pbx.sip_port};lr",
        "username": "101",
        "password": "demo101",
        "domain": "demo.local",
    }


async def test_agent_dials_echo_test_through_the_pbx_even_after_a_media_crash(pbx, callers, tmp_path):
    first_pid, media_port = await pbx.wait_for_media(1)

    wav = tmp_path / "first.wav"
    result = await callers.call("sip:*43@demo.local", record=wav, seconds=2.0, **through_pbx(pbx))
    assert result["connected"] is True, result
    assert_echo(wav, 700)

    os.kill(first_pid, signal.SIGKILL)
    second_pid, second_port = await pbx.wait_for_media(2)
    assert second_pid != first_pid and second_port == media_port

    wav = tmp_path / "after-crash.wav"
    result = await callers.call("sip:*43@demo.local", record=wav, seconds=2.0, **through_pbx(pbx))
    assert result["connected"] is True, result
    assert_echo(wav, 700)
    assert len(pbx.media_children()) == 2, "the media service restarted more than once"
