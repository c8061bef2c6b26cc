"""Admin call-center API: schedules, IVR menus, queues with members, ring groups, voicemail boxes, hotline
routes, agent states; destinations must point inside the company; what is in use cannot be deleted."""

from __future__ import annotations

OPEN = {"kind": "extension", "extension": "101"}


async def _users(api, h) -> dict[str, int]:
    r = await api.client.get("/admin/users", headers=h)
    assert r.status_code == 200, r.text
    return {u["extensions"][0]: u["id"] for u in r.json() if u["extensions"]}


async def test_call_center_configuration(api, demo) -> None:
    h = demo.admin_headers
    r = await api.client.post(
        "/admin/queues", json={"name": "sales", "config": {"strategy": "round_robin", "wrapup": 5}}, headers=h
    )
    assert r.status_code == 201, r.text
    queue = r.json()
    assert queue["config"]["strategy"] == "round_robin" and queue["config"]["ring_timeout"] == 15.0
    users = await _users(api, h)
    members = [{"user_id": users["101"], "tier": 0}, {"user_id": users["102"], "penalty": 1}]
    r = await api.client.put(f"/admin/queues/{queue['id']}/members", json={"members": members}, headers=h)
    assert r.status_code == 200, r.text
    assert [m["user_id"] for m in r.json()] == [users["101"], users["102"]]

    ivr = {
        "name": "main",
        "config": {
            "greeting": "welcome",
            "options": {"1": {"kind": "queue", "id": queue["id"]}, "0": OPEN},
            "direct_dial": True,
        },
    }
    r = await api.client.post("/admin/ivr_menus", json=ivr, headers=h)
    assert r.status_code == 201, r.text
    menu = r.json()
    bad = {**ivr, "config": {**ivr["config"], "options": {"1": {"kind": "queue", "id": 9999}}}}
    r = await api.client.post("/admin/ivr_menus", json=bad, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_destination"
    r = await api.client.post(
        "/admin/ivr_menus", json={"name": "x", "config": {"options": {"A": OPEN}}}, headers=h
    )
    assert r.status_code == 422

    schedule = {
        "name": "office",
        "config": {
            "weekly": [{"day": d, "start": "08:00", "end": "17:30"} for d in ("mon", "tue", "wed")],
            "holidays": [{"name": "Tết", "start": "2027-02-05", "end": "2027-02-09"}],
            "open": {"kind": "ivr", "id": menu["id"]},
            "closed": {"kind": "prompt_hangup", "prompt": "closed"},
        },
    }
    r = await api.client.post("/admin/schedules", json=schedule, headers=h)
    assert r.status_code == 201, r.text
    sched = r.json()
    r = await api.client.post(
        "/admin/schedules",
        json={
            **schedule,
            "config": {**schedule["config"], "weekly": [{"day": "mon", "start": "18:00", "end": "08:00"}]},
        },
        headers=h,
    )
    assert r.status_code == 422

    r = await api.client.get("/admin/hotlines", headers=h)
    hotline = r.json()[0]
    r = await api.client.put(
        f"/admin/hotlines/{hotline['id']}/route",
        json={"destination": {"kind": "schedule", "id": sched["id"]}},
        headers=h,
    )
    assert r.status_code == 200, r.text
    r = await api.client.get(f"/admin/hotlines/{hotline['id']}/route", headers=h)
    assert r.json()["destination"] == {"kind": "schedule", "id": sched["id"]}

    r = await api.client.post(
        "/admin/ring_groups",
        json={"name": "team", "config": {"mode": "ordered", "extensions": ["101", "102"]}},
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        "/admin/voicemail_boxes",
        json={"name": "sales vm", "config": {"owner": "queue", "queue_id": queue["id"]}},
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        "/admin/voicemail_boxes", json={"name": "bad", "config": {"owner": "queue"}}, headers=h
    )
    assert r.status_code == 422

    # in use: the IVR points at the queue, the schedule at the IVR
    r = await api.client.delete(f"/admin/queues/{queue['id']}", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "in_use"
    r = await api.client.delete(f"/admin/ivr_menus/{menu['id']}", headers=h)
    assert r.status_code == 409

    # agent states: log in to every queue, pause with a reason, persist
    r = await api.client.put(
        f"/admin/queues/{queue['id']}/agents/{users['101']}", json={"logged_in": True}, headers=h
    )
    assert r.status_code == 200, r.text
    r = await api.client.put(
        f"/admin/queues/{queue['id']}/agents/{users['101']}",
        json={"paused": True, "pause_reason": "lunch"},
        headers=h,
    )
    r = await api.client.get(f"/admin/queues/{queue['id']}/agents", headers=h)
    assert r.json() == [
        {
            "queue_id": queue["id"],
            "user_id": users["101"],
            "logged_in": True,
            "paused": True,
            "pause_reason": "lunch",
        }
    ]
    r = await api.client.put(
        f"/admin/queues/{queue['id']}/agents/{users['103']}", json={"logged_in": True}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_member"

    # the audit log saw it
    r = await api.client.get("/admin/audit", headers=h)
    entities = (
        {e["entity"] for e in r.json()["items"]}
        if isinstance(r.json(), dict)
        else {e["entity"] for e in r.json()}
    )
    assert {"queue", "ivr_menu", "schedule", "hotline_route", "agent_state"} <= entities


async def test_call_center_is_company_scoped(api, demo) -> None:
    h = demo.admin_headers
    r = await api.client.post("/admin/queues", json={"name": "q", "config": {}}, headers=h)
    qid = r.json()["id"]
    agent = next(iter(demo.agent_headers.values()))
    r = await api.client.get(f"/admin/queues/{qid}", headers=agent)
    assert r.status_code == 403
    r = await api.client.get("/admin/queues/99999", headers=h)
    assert r.status_code == 404
