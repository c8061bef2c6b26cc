"""Call forwarding through the API: the admin's and the user's own, field errors, audit, and the PBX's
routing snapshot following an edit."""

from __future__ import annotations

import asyncio

import pytest

from server.domain.pbx_snapshot import SnapshotRefresher
from server.sip import directory as d
from server.sip.snapshot import RoutingSnapshot

pytestmark = pytest.mark.integration


async def user_id(api, demo, extension: str) -> int:  # type: ignore[no-untyped-def]
    users = (await api.client.get("/admin/users", headers=demo.admin_headers)).json()
    return next(u["id"] for u in users if extension in u["extensions"])


async def test_defaults_are_off(api, demo) -> None:
    r = await api.client.get("/me/forwarding", headers=demo.agent_headers["101"])
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"always", "busy", "no_answer", "unreachable"}
    assert body["no_answer"] == {
        "enabled": False,
        "target_kind": "extension",
        "target": "",
        "seconds": 20,
        "target_missing": False,
    }


async def test_admin_sets_a_users_rules_audited_and_the_pbx_follows(api, demo) -> None:
    refresher = SnapshotRefresher(RoutingSnapshot(), api.sessionmaker)
    refresher.attach(api.ctx.changes)
    await refresher.load_all()
    try:
        uid = await user_id(api, demo, "102")
        box = {"name": "102", "config": {"owner": "extension", "extension": "102"}}
        r = await api.client.post("/admin/voicemail_boxes", json=box, headers=demo.admin_headers)
        assert r.status_code == 201, r.text
        body = {
            "busy": {"enabled": True, "target_kind": "voicemail"},
            "no_answer": {"enabled": True, "target_kind": "extension", "target": "103", "seconds": 8},
            "unreachable": {"enabled": True, "target_kind": "external", "target": "0901 234 567"},
        }
        r = await api.client.put(f"/admin/users/{uid}/forwarding", json=body, headers=demo.admin_headers)
        assert r.status_code == 200, r.text
        assert r.json()["unreachable"]["target"] == "84901234567"
        assert r.json()["always"]["enabled"] is False
        await asyncio.sleep(0)
        await refresher.idle()
        rules = refresher.snapshot.user_routing(uid).forwarding
        assert set(rules) == {
            d.ForwardRule(d.ForwardCondition.BUSY, d.ForwardTargetKind.VOICEMAIL, "", 20.0),
            d.ForwardRule(d.ForwardCondition.NO_ANSWER, d.ForwardTargetKind.EXTENSION, "103", 8.0),
            d.ForwardRule(d.ForwardCondition.UNREACHABLE, d.ForwardTargetKind.EXTERNAL, "84901234567", 20.0),
        }
        mine = await api.client.get("/me/forwarding", headers=demo.agent_headers["102"])
        assert mine.json()["no_answer"]["target"] == "103"
        audit = (await api.client.get("/admin/audit", headers=demo.admin_headers)).json()
        entries = audit["entries"] if isinstance(audit, dict) else audit
        assert any(e["entity"] == "forwarding" and e["entity_id"] == uid for e in entries)
        r = await api.client.put("/me/forwarding", json={}, headers=demo.agent_headers["102"])
        assert r.status_code == 200
        await asyncio.sleep(0)
        await refresher.idle()
        assert refresher.snapshot.user_routing(uid).forwarding == ()
    finally:
        await refresher.stop()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"always": {"enabled": True, "target_kind": "extension", "target": ""}}, "always.target"),
        ({"always": {"enabled": True, "target_kind": "extension", "target": "999"}}, "always.target"),
        ({"busy": {"enabled": True, "target_kind": "extension", "target": "101"}}, "busy.target"),
        ({"busy": {"enabled": True, "target_kind": "external", "target": "12345"}}, "busy.target"),
        ({"no_answer": {"enabled": True, "target_kind": "voicemail", "seconds": 2}}, "no_answer.seconds"),
        ({"no_answer": {"target_kind": "fax"}}, "no_answer.target_kind"),
        ({"unreachable": {"enabled": True, "target_kind": "voicemail"}}, "unreachable.target_kind"),
        ({"sometimes": {}}, "sometimes"),
    ],
)
async def test_errors_name_the_field_and_change_nothing(api, demo, body, field) -> None:
    h = demo.agent_headers["101"]
    before = (await api.client.get("/me/forwarding", headers=h)).json()
    r = await api.client.put("/me/forwarding", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"], r.json()
    assert (await api.client.get("/me/forwarding", headers=h)).json() == before


async def test_external_needs_outbound_permission_and_company_scope(api, demo) -> None:
    uid = await user_id(api, demo, "103")
    h = demo.admin_headers
    assert (
        await api.client.patch(f"/admin/users/{uid}", json={"allow_outbound": False}, headers=h)
    ).status_code == 200
    body = {"always": {"enabled": True, "target_kind": "external", "target": "0901234567"}}
    r = await api.client.put(f"/admin/users/{uid}/forwarding", json=body, headers=h)
    assert r.status_code == 422 and "not permitted" in r.json()["error"]["fields"]["always.target"]
    assert (await api.client.get("/admin/users/99999/forwarding", headers=h)).status_code == 404
    r = await api.client.put(f"/admin/users/{uid}/forwarding", json={}, headers=demo.agent_headers["101"])
    assert r.status_code == 403


async def test_a_rule_to_a_deleted_extension_is_flagged_and_a_get_put_round_trip_works(api, demo) -> None:
    uid, target_uid = await user_id(api, demo, "102"), await user_id(api, demo, "103")
    body = {"always": {"enabled": True, "target_kind": "extension", "target": "103"}}
    r = await api.client.put(f"/admin/users/{uid}/forwarding", json=body, headers=demo.admin_headers)
    assert r.status_code == 200 and r.json()["always"]["target_missing"] is False, r.text
    r = await api.client.delete(f"/admin/users/{target_uid}/extensions/103", headers=demo.admin_headers)
    assert r.status_code == 204, r.text
    got = (await api.client.get("/me/forwarding", headers=demo.agent_headers["102"])).json()
    assert got["always"]["target_missing"] is True and got["busy"]["target_missing"] is False
    r = await api.client.put("/me/forwarding", json=got, headers=demo.agent_headers["102"])
    assert r.status_code == 422 and "always.target" in r.text  # saving it again names the stale target
