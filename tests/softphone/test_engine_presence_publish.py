"""The status an agent picks reaches colleagues through the real PBX: softphone-cli agents 101 and 102
registered to `softphone-server run --demo`; 101 PUBLISHes (PIDF/RPID), the PBX NOTIFYs 102."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.testing import CliPeer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOMAIN = "demo.local"
URI_101 = f"sip:101@{DOMAIN}"


class DemoServer:
    """`softphone-server run --demo --no-media` on free loopback ports; killed by PID at teardown."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.sip_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.sip_port:
            self.http_port = free_port()
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def start(self, timeout: float = 60.0) -> None:
        """(Re)start on the same ports and data dir (a restart keeps registrations, which are stored)."""
        mark = len(self.output)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}
        env["PYTHONUNBUFFERED"] = "1"
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "server.cli", "run", "--demo", "--no-media",
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
        self.proc = proc
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not any("Uvicorn running" in line for line in self.output[mark:]):
            assert proc.poll() is None, "server exited:\n" + "".join(self.output[-60:])
            assert time.monotonic() < deadline, "server did not start:\n" + "".join(self.output[-60:])
            time.sleep(0.1)

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.output.append(line)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DemoServer]:
    s = DemoServer(tmp_path / "data")
    try:
        s.start()
    except AssertionError:
        s.stop()  # another process may have taken the port between free_port() and bind: one retry
        s = DemoServer(tmp_path / "data")
        s.start()
    yield s
    s.stop()


@pytest.fixture
def agents(server: DemoServer) -> Iterator[Callable[[str], CliPeer]]:
    started: list[CliPeer] = []

    def start(ext: str) -> CliPeer:
        peer = CliPeer(
            [
                "--account", f"{ext}:demo{ext}@{DOMAIN}",
                "--registrar", f"127.0.0.1:{server.sip_port}",
                "--wait",
            ],
            name=f"agent{ext}",
        )
        started.append(peer)
        peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
        return peer

    yield start
    for p in started:
        p.quit(10)
        p.kill()


def presence_of_101(peer: CliPeer, status: str, start: int) -> dict[str, Any]:
    return peer.wait_for(
        lambda e: e["event"] == "PresenceChanged" and e["uri"] == URI_101 and e["status"] == status, 15, start
    )


def test_published_status_reaches_a_watcher_through_the_pbx(agents: Callable[[str], CliPeer]) -> None:
    a101, a102 = agents("101"), agents("102")
    mark = a102.mark()
    a102.command("subscribe_presence", account_id="main", uri=URI_101)
    presence_of_101(a102, "available", mark)

    for status, note in (("away", ""), ("busy", "in a meeting"), ("available", ""), ("away", "lunch")):
        mark = a102.mark()
        a101.command("publish_presence", account_id="main", status=status, note=note)
        ev = presence_of_101(a102, status, mark)
        if note:
            assert ev["note"] == note

    # DND chosen in the app: a busy activity noted "Do Not Disturb", which the PBX passes on
    mark = a102.mark()
    a101.command("publish_presence", account_id="main", status="dnd", note="")
    presence_of_101(a102, "dnd", mark)
    mark = a102.mark()
    a101.command("publish_presence", account_id="main", status="available", note="")
    presence_of_101(a102, "available", mark)

    # The PBX's own view still wins over what was published: on a call -> on the phone
    mark = a102.mark()
    a101.command("publish_presence", account_id="main", status="away", note="")
    presence_of_101(a102, "away", mark)
    a103 = agents("103")
    mark = a102.mark()
    call = a101.command("make_call", account_id="main", target="103")
    incoming = a103.wait_for(lambda e: e["event"] == "IncomingCall", 15)
    a103.command("answer", call_id=incoming["call_id"])
    presence_of_101(a102, "on_the_phone", mark)
    mark = a102.mark()
    a101.command("hangup", call_id=call)
    presence_of_101(a102, "away", mark)  # the published status is back once the call ends

    # Removing the account unpublishes and unregisters: the watcher sees 101 go offline
    mark = a102.mark()
    a101.command("remove_account", account_id="main")
    presence_of_101(a102, "offline", mark)


def test_status_is_published_again_after_re_registration(
    server: DemoServer, agents: Callable[[str], CliPeer]
) -> None:
    a101, a102 = agents("101"), agents("102")
    mark = a102.mark()
    a102.command("subscribe_presence", account_id="main", uri=URI_101)
    a101.command("publish_presence", account_id="main", status="busy", note="report due")
    presence_of_101(a102, "busy", mark)

    # A PBX restart forgets published states (registrations are stored and survive).
    server.stop()
    server.start()
    a102.command("unsubscribe_presence", account_id="main", uri=URI_101)
    mark = a102.mark()
    a102.command("subscribe_presence", account_id="main", uri=URI_101)
    presence_of_101(a102, "available", mark)

    # 101 registers again (here: told the network changed) and publishes its status with it.
    mark = a102.mark()
    a101.command("handle_network_change")
    ev = presence_of_101(a102, "busy", mark)
    assert ev["note"] == "report due"
