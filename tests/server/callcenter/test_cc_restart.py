"""The real server: an agent's queue log-in and pause, and the queue log, survive a restart of
`softphone-server run --demo`; the queue-log writer starts and stops with the server."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from softphone.testing import wait_http_ok

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _login(base: str, phone: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/login", json={"login": phone, "password": password}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_agent_state_and_queue_log_survive_a_restart(start_demo_server) -> None:
    today = datetime.now(UTC).date().isoformat()
    server = start_demo_server(False)  # both runs share the test's data directory
    base = f"{server.base_url}/api/v1"
    wait_http_ok(f"{base}/health", process=server.process, timeout=60)
    admin = _login(server.base_url, "84901000100", "admin1234")
    r = httpx.post(f"{base}/admin/queues", json={"name": "sales", "config": {}}, headers=admin)
    assert r.status_code == 201, r.text
    qid = r.json()["id"]
    users = {
        u["extensions"][0]: u["id"]
        for u in httpx.get(f"{base}/admin/users", headers=admin).json()
        if u["extensions"]
    }
    r = httpx.put(
        f"{base}/admin/queues/{qid}/members", json={"members": [{"user_id": users["101"]}]}, headers=admin
    )
    assert r.status_code == 200, r.text
    agent = _login(server.base_url, "84901000101", "agent101")
    r = httpx.put(f"{base}/me/queues/state", json={"logged_in": True}, headers=agent)
    assert r.status_code == 200, r.text
    r = httpx.put(
        f"{base}/me/queues/{qid}/state", json={"paused": True, "pause_reason": "lunch"}, headers=agent
    )
    assert r.status_code == 200, r.text
    server.process.terminate()  # a clean shutdown: the writer flushes after the SIP service stops
    server.process.wait(timeout=15)
    assert "queue log" not in server.text() and "error while stopping" not in server.text(), server.text()

    server = start_demo_server(False)  # the same data directory: a restart
    base = f"{server.base_url}/api/v1"
    wait_http_ok(f"{base}/health", process=server.process, timeout=60)
    agent = _login(server.base_url, "84901000101", "agent101")
    mine = {q["queue_id"]: q for q in httpx.get(f"{base}/me/queues", headers=agent).json()}
    assert mine[qid] == {
        "queue_id": qid,
        "name": "sales",
        "logged_in": True,
        "paused": True,
        "pause_reason": "lunch",
        "wrapup_left": None,
    }
    admin = _login(server.base_url, "84901000100", "admin1234")
    queues = httpx.get(f"{base}/callcenter/board", headers=admin).json()["queues"]
    (board,) = [q for q in queues if q["queue_id"] == qid]  # the demo may have queues of its own
    assert [(a["state"], a["reason"]) for a in board["agents"]] == [("paused", "lunch")]
    r = httpx.get(
        f"{base}/callcenter/stats/agents",
        params={"start": today, "end": today, "tz": "UTC", "queue_id": qid},
        headers=admin,
    )
    (figures,) = [x["figures"] for x in r.json() if x["user_id"] == users["101"]]
    assert 0 < figures["paused"] < 120 and figures["staffed"] < 60  # up to now, not to the end of the day
