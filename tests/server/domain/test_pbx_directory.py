"""`SqlDirectory` answers the PBX's questions from the same database the API writes."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime

import pytest

from server.domain.pbx_directory import SqlDirectory
from server.sip import directory as d

pytestmark = pytest.mark.integration


@pytest.fixture
def directory(api, demo) -> SqlDirectory:
    return SqlDirectory(api.sessionmaker, clock=api.clock)


async def test_is_a_directory(directory) -> None:
    methods = {name for name in dir(d.Directory) if not name.startswith("_")}
    assert "sip_credential" in methods and "load_bindings" in methods
    assert all(callable(getattr(directory, name, None)) for name in methods)


async def test_sip_credential(directory) -> None:
    cred = await directory.sip_credential("demo.local", "101")
    assert cred is not None
    assert cred.password == "demo101" and cred.domain == "demo.local" and cred.enabled
    assert cred.ha1_md5 == hashlib.md5(b"101:demo.local:demo101").hexdigest()
    assert cred.ha1_sha256 == hashlib.sha256(b"101:demo.local:demo101").hexdigest()
    assert cred.device_kind == d.DeviceKind.APP
    assert await directory.sip_credential("other.local", "101") is None
    assert await directory.sip_credential("demo.local", "999") is None


async def test_disabled_device_or_user_is_not_enabled(api, demo, directory) -> None:
    cred = await directory.sip_credential("demo.local", "102")
    await api.client.patch(f"/admin/users/{cred.user_id}", json={"active": False}, headers=demo.admin_headers)
    assert (await directory.sip_credential("demo.local", "102")).enabled is False


async def test_user_routing_follows_api_changes(api, demo, directory) -> None:
    uid = await directory.user_by_extension("demo.local", "103")
    assert uid is not None
    routing = await directory.user_routing(uid)
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
    routing = await directory.user_routing(uid)
    assert routing.dnd and routing.auto_answer and not routing.allow_outbound
    assert routing.ring_method == d.RingMethod.MOBILE and routing.mobile_number == "84961234567"
    assert routing.monthly_minutes == 10 and routing.default_hotline == "02873005678"
    assert await directory.user_routing(10**6) is None
    assert await directory.user_by_extension("demo.local", "999") is None


async def test_outbound_seconds_accumulate_and_reset_monthly(api, directory) -> None:
    uid = await directory.user_by_extension("demo.local", "101")
    await directory.add_outbound_seconds(uid, 90)
    await directory.add_outbound_seconds(uid, 30)
    assert (await directory.user_routing(uid)).minutes_used == pytest.approx(2.0)
    api.clock.now = datetime(2026, 12, 1, 0, 0, 1)
    assert (await directory.user_routing(uid)).minutes_used == 0.0
    await directory.add_outbound_seconds(uid, 60)
    assert (await directory.user_routing(uid)).minutes_used == pytest.approx(1.0)


async def test_hotlines(directory) -> None:
    lines = await directory.hotlines("demo.local")
    assert [(h.number, h.carrier, h.inbound_extension) for h in lines] == [
        ("02873001234", "viettel", "101"),
        ("02873005678", "mobifone", "102"),
    ]
    assert lines[0].trunk.host == "127.0.0.1"
    for spelling in ("02873001234", "842873001234", "+842873001234"):
        found = await directory.hotline_by_number(spelling)
        assert found is not None and found[0] == "demo.local" and found[1].number == "02873001234", spelling
    assert await directory.hotline_by_number("0999999999") is None


async def test_call_records_upsert(directory) -> None:
    cdr = d.CallRecord(
        call_id="abc@host",
        company_id=1,
        domain="demo.local",
        caller="101",
        callee="102",
        direction="internal",
        hotline=None,
        start=1000.0,
    )
    await directory.record_call(cdr)
    await directory.record_call(
        d.CallRecord(**{**_asdict(cdr), "answer": 1002.0, "disposition": d.Disposition.ANSWERED})
    )
    await directory.record_call(
        d.CallRecord(
            **{**_asdict(cdr), "answer": 1002.0, "end": 1010.0, "disposition": d.Disposition.COMPLETED}
        )
    )
    records = await directory.call_records()
    assert len(records) == 1
    assert records[0].disposition == d.Disposition.COMPLETED and records[0].end == 1010.0
    assert await directory.call_record("abc@host") == records[0]
    assert await directory.call_record("unknown@host") is None


def _asdict(cdr: d.CallRecord) -> dict:
    return {f.name: getattr(cdr, f.name) for f in dataclasses.fields(cdr)}


async def test_message_queue(directory) -> None:
    uid = await directory.user_by_extension("demo.local", "102")
    msg = d.QueuedMessage(
        message_id="m1",
        domain="demo.local",
        user_id=uid,
        from_uri="sip:101@demo.local",
        to_uri="sip:102@demo.local",
        content_type="text/plain",
        body="Chào bạn".encode(),
        date="Sun, 22 Nov 2026 08:00:00 GMT",
    )
    await directory.queue_message(msg)
    await directory.queue_message(msg)  # retransmission: kept once
    assert await directory.pending_messages("demo.local", uid) == [msg]
    await directory.mark_delivered("m1")
    assert await directory.pending_messages("demo.local", uid) == []


async def test_bindings_persist(directory) -> None:
    uid = await directory.user_by_extension("demo.local", "101")
    b = d.Binding(
        aor="sip:101@demo.local",
        contact="sip:101@127.0.0.1:40000",
        expires_at=2000.0,
        user_id=uid,
        username="101",
        device_kind=d.DeviceKind.APP,
        call_id="c1",
        cseq=1,
        source="udp:127.0.0.1:40000",
    )
    await directory.save_binding(b)
    await directory.save_binding(dataclasses.replace(b, cseq=2, expires_at=3000.0))
    loaded = await directory.load_bindings()
    assert len(loaded) == 1 and loaded[0].cseq == 2 and loaded[0].expires_at == 3000.0
    await directory.delete_binding(b.aor, b.contact)
    assert await directory.load_bindings() == []


async def test_call_records_are_listed_for_the_company_admin(api, demo, directory) -> None:
    uid = await directory.user_by_extension("demo.local", "101")
    cred = await directory.sip_credential("demo.local", "101")
    for n in range(3):
        await directory.record_call(
            d.CallRecord(
                call_id=f"c{n}",
                company_id=cred.company_id,
                domain="demo.local",
                caller="101",
                callee="0961234567",
                direction="outbound",
                hotline="02873001234",
                start=1000.0 + n,
                end=1010.0 + n,
                disposition=d.Disposition.COMPLETED,
                caller_user_id=uid,
            )
        )
    await directory.record_call(
        d.CallRecord(
            call_id="other",
            company_id=None,
            domain="x.local",
            caller="a",
            callee="b",
            direction="internal",
            hotline=None,
            start=1.0,
        )
    )
    r = await api.client.get("/admin/calls?limit=2", headers=demo.admin_headers)
    assert r.status_code == 200
    page = r.json()
    assert [c["call_id"] for c in page] == ["c2", "c1"] and page[0]["disposition"] == "completed"
    r = await api.client.get(f"/admin/calls?before_id={page[-1]['id']}", headers=demo.admin_headers)
    assert [c["call_id"] for c in r.json()] == ["c0"]
    assert (await api.client.get("/admin/calls", headers=demo.agent_headers["101"])).status_code == 403
