"""Admin rate tables: CRUD with validation and audit, hotline assignment, tenancy, and the PBX pricing a
finished outbound call with the table of the hotline it used (snapshot + journal)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import select

from server.domain import models as m
from server.domain.pbx_journal import SqlJournal
from server.domain.pbx_snapshot import SnapshotRefresher
from server.sip import directory as d
from server.sip.journal import CallRecorded
from server.sip.snapshot import RoutingSnapshot
from tests.server.api.test_tenancy import rival  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

CHEAP = [
    {
        "prefix": "086",
        "kind": "mobile",
        "label": "Viettel",
        "per_minute": 600,
        "first_block": 60,
        "then_every": 60,
    },
    {
        "prefix": "02",
        "kind": "landline",
        "label": "Landline",
        "per_minute": 300,
        "first_block": 6,
        "then_every": 6,
    },
]


async def test_rate_table_crud_validation_and_audit(api, demo) -> None:
    h = demo.admin_headers
    r = await api.client.post(
        "/admin/rate-tables", json={"name": "Viettel trunk", "entries": CHEAP}, headers=h
    )
    assert r.status_code == 201, r.text
    table = r.json()
    assert table["is_default"] is False and [e["prefix"] for e in table["entries"]] == ["086", "02"]
    dup = await api.client.post("/admin/rate-tables", json={"name": "Viettel trunk"}, headers=h)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate_rate_table"
    bad = await api.client.patch(
        f"/admin/rate-tables/{table['id']}", json={"entries": [*CHEAP, CHEAP[0]]}, headers=h
    )
    assert bad.status_code == 422 and bad.json()["error"]["fields"] == {
        "prefix_2": "this prefix is already in the table"
    }
    negative = [{**CHEAP[0], "per_minute": -5}]
    bad = await api.client.patch(f"/admin/rate-tables/{table['id']}", json={"entries": negative}, headers=h)
    assert bad.status_code == 422 and "per_minute_0" in bad.json()["error"]["fields"]
    assert (await api.client.get(f"/admin/rate-tables/{table['id']}", headers=h)).json()["entries"] == table[
        "entries"
    ]  # nothing half-saved
    # a new table without entries is a copy of the Vietnamese default; reset brings it back
    copy = (
        await api.client.post("/admin/rate-tables", json={"name": "Copy", "is_default": True}, headers=h)
    ).json()
    assert len(copy["entries"]) > 20 and copy["is_default"]
    r = await api.client.patch(f"/admin/rate-tables/{copy['id']}", json={"entries": CHEAP[:1]}, headers=h)
    assert len(r.json()["entries"]) == 1
    r = await api.client.patch(f"/admin/rate-tables/{copy['id']}", json={"reset": True}, headers=h)
    assert len(r.json()["entries"]) == len(copy["entries"])
    r = await api.client.patch(f"/admin/rate-tables/{table['id']}", json={"is_default": True}, headers=h)
    listed = (await api.client.get("/admin/rate-tables", headers=h)).json()
    assert [t["is_default"] for t in listed] == [True, False]  # one default per company
    hotline = (await api.client.get("/admin/hotlines", headers=h)).json()[0]
    r = await api.client.patch(
        f"/admin/hotlines/{hotline['id']}", json={"rate_table_id": copy["id"]}, headers=h
    )
    assert r.status_code == 200 and r.json()["rate_table_id"] == copy["id"]
    r = await api.client.delete(f"/admin/rate-tables/{copy['id']}", headers=h)
    assert r.status_code == 204
    assert (await api.client.get(f"/admin/hotlines/{hotline['id']}", headers=h)).json()[
        "rate_table_id"
    ] is None
    async with api.sessionmaker() as s:
        actions = (
            (await s.execute(select(m.AuditEntry.action).where(m.AuditEntry.entity == "rate_table")))
            .scalars()
            .all()
        )
    assert sorted(actions) == [
        "create",
        "create",
        "delete",
        "update",
        "update",
        "update",
    ]  # the refused ones left none


async def test_other_companies_tables_are_invisible(api, demo, rival) -> None:  # noqa: F811
    h = demo.admin_headers
    table = (await api.client.post("/admin/rate-tables", json={"name": "Ours"}, headers=h)).json()
    for method, body in (("GET", None), ("PATCH", {"name": "Theirs"}), ("DELETE", None)):
        r = await api.client.request(
            method, f"/admin/rate-tables/{table['id']}", json=body, headers=rival["admin"]
        )
        assert r.status_code == 404, (method, r.text)
    assert (await api.client.get("/admin/rate-tables", headers=rival["admin"])).json() == []
    theirs = (await api.client.get("/admin/hotlines", headers=rival["admin"])).json()
    mine = (await api.client.get("/admin/hotlines", headers=h)).json()[0]
    r = await api.client.patch(f"/admin/hotlines/{mine['id']}", json={"rate_table_id": 999999}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"rate_table_id": "unknown"}
    assert theirs == []
    r = await api.client.get("/admin/rate-tables", headers=demo.agent_headers["101"])
    assert r.status_code == 403


async def test_the_journal_prices_a_call_with_its_hotline_table(api, demo) -> None:
    h = demo.admin_headers
    refresher = SnapshotRefresher(RoutingSnapshot(), api.sessionmaker)
    refresher.attach(api.ctx.changes)
    await refresher.load_all()
    try:
        hotlines = (await api.client.get("/admin/hotlines", headers=h)).json()
        async with api.sessionmaker() as s:
            company_id = await s.scalar(select(m.Hotline.company_id).where(m.Hotline.id == hotlines[0]["id"]))
        table = (
            await api.client.post("/admin/rate-tables", json={"name": "Cheap", "entries": CHEAP}, headers=h)
        ).json()
        r = await api.client.patch(
            f"/admin/hotlines/{hotlines[0]['id']}", json={"rate_table_id": table["id"]}, headers=h
        )
        assert r.status_code == 200
        await asyncio.sleep(0)
        await refresher.idle()  # the API answered after the snapshot applied the change; no query below
        base = d.CallRecord(
            call_id="priced",
            company_id=company_id,
            domain="demo.local",
            caller="101",
            callee="0861234567",
            direction="outbound",
            hotline=hotlines[0]["number"],
            start=1000.0,
            answer=1000.0,
            end=1061.0,
            disposition=d.Disposition.ANSWERED,
        )
        other = replace(base, call_id="builtin", hotline=hotlines[1]["number"])
        await SqlJournal(api.sessionmaker.kw["bind"], refresher.rate_table)(
            [CallRecorded(base), CallRecorded(other)]
        )
        async with api.sessionmaker() as s:
            costs = dict((await s.execute(select(m.CallRecord.call_id, m.CallRecord.cost))).all())
        # Cheap: 61 s billed 60 s + 60 s = 120 s at 600/min; built-in: 6 s + 1 s -> 61 s at 1,180/min
        assert costs == {"priced": 1200.0, "builtin": round(61 * 1180 / 60)}
    finally:
        await refresher.stop()
