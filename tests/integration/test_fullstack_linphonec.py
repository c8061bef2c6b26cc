"""Full stack: Debian's linphonec provisioned from our one-time QR URL registers on the real PBX, and the PBX
routes a call for extension 101 to it."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fullstack_support import Agents, ServerProcess, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("linphonec") is None, reason="linphone-cli (linphonec) is not installed"),
]

MOBILE_USERNAME = "u101-mobile"


class Linphonec:
    """linphonec in a private HOME, fed commands on stdin, its output collected."""

    def __init__(self, rc: Path, home: Path) -> None:
        self.output: list[str] = []
        self.proc = subprocess.Popen(
            ["linphonec", "-c", str(rc)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=home,
            env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line.replace("linphonec> ", ""))

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def text(self) -> str:
        return "".join(self.output[-40:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def linphonec_factory() -> Iterator[list[Linphonec]]:
    started: list[Linphonec] = []
    yield started
    for lp in started:
        lp.stop()


def test_linphonec_provisioned_from_qr_url_registers_and_rings(
    shared_server: ServerProcess, agents: Agents, tmp_path: Path, linphonec_factory: list[Linphonec]
) -> None:
    grant = httpx.post(
        f"{shared_server.api}/me/mobile-provisioning", headers=shared_server.agent_headers("101"), timeout=15
    )
    assert grant.status_code == 201, grant.text
    url = grant.json()["url"]
    # Debian's linphonec 5.1 fetches config-uri without the X-Linphone-Provisioning header (it would get the
    # 400 meant for link previews), so it is given the explicit-format URL the API offers for such builds.
    home = tmp_path / "home"
    (home / ".local/share/linphone").mkdir(parents=True)
    rc = tmp_path / "linphonerc"
    rc.write_text(f"[misc]\nconfig-uri={url}/lpconfig.xml\n[sip]\nsip_port=-1\nsip_tcp_port=-1\n")
    lp = Linphonec(rc, home)
    linphonec_factory.append(lp)

    # The PBX's registrar holds a binding for the provisioned mobile device.
    def bound() -> bool:
        return bool(
            shared_server.query("SELECT contact FROM sip_bindings WHERE username = ?", (MOBILE_USERNAME,))
        )

    assert wait_until(bound, 45, 0.3), f"linphonec did not register:\n{lp.text()}"
    provisioned = rc.read_text()
    assert f"reg_proxy=<sip:127.0.0.1:{shared_server.sip_port};transport=udp>" in provisioned, provisioned
    assert "ha1=" in provisioned and "passwd=" not in provisioned

    # The token was spent by that fetch, whichever form is asked for next.
    assert httpx.get(url, headers={"X-Linphone-Provisioning": "1"}, timeout=15).status_code == 404
    assert httpx.get(url, headers={"Accept": "application/json"}, timeout=15).status_code == 404

    # A colleague calling 101 makes linphonec ring (only it is registered for user 101).
    a102 = agents.start(shared_server, "102")
    mark = a102.mark()
    call_id = a102.command("make_call", account_id="main", target="101")
    ringing = a102.wait_for(
        lambda e: e["event"] == "CallStateChanged" and e["call_id"] == call_id and e["code"] == 180, 20, mark
    )
    assert ringing["state"] in ("early", "ringing"), ringing
    assert wait_until(lambda: "Receiving new incoming call" in "".join(lp.output), 10), lp.text()
    a102.command("hangup", call_id=call_id)
    ended = a102.wait_state("disconnected", call_id, timeout=15, start=mark)
    assert ended["code"] == 487, ended
