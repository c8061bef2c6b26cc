"""Pairing by MAC and token URLs through the real app (in process, fake clock), one flow per vendor, and
every way a by-MAC request must come back 404 (or be refused)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from desk_phone_api import add_phone, sim, user_id_of
from desk_phone_sim import DeskPhoneSim, user_agent
from vendor_formats import Blf, admin_password, blf_keys, lines, secrets_in

pytestmark = pytest.mark.integration

VENDORS = ["yealink", "grandstream", "poly", "snom", "cisco"]
DEMO_MAC = "001565000103"
MACS = {v: f"00:0b:82:00:10:0{i}" for i, v in enumerate(VENDORS, start=1)}


def plain(mac: str) -> str:
    return mac.replace(":", "")


async def audit_entries(api: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await api.client.get("/admin/audit", headers=headers, params={"limit": 200})
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["entity"] == "desk_phone"]


async def secrets_of(api: Any, headers: dict[str, str], phone_id: int) -> dict[str, Any]:
    r = await api.client.get(f"/admin/desk-phones/{phone_id}/secrets", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.parametrize("vendor", VENDORS)
async def test_pairing_then_token_files_carry_the_phones_own_lines(
    api, demo, phone_client, vendor: str
) -> None:
    admin = demo.admin_headers
    phone = await add_phone(
        api, admin, vendor, MACS[vendor], blf_keys=[{"extension": "101"}, {"extension": "103"}]
    )
    assert phone["pairing_until"] is not None and not phone["has_token"]
    mac = plain(MACS[vendor])
    assert phone["pairing_file"] in {
        f"{mac}.cfg",
        f"cfg{mac}.xml",
        f"{mac}-phone.cfg",
        f"{mac.upper()}.xml",
        f"{mac}.xml",
    }

    async with phone_client() as client:
        boot = await sim(client, vendor, mac).boot()
    assert boot.paired, [e.wire() for e in boot.exchanges]
    assert secrets_in(boot.bootstrap or {}) == {}
    assert boot.token_url is not None and boot.token_url.startswith("http://pbx.example.vn/phones/")

    creds = await secrets_of(api, admin, phone["id"])
    line = lines(vendor, boot.settings)
    assert [(ln.username, ln.auth_user, ln.password) for ln in line] == [
        (c["sip_username"], c["sip_username"], c["sip_password"]) for c in creds["lines"]
    ]
    assert line[0].domain == "demo.local" and (line[0].proxy_host, line[0].proxy_port) == ("127.0.0.1", 5060)
    assert line[0].transport == "udp" and line[0].display_name == "Trần Thị Bình"
    assert creds["lines"][0]["sip_username"].startswith("u102-ipphone")  # its own device, not the softphone's
    assert admin_password(vendor, boot.settings) == creds["admin_password"]
    assert blf_keys(vendor, boot.settings) == [Blf("101", "Nguyễn Văn An"), Blf("103", "Lê Văn Cường")]

    r = await api.client.get(f"/admin/desk-phones/{phone['id']}", headers=admin)
    view = r.json()
    assert view["pairing_until"] is None and view["has_token"] and view["paired_at"]
    assert view["last_fetch_address"] == "127.0.0.1" and view["last_user_agent"] == user_agent(vendor, mac)

    entries = await audit_entries(api, admin)
    actions = [e["action"] for e in entries if e["entity_id"] == phone["id"]]
    assert "pair" in actions and "fetch" in actions and "create" in actions and "view_secrets" in actions
    dumped = json.dumps(entries)
    for secret in [creds["admin_password"], *(c["sip_password"] for c in creds["lines"])]:
        assert secret not in dumped
    assert boot.token_url.split("/phones/")[1].strip("/") not in dumped


@pytest.mark.parametrize("vendor", VENDORS)
async def test_second_by_mac_fetch_is_404_but_the_token_url_keeps_working(
    api, demo, phone_client, vendor
) -> None:
    await add_phone(api, demo.admin_headers, vendor, MACS[vendor])
    async with phone_client() as client:
        phone = sim(client, vendor, plain(MACS[vendor]))
        first = await phone.boot()
        again = await phone.boot()
        assert first.paired and not again.paired
        assert all(e.status == 404 for e in again.exchanges if "000000000000" not in e.url)
        await phone.refetch(first)  # its periodic check from the token URL
        assert lines(vendor, first.settings)


async def test_demo_yealink_answers_once_from_a_yealink_user_agent(api, demo, phone_client) -> None:
    ua = {"User-Agent": user_agent("yealink", DEMO_MAC)}
    async with phone_client() as client:
        assert (
            await client.get(f"/phones/{DEMO_MAC}.cfg", headers={"User-Agent": "curl/8.5.0"})
        ).status_code == 404
        first = await client.get(f"/phones/{DEMO_MAC}.cfg", headers=ua)
        second = await client.get(f"/phones/{DEMO_MAC}.cfg", headers=ua)
    assert first.status_code == 200 and "static.auto_provision.server.url" in first.text
    assert "password" not in first.text
    assert second.status_code == 404 and second.text == "Not Found\n"


async def test_unknown_mac_and_a_closed_window_look_the_same(api, demo, phone_client, login) -> None:
    ua = {"User-Agent": user_agent("yealink", "001565999999")}
    async with phone_client() as client:
        unknown = await client.get("/phones/001565999999.cfg", headers=ua)
        api.clock.advance(31 * 60)  # the demo phone's 30-minute window is over
        closed = await client.get(
            f"/phones/{DEMO_MAC}.cfg", headers={"User-Agent": user_agent("yealink", DEMO_MAC)}
        )
        assert (
            (unknown.status_code, unknown.text) == (closed.status_code, closed.text) == (404, "Not Found\n")
        )
        assert unknown.headers["content-type"] == closed.headers["content-type"]

        admin = await login(api.client, demo.creds.admin_phone, demo.creds.admin_password)  # 15-min tokens
        phones = (await api.client.get("/admin/desk-phones", headers=admin)).json()
        demo_phone = next(p for p in phones if p["mac"] == "00:15:65:00:01:03")
        assert demo_phone["pairing_until"] is None and not demo_phone["has_token"]
        r = await api.client.post(
            f"/admin/desk-phones/{demo_phone['id']}/pairing", json={"minutes": 5}, headers=admin
        )
        assert r.status_code == 200 and r.json()["pairing_until"] is not None
        reopened = await client.get(
            f"/phones/{DEMO_MAC}.cfg", headers={"User-Agent": user_agent("yealink", DEMO_MAC)}
        )
        assert reopened.status_code == 200


async def test_wrong_user_agent_is_refused_and_audited_the_window_stays_open(api, demo, phone_client) -> None:
    url = f"/phones/{DEMO_MAC}.cfg"
    refused = [
        {"User-Agent": user_agent("grandstream", DEMO_MAC)},  # not the phone's vendor
        {"User-Agent": user_agent("poly", DEMO_MAC)},  # Poly asks for <mac>.cfg too: quiet, never pairs
        {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
        {"User-Agent": user_agent("yealink", "001565000104")},  # a Yealink, but another MAC
        {},
    ]
    async with phone_client() as client:
        for headers in refused:
            r = await client.get(url, headers=headers)
            assert r.status_code == 404, headers
        ok = await client.get(url, headers={"User-Agent": user_agent("yealink", DEMO_MAC)})
    assert ok.status_code == 200
    reasons = [
        e["detail"]["reason"]
        for e in await audit_entries(api, demo.admin_headers)
        if e["action"] == "pairing_refused"
    ]
    assert sorted(reasons) == sorted(
        [
            "user_agent_not_the_phones_vendor",
            "user_agent_not_the_phones_vendor",
            "user_agent_mac_differs",
            "user_agent_not_the_phones_vendor",
        ]
    )


async def test_mac_guessing_gets_the_address_banned(api, demo, phone_client) -> None:
    guesses = api.settings.phones_max_guesses
    async with phone_client(host="198.51.100.7", https=True) as guesser, phone_client() as office:
        # the office's phone pairs first, so its token URL is known
        office_phone = sim(office, "yealink", DEMO_MAC)
        paired = await office_phone.boot()
        assert paired.paired
        for i in range(guesses):
            mac = f"001565{i:06x}"
            r = await guesser.get(f"/phones/{mac}.cfg", headers={"User-Agent": user_agent("yealink", mac)})
            assert r.status_code == 404
        banned = await guesser.get(
            f"/phones/{DEMO_MAC}.cfg", headers={"User-Agent": user_agent("yealink", DEMO_MAC)}
        )
        assert (
            banned.status_code == 429
            and int(banned.headers["retry-after"]) == api.settings.phones_ban_seconds
        )
        assert (await office.get(f"/phones/{DEMO_MAC}.cfg")).status_code == 404  # others are not banned
        # a token is no guess: a phone behind the banned address keeps getting its files
        assert paired.token_url is not None
        r = await guesser.get(paired.token_url.replace("http://", "https://") + f"{DEMO_MAC}.cfg")
        assert r.status_code == 200
        api.clock.advance(api.settings.phones_ban_seconds + 1)
        r = await guesser.get(
            f"/phones/{DEMO_MAC}.cfg", headers={"User-Agent": user_agent("yealink", DEMO_MAC)}
        )
        assert r.status_code == 404  # unbanned; the window has been used


async def test_token_guessing_counts_too(api, demo, phone_client) -> None:
    async with phone_client(host="198.51.100.8", https=True) as guesser:
        for i in range(api.settings.phones_max_guesses):
            r = await guesser.get(f"/phones/{'A' * 30}{i:013d}/{DEMO_MAC}.cfg")
            assert r.status_code == 404
        r = await guesser.get(
            f"/phones/{DEMO_MAC}.cfg", headers={"User-Agent": user_agent("yealink", DEMO_MAC)}
        )
        assert r.status_code == 429


async def test_token_rotation_kills_the_old_url(api, demo, phone_client) -> None:
    async with phone_client() as client:
        boot = await sim(client, "yealink", DEMO_MAC).boot()
        assert boot.token_url is not None
        phone_id = (await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json()[0]["id"]
        r = await api.client.post(f"/admin/desk-phones/{phone_id}/token", headers=demo.admin_headers)
        assert r.status_code == 200, r.text
        new_url = r.json()["token_url"]
        assert new_url.startswith("http://127.0.0.1:8080/phones/") and new_url != boot.token_url
        old = await client.get(boot.token_url + f"{DEMO_MAC}.cfg")
        new = await client.get(new_url + f"{DEMO_MAC}.cfg")
    assert old.status_code == 404
    assert new.status_code == 200 and f"static.auto_provision.server.url = {new_url}" in new.text
    assert any(e["action"] == "rotate_token" for e in await audit_entries(api, demo.admin_headers))


async def test_the_token_dies_with_the_device(api, demo, phone_client) -> None:
    async with phone_client() as client:
        boot = await sim(client, "yealink", DEMO_MAC).boot()
        assert boot.token_url is not None
        phone = (await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json()[0]
        device_id = phone["lines"][0]["device_id"]
        r = await api.client.delete(f"/admin/devices/{device_id}", headers=demo.admin_headers)
        assert r.status_code == 204
        assert (await client.get(boot.token_url + f"{DEMO_MAC}.cfg")).status_code == 404
    assert (await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json() == []


async def test_a_disabled_line_1_serves_nothing(api, demo, phone_client) -> None:
    async with phone_client() as client:
        boot = await sim(client, "yealink", DEMO_MAC).boot()
        assert boot.token_url is not None
        phone = (await api.client.get("/admin/desk-phones", headers=demo.admin_headers)).json()[0]
        device_id = phone["lines"][0]["device_id"]
        await api.client.patch(
            f"/admin/devices/{device_id}", json={"enabled": False}, headers=demo.admin_headers
        )
        assert (await client.get(boot.token_url + f"{DEMO_MAC}.cfg")).status_code == 404
        await api.client.patch(
            f"/admin/devices/{device_id}", json={"enabled": True}, headers=demo.admin_headers
        )
        assert (await client.get(boot.token_url + f"{DEMO_MAC}.cfg")).status_code == 200


async def test_plain_http_only_from_configured_networks(api, demo, phone_client) -> None:
    ua = {"User-Agent": user_agent("yealink", DEMO_MAC)}
    async with phone_client(host="203.0.113.9") as outside_http:
        r = await outside_http.get(f"/phones/{DEMO_MAC}.cfg", headers=ua)
        assert r.status_code == 403 and "HTTPS" in r.text
    async with phone_client(host="203.0.113.9", https=True) as outside_https:
        boot = await sim(outside_https, "yealink", DEMO_MAC).boot()
        assert (
            boot.paired
            and boot.token_url is not None
            and boot.token_url.startswith("https://pbx.example.vn/")
        )
    async with phone_client(host="203.0.113.9") as outside_http:
        r = await outside_http.get(boot.token_url.replace("https://", "http://") + f"{DEMO_MAC}.cfg")
        assert r.status_code == 403
    async with phone_client(host="192.168.1.20") as office_http:
        r = await office_http.get(boot.token_url.replace("https://", "http://") + f"{DEMO_MAC}.cfg")
        assert r.status_code == 200


async def test_simultaneous_pairing_requests_pair_once(api, demo, phone_client) -> None:
    ua = {"User-Agent": user_agent("yealink", DEMO_MAC)}
    async with phone_client() as client:
        answers = await asyncio.gather(*(client.get(f"/phones/{DEMO_MAC}.cfg", headers=ua) for _ in range(5)))
    assert sorted(r.status_code for r in answers) == [200, 404, 404, 404, 404]


async def test_overrides_extra_lines_and_blf_keys_land_in_the_right_files(api, demo, phone_client) -> None:
    admin = demo.admin_headers
    phone = await add_phone(
        api,
        admin,
        "yealink",
        "00:0b:82:00:20:01",
        line_user_ids=[await user_id_of(api, admin, "101")],
        blf_keys=[{"extension": "103", "label": "Cường (kho)"}],
        overrides={"features.dnd.enable": "1", "account.1.label": "Quầy 1"},
    )
    async with phone_client() as client:
        phone_sim = sim(client, "yealink", "000b82002001")
        boot = await phone_sim.boot()
    by_file = {
        e.url.rsplit("/", 1)[1]: e.body for e in boot.exchanges if e.status == 200 and "/phones/" in e.url
    }
    common, own = by_file["y000000000096.cfg"], by_file["000b82002001.cfg"]
    assert "features.dnd.enable" not in common and "account." not in common
    assert "features.dnd.enable = 1" in own and "account.1.label = Quầy 1" in own
    assert [(ln.position, ln.display_name) for ln in lines("yealink", boot.settings)] == [
        (1, "Trần Thị Bình"),
        (2, "Nguyễn Văn An"),
    ]
    assert blf_keys("yealink", boot.settings) == [Blf("103", "Cường (kho)")]
    assert boot.settings["linekey.3.type"] == "16"  # after the two line keys

    # a change is served at the phone's next check
    r = await api.client.patch(
        f"/admin/desk-phones/{phone['id']}",
        json={"blf_keys": [{"extension": "101"}], "overrides": {}, "line_user_ids": []},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    async with phone_client() as client:
        await DeskPhoneSim(client, "http://pbx.example.vn/phones/", "yealink", "000b82002001").refetch(boot)
    assert blf_keys("yealink", boot.settings) == [Blf("101", "Nguyễn Văn An")]
    assert len(lines("yealink", boot.settings)) == 1 and "features.dnd.enable" not in boot.settings
