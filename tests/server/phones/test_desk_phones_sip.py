"""One desk phone per vendor against the real `softphone-server run --demo`: it pairs by MAC with its vendor's
User-Agent, fetches its files from the token URL, and a real SIP client configured from what a reader of that
vendor's format finds there registers and calls a colleague through the PBX (audio checked by tone both ways).

The wire view of each pairing is written to `pairing-<vendor>.txt` in the test's tmp dir (and printed).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from desk_phone_sim import MODELS, Boot, DeskPhoneSim
from sip_phones import BARESIP_HZ, CLI_PHONE_HZ, BaresipPhone, cli_phone
from vendor_formats import Blf, blf_keys, lines

from softphone.testing import CliPeer, free_port, tone_levels

pytestmark = [
    pytest.mark.integration,
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip not installed"),
]

COLLEAGUE_HZ = 600
CLIENT = {"yealink": "baresip", "grandstream": "softphone-cli", "poly": "baresip", "snom": "softphone-cli",
          "cisco": "baresip"}  # fmt: skip
MACS = {
    "grandstream": "000b82004001",
    "poly": "0004f2004002",
    "snom": "000413004003",
    "cisco": "00562b004004",
}
DEMO_YEALINK = "001565000103"


@pytest.fixture(scope="module")
def admin(demo_server) -> dict[str, str]:
    r = httpx.post(
        f"{demo_server.base_url}/api/v1/auth/login",
        json={"login": "84901000100", "password": "admin1234"},
        timeout=15,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def colleague(demo_server) -> Iterator[CliPeer]:
    """Ext 101 on its softphone: answers every call and sends a 600 Hz tone."""
    registrar = f"127.0.0.1:{demo_server.sip_port}"
    peer = CliPeer(
        ["--account", "101:demo101@demo.local", "--registrar", registrar, "--proxy", registrar,
         "--listen-port", str(free_port()), "--auto-answer", "--tone", str(COLLEAGUE_HZ), "--wait"],
        name="ext101",
    )  # fmt: skip
    try:
        peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
        yield peer
    finally:
        peer.quit(timeout=10)
        peer.kill()


def add_phone(demo_server, admin: dict[str, str], vendor: str, mac: str) -> None:
    users = httpx.get(f"{demo_server.base_url}/api/v1/admin/users", headers=admin, timeout=15).json()
    user_id = next(u["id"] for u in users if "102" in u["extensions"])
    r = httpx.post(
        f"{demo_server.base_url}/api/v1/admin/desk-phones",
        json={"mac": mac, "vendor": vendor, "model": MODELS[vendor], "user_id": user_id,
              "blf_keys": [{"extension": "101"}, {"extension": "103"}]},
        headers=admin,
        timeout=15,
    )  # fmt: skip
    assert r.status_code == 201, r.text


def boot_phone(base_url: str, vendor: str, mac: str) -> Boot:
    async def run() -> Boot:
        async with httpx.AsyncClient(timeout=15) as client:
            return await DeskPhoneSim(client, f"{base_url}/phones/", vendor, mac).boot()

    return asyncio.run(run())


def record_wire(boot: Boot, path: Path) -> None:
    text = "\n\n".join(e.wire() for e in boot.exchanges)
    path.write_text(text + "\n")
    print(f"\n===== {boot.vendor} pairing =====\n{text}")


@pytest.mark.parametrize("vendor", ["yealink", "grandstream", "poly", "snom", "cisco"])
def test_a_desk_phone_pairs_registers_and_calls_a_colleague(
    demo_server, admin, colleague: CliPeer, vendor: str, tmp_path: Path
) -> None:
    if vendor == "yealink":
        mac = DEMO_YEALINK  # seeded by --demo for ext 103, its window open since the server started
    else:
        mac = MACS[vendor]
        add_phone(demo_server, admin, vendor, mac)
    boot = boot_phone(demo_server.base_url, vendor, mac)
    record_wire(boot, tmp_path / f"pairing-{vendor}.txt")
    assert boot.paired and boot.token_url is not None
    assert boot_phone(demo_server.base_url, vendor, mac).paired is False  # by MAC once only

    line = lines(vendor, boot.settings)[0]
    assert (line.domain, line.proxy_host, line.proxy_port, line.transport) == (
        "demo.local", "127.0.0.1", demo_server.sip_port, "udp"
    )  # fmt: skip
    own = "103" if vendor == "yealink" else "102"
    assert line.username.startswith(f"u{own}-ipphone")
    expected_keys = [Blf("101", "Nguyễn Văn An"), Blf("102" if own == "103" else "103",
                     "Trần Thị Bình" if own == "103" else "Lê Văn Cường")]  # fmt: skip
    assert blf_keys(vendor, boot.settings) == expected_keys

    if CLIENT[vendor] == "baresip":
        call_from_baresip(tmp_path, line, colleague)
    else:
        call_from_softphone_cli(tmp_path, line, colleague, vendor)


def call_from_baresip(tmp_path: Path, line, colleague: CliPeer) -> None:
    phone = BaresipPhone(tmp_path / "baresip", line)
    try:
        phone.wait_registered()
        mark = colleague.mark()
        phone.command("dial", f"sip:101@{line.domain}")
        phone.wait_event("CALL_ESTABLISHED", 30)
        incoming = colleague.wait_for(lambda e: e["event"] == "IncomingCall", 10, start=mark)
        heard = colleague.heard(tmp_path / "ext101.wav", [BARESIP_HZ, COLLEAGUE_HZ], expect={BARESIP_HZ: 0.5})
        assert heard[BARESIP_HZ] > 0.5, heard
        phone.command("hangup")
        phone.wait_event("CALL_CLOSED", 15)
        colleague.wait_state("disconnected", incoming["call_id"], timeout=15, start=mark)
        levels = tone_levels(phone.decoded_wav(), [COLLEAGUE_HZ, BARESIP_HZ], skip_s=0.5)
        assert levels[COLLEAGUE_HZ] > 0.5, levels
    finally:
        phone.stop()


def call_from_softphone_cli(tmp_path: Path, line, colleague: CliPeer, vendor: str) -> None:
    phone = cli_phone(line, f"desk-{vendor}")
    try:
        phone.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
        mark = colleague.mark()
        call_id = phone.command("make_call", account_id="main", target="101")
        phone.wait_state("confirmed", call_id, timeout=30)
        incoming = colleague.wait_for(lambda e: e["event"] == "IncomingCall", 10, start=mark)
        heard = colleague.heard(
            tmp_path / "ext101.wav", [CLI_PHONE_HZ, COLLEAGUE_HZ], expect={CLI_PHONE_HZ: 0.5}
        )
        assert heard[CLI_PHONE_HZ] > 0.5, heard
        back = phone.heard(tmp_path / "phone.wav", [COLLEAGUE_HZ, CLI_PHONE_HZ], expect={COLLEAGUE_HZ: 0.5})
        assert back[COLLEAGUE_HZ] > 0.5, back
        phone.command("hangup", call_id=call_id)
        phone.wait_state("disconnected", call_id, timeout=15)
        colleague.wait_state("disconnected", incoming["call_id"], timeout=15, start=mark)
    finally:
        phone.quit(timeout=10)
        phone.kill()
