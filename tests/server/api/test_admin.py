"""Admin CRUD: users, extensions, devices and their credentials, groups, hotlines, audit log."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.integration

NEW_USER = {
    "full_name": "Phan Thanh Hà",
    "phone": "0987000111",
    "password": "agent-pass",
    "extensions": ["104"],
}


async def user_id(api, demo, phone: str) -> int:
    users = (await api.client.get("/admin/users", headers=demo.admin_headers)).json()
    return next(u["id"] for u in users if u["phone"] == phone)


async def test_agents_cannot_use_admin_api(api, demo) -> None:
    r = await api.client.get("/admin/users", headers=demo.agent_headers["101"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "admin_required"


async def test_user_lifecycle(api, demo) -> None:
    h = demo.admin_headers
    r = await api.client.post("/admin/users", json=NEW_USER, headers=h)
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["phone"] == "84987000111" and user["extensions"] == ["104"] and user["role"] == "agent"
    assert [d["kind"] for d in user["devices"]] == ["desktop"] and user["devices"][0][
        "sip_username"
    ] == "u104-desktop"
    uid = user["id"]
    r = await api.client.patch(
        f"/admin/users/{uid}",
        json={
            "allow_outbound": False,
            "monthly_minutes": 120,
            "ring_method": "ip_phone",
            "dnd": True,
            "auto_answer": True,
        },
        headers=h,
    )
    assert r.status_code == 200
    body = r.json()
    assert (
        body["allow_outbound"] is False
        and body["monthly_minutes"] == 120
        and body["ring_method"] == "ip_phone"
    )
    assert body["revision"] > user["revision"]
    r = await api.client.patch(f"/admin/users/{uid}", json={"monthly_minutes": None}, headers=h)
    assert r.json()["monthly_minutes"] is None
    r = await api.client.patch(f"/admin/users/{uid}", json={"default_hotline": "02873005678"}, headers=h)
    assert r.status_code == 200 and r.json()["default_hotline_id"] is not None
    login = await api.client.post("/auth/login", json={"login": "0987000111", "password": "agent-pass"})
    agent = {"Authorization": f"Bearer {login.json()['access_token']}"}
    dev = (await api.client.get("/me/accounts", headers=agent)).json()[0]["device_id"]
    doc = (await api.client.post(f"/me/accounts/{dev}/activate", headers=agent)).json()
    assert doc["permissions"] == {"outbound": False, "monthly_minutes": None, "minutes_used": 0.0}
    assert [h_["default"] for h_ in doc["hotlines"]] == [False, True]
    # Deactivated users' tokens stop working.
    await api.client.patch(f"/admin/users/{uid}", json={"active": False}, headers=h)
    assert (await api.client.get("/me", headers=agent)).status_code == 401
    assert (await api.client.delete(f"/admin/users/{uid}", headers=h)).status_code == 204
    assert (await api.client.get(f"/admin/users/{uid}", headers=h)).status_code == 404


@pytest.mark.parametrize(
    ("patch", "status", "code", "field"),
    [
        ({"phone": "12ab"}, 422, "invalid_phone", "phone"),
        ({"phone": "0901000102"}, 409, "duplicate_phone", "phone"),
        ({"email": "not-an-email"}, 422, "invalid_email", "email"),
        ({"email": "agent102@demo.local"}, 409, "duplicate_email", "email"),
        ({"default_hotline": "0999"}, 422, "unknown_hotline", "default_hotline"),
        ({"ring_method": "mobile"}, 422, "mobile_number_required", "mobile_number"),
        ({"monthly_minutes": -1}, 422, "validation_error", "monthly_minutes"),
    ],
)
async def test_user_update_errors_have_field_detail(api, demo, patch, status, code, field) -> None:
    uid = await user_id(api, demo, "84901000101")
    r = await api.client.patch(f"/admin/users/{uid}", json=patch, headers=demo.admin_headers)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and field in r.json()["error"]["fields"]


async def test_extensions(api, demo) -> None:
    h = demo.admin_headers
    uid = await user_id(api, demo, "84901000101")
    r = await api.client.post(f"/admin/users/{uid}/extensions", json={"number": "1101"}, headers=h)
    assert r.status_code == 201 and r.json()["number"] == "1101"
    r = await api.client.post(f"/admin/users/{uid}/extensions", json={"number": "102"}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "duplicate_extension",
        "message": "extension 102 is already in use",
        "fields": {"extension": "taken"},
    }
    for bad in ("1", "12345", "1a", "", "*43"):
        r = await api.client.post(f"/admin/users/{uid}/extensions", json={"number": bad}, headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_extension", bad
    r = await api.client.get(f"/admin/users/{uid}/extensions", headers=h)
    assert [e["number"] for e in r.json()] == ["101", "1101"]
    assert (await api.client.delete(f"/admin/users/{uid}/extensions/1101", headers=h)).status_code == 204
    assert (await api.client.delete(f"/admin/users/{uid}/extensions/1101", headers=h)).status_code == 404


async def test_concurrent_duplicate_extension_is_one_201_and_one_409(api, demo) -> None:
    h = demo.admin_headers
    a = await user_id(api, demo, "84901000101")
    b = await user_id(api, demo, "84901000102")
    results = await asyncio.gather(
        *(
            api.client.post(f"/admin/users/{uid}/extensions", json={"number": "555"}, headers=h)
            for uid in (a, b, a, b)
        )
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409], [r.text for r in results]


async def test_create_user_errors(api, demo) -> None:
    h = demo.admin_headers
    r = await api.client.post("/admin/users", json={**NEW_USER, "extensions": ["101"]}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_extension"
    r = await api.client.post("/admin/users", json={**NEW_USER, "extensions": ["10000"]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_extension"
    r = await api.client.post("/admin/users", json={**NEW_USER, "phone": "+1 555 0100"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["fields"] == {
        "phone": "expected 0912345678, +84912345678 or 84912345678"
    }
    r = await api.client.post("/admin/users", json={**NEW_USER, "password": "short"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password"
    r = await api.client.post("/admin/users", json={"full_name": "x"}, headers=h)
    assert r.status_code == 422 and {"phone", "password"} <= set(r.json()["error"]["fields"])


async def test_devices_and_credentials(api, demo) -> None:
    h = demo.admin_headers
    uid = await user_id(api, demo, "84901000103")
    r = await api.client.post(
        f"/admin/users/{uid}/devices",
        json={
            "kind": "ip_phone",
            "label": "Yealink T46",
            "sip_username": "103-desk",
            "sip_password": "deskpass1",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    device = r.json()
    r = await api.client.post(
        f"/admin/users/{uid}/devices", json={"kind": "web", "sip_username": "103-desk"}, headers=h
    )
    assert r.status_code == 409 and r.json()["error"]["fields"] == {"sip_username": "taken"}
    ip = (await api.client.get(f"/admin/devices/{device['id']}/credentials?form=ip_phone", headers=h)).json()
    assert ip["form"] == "ip_phone"
    values = ip["values"]
    assert values["sip_server"] == "127.0.0.1" and values["sip_port"] == 5060
    assert values["user_id"] == values["auth_id"] == "103-desk" and values["auth_password"] == "deskpass1"
    assert values["realm"] == "demo.local" and values["extension"] == "103"
    web = (await api.client.get(f"/admin/devices/{device['id']}/credentials?form=web", headers=h)).json()[
        "values"
    ]
    assert web["sip_uri"] == "sip:103-desk@demo.local" and web["sip_password"] == "deskpass1"
    r = await api.client.get(f"/admin/devices/{device['id']}/credentials?form=fax", headers=h)
    assert r.status_code == 422
    r = await api.client.patch(
        f"/admin/devices/{device['id']}", json={"regenerate_password": True}, headers=h
    )
    assert r.status_code == 200
    web2 = (await api.client.get(f"/admin/devices/{device['id']}/credentials?form=web", headers=h)).json()[
        "values"
    ]
    assert web2["sip_password"] != "deskpass1" and len(web2["sip_password"]) == 16
    listed = (await api.client.get(f"/admin/users/{uid}/devices", headers=h)).json()
    # the demo's desk phone for 103 has a device of its own (u103-ipphone), then the one added here
    assert [(d["kind"], d["sip_username"]) for d in listed] == [
        ("desktop", "103"),
        ("ip_phone", "u103-ipphone"),
        ("ip_phone", "103-desk"),
    ]
    assert all("sip_password" not in d for d in listed)
    assert (await api.client.delete(f"/admin/devices/{device['id']}", headers=h)).status_code == 204
    assert (await api.client.get(f"/admin/devices/{device['id']}", headers=h)).status_code == 404


async def test_groups(api, demo) -> None:
    h = demo.admin_headers
    a = await user_id(api, demo, "84901000101")
    b = await user_id(api, demo, "84901000102")
    r = await api.client.post("/admin/groups", json={"name": "Sales", "member_ids": [a, b]}, headers=h)
    assert r.status_code == 201 and sorted(r.json()["member_ids"]) == sorted([a, b])
    gid = r.json()["id"]
    r = await api.client.post("/admin/groups", json={"name": "Sales"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_group"
    r = await api.client.patch(
        f"/admin/groups/{gid}", json={"member_ids": [b], "name": "Sales HN"}, headers=h
    )
    assert r.json() == {"id": gid, "name": "Sales HN", "member_ids": [b]}
    r = await api.client.patch(f"/admin/groups/{gid}", json={"member_ids": [999999]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_user"
    assert [g["name"] for g in (await api.client.get("/admin/groups", headers=h)).json()] == ["Sales HN"]
    assert (await api.client.delete(f"/admin/groups/{gid}", headers=h)).status_code == 204
    assert (await api.client.get(f"/admin/groups/{gid}", headers=h)).status_code == 404


async def test_hotlines(api, demo) -> None:
    h = demo.admin_headers
    body = {
        "number": "0243 900 1111",
        "carrier": "vinaphone",
        "label": "Hà Nội",
        "trunk_host": "sbc.vnpt.example",
        "trunk_port": 5070,
        "trunk_transport": "tcp",
        "trunk_username": "acme",
        "trunk_password": "trunk-secret",
        "trunk_register": True,
        "inbound_extension": "103",
    }
    r = await api.client.post("/admin/hotlines", json=body, headers=h)
    assert r.status_code == 201, r.text
    hotline = r.json()
    assert hotline["number"] == "02439001111" and hotline["trunk_register"] is True
    assert "trunk_password" not in hotline
    r = await api.client.post("/admin/hotlines", json=body, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_hotline"
    r = await api.client.post(
        "/admin/hotlines", json={**body, "number": "0243900222", "inbound_extension": "999"}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"inbound_extension": "unknown"}
    r = await api.client.patch(
        f"/admin/hotlines/{hotline['id']}", json={"label": "HN", "inbound_extension": None}, headers=h
    )
    assert r.json()["label"] == "HN" and r.json()["inbound_extension"] is None
    numbers = [x["number"] for x in (await api.client.get("/admin/hotlines", headers=h)).json()]
    assert numbers == ["02873001234", "02873005678", "02439001111"]
    # Agents see the new hotline in their document.
    dev = (await api.client.get("/me/accounts", headers=demo.agent_headers["101"])).json()[0]["device_id"]
    doc = (await api.client.get(f"/me/accounts/{dev}/provisioning", headers=demo.agent_headers["101"])).json()
    assert "02439001111" in [x["number"] for x in doc["hotlines"]]
    assert (await api.client.delete(f"/admin/hotlines/{hotline['id']}", headers=h)).status_code == 204


async def test_audit_log_records_changes_without_secrets(api, demo) -> None:
    h = demo.admin_headers
    uid = await user_id(api, demo, "84901000101")
    await api.client.patch(f"/admin/users/{uid}", json={"password": "a-new-password", "dnd": True}, headers=h)
    entries = (await api.client.get("/admin/audit", headers=h)).json()
    latest = entries[0]
    assert latest["action"] == "update" and latest["entity"] == "user" and latest["entity_id"] == uid
    assert latest["detail"]["password"] == "***" and latest["detail"]["dnd"] is True
    assert "a-new-password" not in str(entries)
    assert "demo101" not in str(entries)
    assert {e["entity"] for e in entries} >= {"company", "user", "hotline"}


async def test_admin_cannot_lock_themselves_out(api, demo) -> None:
    me = (await api.client.get("/me", headers=demo.admin_headers)).json()
    for patch in ({"role": "agent"}, {"active": False}):
        r = await api.client.patch(f"/admin/users/{me['id']}", json=patch, headers=demo.admin_headers)
        assert r.status_code == 409 and r.json()["error"]["code"] == "cannot_demote_self"
    r = await api.client.delete(f"/admin/users/{me['id']}", headers=demo.admin_headers)
    assert r.status_code == 409


async def test_supervisor_role_through_the_api(api, demo) -> None:
    """The console's read-only role: the admin API creates, lists and shows it."""
    r = await api.client.post(
        "/admin/users",
        headers=demo.admin_headers,
        json={"full_name": "Giám sát", "phone": "0901000160", "password": "super12345", "role": "supervisor"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "supervisor"
    listed = await api.client.get("/admin/users", headers=demo.admin_headers)
    assert listed.status_code == 200 and "supervisor" in {u["role"] for u in listed.json()}
    # a supervisor is not an admin of the API
    sup = await api.client.post("/auth/login", json={"login": "0901000160", "password": "super12345"})
    headers = {"Authorization": f"Bearer {sup.json()['access_token']}"}
    assert (await api.client.get("/admin/users", headers=headers)).status_code == 403
    assert (await api.client.get("/me", headers=headers)).json()["role"] == "supervisor"
