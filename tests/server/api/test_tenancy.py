"""Two companies: nothing of one is readable or writable from the other."""

from __future__ import annotations

import pytest

from server.domain.companies import create_company
from server.domain.people import create_user

pytestmark = pytest.mark.integration


@pytest.fixture
async def rival(api, demo, login):
    """Company "Rival" with an admin and an agent (ext 101 too: extensions are per company)."""
    async with api.sessionmaker() as session:
        company, _admin = await create_company(
            session,
            ctx=api.ctx,
            name="Rival",
            sip_domain="rival.example",
            admin_full_name="Rival Admin",
            admin_phone="0977000001",
            admin_password="rival-admin",
        )
        await create_user(
            session,
            ctx=api.ctx,
            company=company,
            full_name="Rival Agent",
            phone="0977000002",
            password="rival-agent",
            extensions=("101",),
        )
    return {
        "admin": await login(api.client, "0977000001", "rival-admin"),
        "agent": await login(api.client, "0977000002", "rival-agent"),
    }


async def test_cross_company_access_is_refused(api, demo, rival) -> None:
    h = demo.admin_headers
    users = (await api.client.get("/admin/users", headers=h)).json()
    victim = next(u for u in users if u["phone"] == "84901000101")
    device_id = victim["devices"][0]["id"]
    group = (await api.client.post("/admin/groups", json={"name": "Demo team"}, headers=h)).json()
    hotline = (await api.client.get("/admin/hotlines", headers=h)).json()[0]
    attacker = rival["admin"]
    uid = victim["id"]
    attempts = [
        ("GET", f"/admin/users/{uid}", None),
        ("PATCH", f"/admin/users/{uid}", {"dnd": True}),
        ("DELETE", f"/admin/users/{uid}", None),
        ("GET", f"/admin/users/{uid}/extensions", None),
        ("POST", f"/admin/users/{uid}/extensions", {"number": "777"}),
        ("DELETE", f"/admin/users/{uid}/extensions/101", None),
        ("GET", f"/admin/users/{uid}/devices", None),
        ("POST", f"/admin/users/{uid}/devices", {"kind": "web"}),
        ("POST", f"/admin/users/{uid}/mobile-provisioning", None),
        ("GET", f"/admin/devices/{device_id}", None),
        ("PATCH", f"/admin/devices/{device_id}", {"enabled": False}),
        ("DELETE", f"/admin/devices/{device_id}", None),
        ("GET", f"/admin/devices/{device_id}/credentials?form=web", None),
        ("GET", f"/admin/devices/{device_id}/credentials?form=ip_phone", None),
        ("GET", f"/admin/groups/{group['id']}", None),
        ("PATCH", f"/admin/groups/{group['id']}", {"name": "pwned"}),
        ("DELETE", f"/admin/groups/{group['id']}", None),
        ("GET", f"/admin/hotlines/{hotline['id']}", None),
        ("PATCH", f"/admin/hotlines/{hotline['id']}", {"label": "pwned"}),
        ("DELETE", f"/admin/hotlines/{hotline['id']}", None),
    ]
    for method, url, body in attempts:
        r = await api.client.request(method, url, json=body, headers=attacker)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
    # Writes that reference the other company's ids are refused too.
    r = await api.client.post("/admin/groups", json={"name": "mixed", "member_ids": [uid]}, headers=attacker)
    assert r.status_code == 422
    rival_users = (await api.client.get("/admin/users", headers=attacker)).json()
    rival_agent = next(u for u in rival_users if u["phone"] == "84977000002")
    r = await api.client.patch(
        f"/admin/users/{rival_agent['id']}", json={"default_hotline": hotline["number"]}, headers=attacker
    )
    assert r.status_code == 422
    # Agents: no activation of another company's device, directory shows only their own company.
    r = await api.client.post(f"/me/accounts/{device_id}/activate", headers=rival["agent"])
    assert r.status_code == 404
    r = await api.client.post(
        "/me/mobile-provisioning", json={"device_id": device_id}, headers=rival["agent"]
    )
    assert r.status_code == 404
    names = {p["full_name"] for p in (await api.client.get("/directory", headers=rival["agent"])).json()}
    assert names == {"Rival Admin", "Rival Agent"}
    # Lists only ever show the caller's company.
    assert {u["phone"] for u in rival_users} == {"84977000001", "84977000002"}
    assert (await api.client.get("/admin/hotlines", headers=attacker)).json() == []
    assert (await api.client.get("/admin/groups", headers=attacker)).json() == []
    rival_audit = str((await api.client.get("/admin/audit", headers=attacker)).json())
    assert "84901000101" not in rival_audit and "Demo" not in rival_audit
    # And nothing changed on the victim's side.
    after = (await api.client.get(f"/admin/users/{uid}", headers=h)).json()
    assert after["dnd"] is False and after["extensions"] == ["101"] and after["devices"][0]["enabled"] is True
    assert (await api.client.get(f"/admin/groups/{group['id']}", headers=h)).json()["name"] == "Demo team"


async def test_same_extension_in_two_companies_is_fine(api, demo, rival) -> None:
    accounts = (await api.client.get("/me/accounts", headers=rival["agent"])).json()
    assert accounts[0]["extension"] == "101" and accounts[0]["sip_domain"] == "rival.example"
