"""Real SIP clients configured from a desk phone's parsed line values: Debian's baresip (driven over ctrl_tcp,
a sine from ``ausine``, what it decodes dumped by ``sndfile``) or our ``softphone-cli``."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vendor_formats import Line

from softphone.testing import CliPeer, free_port

BARESIP_HZ = 1100  # what baresip's ausine sends
CLI_PHONE_HZ = 800  # what a softphone-cli desk phone sends


class BaresipPhone:
    """baresip registered with one desk-phone line, exactly as the phone's file said."""

    def __init__(self, root: Path, line: Line) -> None:
        self.root = root
        self.ctrl_port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        (root / "config").write_text(
            "\n".join(
                [
                    f"sip_listen 127.0.0.1:{free_port()}",
                    f"audio_source ausine,{BARESIP_HZ}",
                    "audio_player alsa,null",
                    "audio_alert alsa,null",
                    "ausrc_srate 48000",
                    "auplay_srate 48000",
                    "ausrc_channels 2",  # ausine only produces 48 kHz stereo
                    "auplay_channels 1",
                    "module_path /usr/lib/baresip/modules",
                    "module g711.so",
                    "module ausine.so",
                    "module alsa.so",
                    "module sndfile.so",
                    "module_app account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
                    f"snd_path {root}",
                    "",
                ]
            )
        )
        name = line.display_name.replace('"', "")
        (root / "accounts").write_text(
            f'"{name}" <sip:{line.username}@{line.domain};transport={line.transport}>'
            f";auth_user={line.auth_user};auth_pass={line.password}"
            f';outbound="sip:{line.proxy_host}:{line.proxy_port};transport={line.transport}"'
            f";regint={line.expires};answermode=manual\n"
        )
        (root / "contacts").write_text("")
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._log = (root / "baresip.log").open("wb")
        self.proc = subprocess.Popen(["baresip", "-f", str(root)], stdout=self._log, stderr=subprocess.STDOUT)
        self.sock = self._connect()
        threading.Thread(target=self._read, daemon=True).start()

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baresip exited: {self.log_text()}")
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"baresip ctrl_tcp did not come up: {self.log_text()}")

    def _read(self) -> None:
        buf = b""
        self.sock.settimeout(None)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b":" in buf:  # netstrings: <length>:<json>,
                head, rest = buf.split(b":", 1)
                n = int(head)
                if len(rest) < n + 1:
                    break
                payload, buf = rest[:n], rest[n + 1 :]
                with contextlib.suppress(ValueError), self._cond:
                    self.events.append(json.loads(payload))
                    self._cond.notify_all()

    def command(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": str(time.monotonic())}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"baresip: no such event; got {self.events[-6:]}\n{self.log_text()}")
                self._cond.wait(left)

    def wait_event(self, kind: str, timeout: float = 20) -> dict[str, Any]:
        return self.wait_for(lambda e: e.get("type") == kind, timeout)

    def wait_registered(self, line: Line, timeout: float = 30) -> None:
        """The registrar's 200 in baresip's log (it may come before ctrl_tcp is connected to see it)."""
        deadline = time.monotonic() + timeout
        wanted = f"{line.username}@{line.domain}: {{0/{line.transport.upper()}/v4}} 200 OK"
        while wanted not in self.log_text(20000):
            if time.monotonic() > deadline:
                raise TimeoutError(f"baresip did not register:\n{self.log_text()}")
            time.sleep(0.1)

    def decoded_wav(self) -> Path:
        files = sorted(self.root.glob("dump-*-dec.wav"))
        assert files, "baresip's sndfile module wrote no decoded audio"
        return files[-1]

    def log_text(self, tail: int = 3000) -> str:
        return (self.root / "baresip.log").read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.command("quit")
            self.sock.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()


def cli_phone(line: Line, name: str) -> CliPeer:
    """softphone-cli registered with one desk-phone line (it uses the user name as digest user)."""
    assert line.auth_user == line.username, "softphone-cli cannot set a separate digest user"
    return CliPeer(
        [
            "--account", f"{line.username}:{line.password}@{line.domain}",
            "--registrar", f"{line.proxy_host}:{line.proxy_port}",
            "--proxy", f"{line.proxy_host}:{line.proxy_port}",
            "--transport", line.transport,
            "--register-expires", str(line.expires),
            "--listen-port", str(free_port()),
            "--tone", str(CLI_PHONE_HZ),
            "--wait",
        ],
        name=name,
    )  # fmt: skip
