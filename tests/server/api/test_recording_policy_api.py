"""Call recording policy (company), override (user), the call record's recording link, over the API; the
PBX's snapshot follows each edit through the change events."""

from __future__ import annotations

import asyncio

import pytest

from server.domain.calls import link_recording
from server.domain.models import CallRecord
from server.domain.pbx_snapshot import SnapshotRefresher
from server.sip.snapshot import RoutingSnapshot

pytestmark = pytest.mark.integration


async def test_company_policy_and_user_override_reach_the_snapshot(api, demo) -> None:
    h = demo.admin_headers
    refresher = SnapshotRefresher(RoutingSnapshot(), api.sessionmaker)
    refresher.attach(api.ctx.changes)
    await refresher.load_all()
    try:
        r = await api.client.get("/admin/company", headers=h)
        assert r.status_code == 200 and r.json()["recording_policy"] == "off", r.text
        assert r.json()["console_language"] is None
        # bad input: a clear error, nothing half-saved (the name in the same request is not applied)
        r = await api.client.patch(
            "/admin/company", json={"name": "X", "recording_policy": "some"}, headers=h
        )
        assert r.status_code == 422, r.text
        assert (await api.client.get("/admin/company", headers=h)).json()["name"] != "X"
        r = await api.client.patch(
            "/admin/company", json={"recording_policy": "inbound", "console_language": "en"}, headers=h
        )
        assert r.status_code == 200 and r.json()["recording_policy"] == "inbound", r.text
        uid = refresher.snapshot.user_by_extension("demo.local", "101")
        assert uid is not None
        r = await api.client.patch(f"/admin/users/{uid}", json={"recording": "sometimes"}, headers=h)
        assert r.status_code == 422, r.text
        r = await api.client.patch(f"/admin/users/{uid}", json={"recording": "never"}, headers=h)
        assert r.status_code == 200 and r.json()["recording"] == "never", r.text
        await asyncio.sleep(0)
        await refresher.idle()  # the API answered after the snapshot took the change (read your writes)
        snap = refresher.snapshot
        company = snap.company(snap.user_routing(uid).company_id)
        assert company is not None and company.recording == "inbound"
        assert snap.user_recording(uid) == "never"
        audit = (await api.client.get("/admin/audit", headers=h)).json()
        assert any(e["entity"] == "company" and "inbound" in str(e["detail"]) for e in audit)
    finally:
        await refresher.stop()


async def test_call_record_links_its_recording_and_the_api_serves_it(api, demo) -> None:
    h = demo.admin_headers
    company_id = (await api.client.get("/me", headers=h)).json().get("company_id")
    recordings = api.settings.data_dir / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    wav = recordings / "20261205T120000Z_102_call-1.wav"
    wav.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    async with api.sessionmaker() as session:
        session.add(
            CallRecord(
                call_id="call-1", company_id=company_id or 1, domain="demo.local", caller="101", callee="102",
                direction="internal", start=1.0, answer=2.0, end=5.0, disposition="completed",
            )
        )  # fmt: skip
        await session.commit()
    assert not await link_recording(
        api.sessionmaker, call_id="nope", file_name="x.wav", attempts=2, wait=0.01
    )
    assert await link_recording(api.sessionmaker, call_id="call-1", file_name=wav.name)
    (row,) = [c for c in (await api.client.get("/admin/calls", headers=h)).json() if c["call_id"] == "call-1"]
    assert row["recording"] == wav.name
    assert row["recording_url"] == f"/api/v1/admin/calls/{row['id']}/recording"
    r = await api.client.get(f"/admin/calls/{row['id']}/recording", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content.startswith(b"RIFF")
    r = await api.client.get(f"/admin/calls/{row['id'] + 999}/recording", headers=h)
    assert r.status_code == 404
    r = await api.client.get(f"/admin/calls/{row['id']}/recording", headers=demo.agent_headers["101"])
    assert r.status_code == 403
