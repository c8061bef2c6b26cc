"""Full stack: settings changed through the HTTP API steer the PBX's routing (DND, outbound permission)."""

from __future__ import annotations

import httpx
import pytest
from fullstack_support import Agents, ServerProcess, call, hangup

from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MOBILE_NUMBER = "0912345678"  # a Viettel mobile: not an extension, so it would leave through a trunk


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


def test_outbound_call_without_permission_is_refused_with_403(
    shared_server: ServerProcess, agents: Agents
) -> None:
    me = httpx.get(f"{shared_server.api}/me", headers=shared_server.agent_headers("101"), timeout=15)
    assert me.status_code == 200, me.text
    user_url = f"{shared_server.api}/admin/users/{me.json()['id']}"
    admin = shared_server.admin_headers()
    r = httpx.patch(user_url, json={"allow_outbound": False}, headers=admin, timeout=15)
    assert r.status_code == 200 and r.json()["allow_outbound"] is False, r.text
    try:
        a101 = agents.start(shared_server, "101")
        ended = _failed_call(a101, MOBILE_NUMBER)
        assert ended["code"] == 403, ended
        # Calls between extensions are not outbound: still allowed.
        agents.start(shared_server, "102", "--auto-answer=0")
        hangup(a101, call(a101, "102"))
    finally:
        r = httpx.patch(user_url, json={"allow_outbound": True}, headers=admin, timeout=15)
        assert r.status_code == 200, r.text
