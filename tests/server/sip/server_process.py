"""The real server (`python -m server.cli run --demo --no-media`, SQLite in a data dir) as a subprocess that
tests kill with SIGKILL and start again on the same ports, and softphone-cli peers registered to it."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from softphone.testing import CliPeer, free_port

DOMAIN = "demo.local"


class Server:
    def __init__(self, data_dir: Path, sip_port: int, http_port: int) -> None:
        self.data_dir, self.sip_port, self.http_port = data_dir, sip_port, http_port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    def start(self, timeout: float = 40.0) -> None:
        """Start and wait until the SIP service listens (the restarted PBX has re-armed its timers then)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        seen = self.log.read_bytes().count(b"SIP service on") if self.log.exists() else 0
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server.cli",
                    "run",
                    "--demo",
                    "--no-media",
                    "--data-dir",
                    str(self.data_dir),
                    "--sip-port",
                    str(self.sip_port),
                    "--http-port",
                    str(self.http_port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while self.log.read_bytes().count(b"SIP service on") <= seen:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    @contextlib.contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """The server's SQLite database, committed and closed at the end of the block."""
        conn = sqlite3.connect(self.data_dir / "softphone.db", timeout=10)
        try:
            with conn:
                yield conn
        finally:
            conn.close()


def peer(server: Server, user: str, port: int | None = None) -> CliPeer:
    """softphone-cli registered as demo agent `user` (password demo<user>)."""
    p = CliPeer(
        [
            "--account",
            f"{user}:demo{user}@{DOMAIN}",
            "--registrar",
            f"127.0.0.1:{server.sip_port}",
            "--proxy",
            f"127.0.0.1:{server.sip_port}",
            "--listen-port",
            str(port or free_port()),
        ],
        name=user,
    )
    try:
        p.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
    except BaseException:
        p.kill()
        raise
    return p
