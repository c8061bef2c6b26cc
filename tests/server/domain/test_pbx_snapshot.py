"""The PBX's routing snapshot is loaded from the database the API writes, and follows every committed edit
(the domain's change events) without a reload step."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from server.domain.models import User
from server.domain.pbx_journal import SqlJournal
from server.domain.pbx_snapshot import SnapshotRefresher
from server.sip import directory as d
from server.sip.journal import UsageAdded
from server.sip.quota import usage_period
from server.sip.snapshot import RoutingSnapshot

pytestmark = pytest.mark.integration


@pytest.fixture
async def refresher(api, demo) -> SnapshotRefresher:
    applied: list[set[int]] = []
    r = SnapshotRefresher(RoutingSnapshot(), api.sessionmaker, on_applied=applied.append)
    r.attach(api.ctx.changes)
    await r.load_all()
    r.applied = applied  # type: ignore[attr-defined]
    yield r
    await r.stop()


async def settled(r: SnapshotRefresher) -> RoutingSnapshot:
    await asyncio.sleep(0)
    await r.idle()
    return r.snapshot


async def test_sip_credential(refresher) -> None:
    snap = refresher.snapshot
    cred = snap.sip_credential("demo.local", "101")
    assert cred is not None
    assert cred.password == "demo101" and cred.domain == "demo.local" and cred.enabled
    assert cred.ha1_md5 == hashlib.md5(b"101:demo.local:demo101").hexdigest()
    assert cred.ha1_sha256 == hashlib.sha256(b"101:demo.local:demo101").hexdigest()
    assert cred.device_kind == d.DeviceKind.APP
    assert snap.sip_credential("other.local", "101") is None
    assert snap.sip_credential("demo.local", "999") is None


async def test_disabled_user_is_refreshed_and_reported(api, demo, refresher) -> None:
    cred = refresher.snapshot.sip_credential("demo.local", "102")
    r = await api.client.patch(
        f"/admin/users/{cred.user_id}", json={"active": False}, headers=demo.admin_headers
    )
    assert r.status_code == 200, r.text
    snap = await settled(refresher)
    assert snap.sip_credential("demo.local", "102").enabled is False
    assert snap.user_routing(cred.user_id).allow_outbound is False
    assert cred.user_id in set().union(*refresher.applied)


async def test_user_routing_follows_api_changes(api, demo, refresher) -> None:
    snap = refresher.snapshot
    uid = snap.user_by_extension("demo.local", "103")
    assert uid is not None
    routing = snap.user_routing(uid)
    assert routing.extensions == ("103",) and routing.display_name == "Lê Văn Cường"
    assert routing.ring_method == d.RingMethod.ALL and routing.default_hotline == "02873001234"
    assert routing.monthly_minutes is None and routing.allow_outbound
    r = await api.client.patch(
        f"/admin/users/{uid}",
        json={
            "dnd": True,
            "ring_method": "mobile",
            "mobile_number": "0961234567",
            "monthly_minutes": 10,
            "allow_outbound": False,
            "auto_answer": True,
            "default_hotline": "02873005678",
        },
        headers=demo.admin_headers,
    )
    assert r.status_code == 200, r.text
    routing = (await settled(refresher)).user_routing(uid)
    assert routing.dnd and routing.auto_answer and not routing.allow_outbound
    assert routing.ring_method == d.RingMethod.MOBILE and routing.mobile_number == "84961234567"
    assert routing.monthly_minutes == 10 and routing.default_hotline == "02873005678"
    assert snap.user_routing(10**6) is None
    assert snap.user_by_extension("demo.local", "999") is None


async def test_extensions_devices_and_deleted_users(api, demo, refresher) -> None:
    snap = refresher.snapshot
    uid = snap.user_by_extension("demo.local", "103")
    r = await api.client.post(
        f"/admin/users/{uid}/extensions", json={"number": "1303"}, headers=demo.admin_headers
    )
    assert r.status_code in (200, 201), r.text
    r = await api.client.post(
        f"/admin/users/{uid}/devices",
        json={"kind": "ip_phone", "sip_username": "desk103", "sip_password": "deskpass1"},
        headers=demo.admin_headers,
    )
    assert r.status_code in (200, 201), r.text
    snap = await settled(refresher)
    assert snap.user_by_extension("demo.local", "1303") == uid
    assert snap.sip_credential("demo.local", "desk103").device_kind == d.DeviceKind.IP_PHONE
    r = await api.client.delete(f"/admin/users/{uid}", headers=demo.admin_headers)
    assert r.status_code == 204, r.text
    snap = await settled(refresher)
    assert snap.user_routing(uid) is None
    assert snap.user_by_extension("demo.local", "1303") is None
    assert snap.sip_credential("demo.local", "desk103") is None


async def test_hotlines_and_lookups_by_any_spelling(api, demo, refresher) -> None:
    snap = refresher.snapshot
    lines = snap.hotlines("demo.local")
    assert [(h.number, h.carrier, h.inbound_extension) for h in lines] == [
        ("02873001234", "viettel", "101"),
        ("02873005678", "mobifone", "102"),
    ]
    assert lines[0].trunk.host == "127.0.0.1"
    for spelling in ("02873001234", "842873001234", "+842873001234"):
        found = snap.hotline_by_number(spelling)
        assert found is not None and found[0] == "demo.local" and found[1].number == "02873001234", spelling
    assert snap.hotline_by_number("0999999999") is None
    hotline_id = (await api.client.get("/admin/hotlines", headers=demo.admin_headers)).json()[1]["id"]
    r = await api.client.patch(
        f"/admin/hotlines/{hotline_id}", json={"inbound_extension": "103"}, headers=demo.admin_headers
    )
    assert r.status_code == 200, r.text
    snap = await settled(refresher)
    assert snap.hotline_by_number("02873005678")[1].inbound_extension == "103"


async def test_usage_kept_in_memory_until_an_admin_resets_it(api, demo, refresher) -> None:
    snap = refresher.snapshot
    uid = snap.user_by_extension("demo.local", "101")
    period = usage_period(1_800_000_000.0)
    for seconds in (90, 30):  # what the PBX does when a billed call ends
        snap.add_usage(uid, seconds, period)
        await SqlJournal(api.sessionmaker.kw["bind"])([UsageAdded(uid, seconds, period)])
    assert snap.seconds_used(uid, period) == pytest.approx(120)
    assert snap.seconds_used(uid, usage_period(1_900_000_000.0)) == 0.0  # another month
    # a reload for another reason keeps the minutes the journal may not have committed yet
    await api.client.patch(f"/admin/users/{uid}", json={"dnd": True}, headers=demo.admin_headers)
    snap = await settled(refresher)
    assert snap.seconds_used(uid, period) == pytest.approx(120)
    # an admin's reset is taken from the database
    r = await api.client.patch(f"/admin/users/{uid}", json={"reset_usage": True}, headers=demo.admin_headers)
    assert r.status_code == 200, r.text
    snap = await settled(refresher)
    assert snap.seconds_used(uid, period) == 0.0


async def test_a_commit_waits_for_its_own_load_not_for_later_ones(api, demo, refresher) -> None:
    """Under a steady stream of edits the loads never stop; a request must not wait for all of them."""
    bus = api.ctx.changes
    snap = refresher.snapshot
    uid = snap.user_by_extension("demo.local", "102")
    stop = asyncio.Event()

    others = [snap.user_by_extension("demo.local", ext) for ext in ("101", "103", "104", "105")]

    async def edits(other: int) -> None:  # writers that never wait for the PBX (as an open-loop load)
        dnd = False
        while not stop.is_set():
            dnd = not dnd
            async with api.sessionmaker() as session:
                user = await session.get(User, other)
                user.dnd = dnd
                await session.commit()

    writers = [asyncio.create_task(edits(other)) for other in others if other is not None]
    try:
        await asyncio.sleep(0.3)
        loop = asyncio.get_running_loop()
        for _ in range(5):
            r = await api.client.patch(
                f"/admin/users/{uid}", json={"auto_answer": True}, headers=demo.admin_headers
            )
            assert r.status_code == 200
            started = loop.time()
            assert await bus.settled(timeout=1.0)
            assert loop.time() - started < 0.5
            assert snap.user_routing(uid).auto_answer is True
    finally:
        stop.set()
        await asyncio.gather(*writers)


async def test_bookkeeping_columns_cause_no_reload(api, demo, refresher) -> None:
    loads = refresher.loads
    agent = demo.agent_headers["101"]
    accounts = (await api.client.get("/me/accounts", headers=agent)).json()
    r = await api.client.post(f"/me/accounts/{accounts[0]['device_id']}/activate", headers=agent)
    assert r.status_code == 200, r.text
    await settled(refresher)
    assert refresher.loads == loads
