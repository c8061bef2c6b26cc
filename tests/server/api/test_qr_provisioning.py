"""Mobile QR provisioning: one-time expiring token, Linphone XML, JSON, 400/404/410, PNG/SVG."""

from __future__ import annotations

import dataclasses
import hashlib
import xml.etree.ElementTree as ET

import httpx
import pytest

from server.api.app import create_app
from server.domain.context import context_from_settings
from server.settings import ServerSettings

pytestmark = pytest.mark.integration

NS = "{http://www.linphone.org/xsds/lpconfig.xsd}"
LINPHONE = {"X-Linphone-Provisioning": "1", "User-Agent": "LinphoneAndroid/5.2"}


async def grant(api, headers) -> dict:
    r = await api.client.post("/me/mobile-provisioning", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def path_of(url: str) -> str:
    return url.split("/api/v1", 1)[1]


def lpconfig(xml_text: str) -> dict[str, dict[str, str]]:
    root = ET.fromstring(xml_text)
    assert root.tag == f"{NS}config"
    return {
        s.get("name"): {e.get("name"): e.text or "" for e in s.findall(f"{NS}entry")}
        for s in root.findall(f"{NS}section")
    }


async def test_linphone_gets_xml_once(api, demo) -> None:
    g = await grant(api, demo.agent_headers["101"])
    assert g["url"] == f"http://127.0.0.1:8080/api/v1/provisioning/{g['token']}"
    assert g["qr_png_url"].endswith("/qr.png") and g["qr_svg_url"].endswith("/qr.svg")
    url = path_of(g["url"])
    # A link preview (no header, no JSON) is refused and does not burn the token.
    r = await api.client.get(url)
    assert r.status_code == 400 and r.json()["error"]["code"] == "provisioning_client_required"
    r = await api.client.get(url, headers=LINPHONE)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    sections = lpconfig(r.text)
    proxy, auth = sections["proxy_0"], sections["auth_info_0"]
    # The harness's PBX has a TLS port, so phones are pointed at it over TLS.
    assert proxy["reg_proxy"] == "<sip:127.0.0.1:5061;transport=tls>"
    assert proxy["reg_route"] == "<sip:127.0.0.1:5061;transport=tls;lr>"
    assert (
        proxy["reg_expires"] == "300" and proxy["reg_sendregister"] == "1" and proxy["realm"] == "demo.local"
    )
    username = auth["username"]
    assert proxy["reg_identity"] == f'"Nguyễn Văn An" <sip:{username}@demo.local>'
    assert username.startswith("u101-mobile")
    assert auth["realm"] == auth["domain"] == "demo.local" and auth["algorithm"] == "MD5"
    assert "passwd" not in auth and "password" not in auth
    assert auth["userid"] == username and len(auth["ha1"]) == 32
    # The HA1 really is md5(username:realm:password) of the device the JSON document describes.
    users = (await api.client.get("/admin/users", headers=demo.admin_headers)).json()
    device = next(d for u in users for d in u["devices"] if d["sip_username"] == username)
    web = (
        await api.client.get(
            f"/admin/devices/{device['id']}/credentials?form=web", headers=demo.admin_headers
        )
    ).json()
    password = web["values"]["sip_password"]
    assert auth["ha1"] == hashlib.md5(f"{username}:demo.local:{password}".encode()).hexdigest()
    # Used: 404.
    assert (await api.client.get(url, headers=LINPHONE)).status_code == 404


async def test_app_gets_json_document(api, demo) -> None:
    g = await grant(api, demo.agent_headers["102"])
    r = await api.client.get(path_of(g["url"]), headers={"Accept": "application/json"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["account"]["extension"] == "102" and doc["account"]["sip_username"].startswith("u102-mobile")
    assert (
        await api.client.get(path_of(g["url"]), headers={"Accept": "application/json"})
    ).status_code == 404


async def test_expired_token_is_410(api, demo) -> None:
    g = await grant(api, demo.agent_headers["101"])
    api.clock.advance(601)
    r = await api.client.get(path_of(g["url"]), headers=LINPHONE)
    assert r.status_code == 410 and r.json()["error"]["code"] == "provisioning_token_expired"


async def test_unknown_token_is_404(api) -> None:
    assert (await api.client.get("/provisioning/nope", headers=LINPHONE)).status_code == 404


async def test_second_grant_reuses_the_mobile_device(api, demo) -> None:
    a = await grant(api, demo.agent_headers["103"])
    b = await grant(api, demo.agent_headers["103"])
    assert a["token"] != b["token"]
    accounts = (await api.client.get("/me/accounts", headers=demo.agent_headers["103"])).json()
    assert sorted(x["device_kind"] for x in accounts) == ["desktop", "mobile"]


async def test_qr_images(api, demo) -> None:
    g = await grant(api, demo.agent_headers["101"])
    png = await api.client.get(path_of(g["qr_png_url"]))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = await api.client.get(path_of(g["qr_svg_url"]))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    # Rendering the QR does not burn the token.
    assert (await api.client.get(path_of(g["url"]), headers=LINPHONE)).status_code == 200
    assert (await api.client.get("/provisioning/unknown/qr.png")).status_code == 404


async def test_admin_creates_grant_for_agent(api, demo) -> None:
    users = (await api.client.get("/admin/users", headers=demo.admin_headers)).json()
    agent = next(u for u in users if u["phone"] == "84901000102")
    r = await api.client.post(f"/admin/users/{agent['id']}/mobile-provisioning", headers=demo.admin_headers)
    assert r.status_code == 201
    r = await api.client.get(path_of(r.json()["url"]), headers=LINPHONE)
    assert r.status_code == 200 and "u102-mobile" in r.text


async def test_explicit_lpconfig_url_for_linphone_without_the_header(api, demo) -> None:
    g = await grant(api, demo.agent_headers["101"])
    r = await api.client.get(path_of(g["url"]) + "/lpconfig.xml")
    assert r.status_code == 200 and "auth_info_0" in r.text
    assert (await api.client.get(path_of(g["url"]) + "/lpconfig.xml")).status_code == 404
    assert (await api.client.get(path_of(g["url"]), headers=LINPHONE)).status_code == 404
    g = await grant(api, demo.agent_headers["101"])
    api.clock.advance(601)
    assert (await api.client.get(path_of(g["url"]) + "/lpconfig.xml")).status_code == 410


async def test_simultaneous_fetches_burn_the_token_once(api, demo) -> None:
    import asyncio

    g = await grant(api, demo.agent_headers["101"])
    results = await asyncio.gather(*(api.client.get(path_of(g["url"]), headers=LINPHONE) for _ in range(6)))
    assert sorted(r.status_code for r in results) == [200, 404, 404, 404, 404, 404]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"sip_tls_port": None}, "<sip:127.0.0.1:5060;transport=udp>"),
        ({"sip_tls_port": None, "mobile_transport": "tcp"}, "<sip:127.0.0.1:5060;transport=tcp>"),
        ({"sip_tls_port": 5071}, "<sip:127.0.0.1:5071;transport=tls>"),
        ({"sip_tls_port": 5071, "mobile_transport": "udp"}, "<sip:127.0.0.1:5060;transport=udp>"),
        (
            {"sip_tls_port": 5071, "sip_public_host": "pbx.example.com"},
            "<sip:pbx.example.com:5071;transport=tls>",
        ),
    ],
)
async def test_linphone_xml_follows_the_configured_transport(api, demo, overrides, expected) -> None:
    """Settings -> context -> XML over HTTP: TLS when a TLS port exists, UDP otherwise, TCP when asked."""
    settings = ServerSettings(**{**api.settings.model_dump(), **overrides})
    app = create_app(settings, ctx=dataclasses.replace(api.ctx, pbx=context_from_settings(settings).pbx))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
            r = await client.post("/me/mobile-provisioning", headers=demo.agent_headers["103"])
            assert r.status_code == 201, r.text
            r = await client.get(path_of(r.json()["url"]), headers=LINPHONE)
    finally:
        await app.state.engine.dispose()
    assert r.status_code == 200, r.text
    sections = lpconfig(r.text)
    proxy, auth = sections["proxy_0"], sections["auth_info_0"]
    assert proxy["reg_proxy"] == expected
    assert proxy["reg_route"] == expected[:-1] + ";lr>"
    assert auth["algorithm"] == "MD5" and len(auth["ha1"]) == 32 and "passwd" not in auth


def test_tls_transport_needs_a_tls_port() -> None:
    with pytest.raises(ValueError, match="sip_tls_port"):
        ServerSettings(demo=True, mobile_transport="tls", sip_tls_port=None)
