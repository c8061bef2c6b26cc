"""Full stack: settings changed through the HTTP API steer the PBX's routing (DND, outbound permission)."""

from __future__ import annotations

import httpx
import pytest
from fullstack_support import Agents, ServerProcess, call, hangup

from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MOBIFONE_NUMBER = "0901234567"  # not an extension: leaves through a hotline's carrier trunk
MOBIFONE_HOTLINE = "02873005678"  # the demo hotline on Mobifone (the default one is on Viettel)


def _failed_call(caller: CliPeer, target: str) -> dict[str, object]:
    mark = caller.mark()
    call_id = caller.command("make_call", account_id="main", target=target)
    return caller.wait_state("disconnected", call_id, timeout=20, start=mark)


def test_dnd_set_through_the_api_rejects_calls_with_486(shared_server: ServerProcess, agents: Agents) -> None:
    a101 = agents.start(shared_server, "101")
    a102 = agents.start(shared_server, "102", "--auto-answer=0")
    headers = shared_server.agent_headers("102")
    r = httpx.patch(f"{shared_server.api}/me/settings", json={"dnd": True}, headers=headers, timeout=15)
    assert r.status_code == 200 and r.json()["dnd"] is True, r.text
    try:
        ended = _failed_call(a101, "102")
        assert ended["code"] == 486, ended
        assert a102.find(lambda e: e["event"] == "IncomingCall") is None, "the PBX rang a DND agent"
    finally:
        r = httpx.patch(f"{shared_server.api}/me/settings", json={"dnd": False}, headers=headers, timeout=15)
        assert r.status_code == 200, r.text
    # Back from DND: the same call goes through.
    hangup(a101, call(a101, "102"))


def test_outbound_through_the_carrier_trunk_only_with_permission(
    shared_server: ServerProcess, agents: Agents
) -> None:
    # A stand-in carrier gateway: a plain SIP endpoint both demo hotlines' trunks now point at.
    carrier = CliPeer(["--user", "carrier", "--wait", "--auto-answer=0", "--tone", "1200"], name="carrier")
    agents.peers.append(carrier)
    admin = shared_server.admin_headers()
    hotlines = httpx.get(f"{shared_server.api}/admin/hotlines", headers=admin, timeout=15)
    assert hotlines.status_code == 200, hotlines.text
    for h in hotlines.json():
        r = httpx.patch(
            f"{shared_server.api}/admin/hotlines/{h['id']}",
            json={"trunk_host": "127.0.0.1", "trunk_port": carrier.port},
            headers=admin,
            timeout=15,
        )
        assert r.status_code == 200, r.text

    # Allowed: the call leaves through the trunk showing the hotline on the callee's carrier (adaptive).
    a101 = agents.start(shared_server, "101")
    mark = a101.mark()
    call_id = a101.command("make_call", account_id="main", target=MOBIFONE_NUMBER, hotline="adaptive")
    a101.wait_state("confirmed", call_id, timeout=20, start=mark)
    incoming = carrier.wait_for(lambda e: e["event"] == "IncomingCall", 10)
    assert MOBIFONE_HOTLINE in incoming["remote_uri"], incoming
    hangup(a101, call_id)

    # Revoked by the admin API: 403 from the PBX, and the carrier never sees the call.
    me = httpx.get(f"{shared_server.api}/me", headers=shared_server.agent_headers("101"), timeout=15)
    assert me.status_code == 200, me.text
    user_url = f"{shared_server.api}/admin/users/{me.json()['id']}"
    r = httpx.patch(user_url, json={"allow_outbound": False}, headers=admin, timeout=15)
    assert r.status_code == 200 and r.json()["allow_outbound"] is False, r.text
    try:
        carrier_mark = carrier.mark()
        ended = _failed_call(a101, MOBIFONE_NUMBER)
        assert (ended["code"], ended["reason"]) == (403, "Outbound calls not permitted"), ended
        assert carrier.find(lambda e: e["event"] == "IncomingCall", carrier_mark) is None
        # Calls between extensions are not outbound: still allowed.
        agents.start(shared_server, "102", "--auto-answer=0")
        hangup(a101, call(a101, "102"))
    finally:
        r = httpx.patch(user_url, json={"allow_outbound": True}, headers=admin, timeout=15)
        assert r.status_code == 200, r.text
