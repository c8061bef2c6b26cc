"""Full-stack helpers: the real `softphone-server run --demo` as a subprocess, driven by real SIP peers.

Every server and peer started here is recorded by PID and killed in teardown; ports are free loopback ports.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

from softphone.testing import CliPeer, free_port

DEMO_DOMAIN = "demo.local"
AGENT_LOGIN = {"101": "84901000101", "102": "84901000102", "103": "84901000103"}
ADMIN_LOGIN = ("84901000100", "admin1234")


def wait_until(pred: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Poll ``pred`` until it returns something truthy (returned) or ``timeout`` passes (then None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def _is_rtpengine(cmdline: list[str]) -> bool:
    return bool(cmdline) and os.path.basename(cmdline[0]) == "rtpengine"


class ServerProcess:
    """One `softphone-server run --demo` subprocess on fixed ports and a data dir that can outlive it."""

    def __init__(self, data_dir: Path, http_port: int, sip_port: int) -> None:
        self.data_dir = data_dir
        self.http_port = http_port
        self.sip_port = sip_port
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self.media_pids: set[int] = set()

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/api/v1"

    @property
    def registrar(self) -> str:
        return f"127.0.0.1:{self.sip_port}"

    def text(self) -> str:
        return "".join(self.output[-80:])

    def start(self, timeout: float = 60.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}
        env["PYTHONUNBUFFERED"] = "1"
        mark = len(self.output)
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "server.cli", "run", "--demo",
                "--data-dir", str(self.data_dir),
                "--http-port", str(self.http_port),
                "--sip-port", str(self.sip_port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        proc = self.proc
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

        def ready() -> bool:
            if proc.poll() is not None:
                return True
            if not any("Uvicorn running" in line for line in self.output[mark:]):
                return False
            try:
                return httpx.get(f"{self.api}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(ready, timeout, 0.2), f"server did not start:\n{self.text()}"
        assert proc.poll() is None, f"server exited:\n{self.text()}"
        pid = self.media_pid(timeout=20)
        assert pid is not None, f"no media child:\n{self.text()}"

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.output.append(line)

    def media_pid(self, timeout: float = 0.0, exclude: int | None = None) -> int | None:
        """PID of the live rtpengine child of the server process (psutil, i.e. /proc)."""
        assert self.proc is not None

        def find() -> int | None:
            try:
                children = psutil.Process(self.proc.pid).children()  # type: ignore[union-attr]
            except psutil.NoSuchProcess:
                return None
            for child in children:
                try:
                    if (
                        _is_rtpengine(child.cmdline())
                        and child.pid != exclude
                        and child.status() != psutil.STATUS_ZOMBIE
                    ):
                        self.media_pids.add(child.pid)
                        return child.pid
                except psutil.NoSuchProcess:
                    continue
            return None

        return find() if timeout <= 0 else wait_until(find, timeout, 0.1)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        # The media child exits with its parent; make sure no orphan outlives the test.
        for pid in self.media_pids:
            try:
                p = psutil.Process(pid)
                if _is_rtpengine(p.cmdline()):
                    p.wait(5)
            except psutil.NoSuchProcess:
                continue
            except psutil.TimeoutExpired:
                p.kill()

    # -- API helpers -------------------------------------------------------------------------------------
    def login(self, login: str, password: str) -> dict[str, str]:
        r = httpx.post(f"{self.api}/auth/login", json={"login": login, "password": password}, timeout=15)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def agent_headers(self, ext: str) -> dict[str, str]:
        return self.login(AGENT_LOGIN[ext], f"agent{ext}")

    def admin_headers(self) -> dict[str, str]:
        return self.login(*ADMIN_LOGIN)

    # -- database (read-only look at what the PBX persisted) ---------------------------------------------
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{self.data_dir / 'softphone.db'}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


def rx_packets(peer: CliPeer, call_id: str) -> int:
    return int(peer.command("call_stats", call_id=call_id)["rx_packets"])


def wait_audio_flowing(peer: CliPeer, call_id: str, packets: int = 100, timeout: float = 20.0) -> None:
    """Wait until ``packets`` more RTP packets arrived on the call (20 ms each: 100 = 2 s of audio)."""
    start = rx_packets(peer, call_id)
    got = wait_until(lambda: rx_packets(peer, call_id) - start >= packets, timeout, 0.2)
    assert got, f"{peer.name}: RTP stalled at {rx_packets(peer, call_id) - start} new packets"


def call(caller: CliPeer, target: str, timeout: float = 20.0) -> str:
    mark = caller.mark()
    call_id = caller.command("make_call", account_id="main", target=target)
    caller.wait_state("confirmed", call_id, timeout=timeout, start=mark)
    return str(call_id)


def hangup(peer: CliPeer, call_id: str) -> None:
    mark = peer.mark()
    peer.command("hangup", call_id=call_id)
    peer.wait_state("disconnected", call_id, timeout=15, start=mark)


def heard(peer: CliPeer, path: Path) -> None:
    peer.command("start_monitor", path=str(path))


def launch_server(data_dir: Path, started: list[ServerProcess], attempts: int = 3) -> ServerProcess:
    """A demo server on fresh free ports; other processes on this machine may grab a port first, so retry."""
    for attempt in range(attempts):
        http_port = free_port()
        sip_port = free_port()
        while sip_port == http_port:
            sip_port = free_port()
        server = ServerProcess(data_dir, http_port, sip_port)
        started.append(server)
        try:
            server.start()
            return server
        except AssertionError:
            server.stop()
            if attempt == attempts - 1 or "in use" not in server.text().lower():
                raise
    raise AssertionError("unreachable")


class Agents:
    """`softphone-cli` agents registered with demo SIP credentials; all killed at teardown."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.peers: list[CliPeer] = []

    def start(self, server: ServerProcess, ext: str, *extra: str, register: bool = True) -> CliPeer:
        peer = CliPeer(
            [
                "--account", f"{ext}:demo{ext}@{DEMO_DOMAIN}",
                "--registrar", server.registrar,
                "--wait",
                *extra,
            ],
            name=f"agent{ext}",
        )
        self.peers.append(peer)
        if register:
            wait_registered(peer)
        return peer

    def close(self) -> None:
        for peer in self.peers:
            peer.quit(timeout=10)
            peer.kill()


def wait_registered(peer: CliPeer, timeout: float = 30.0, start: int = 0) -> dict[str, Any]:
    return peer.wait_for(
        lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", timeout, start
    )


