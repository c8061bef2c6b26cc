"""ProvisioningClient against a small in-test FastAPI server (httpx ASGI transport) and document parsing."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from softphone.provisioning import ApiError, ProvisioningClient, ProvisioningDocument, ProvisioningFormatError
from softphone.testing import MemoryTokens  # the keyring-backed store is tested in test_secrets.py

BASE = "http://testserver/api/v1"

DOCUMENT: dict[str, Any] = {
    "revision": 3,
    "account": {
        "display_name": "Nguyễn Văn An",
        "extension": "101",
        "sip_domain": "demo.local",
        "sip_username": "u101-desktop",
        "sip_password": "s3cret",
        "auth_realm": "demo.local",
        "registrar": "sip:127.0.0.1:5060",
        "proxy": "sip:127.0.0.1:5060;lr",
        "transports": [
            {"type": "udp", "port": 5060},
            {"type": "tcp", "port": 5060},
            {"type": "tls", "port": 5061},
        ],
        "srtp": "optional",
        "register_expires": 300,
    },
    "codecs": ["G722/16000", "PCMU/8000", "PCMA/8000"],
    "hotlines": [
        {"number": "02873001234", "carrier": "viettel", "label": "Tổng đài", "default": True},
        {"number": "02873005678", "carrier": "mobifone", "label": "CSKH", "default": False},
    ],
    "adaptive_number": True,
    "permissions": {"outbound": True, "monthly_minutes": None, "minutes_used": 0},
    "ring_method": "all",
    "mobile_number": None,
    "auto_answer": {"enabled": False, "delay": 3},
    "dnd": False,
    "echo_test": "*43",
    "directory_url": "/api/v1/directory",
}


def error(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "fields": fields or {}}}, status)


@dataclass
class FakeServer:
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    refresh_calls: int = 0
    otp_calls: int = 0
    settings: dict[str, Any] = field(
        default_factory=lambda: {
            "dnd": False,
            "auto_answer": False,
            "auto_answer_delay": 3,
            "ring_method": "all",
            "mobile_number": None,
            "revision": 1,
        }
    )
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def issue(self) -> dict[str, Any]:
        n = next(self.counter)
        self.access.add(f"a{n}")
        self.refresh.add(f"r{n}")
        return {"access_token": f"a{n}", "refresh_token": f"r{n}", "token_type": "bearer", "expires_in": 900}

    def app(self) -> FastAPI:
        app = FastAPI()
        state = self

        def authorized(authorization: str | None) -> bool:
            return authorization is not None and authorization.removeprefix("Bearer ") in state.access

        @app.post("/api/v1/auth/otp")
        async def otp(body: dict[str, Any]) -> Response:
            state.otp_calls += 1
            if body.get("phone") == "123":
                return error(
                    422, "invalid_phone", "not a Vietnamese mobile number", {"phone": "expected 09…"}
                )
            if state.otp_calls > 2:
                return error(429, "rate_limited", "too many codes")
            return JSONResponse({"expires_in": 300}, 202)

        @app.post("/api/v1/auth/otp/verify")
        async def verify(body: dict[str, Any]) -> Response:
            if body["code"] != "123456":
                return error(400, "invalid_otp", "wrong code", {"code": "wrong"})
            return JSONResponse({"otp_token": f"otp-{body['phone']}-{body['purpose']}"})

        @app.post("/api/v1/auth/signup")
        async def signup(body: dict[str, Any]) -> Response:
            assert body["otp_token"].startswith("otp-") and "email" not in body
            return JSONResponse(state.issue(), 201)

        @app.post("/api/v1/auth/login")
        async def login(body: dict[str, Any]) -> Response:
            if body["password"] != "pw":
                return error(401, "invalid_credentials", "wrong phone/e-mail or password")
            return JSONResponse(state.issue())

        @app.post("/api/v1/auth/refresh")
        async def refresh(body: dict[str, Any]) -> Response:
            state.refresh_calls += 1
            await asyncio.sleep(0.01)  # let concurrent callers pile up behind the refresh
            if body["refresh_token"] not in state.refresh:
                return error(401, "invalid_token", "refresh token revoked")
            state.refresh.discard(body["refresh_token"])
            return JSONResponse(state.issue())

        @app.post("/api/v1/auth/logout")
        async def logout(body: dict[str, Any]) -> Response:
            state.refresh.discard(body["refresh_token"])
            return Response(status_code=204)

        @app.post("/api/v1/auth/password-reset")
        async def reset(body: dict[str, Any]) -> Response:
            return Response(status_code=204)

        @app.get("/api/v1/me")
        async def me(authorization: str | None = Header(None)) -> Response:
            if not authorized(authorization):
                return error(401, "invalid_token", "expired")
            return JSONResponse(
                {
                    "id": 7,
                    "full_name": "Nguyễn Văn An",
                    "phone": "84912345678",
                    "email": None,
                    "role": "agent",
                    "company": {"id": 1, "name": "Demo", "sip_domain": "demo.local"},
                }
            )

        @app.get("/api/v1/me/accounts")
        async def accounts(authorization: str | None = Header(None)) -> Response:
            if not authorized(authorization):
                return error(401, "invalid_token", "expired")
            return JSONResponse(
                [
                    {
                        "device_id": 5,
                        "company_name": "Demo",
                        "sip_domain": "demo.local",
                        "extension": "101",
                        "display_name": "Nguyễn Văn An",
                        "device_kind": "desktop",
                        "sip_username": "u101-desktop",
                    }
                ]
            )

        @app.post("/api/v1/me/accounts/{device_id}/activate")
        @app.get("/api/v1/me/accounts/{device_id}/provisioning")
        async def document(device_id: int, authorization: str | None = Header(None)) -> Response:
            if not authorized(authorization):
                return error(401, "invalid_token", "expired")
            if device_id != 5:
                return error(404, "not_found", "no such device")
            return JSONResponse(DOCUMENT)

        @app.get("/api/v1/me/settings")
        @app.patch("/api/v1/me/settings")
        async def settings(request: Request, authorization: str | None = Header(None)) -> Response:
            if not authorized(authorization):
                return error(401, "invalid_token", "expired")
            if request.method == "PATCH":
                changes = await request.json()
                state.settings.update(changes)
                state.settings["revision"] += 1
            return JSONResponse(state.settings)

        @app.get("/api/v1/directory")
        async def directory(authorization: str | None = Header(None)) -> Response:
            if not authorized(authorization):
                return error(401, "invalid_token", "expired")
            return JSONResponse(
                [
                    {
                        "user_id": 8,
                        "full_name": "Trần Thị Bình",
                        "extensions": ["102"],
                        "sip_uri": "sip:102@demo.local",
                        "presence_uri": "sip:102@demo.local",
                    }
                ]
            )

        @app.post("/api/v1/me/mobile-provisioning")
        async def mobile(authorization: str | None = Header(None)) -> Response:
            if not authorized(authorization):
                return error(401, "invalid_token", "expired")
            return JSONResponse(
                {
                    "token": "tok",
                    "url": f"{BASE}/provisioning/tok",
                    "expires_at": "2026-11-22T09:00:00",
                    "qr_png_url": f"{BASE}/provisioning/tok/qr.png",
                    "qr_svg_url": f"{BASE}/provisioning/tok/qr.svg",
                },
                201,
            )

        @app.get("/api/v1/provisioning/{token}")
        async def redeem(token: str, accept: str = Header("")) -> Response:
            if "application/json" not in accept:
                return error(400, "unsupported_client", "ask for JSON")
            if token == "used":
                return error(404, "not_found", "used")
            if token == "old":
                return error(410, "expired", "expired")
            return JSONResponse(DOCUMENT)

        @app.get("/api/v1/always-401")
        async def always_401() -> Response:
            return error(401, "invalid_token", "never")

        @app.get("/api/v1/broken")
        async def broken(authorization: str | None = Header(None)) -> Response:
            return PlainTextResponse("upstream exploded", 502)

        return app


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
async def client(server: FakeServer) -> AsyncIterator[ProvisioningClient]:
    transport = httpx.ASGITransport(app=server.app())
    async with ProvisioningClient(BASE, MemoryTokens(), transport=transport) as c:
        yield c


pytestmark = pytest.mark.unit


async def test_signup_flow_stores_tokens(client: ProvisioningClient, server: FakeServer) -> None:
    assert await client.request_otp("0912345678") == 300
    otp_token = await client.verify_otp("0912345678", "123456")
    assert otp_token == "otp-0912345678-signup"
    tokens = await client.signup(otp_token, "pw", "Nguyễn Văn An")
    assert client.access_token == tokens.access_token and client.refresh_token == tokens.refresh_token
    assert client.logged_in
    await client.reset_password("otp", "new-pw")


async def test_errors_carry_code_message_and_fields(client: ProvisioningClient) -> None:
    with pytest.raises(ApiError) as bad_phone:
        await client.request_otp("123")
    assert (bad_phone.value.status, bad_phone.value.code) == (422, "invalid_phone")
    assert bad_phone.value.fields == {"phone": "expected 09…"}
    with pytest.raises(ApiError) as wrong_code:
        await client.verify_otp("0912345678", "000000")
    assert wrong_code.value.code == "invalid_otp"
    await client.request_otp("0912345678")
    with pytest.raises(ApiError) as limited:
        await client.request_otp("0912345678")
    assert limited.value.status == 429
    with pytest.raises(ApiError) as wrong_pw:
        await client.login("0912345678", "nope")
    assert wrong_pw.value.code == "invalid_credentials" and not client.logged_in


async def test_calls_before_login_are_refused_locally(client: ProvisioningClient) -> None:
    with pytest.raises(ApiError) as exc:
        await client.me()
    assert exc.value.code == "not_logged_in"


async def test_me_accounts_activation_settings_directory(client: ProvisioningClient) -> None:
    await client.login("0912345678", "pw")
    me = await client.me()
    assert me.full_name == "Nguyễn Văn An" and me.company.sip_domain == "demo.local"
    (account,) = await client.accounts()
    assert account.device_id == 5 and account.extension == "101"
    doc = await client.activate(account.device_id)
    assert doc.account.sip_username == "u101-desktop" and doc.revision == 3
    assert (await client.provisioning(5)) == doc
    with pytest.raises(ApiError) as missing:
        await client.provisioning(6)
    assert missing.value.status == 404
    settings = await client.update_settings(dnd=True, ring_method="app")
    assert settings.dnd and settings.ring_method == "app" and settings.revision == 2
    assert (await client.settings()) == settings
    (colleague,) = await client.directory()
    assert colleague.extensions == ("102",) and colleague.sip_uri == "sip:102@demo.local"
    grant = await client.mobile_provisioning()
    assert grant.url.endswith("/provisioning/tok")
    assert (await client.provisioning_by_token("tok")) == doc
    for token, status in (("used", 404), ("old", 410)):
        with pytest.raises(ApiError) as gone:
            await client.provisioning_by_token(token)
        assert gone.value.status == status


async def test_expired_access_token_is_refreshed_once_and_retried(
    client: ProvisioningClient, server: FakeServer
) -> None:
    await client.login("0912345678", "pw")
    old_access, old_refresh = client.access_token, client.refresh_token
    server.access.clear()  # every access token expires at once
    me = await client.me()
    assert me.id == 7
    assert server.refresh_calls == 1
    assert client.access_token not in (None, old_access) and client.refresh_token != old_refresh

    server.access.clear()
    results = await asyncio.gather(*(client.me() for _ in range(5)), client.accounts())
    assert len(results) == 6
    assert server.refresh_calls == 2  # one shared refresh for all concurrent callers


async def test_a_refused_refresh_ends_the_session(client: ProvisioningClient, server: FakeServer) -> None:
    await client.login("0912345678", "pw")
    server.access.clear()
    server.refresh.clear()
    with pytest.raises(ApiError) as exc:
        await client.me()
    assert (exc.value.status, exc.value.code) == (401, "session_expired")
    assert client.access_token is None and client.refresh_token is None and not client.logged_in


async def test_retry_happens_once_only(client: ProvisioningClient, server: FakeServer) -> None:
    await client.login("0912345678", "pw")
    with pytest.raises(ApiError) as exc:
        await client.request("GET", "/always-401")
    assert exc.value.status == 401
    assert server.refresh_calls == 1


async def test_non_json_and_network_errors(client: ProvisioningClient, server: FakeServer) -> None:
    await client.login("0912345678", "pw")
    with pytest.raises(ApiError) as exc:
        await client.request("GET", "/broken")
    assert (exc.value.status, exc.value.code) == (502, "http_502")
    async with ProvisioningClient("http://127.0.0.1:9/api/v1", MemoryTokens(), timeout=2) as offline:
        with pytest.raises(ApiError) as down:
            await offline.login("0912345678", "pw")
    assert (down.value.status, down.value.code) == (0, "unreachable")


async def test_logout_forgets_tokens(client: ProvisioningClient, server: FakeServer) -> None:
    await client.login("0912345678", "pw")
    refresh = client.refresh_token
    await client.logout()
    assert not client.logged_in and refresh not in server.refresh


# ------------------------------------------------------------------------------------------ the document


def test_document_parses_and_maps_to_account_config() -> None:
    doc = ProvisioningDocument.from_json(DOCUMENT)
    assert doc.account.transports[2].type == "tls" and doc.account.transports[2].port == 5061
    assert doc.default_hotline is not None and doc.default_hotline.number == "02873001234"
    assert doc.permissions.minutes_used == 0.0 and doc.permissions.monthly_minutes is None
    cfg = doc.to_account_config()
    assert cfg.account_id == "u101-desktop@demo.local"
    assert (cfg.sip_username, cfg.sip_password, cfg.sip_domain) == ("u101-desktop", "s3cret", "demo.local")
    assert (cfg.registrar, cfg.proxy, cfg.transport) == ("127.0.0.1:5060", "127.0.0.1:5060", "udp")
    assert cfg.srtp == "optional" and cfg.register_expires == 300 and cfg.extension == "101"
    assert cfg.display_name == "Nguyễn Văn An"
    tls = doc.to_account_config("acc-1", transport="tls")
    assert (tls.account_id, tls.registrar, tls.proxy, tls.transport) == (
        "acc-1",
        "127.0.0.1:5061",
        "127.0.0.1:5061",
        "tls",
    )
    assert doc.to_account_config(prefer=("tcp", "udp")).transport == "tcp"
    mandatory = copy.deepcopy(DOCUMENT)
    mandatory["account"]["srtp"] = "mandatory"
    assert ProvisioningDocument.from_json(mandatory).to_account_config().transport == "tls"
    only_udp = copy.deepcopy(DOCUMENT)
    only_udp["account"]["transports"] = [{"type": "udp", "port": 5070}]
    with pytest.raises(ValueError):
        ProvisioningDocument.from_json(only_udp).to_account_config(transport="tls")


def test_document_tolerates_unknown_fields() -> None:
    newer = copy.deepcopy(DOCUMENT)
    newer["video"] = {"enabled": True}
    newer["account"]["stun"] = "stun.example.vn"
    assert ProvisioningDocument.from_json(newer) == ProvisioningDocument.from_json(DOCUMENT)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("revision"), r"document\.revision: missing"),
        (lambda d: d.update(revision="3"), r"document\.revision: expected int"),
        (lambda d: d.update(dnd=1), r"document\.dnd: expected bool"),
        (lambda d: d.update(revision=True), r"document\.revision: expected int"),
        (lambda d: d.update(ring_method="pager"), r"document\.ring_method: 'pager' is not one of"),
        (lambda d: d["account"].pop("sip_password"), r"document\.account\.sip_password: missing"),
        (lambda d: d["account"].update(srtp="maybe"), r"document\.account\.srtp"),
        (lambda d: d["account"]["transports"][1].update(type="sctp"), r"transports\[1\]\.type"),
        (lambda d: d["account"]["transports"][0].update(port="5060"), r"transports\[0\]\.port: expected int"),
        (lambda d: d["hotlines"][0].pop("default"), r"hotlines\[0\]\.default: missing"),
        (lambda d: d.update(codecs=["G722/16000", 7]), r"codecs\[1\]"),
        (lambda d: d.update(account=[]), r"document\.account: expected dict"),
        (lambda d: d["auto_answer"].update(delay=None), r"auto_answer\.delay: expected int"),
    ],
)
def test_document_is_parsed_strictly(mutate: Any, message: str) -> None:
    broken = copy.deepcopy(DOCUMENT)
    mutate(broken)
    with pytest.raises(ProvisioningFormatError, match=message):
        ProvisioningDocument.from_json(broken)
