"""/admin/desk-phones: what admins may enter, clear errors for what they may not, and tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from desk_phone_api import add_phone, user_id_of
from desk_phone_sim import user_agent

pytestmark = pytest.mark.integration


async def test_vendor_catalog(api, demo) -> None:
    r = await api.client.get("/admin/desk-phones/vendors", headers=demo.admin_headers)
    assert r.status_code == 200
    vendors = {v["name"]: v for v in r.json()}
    assert list(vendors) == ["yealink", "grandstream", "poly", "snom", "cisco"]
    assert {"name": "T54W", "lines": 16, "keys": 27} in vendors["yealink"]["models"]
    assert vendors["poly"]["pairing_file_example"] == "001565000103-phone.cfg"


async def test_the_demo_has_its_yealink(api, demo) -> None:
    phones = (await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json()
    assert len(phones) == 1
    phone = phones[0]
    assert (phone["mac"], phone["vendor"], phone["model"]) == ("00:15:65:00:01:03", "yealink", "T54W")
    assert phone["lines"][0]["extension"] == "103" and phone["lines"][0]["sip_username"] == "u103-ipphone"
    assert [k["extension"] for k in phone["blf_keys"]] == ["101", "102"]
    assert phone["pairing_until"] is not None and phone["pairing_file"] == "001565000103.cfg"
    assert "admin_password" not in phone and "token" not in str(phone).replace("has_token", "").replace(
        "token_created_at", ""
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"mac": "not-a-mac"}, 422, "invalid_mac"),
        ({"mac": "01:00:5e:00:00:01"}, 422, "invalid_mac"),  # multicast
        ({"mac": "00:15:65:00:01:03"}, 409, "duplicate_mac"),  # the demo's
        ({"vendor": "aastra"}, 422, "validation_error"),
        ({"model": "T99X"}, 422, "unknown_model"),
        ({"blf_keys": [{"extension": "999"}]}, 422, "unknown_extension"),
        ({"blf_keys": [{"extension": "101"}, {"extension": "101"}]}, 422, "duplicate_blf_key"),
        ({"overrides": {"bad key!": "1"}}, 422, "invalid_override"),
        (
            {"overrides": {"features.dnd.enable": "1\nstatic.security.user_password = admin:x"}},
            422,
            "invalid_override",
        ),
        ({"transport": "tls", "model": "T33G", "line_user_ids": [1, 1, 1, 1]}, 422, "too_many_lines"),
        ({"pairing_minutes": 0}, 422, "validation_error"),
        ({"user_id": 999999}, 404, "not_found"),
    ],
)
async def test_bad_input_gets_a_clear_error_and_changes_nothing(
    api, demo, body: dict[str, Any], status: int, code: str
) -> None:
    user = await user_id_of(api, demo.admin_headers, "102")
    payload = {"mac": "00:0b:82:00:30:01", "vendor": "yealink", "model": "T54W", "user_id": user, **body}
    r = await api.client.post("/admin/desk-phones", json=payload, headers=demo.admin_headers)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert len((await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json()) == 1
    devices = (await api.client.get(f"/admin/users/{user}/devices", headers=demo.admin_headers)).json()
    assert [d["kind"] for d in devices] == ["desktop"]  # no device left behind


async def test_too_many_blf_keys_for_the_model(api, demo) -> None:
    r = await api.client.post(
        "/admin/desk-phones",
        json={
            "mac": "00:0b:82:00:30:02",
            "vendor": "cisco",
            "model": "CP-6841-3PCC",  # 4 line keys: 1 line + 3 BLF
            "user_id": await user_id_of(api, demo.admin_headers, "102"),
            "blf_keys": [{"extension": e} for e in ("101", "103", "101")],
        },
        headers=demo.admin_headers,
    )
    assert r.status_code == 422  # duplicate or too many: either way refused
    keys = [{"extension": "101"}, {"extension": "103"}]
    phone = await add_phone(
        api, demo.admin_headers, "cisco", "00:0b:82:00:30:02", model="CP-6841-3PCC", blf_keys=keys
    )
    colleague = await user_id_of(api, demo.admin_headers, "101")
    for extra, code in ((4, "too_many_lines"), (3, "too_many_blf_keys")):  # 4 lines leave no key for BLF
        r = await api.client.patch(
            f"/admin/desk-phones/{phone['id']}",
            json={"line_user_ids": [colleague] * extra},
            headers=demo.admin_headers,
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    r = await api.client.patch(
        f"/admin/desk-phones/{phone['id']}",
        json={"line_user_ids": [colleague] * 3, "blf_keys": []},
        headers=demo.admin_headers,
    )
    assert r.status_code == 200 and len(r.json()["lines"]) == 4


async def test_tls_needs_the_pbx_tls_port(api, demo) -> None:
    phone = await add_phone(api, demo.admin_headers, "snom", "00:0b:82:00:30:03", transport="tls")
    assert phone["transport"] == "tls"  # the test settings have sip_tls_port 5061


async def test_delete_removes_the_phone_and_its_devices(api, demo) -> None:
    admin = demo.admin_headers
    line2 = await user_id_of(api, admin, "101")
    phone = await add_phone(api, admin, "poly", "00:0b:82:00:30:04", line_user_ids=[line2])
    assert [ln["extension"] for ln in phone["lines"]] == ["102", "101"]
    r = await api.client.delete(f"/admin/desk-phones/{phone['id']}", headers=admin)
    assert r.status_code == 204
    for line in phone["lines"]:
        assert (await api.client.get(f"/admin/devices/{line['device_id']}", headers=admin)).status_code == 404
    assert (await api.client.get(f"/admin/desk-phones/{phone['id']}", headers=admin)).status_code == 404


async def test_pairing_window_open_and_close(api, demo) -> None:
    admin = demo.admin_headers
    phone = (await api.client.get("/admin/desk-phones", headers=admin)).json()[0]
    r = await api.client.delete(f"/admin/desk-phones/{phone['id']}/pairing", headers=admin)
    assert r.status_code == 200 and r.json()["pairing_until"] is None
    r = await api.client.post(f"/admin/desk-phones/{phone['id']}/pairing", headers=admin)
    assert r.status_code == 200 and r.json()["pairing_until"] == "2026-11-22T08:30:00"


async def test_agents_cannot_and_other_companies_see_nothing(api, demo, login, phone_client) -> None:
    phone = (await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json()[0]
    r = await api.client.get("/admin/desk-phones", headers=demo.agent_headers["101"])
    assert r.status_code == 403
    from server.domain.companies import create_company

    async with api.sessionmaker() as session:
        await create_company(
            session,
            ctx=api.ctx,
            name="Other",
            sip_domain="other.local",
            admin_full_name="Other Admin",
            admin_phone="0909999999",
            admin_password="other12345",
        )
    other = await login(api.client, "0909999999", "other12345")
    assert (await api.client.get("/admin/desk-phones", headers=other)).json() == []
    for method, path in [
        ("GET", f"/admin/desk-phones/{phone['id']}"),
        ("GET", f"/admin/desk-phones/{phone['id']}/secrets"),
        ("POST", f"/admin/desk-phones/{phone['id']}/token"),
        ("POST", f"/admin/desk-phones/{phone['id']}/pairing"),
        ("DELETE", f"/admin/desk-phones/{phone['id']}"),
    ]:
        r = await api.client.request(method, path, headers=other)
        assert r.status_code == 404, (method, path)
    # the same MAC may exist in another company; while both windows are open neither pairs
    own_user = (await api.client.get("/admin/users", headers=other)).json()[0]["id"]
    r = await api.client.post(
        "/admin/desk-phones",
        json={"mac": "00:15:65:00:01:03", "vendor": "yealink", "model": "T54W", "user_id": own_user},
        headers=other,
    )
    assert r.status_code == 201
    async with phone_client() as client:
        ua = {"User-Agent": user_agent("yealink", "001565000103")}
        assert (await client.get("/phones/001565000103.cfg", headers=ua)).status_code == 404
    for headers in (demo.admin_headers, other):
        audit = (await api.client.get("/admin/audit", headers=headers)).json()
        assert any(
            e["action"] == "pairing_refused" and e["detail"]["reason"] == "mac_in_several_companies"
            for e in audit
        )


async def test_apps_never_get_a_desk_phones_line(api, demo) -> None:
    """The line's password stays with the phone: ext 103's apps neither list, activate nor QR it."""
    phone = (await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json()[0]
    device_id = phone["lines"][0]["device_id"]
    agent = demo.agent_headers["103"]
    accounts = (await api.client.get("/me/accounts", headers=agent)).json()
    assert device_id not in [a["device_id"] for a in accounts] and accounts
    assert (await api.client.post(f"/me/accounts/{device_id}/activate", headers=agent)).status_code == 404
    assert (await api.client.get(f"/me/accounts/{device_id}/provisioning", headers=agent)).status_code == 404
    r = await api.client.post("/me/mobile-provisioning", json={"device_id": device_id}, headers=agent)
    assert r.status_code == 404
