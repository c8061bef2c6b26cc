"""Debian's linphonec, provisioned from our one-time URL, registers against our PBX with the HA1 it got."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import threading
import time

import httpx
import pytest

pytestmark = [pytest.mark.interop, pytest.mark.slow]


def _agent_headers(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/auth/login", json={"login": "84901000101", "password": "agent101"}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.skipif(shutil.which("linphonec") is None, reason="linphone-cli (linphonec) is not installed")
@pytest.mark.skipif(
    importlib.util.find_spec("server.sip.aio.service") is None, reason="no SIP service in this build"
)
def test_linphonec_provisions_from_url_and_registers(demo_server, tmp_path) -> None:
    base = f"{demo_server.base_url}/api/v1"
    grant = httpx.post(f"{base}/me/mobile-provisioning", headers=_agent_headers(base), timeout=10).json()
    # linphonec 5.1 does not send X-Linphone-Provisioning, so it gets the explicit-format URL.
    config_uri = f"{grant['url']}/lpconfig.xml"
    home = tmp_path / "home"
    (home / ".local/share/linphone").mkdir(parents=True)
    rc = tmp_path / "linphonerc"
    rc.write_text(f"[misc]\nconfig-uri={config_uri}\n[sip]\nsip_port=-1\nsip_tcp_port=-1\n")
    proc = subprocess.Popen(
        ["linphonec", "-c", str(rc)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    output: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        registered = False
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.write("status register\n")
            proc.stdin.flush()
            time.sleep(1.0)
            if any(line.replace("linphonec> ", "").startswith("registered,") for line in output):
                registered = True
                break
        assert registered, "".join(output[-30:])
        text = "".join(output)
        assert "sip:u101-mobile@demo.local" in text
        provisioned = rc.read_text()
        assert f"reg_proxy=<sip:127.0.0.1:{demo_server.sip_port};transport=udp>" in provisioned
        assert "ha1=" in provisioned and "passwd=" not in provisioned
        # The token is spent.
        r = httpx.get(grant["url"], headers={"X-Linphone-Provisioning": "1"}, timeout=10)
        assert r.status_code == 404
    finally:
        if proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.write("quit\n")
                proc.stdin.flush()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(timeout=5)
