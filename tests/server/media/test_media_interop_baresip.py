"""Debian's baresip dials the engine's echo test: a third-party stack (G.711/G.722, 48 kHz source) gets
the beep and then its own tone back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from media_audio import assert_echo

from server.media.supervisor import free_udp_port

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed"),
]

BARESIP_HZ = 600


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def netstring(command: str, params: str = "") -> bytes:
    body = json.dumps({"command": command, "params": params, "token": command}).encode()
    return str(len(body)).encode() + b":" + body + b","


class BaresipEvents:
    """Reads ctrl_tcp netstrings until a wanted event type shows up (bounded)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = b""
        self.seen: list[str] = []

    def wait(self, kind: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while kind not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"baresip: no {kind}; saw {self.seen[-8:]}")
            self._sock.settimeout(left)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("baresip closed ctrl_tcp")
            self._buf += chunk
            while b":" in self._buf:
                head, rest = self._buf.split(b":", 1)
                size = int(head)
                if len(rest) < size + 1:
                    break
                payload, self._buf = rest[:size], rest[size + 1 :]
                with contextlib.suppress(ValueError):
                    self.seen.append(str(json.loads(payload).get("type", "")))


def write_config(root: Path, sip_port: int, ctrl_port: int, codec_module: str) -> None:
    lines = [
        f"sip_listen 127.0.0.1:{sip_port}",
        "sip_trans_def udp",
        f"audio_source ausine,{BARESIP_HZ}",
        "audio_player alsa,null",
        "audio_alert alsa,null",
        "ausrc_srate 48000",
        "auplay_srate 48000",
        "ausrc_channels 2",  # ausine only produces 48 kHz stereo
        "auplay_channels 1",
        "module_path /usr/lib/baresip/modules",
        f"module {codec_module}.so",  # the only codec offered
        "module ausine.so",
        "module alsa.so",
        "module sndfile.so",
        "module_app account.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}",
        f"snd_path {root}",
        "",
    ]
    (root / "config").write_text("\n".join(lines))
    (root / "accounts").write_text(f"<sip:bare@127.0.0.1:{sip_port}>;regint=0\n")
    (root / "contacts").write_text("")


class BaresipExited(RuntimeError):
    """baresip quit before its control port came up (e.g. a port picked free was taken meanwhile)."""


def connect(proc: subprocess.Popen[bytes], port: int, timeout: float = 15.0) -> socket.socket:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BaresipExited(f"baresip exited with code {proc.returncode}")
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("baresip ctrl_tcp did not come up")


def dial_and_talk(root: Path, target: str, seconds: float, codec_module: str) -> Path:
    # A port picked free can be taken by another process before baresip binds it: retry with new ports.
    for attempt in range(3):
        try:
            return _dial_and_talk_once(root / f"run{attempt}", target, seconds, codec_module)
        except BaresipExited:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _dial_and_talk_once(root: Path, target: str, seconds: float, codec_module: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    sip_port, ctrl_port = free_udp_port("127.0.0.1"), free_tcp_port()
    write_config(root, sip_port, ctrl_port, codec_module)
    with (root / "baresip.log").open("wb") as log:
        proc = subprocess.Popen(["baresip", "-f", str(root)], stdout=log, stderr=subprocess.STDOUT)
        try:
            with connect(proc, ctrl_port) as sock:
                events = BaresipEvents(sock)
                sock.sendall(netstring("dial", target))
                events.wait("CALL_ESTABLISHED", timeout=15.0)
                time.sleep(seconds)  # the call's length; nothing to wait for
                sock.sendall(netstring("hangup"))
                events.wait("CALL_CLOSED", timeout=10.0)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    dumps = sorted(root.glob("dump-*-dec.wav"))
    assert dumps, "baresip's sndfile module wrote no decoded audio"
    return dumps[-1]


@pytest.mark.parametrize("codec_module", ["g711", "g722"])
async def test_baresip_hears_the_beep_then_its_own_tone(uas, tmp_path, codec_module):
    target = f"sip:*43@{uas[1]}"
    decoded = await asyncio.to_thread(dial_and_talk, tmp_path / "baresip", target, 2.5, codec_module)
    assert_echo(decoded, BARESIP_HZ)
