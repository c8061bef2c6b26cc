"""Debian's baresip (third-party SIP stack) against the PBX: digest registration, auto-answered call."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pbx_thread import PbxThread

from server.sip.memory_directory import InMemoryDirectory
from softphone.testing import CliPeer, free_baresip_port, free_port

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip not installed"),
]

DOMAIN = "demo.local"


def write_tone(path: Path, seconds: float = 2.0, freq: float = 600.0) -> None:
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
        for i in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


@pytest.fixture
def pbx() -> Iterator[PbxThread]:
    d = InMemoryDirectory()
    for ext in ("101", "103"):
        d.add_user(int(ext), ext)
        d.add_device(int(ext), ext, f"demo{ext}")
    p = PbxThread(d)  # default settings: SHA-256 and MD5 offered
    yield p
    p.stop()


@pytest.fixture
def baresip(pbx: PbxThread, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    conf = tmp_path / "baresip"
    conf.mkdir()
    write_tone(conf / "src.wav")
    write_tone(conf / "alert.wav", 0.2)
    (conf / "config").write_text(
        "\n".join(
            [
                "poll_method epoll",
                f"sip_listen 127.0.0.1:{free_baresip_port()}",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aufile.so",
                "module account.so",
                "module_app account.so",
                f"audio_player aufile,{conf / 'heard.wav'}",
                f"audio_source aufile,{conf / 'src.wav'}",
                f"audio_alert aufile,{conf / 'alert.wav'}",
                "",
            ]
        )
    )
    (conf / "accounts").write_text(
        f'<sip:103@{DOMAIN}>;auth_pass=demo103;outbound="sip:127.0.0.1:{pbx.port}";regint=300;answermode=auto\n'
    )
    proc = subprocess.Popen(
        ["baresip", "-f", str(conf), "-t", "60"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def wait_until(pred: Callable[[], bool], timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.1)


def test_baresip_registers_and_answers_a_call(pbx: PbxThread, baresip: subprocess.Popen[bytes]) -> None:
    wait_until(
        lambda: any(b.username == "103" for b in pbx.run(lambda: list(pbx.directory.bindings.values())))
    )
    a = CliPeer(
        [
            "--account",
            f"101:demo101@{DOMAIN}",
            "--registrar",
            f"127.0.0.1:{pbx.port}",
            "--proxy",
            f"127.0.0.1:{pbx.port}",
            "--listen-port",
            str(free_port()),
        ],
        name="101",
    )
    try:
        a.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 20)
        call = a.command("make_call", account_id="main", target="103")
        a.wait_state("confirmed", call, timeout=20)
        a.command("hangup", call_id=call)
        a.wait_state("disconnected", call)
    finally:
        a.quit(10)
        a.kill()
