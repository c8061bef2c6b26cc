"""Queue statistics, the live board and the agent's own queue states through the API, over the persisted
queue log: the scripted day's figures come back equal to the hand-computed ones (scripted_day.py);
agent states are set by the agents themselves and survive a restart; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from scripted_day import T0, scripted_day
from sqlalchemy import update

from server.api.app import create_app
from server.domain.db import create_engine
from server.domain.models import User
from server.domain.queue_log import QueueLogWriter
from server.domain.security import Passwords
from tests.server.conftest import demo_queue

pytestmark = pytest.mark.integration

QUEUE = {"strategy": "linear", "ring_timeout": 15, "retry": 5, "wrapup": 10, "no_agent_grace": 30}


def _set_clock(api, offset: float) -> None:
    api.clock.now = datetime.fromtimestamp(T0 + offset, UTC).replace(tzinfo=None)


async def _headers(api, demo, login, who: str) -> dict[str, str]:
    """Fresh bearer headers at the fake clock's time (tokens from before a jump of weeks have expired)."""
    if who == "admin":
        return await login(api.client, demo.creds.admin_phone, demo.creds.admin_password)
    agent = next(x for x in demo.creds.agents if x.extension == who)
    return await login(api.client, agent.phone, agent.password)


def _mine(response, qid: int) -> dict:
    """My state in queue `qid` (the demo may seed queues of its own)."""
    assert response.status_code == 200, response.text
    return next(q for q in response.json() if q["queue_id"] == qid)


def _queue(queues: list[dict], qid: int) -> dict:
    return next(q for q in queues if q["queue_id"] == qid)


async def _setup(api, demo) -> tuple[int, dict[str, int]]:
    return await demo_queue(api, demo, QUEUE)


