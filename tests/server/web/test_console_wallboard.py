"""The queue wallboard (SSE), the dashboard's per-queue figures and the history's queue filter, in chromium.

Agents log in and pause through the JSON API (the agent-state rows and queue-log lines the PBX writes).  The
day's queue calls are queue-log lines and CDRs written into the server's database: exact figures (hold 8 s,
one abandon after 30 s, one caller waiting) without running the media plane these console tests do without."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx
import pytest

from tests.server.web.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def _api(server) -> httpx.Client:
    client = httpx.Client(base_url=f"{server.url}/api/v1", timeout=15)
    r = client.post("/auth/login", json={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


def _queue_calls(server, queue_id: int, agent_id: int, now: float) -> None:
    """Today: one call answered after 8 s (talk 60 s), one abandoned after 30 s, one waiting for 40 s."""
    lines = [
        (now - 600, "wb-answered", "ENTERQUEUE", None, {"position": 1}),
        (now - 592, "wb-answered", "CONNECT", agent_id, {"hold": 8}),
        (now - 532, "wb-answered", "COMPLETECALLER", agent_id, {"talk": 60}),
        (now - 300, "wb-abandoned", "ENTERQUEUE", None, {"position": 1}),
        (now - 270, "wb-abandoned", "ABANDON", None, {"position": 1, "wait": 30}),
        (now - 40, "wb-waiting", "ENTERQUEUE", None, {"position": 1}),
    ]
    db = sqlite3.connect(server.data_dir / "softphone.db", timeout=15)
    with db:
        company_id = db.execute("SELECT company_id FROM cc_queues WHERE id = ?", (queue_id,)).fetchone()[0]
        db.executemany(
            "INSERT INTO cc_queue_events (company_id, queue_id, at, call_id, event, agent_user_id, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(company_id, queue_id, at, c, e, a, json.dumps(d)) for at, c, e, a, d in lines],
        )
        domain = db.execute("SELECT sip_domain FROM companies WHERE id = ?", (company_id,)).fetchone()[0]
        db.executemany(
            "INSERT INTO call_records (call_id, company_id, domain, caller, callee, direction, hotline,"
            ' start, answer, "end", disposition, callee_user_id, path)'
            " VALUES (?, ?, ?, ?, ?, 'inbound', '02873001234', ?, ?, ?, ?, ?, ?)",
            [
                (
                    "wb-answered",
                    company_id,
                    domain,
                    "0912345678",
                    "101",
                    now - 605,
                    now - 592,
                    now - 532,
                    "answered",
                    agent_id,
                    f"queue {queue_id} > agent 101",
                ),
                (
                    "wb-abandoned",
                    company_id,
                    domain,
                    "0987654321",
                    "101",
                    now - 305,
                    None,
                    now - 270,
                    "cancelled",
                    None,
                    f"queue {queue_id}",
                ),
                (
                    "wb-other",
                    company_id,
                    domain,
                    "0911111111",
                    "102",
                    now - 200,
                    now - 190,
                    now - 100,
                    "answered",
                    None,
                    None,
                ),
            ],
        )
    db.close()


def test_wallboard_follows_agent_states_and_dashboard_queue_figures(console_server, page) -> None:
    api = _api(console_server)
    users = api.get("/admin/users").json()
    users = users["items"] if isinstance(users, dict) else users
    agent = next(u for u in users if u["role"] == "agent")
    r = api.post("/admin/queues", json={"name": "CSKH", "config": {"service_level": 20}})
    assert r.status_code in (200, 201), r.text
    queue_id = r.json()["id"]
    members = {"members": [{"user_id": agent["id"]}]}
    assert api.put(f"/admin/queues/{queue_id}/members", json=members).is_success

    sign_in(page, console_server, lang="vi")
    page.goto(f"{console_server.url}/console/live/queues")
    row = page.locator(f"#q{queue_id}-agent-{agent['id']}")
    assert row.get_attribute("data-state") == "logged_out"
    assert page.locator(f"#q{queue_id}-logged_out").inner_text() == "1"
    assert page.locator(f"#q{queue_id}-waiting").inner_text() == "0"

    # An agent logs in through the API: the open page follows (SSE), no reload.
    r = api.put(f"/admin/queues/{queue_id}/agents/{agent['id']}", json={"logged_in": True})
    assert r.is_success, r.text
    page.locator(f"#q{queue_id}-agent-{agent['id']}[data-state=available]").wait_for(timeout=15_000)
    assert page.locator(f"#q{queue_id}-available").inner_text() == "1"
    # logged in but no device registered (the PBX's fact beside the board's state); DND follows too
    assert row.locator(".unregistered").inner_text() == "Chưa có thiết bị đăng ký"
    assert api.patch(f"/admin/users/{agent['id']}", json={"dnd": True}).is_success
    row.locator(".dnd").wait_for(timeout=15_000)
    assert api.patch(f"/admin/users/{agent['id']}", json={"dnd": False}).is_success
    row.locator(".dnd").wait_for(state="detached", timeout=15_000)

    # ...then pauses with a reason.
    r = api.put(
        f"/admin/queues/{queue_id}/agents/{agent['id']}", json={"paused": True, "pause_reason": "Ăn trưa"}
    )
    assert r.is_success, r.text
    page.locator(f"#q{queue_id}-agent-{agent['id']}[data-state=paused]", has_text="Ăn trưa").wait_for(
        timeout=15_000
    )
    assert page.locator(f"#q{queue_id}-paused").inner_text() == "1"

    # Calls of the day in the queue log: waiting, longest wait, answered/abandoned, SL, ASA appear.
    now = time.time()
    _queue_calls(console_server, queue_id, agent["id"], now)
    page.locator(f"#q{queue_id}-waiting", has_text="1").wait_for(timeout=15_000)
    assert page.locator(f"#q{queue_id}-answered").inner_text() == "1"
    assert page.locator(f"#q{queue_id}-abandoned").inner_text() == "1"
    assert page.locator(f"#q{queue_id}-sl").inner_text() == "100%"  # answered after 8 s <= 20 s
    assert page.locator(f"#q{queue_id}-asa").inner_text() == "0:08"
    longest = page.locator(f"#q{queue_id}-longest").inner_text()
    assert longest.startswith("0:4") or longest.startswith("0:5"), longest
    assert page.locator(f"#queue-{queue_id} table.waiting tbody tr").count() == 1
    board = api.get("/callcenter/board").json()  # the API's board says the same
    states = [a["state"] for q in board["queues"] if q["queue_id"] == queue_id for a in q["agents"]]
    assert states == ["paused"]
    shot(page, "wallboard_vi")
    assert page.locator("h1").inner_text() == "Bảng theo dõi hàng đợi"

    r = api.put(f"/admin/queues/{queue_id}/agents/{agent['id']}", json={"paused": False})
    assert r.is_success, r.text
    page.goto(f"{console_server.url}/console/lang/en?next=/console/live/queues")
    page.locator(f"#q{queue_id}-agent-{agent['id']}[data-state=available]").wait_for(timeout=15_000)
    assert page.locator("h1").inner_text() == "Queue wallboard"
    shot(page, "wallboard_en")

    # The dashboard: per-queue service level, ASA and abandon rate over the range, linked to the history
    # (abandon rate: 1 abandoned of 3 offered; the caller still waiting is offered too).
    page.goto(f"{console_server.url}/console/dashboard")
    row = page.locator(f"#queue-stats tr[data-queue='{queue_id}']")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "CSKH" and cells[1:4] == ["3", "1", "1"], cells
    assert cells[4] == "33%" and cells[5].startswith("100%") and cells[6] == "0:08", cells
    shot(page, "dashboard_queues_en")
    row.locator("a").first.click()
    page.wait_for_url(f"**queue={queue_id}**")
    assert page.locator("#f-queue").input_value() == str(queue_id)
    history = page.locator("main table").last.inner_text()
    assert "0912345678" in history and "0987654321" in history and "0911111111" not in history
    assert f"queue {queue_id} > agent 101" in history  # the call-center path under the status
    shot(page, "calls_queue_filter_en")

    page.goto(f"{console_server.url}/console/lang/vi?next=/console/dashboard")
    assert page.locator("#queues-title").inner_text() == "Hàng đợi"
    shot(page, "dashboard_queues_vi")
    # longer than the stats API's 93 days: the CDR figures stay, the queue table says why it is not there
    page.goto(f"{console_server.url}/console/dashboard?from=2026-01-01&to=2026-12-31")
    assert page.locator("#queue-stats").count() == 0
    assert "93 ngày" in page.locator("#queues-title + p").inner_text()
    api.close()


def test_supervisor_sees_the_wallboard_and_its_stream(console_server, page) -> None:
    r = httpx.get(f"{console_server.url}/console/live/queues", follow_redirects=False, timeout=15)
    assert r.status_code in (302, 303) and "/console/login" in r.headers["location"]
    api = _api(console_server)
    supervisor = {"full_name": "Giám sát bảng", "phone": "0901000170", "password": "super12345"}
    r = api.post("/admin/users", json={**supervisor, "role": "supervisor"})
    api.close()
    assert r.status_code == 201, r.text
    sign_in(page, console_server, login="0901000170", password="super12345", lang="en")
    page.goto(f"{console_server.url}/console/live/queues")
    assert page.locator("h1").inner_text() == "Queue wallboard"
    assert page.locator("nav.side a[aria-current=page]").all_inner_texts() == ["Queue wallboard"]
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.stream(
        "GET", f"{console_server.url}/console/live/queues/events", cookies=cookies, timeout=15
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = ""
        for chunk in stream.iter_text():
            text += chunk
            if "event: update" in text and "\n\n" in text.split("event: update", 1)[1]:
                break
    assert "data: " in text and ("wallboard-queue" in text or "no-queues" in text)
