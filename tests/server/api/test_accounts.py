"""An agent's own view: profile, accounts, activation (document + e-mail), settings and the directory."""

from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.integration


async def first_device(api, headers) -> int:
    accounts = (await api.client.get("/me/accounts", headers=headers)).json()
    return accounts[0]["device_id"]


async def test_me_and_accounts(api, demo) -> None:
    headers = demo.agent_headers["102"]
    me = (await api.client.get("/me", headers=headers)).json()
    assert (
        me["full_name"] == "Trần Thị Bình" and me["role"] == "agent" and me["email"] == "agent102@demo.local"
    )
    assert me["company"]["name"] == "Demo" and me["company"]["sip_domain"] == "demo.local"
    accounts = (await api.client.get("/me/accounts", headers=headers)).json()
    assert accounts == [
        {
            "device_id": accounts[0]["device_id"],
            "company_name": "Demo",
            "sip_domain": "demo.local",
            "extension": "102",
            "display_name": "Trần Thị Bình",
            "device_kind": "desktop",
            "sip_username": "102",
        }
    ]


async def test_activate_returns_the_contract_document_and_emails_credentials(api, demo) -> None:
    headers = demo.agent_headers["101"]
    device_id = await first_device(api, headers)
    r = await api.client.post(f"/me/accounts/{device_id}/activate", headers=headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    account = doc["account"]
    assert account["sip_username"] == "101" and account["sip_password"] == "demo101"
    assert account["extension"] == "101" and account["sip_domain"] == account["auth_realm"] == "demo.local"
    assert account["registrar"] == "sip:127.0.0.1:5060" and account["proxy"] == "sip:127.0.0.1:5060;lr"
    assert {t["type"] for t in account["transports"]} == {"udp", "tcp", "tls"}
    assert doc["codecs"][0] == "G722/16000"
    assert [(h["number"], h["carrier"], h["default"]) for h in doc["hotlines"]] == [
        ("02873001234", "viettel", True),
        ("02873005678", "mobifone", False),
    ]
    assert doc["adaptive_number"] is True
    assert doc["permissions"] == {"outbound": True, "monthly_minutes": None, "minutes_used": 0.0}
    assert doc["ring_method"] == "all" and doc["dnd"] is False and doc["echo_test"] == "*43"
    assert doc["auto_answer"] == {"enabled": False, "delay": 3}
    assert doc["directory_url"] == "/api/v1/directory"
    await api.ctx.background.drain()  # the e-mail goes out after the response
    to, subject, body = api.mail.sent[-1]
    assert to == "agent101@demo.local" and "101" in subject
    assert "demo101" in body and "demo.local" in body
    # The same document is there to refresh.
    again = (await api.client.get(f"/me/accounts/{device_id}/provisioning", headers=headers)).json()
    assert again == doc


async def test_settings_change_bumps_revision(api, demo) -> None:
    headers = demo.agent_headers["101"]
    device_id = await first_device(api, headers)
    before = (await api.client.get(f"/me/accounts/{device_id}/provisioning", headers=headers)).json()
    r = await api.client.patch(
        "/me/settings", json={"dnd": True, "auto_answer": True, "auto_answer_delay": 5}, headers=headers
    )
    assert r.status_code == 200
    assert r.json()["dnd"] is True and r.json()["auto_answer_delay"] == 5
    after = (await api.client.get(f"/me/accounts/{device_id}/provisioning", headers=headers)).json()
    assert after["revision"] > before["revision"]
    assert after["dnd"] is True and after["auto_answer"] == {"enabled": True, "delay": 5}


async def test_ring_method_mobile_needs_a_valid_mobile_number(api, demo) -> None:
    headers = demo.agent_headers["103"]
    r = await api.client.patch("/me/settings", json={"ring_method": "mobile"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["fields"] == {
        "mobile_number": "required for ring_method mobile"
    }
    r = await api.client.patch(
        "/me/settings", json={"ring_method": "mobile", "mobile_number": "0123"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
    assert "mobile_number" in r.json()["error"]["fields"]
    r = await api.client.patch(
        "/me/settings", json={"ring_method": "mobile", "mobile_number": "0961234567"}, headers=headers
    )
    assert r.status_code == 200
    assert r.json()["ring_method"] == "mobile" and r.json()["mobile_number"] == "84961234567"
    r = await api.client.patch("/me/settings", json={"ring_method": "carrier-pigeon"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


async def test_directory_lists_colleagues_of_my_company(api, demo) -> None:
    r = await api.client.get("/directory", headers=demo.agent_headers["101"])
    assert r.status_code == 200
    people = {p["full_name"]: p for p in r.json()}
    assert people["Lê Văn Cường"]["extensions"] == ["103"]
    assert people["Lê Văn Cường"]["sip_uri"] == "sip:103@demo.local"
    assert people["Lê Văn Cường"]["presence_uri"] == "sip:103@demo.local"
    assert len(people) == 4


async def test_activation_time_is_recorded_to_the_minute(api, demo) -> None:
    """Admins see when a device last activated; re-activations within a minute (app restarts, retries)
    do not rewrite it."""
    headers = demo.agent_headers["101"]
    me = (await api.client.get("/me", headers=headers)).json()
    device_id = await first_device(api, headers)

    async def activated_at() -> str:
        url = f"/admin/users/{me['id']}/devices"
        devices = (await api.client.get(url, headers=demo.admin_headers)).json()
        return next(d["activated_at"] for d in devices if d["id"] == device_id)

    assert (await api.client.post(f"/me/accounts/{device_id}/activate", headers=headers)).status_code == 200
    first = await activated_at()
    api.clock.advance(30)
    assert (await api.client.post(f"/me/accounts/{device_id}/activate", headers=headers)).status_code == 200
    assert await activated_at() == first
    api.clock.advance(31)
    assert (await api.client.post(f"/me/accounts/{device_id}/activate", headers=headers)).status_code == 200
    assert await activated_at() > first


async def test_cannot_activate_someone_elses_device(api, demo) -> None:
    other = await first_device(api, demo.agent_headers["102"])
    r = await api.client.post(f"/me/accounts/{other}/activate", headers=demo.agent_headers["101"])
    assert r.status_code == 404


async def test_disabled_device_is_not_activatable(api, demo) -> None:
    headers = demo.agent_headers["101"]
    device_id = await first_device(api, headers)
    r = await api.client.patch(
        f"/admin/devices/{device_id}", json={"enabled": False}, headers=demo.admin_headers
    )
    assert r.status_code == 200
    assert (await api.client.post(f"/me/accounts/{device_id}/activate", headers=headers)).status_code == 403


async def test_stored_ha1_matches_password(api, demo) -> None:
    r = await api.client.get("/admin/users", headers=demo.admin_headers)
    device = next(d for u in r.json() for d in u["devices"] if d["sip_username"] == "101")
    creds = (
        await api.client.get(
            f"/admin/devices/{device['id']}/credentials?form=ip_phone", headers=demo.admin_headers
        )
    ).json()["values"]
    assert creds["ha1_md5"] == hashlib.md5(b"101:demo.local:demo101").hexdigest()
