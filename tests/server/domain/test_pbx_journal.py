"""The PBX's journal in the database: batches coalesced and committed in one transaction each, read back at
start-up (bindings, running calls with their dialogs, stored messages, presence); SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict, replace

import pytest
from sqlalchemy import select, update

from server.domain import models as m
from server.domain.pbx_journal import SqlJournal, call_dialog, call_records, dialog_json, load_state
from server.sip import directory as d
from server.sip.journal import (
    BindingRemoved,
    BindingSaved,
    CallRecorded,
    MessageDelivered,
    MessageQueued,
    PresencePublished,
    UsageAdded,
)

pytestmark = pytest.mark.integration

DIALOG = d.CallDialog(
    caller=d.DialogParty(
        "<sip:101@demo.local>", "a1b2", "sip:101@127.0.0.1:5101;ob", "udp:127.0.0.1:5101", 2
    ),
    callee=d.DialogParty(
        "<sip:0961234567@demo.local>",
        "carrier1",
        "sip:84961234567@[::1]:5090;transport=tcp",
        "tcp:[::1]:5090",
        0,
    ),
    billed_user_id=7,
    cseq_offset=1,
)


def engine_of(api):
    return api.sessionmaker.kw["bind"]


def record(call_id: str, **changes: object) -> d.CallRecord:
    base = d.CallRecord(
        call_id=call_id,
        company_id=None,
        domain="demo.local",
        caller="101",
        callee="0961234567",
        direction="outbound",
        hotline="02873001234",
        start=1000.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def user_id(api, ext: str) -> int:
    async with api.sessionmaker() as s:
        return await s.scalar(select(m.Extension.user_id).where(m.Extension.number == ext))


async def test_cdr_state_changes_in_one_batch_keep_the_last(api, demo) -> None:
    engine = engine_of(api)
    sink = SqlJournal(engine)
    answered = record("c1", answer=1002.0, disposition=d.Disposition.ANSWERED, cutoff=1062.0, dialog=DIALOG)
    await sink([CallRecorded(record("c1")), CallRecorded(answered), CallRecorded(record("ringing"))])
    assert sink.statements == 1  # one multi-row upsert
    state = await load_state(engine, 1000.0)
    assert {r.call_id: r for r in state.running_calls}["c1"] == answered  # dialog and cut-off round trip
    ended = replace(answered, end=1062.0, disposition=d.Disposition.QUOTA_EXCEEDED, hangup_cause="quota")
    await sink([CallRecorded(ended)])
    assert [r.call_id for r in (await load_state(engine, 1000.0)).running_calls] == ["ringing"]
    assert [r for r in await call_records(engine) if r.call_id == "c1"] == [ended]


def test_the_stored_dialog_has_every_field_and_reads_back_the_same() -> None:
    full = replace(
        DIALOG,
        caller=replace(DIALOG.caller, route_set=("<sip:edge.example;lr>", "<sip:pbx;lr>")),
        carrier_from="<sip:02873001234@carrier.example>",
    )
    stored = dialog_json(full)
    expected = asdict(full)
    for party in ("caller", "callee"):
        expected[party]["route_set"] = list(expected[party]["route_set"])  # JSON has no tuples
    assert stored == expected
    assert call_dialog(stored) == full


async def test_an_unreadable_stored_dialog_reads_back_as_none(api, demo) -> None:
    engine = engine_of(api)
    await SqlJournal(engine)([CallRecorded(record("odd", answer=1002.0, cutoff=1062.0, dialog=DIALOG))])
    async with api.sessionmaker() as s, s.begin():
        await s.execute(
            update(m.CallRecord).where(m.CallRecord.call_id == "odd").values(dialog={"caller": "?"})
        )
    (got,) = (await load_state(engine, 0)).running_calls
    assert got.dialog is None and got.cutoff == 1062.0


async def test_bindings_saved_replaced_and_removed(api, demo) -> None:
    engine = engine_of(api)
    sink = SqlJournal(engine)
    uid = await user_id(api, "101")
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
        user_agent="x" * 400,
    )
    other = replace(b, contact="sip:101@127.0.0.1:40001")
    await sink([BindingSaved(b), BindingSaved(replace(b, cseq=2, expires_at=3000.0)), BindingSaved(other)])
    loaded = {x.contact: x for x in (await load_state(engine, 0)).bindings}
    assert loaded[b.contact].cseq == 2 and loaded[b.contact].expires_at == 3000.0
    assert len(loaded[b.contact].user_agent) == 255
    await sink([BindingSaved(replace(other, cseq=9)), BindingRemoved(other.aor, other.contact)])
    assert [x.contact for x in (await load_state(engine, 0)).bindings] == [b.contact]


async def test_messages_queued_once_and_delivered(api, demo) -> None:
    engine = engine_of(api)
    sink = SqlJournal(engine)
    uid = await user_id(api, "102")
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
    await sink([MessageQueued(msg)])
    await sink([MessageQueued(msg)])  # written twice: kept once
    assert (await load_state(engine, 0)).pending_messages == (msg,)
    await sink([MessageDelivered("m1", 1_800_000_000.0)])
    assert (await load_state(engine, 0)).pending_messages == ()


async def test_usage_adds_up_per_month_and_restarts_in_a_new_one(api, demo) -> None:
    engine = engine_of(api)
    sink = SqlJournal(engine)
    uid = await user_id(api, "101")
    await sink([UsageAdded(uid, 90, "2026-11"), UsageAdded(uid, 30, "2026-11")])

    async def counter() -> tuple[float, str]:
        async with api.sessionmaker() as s:
            u = await s.get(m.User, uid)
            return u.seconds_used_this_month, u.usage_period

    assert await counter() == (pytest.approx(120), "2026-11")
    await sink([UsageAdded(uid, 10, "2026-11"), UsageAdded(uid, 60, "2026-12")])
    assert await counter() == (pytest.approx(60), "2026-12")


async def test_presence_kept_until_it_expires_or_is_withdrawn(api, demo) -> None:
    engine = engine_of(api)
    sink = SqlJournal(engine)
    a, b = await user_id(api, "101"), await user_id(api, "102")
    await sink([PresencePublished(a, "away", "ăn trưa", 2000.0), PresencePublished(b, "busy", "", 1500.0)])
    assert {(p.user_id, p.status, p.note) for p in (await load_state(engine, 1600.0)).presence} == {
        (a, "away", "ăn trưa")
    }
    await sink([PresencePublished(a, None, "", 0.0)])
    assert [(p.user_id, p.status) for p in (await load_state(engine, 0)).presence] == [(b, "busy")]


async def test_call_records_are_listed_for_the_company_admin(api, demo) -> None:
    engine = engine_of(api)
    uid = await user_id(api, "101")
    async with api.sessionmaker() as s:
        company_id = (await s.get(m.User, uid)).company_id
    writes = [
        CallRecorded(
            d.CallRecord(
                call_id=f"c{n}",
                company_id=company_id,
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
        for n in range(3)
    ]
    writes.append(CallRecorded(record("other", domain="x.local")))
    for w in writes:  # in their own transactions, so ids follow the calls' order
        await SqlJournal(engine)([w])
    r = await api.client.get("/admin/calls?limit=2", headers=demo.admin_headers)
    assert r.status_code == 200
    page = r.json()
    assert [c["call_id"] for c in page] == ["c2", "c1"] and page[0]["disposition"] == "completed"
    r = await api.client.get(f"/admin/calls?before_id={page[-1]['id']}", headers=demo.admin_headers)
    assert [c["call_id"] for c in r.json()] == ["c0"]
    assert (await api.client.get("/admin/calls", headers=demo.agent_headers["101"])).status_code == 403


async def test_an_ended_outbound_call_is_stored_with_its_cost(api, demo) -> None:
    engine = engine_of(api)
    sink = SqlJournal(engine)
    answered = record("cost1", answer=1002.0, disposition=d.Disposition.ANSWERED)
    await sink([CallRecorded(answered), CallRecorded(record("cost2", callee="102", direction="internal"))])
    # 6 s + 1 s on a Viettel mobile at 1,180 VND a minute: 61.5 s talked are 62 s billed
    await sink([CallRecorded(replace(answered, end=1063.5)), CallRecorded(record("cost2", end=1100.0))])
    async with api.sessionmaker() as s:
        costs = dict((await s.execute(select(m.CallRecord.call_id, m.CallRecord.cost))).all())
    assert costs["cost1"] == round(62 * 1180 / 60) and costs["cost2"] == 0