async def test_agents_set_their_own_state_and_it_survives_a_restart(api, demo) -> None:
    qid, users = await _setup(api, demo)
    me = demo.agent_headers["101"]
    r = await api.client.get("/me/queues", headers=me)
    assert _mine(r, qid) == {
        "queue_id": qid,
        "name": "sales",
        "logged_in": False,
        "paused": False,
        "pause_reason": "",
        "wrapup_left": None,
    }
    r = await api.client.put("/me/queues/state", json={"logged_in": True}, headers=me)
    assert r.status_code == 200, r.text
    r = await api.client.put(
        f"/me/queues/{qid}/state", json={"paused": True, "pause_reason": "after-call work"}, headers=me
    )
    assert _mine(r, qid)["paused"] is True and _mine(r, qid)["pause_reason"] == "after-call work"
    r = await api.client.post("/me/queues/ready", headers=me)  # not in wrap-up: nothing changes
    assert _mine(r, qid)["wrapup_left"] is None and _mine(r, qid)["paused"] is True
    r = await api.client.put("/me/queues/state", json={"logged_in": True}, headers=demo.admin_headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_member"  # the admin serves no queue
    r = await api.client.put(
        f"/me/queues/{qid}/state", json={"logged_in": True}, headers=demo.agent_headers["103"]
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_member"
    r = await api.client.put(
        "/me/queues/state", json={"paused": True, "bogus": 1}, headers=demo.agent_headers["101"]
    )
    assert r.status_code == 422

    # the figures of a day not over yet run to now
    api.clock.advance(300)
    day = api.clock.now.date().isoformat()
    r = await api.client.get(
        "/callcenter/stats/agents",
        params={"start": day, "end": day, "tz": "UTC", "queue_id": qid},
        headers=demo.admin_headers,
    )
    assert r.status_code == 200, r.text
    (figures,) = [x["figures"] for x in r.json() if x["user_id"] == users["101"]]
    assert (figures["staffed"], figures["paused"]) == (0, 300)

    # a restarted server (a new app over the same database) has the same states
    engine = create_engine(api.settings.database_url)
    app = create_app(api.settings, engine=engine, clock=api.clock, passwords=Passwords.fast())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver/api/v1"
        ) as client:
            r = await client.get("/me/queues", headers=me)
            assert _mine(r, qid) == {
                "queue_id": qid,
                "name": "sales",
                "logged_in": True,
                "paused": True,
                "pause_reason": "after-call work",
                "wrapup_left": None,
            }
            r = await client.get(f"/admin/queues/{qid}/agents", headers=demo.admin_headers)
            assert [s["logged_in"] for s in r.json()] == [True]
    finally:
        await engine.dispose()


async def test_scripted_day_figures_and_live_board(api, demo, login) -> None:
    qid, users = await _setup(api, demo)
    a, b = users["101"], users["102"]
    # the calls, as the PBX's writer would store them (its agent lines are dropped: the agents set those)
    writer = QueueLogWriter(api.sessionmaker.kw["bind"])
    writer.start()
    for entry in scripted_day(qid, a, b):
        writer.record(entry)
    await writer.stop()
    assert writer.committed == writer.appended == 34 and writer.dropped == 0  # 6 agent lines left out

    async def agent(ext: str, offset: float, body: dict) -> None:
        _set_clock(api, offset)
        me = await _headers(api, demo, login, ext)
        r = await api.client.put(f"/me/queues/{qid}/state", json=body, headers=me)
        assert r.status_code == 200, r.text

    await agent("101", 0, {"logged_in": True})
    await agent("102", 0, {"logged_in": True})
    await agent("101", 280, {"paused": True, "pause_reason": "lunch"})

    # the live board at 08:06: c7 waits 10 s, B talks to c6, A is at lunch
    _set_clock(api, 360)
    h = await _headers(api, demo, login, "admin")
    r = await api.client.get("/callcenter/board", headers=h)
    assert r.status_code == 200, r.text
    board = _queue(r.json()["queues"], qid)
    assert [(w["call_id"], w["position"], w["wait"]) for w in board["waiting"]] == [("c7", 1, 10.0)]
    states = {x["user_id"]: (x["state"], x["reason"], x["call_id"]) for x in board["agents"]}
    assert states == {a: ("paused", "lunch", None), b: ("on_call", "", "c6")}
    _set_clock(api, 405)
    board = _queue((await api.client.get("/callcenter/board", headers=h)).json()["queues"], qid)
    assert board["waiting"] == []
    assert [(x["state"], x["until"]) for x in board["agents"] if x["user_id"] == b] == [("wrapup", T0 + 410)]
    hb = await _headers(api, demo, login, "102")
    r = await api.client.get("/me/queues", headers=hb)
    assert _mine(r, qid)["wrapup_left"] == 5.0  # B's own queue panel counts the same wrap-up down
    ha = await _headers(api, demo, login, "101")
    assert _mine(await api.client.get("/me/queues", headers=ha), qid)["wrapup_left"] is None

    await agent("101", 580, {"paused": False})
    await agent("101", 1000, {"logged_in": False})
    await agent("102", 1000, {"logged_in": False})
    _set_clock(api, 4 * 3600)
    h = await _headers(api, demo, login, "admin")
    r = await api.client.get(
        "/callcenter/stats/queues",
        params={"start": "2026-12-07", "end": "2026-12-07", "interval": "hour", "queue_id": qid},
        headers=h,
    )
    assert r.status_code == 200, r.text
    (sales,) = r.json()
    assert (sales["queue_id"], sales["service_level_threshold"], sales["short_abandon"]) == (qid, 20, 5)
    totals = sales["totals"]
    assert (totals["offered"], totals["answered"], totals["abandoned"], totals["short_abandoned"]) == (
        10,
        6,
        2,
        1,
    )
    assert totals["exited_empty"] == 1 and totals["transferred"] == 1 and totals["longest_wait"] == 30
    assert totals["service_level"] == pytest.approx(4 / 6)
    assert totals["service_level_with_abandons"] == pytest.approx(5 / 8)
    assert totals["asa"] == pytest.approx(85 / 6) and totals["aht"] == pytest.approx(140)
    assert totals["abandon_rate"] == pytest.approx(2 / 9)
    hours = {i["start"]: i["figures"] for i in sales["intervals"]}
    assert list(hours) == ["2026-12-07T08:00:00+07:00", "2026-12-07T09:00:00+07:00"]
    assert hours["2026-12-07T08:00:00+07:00"]["abandon_rate"] == pytest.approx(0.25)
    assert hours["2026-12-07T09:00:00+07:00"]["offered"] == 1

    r = await api.client.get(
        "/callcenter/stats/agents",
        params={"start": "2026-12-07", "end": "2026-12-07", "interval": "hour", "queue_id": qid},
        headers=h,
    )
    assert r.status_code == 200, r.text
    figures = {x["user_id"]: x["figures"] for x in r.json()}
    assert (figures[a]["staffed"], figures[a]["paused"], figures[a]["busy"]) == (700, 300, 510)
    assert figures[a]["occupancy"] == pytest.approx(510 / 700) and figures[a]["aht"] == 170
    assert (figures[b]["staffed"], figures[b]["busy"], figures[b]["missed"]) == (1000, 330, 2)
    hourly = {x["user_id"]: x["intervals"] for x in r.json()}[a]
    assert hourly[0]["start"] == "2026-12-07T08:00:00+07:00" and hourly[0]["figures"] == figures[a]
    assert len(hourly) == 1  # hours without anything done are left out

    # a day later, the agents' state at the start comes from before it: logged off, no staffed time
    r = await api.client.get(
        "/callcenter/stats/agents",
        params={"start": "2026-12-08", "end": "2026-12-08", "queue_id": qid},
        headers=h,
    )
    assert all(x["figures"]["staffed"] == 0 for x in r.json())
    # days in another zone: 08:00 in Vietnam is 01:00 UTC the same day
    r = await api.client.get(
        "/callcenter/stats/queues",
        params={"start": "2026-12-06", "end": "2026-12-07", "tz": "UTC", "interval": "day", "queue_id": qid},
        headers=h,
    )
    (sales,) = r.json()
    assert [(i["start"], i["figures"]["offered"]) for i in sales["intervals"]] == [
        ("2026-12-07T00:00:00Z", 10)
    ]


async def test_stats_are_for_supervisors_and_admins(api, demo) -> None:
    await _setup(api, demo)
    agent = demo.agent_headers["103"]
    day = {"start": "2026-12-07", "end": "2026-12-07"}
    for path in ("/callcenter/board", "/callcenter/stats/queues", "/callcenter/stats/agents"):
        r = await api.client.get(path, params=day, headers=agent)
        assert r.status_code == 403 and r.json()["error"]["code"] == "supervisor_required"
    async with api.sessionmaker() as session:
        await session.execute(
            update(User).where(User.phone == demo.creds.agents[2].phone).values(role="supervisor")
        )
        await session.commit()
    for path in ("/callcenter/board", "/callcenter/stats/queues", "/callcenter/stats/agents"):
        r = await api.client.get(path, params=day, headers=agent)
        assert r.status_code == 200, r.text
    r = await api.client.get(
        "/callcenter/stats/queues", params={"start": "2026-12-07", "end": "2026-12-06"}, headers=agent
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_range"
    r = await api.client.get(
        "/callcenter/stats/queues", params={"start": "2026-01-01", "end": "2026-12-31"}, headers=agent
    )
    assert r.status_code == 422
    r = await api.client.get("/callcenter/stats/queues", params={**day, "tz": "Mars/Olympus"}, headers=agent)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_zone"
