"""Sign-up by OTP, login, lockout, refresh/logout and password reset through the HTTP API."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.integration

NEW_PHONE = "0912345678"


def last_code(api) -> str:
    _phone, text = api.sms.sent[-1]
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


async def otp_token(api, phone: str = NEW_PHONE, purpose: str = "signup") -> str:
    r = await api.client.post("/auth/otp", json={"phone": phone, "purpose": purpose})
    assert r.status_code == 202, r.text
    r = await api.client.post(
        "/auth/otp/verify", json={"phone": phone, "code": last_code(api), "purpose": purpose}
    )
    assert r.status_code == 200, r.text
    return r.json()["otp_token"]


async def test_signup_creates_company_with_admin_who_can_activate(api) -> None:
    r = await api.client.post("/auth/otp", json={"phone": "+84912345678", "purpose": "signup"})
    assert r.status_code == 202
    assert r.json()["expires_in"] == 300
    assert api.sms.sent[-1][0] == "84912345678"
    r = await api.client.post(
        "/auth/otp/verify", json={"phone": NEW_PHONE, "code": last_code(api), "purpose": "signup"}
    )
    token = r.json()["otp_token"]
    r = await api.client.post(
        "/auth/signup",
        json={
            "otp_token": token,
            "password": "s3cret-pass",
            "full_name": "Võ Thị Mai",
            "company_name": "Công ty ABC",
        },
    )
    assert r.status_code == 201, r.text
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = (await api.client.get("/me", headers=headers)).json()
    assert me["phone"] == "84912345678" and me["role"] == "admin"
    assert me["company"]["sip_domain"] == "cong-ty-abc.local"
    accounts = (await api.client.get("/me/accounts", headers=headers)).json()
    assert accounts[0]["extension"] == "101" and accounts[0]["device_kind"] == "desktop"
    # The same verification cannot be used twice.
    r = await api.client.post(
        "/auth/signup",
        json={"otp_token": token, "password": "s3cret-pass", "full_name": "X", "company_name": "Y"},
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_otp_token"


async def test_signup_by_invite_joins_company_as_agent_with_next_extension(api, demo) -> None:
    invite = (await api.client.get("/admin/invite", headers=demo.admin_headers)).json()["invite_code"]
    token = await otp_token(api)
    r = await api.client.post(
        "/auth/signup",
        json={"otp_token": token, "password": "s3cret-pass", "full_name": "Đỗ Minh", "invite_code": invite},
    )
    assert r.status_code == 201, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = (await api.client.get("/me", headers=headers)).json()
    assert me["role"] == "agent" and me["company"]["sip_domain"] == "demo.local"
    assert (await api.client.get("/me/accounts", headers=headers)).json()[0]["extension"] == "104"


async def test_bad_phone_is_a_field_error(api) -> None:
    r = await api.client.post("/auth/otp", json={"phone": "12345", "purpose": "signup"})
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "invalid_phone" and "phone" in body["fields"]


async def test_otp_is_rate_limited_per_phone(api) -> None:
    assert (
        await api.client.post("/auth/otp", json={"phone": NEW_PHONE, "purpose": "signup"})
    ).status_code == 202
    r = await api.client.post("/auth/otp", json={"phone": NEW_PHONE, "purpose": "signup"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "otp_rate_limited"
    for _ in range(4):
        api.clock.advance(31)
        assert (
            await api.client.post("/auth/otp", json={"phone": NEW_PHONE, "purpose": "signup"})
        ).status_code == 202
    api.clock.advance(31)
    assert (
        await api.client.post("/auth/otp", json={"phone": NEW_PHONE, "purpose": "signup"})
    ).status_code == 429
    api.clock.advance(3600)
    assert (
        await api.client.post("/auth/otp", json={"phone": NEW_PHONE, "purpose": "signup"})
    ).status_code == 202


async def test_otp_wrong_guesses_are_capped(api) -> None:
    await api.client.post("/auth/otp", json={"phone": NEW_PHONE, "purpose": "signup"})
    code = last_code(api)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(1, 5):
        r = await api.client.post(
            "/auth/otp/verify", json={"phone": NEW_PHONE, "code": wrong, "purpose": "signup"}
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "otp_invalid", attempt
    r = await api.client.post(
        "/auth/otp/verify", json={"phone": NEW_PHONE, "code": wrong, "purpose": "signup"}
    )
    assert r.status_code == 429 and r.json()["error"]["code"] == "otp_attempts_exceeded"
    # Even the right code no longer works for this OTP.
    r = await api.client.post(
        "/auth/otp/verify", json={"phone": NEW_PHONE, "code": code, "purpose": "signup"}
    )
    assert r.status_code == 429


async def test_otp_expires(api) -> None:
    await api.client.post("/auth/otp", json={"phone": NEW_PHONE, "purpose": "signup"})
    api.clock.advance(301)
    r = await api.client.post(
        "/auth/otp/verify", json={"phone": NEW_PHONE, "code": last_code(api), "purpose": "signup"}
    )
    assert r.status_code == 410 and r.json()["error"]["code"] == "otp_expired"


async def test_otp_token_expires(api) -> None:
    token = await otp_token(api)
    api.clock.advance(601)
    r = await api.client.post(
        "/auth/signup",
        json={"otp_token": token, "password": "s3cret-pass", "full_name": "A", "company_name": "B"},
    )
    assert r.status_code == 401


async def test_signup_otp_for_registered_phone_is_refused(api, demo) -> None:
    r = await api.client.post("/auth/otp", json={"phone": "0901000101", "purpose": "signup"})
    assert r.status_code == 409 and r.json()["error"]["fields"] == {"phone": "taken"}


@pytest.mark.parametrize(
    "login", ["84901000101", "0901000101", "+84901000101", "agent101@demo.local", "AGENT101@demo.local"]
)
async def test_login_by_phone_or_email(api, demo, login: str) -> None:
    r = await api.client.post("/auth/login", json={"login": login, "password": "agent101"})
    assert r.status_code == 200, r.text


async def test_wrong_password_and_unknown_login_look_the_same(api, demo) -> None:
    a = await api.client.post("/auth/login", json={"login": "84901000101", "password": "nope-nope"})
    b = await api.client.post("/auth/login", json={"login": "84999999999", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


async def test_lockout_after_repeated_failures(api, demo) -> None:
    for _ in range(4):
        r = await api.client.post("/auth/login", json={"login": "84901000102", "password": "wrong-pass"})
        assert r.status_code == 401
    r = await api.client.post("/auth/login", json={"login": "84901000102", "password": "wrong-pass"})
    assert r.status_code == 423 and r.json()["error"]["code"] == "account_locked"
    # Locked: even the right password is refused until the lockout ends.
    r = await api.client.post("/auth/login", json={"login": "84901000102", "password": "agent102"})
    assert r.status_code == 423
    api.clock.advance(901)
    r = await api.client.post("/auth/login", json={"login": "84901000102", "password": "agent102"})
    assert r.status_code == 200


async def test_admin_unlocks_a_locked_user(api, demo) -> None:
    for _ in range(5):
        await api.client.post("/auth/login", json={"login": "84901000103", "password": "wrong-pass"})
    users = (await api.client.get("/admin/users", headers=demo.admin_headers)).json()
    user = next(u for u in users if u["phone"] == "84901000103")
    assert user["locked"] is True
    r = await api.client.patch(
        f"/admin/users/{user['id']}", json={"locked": False}, headers=demo.admin_headers
    )
    assert r.status_code == 200 and r.json()["locked"] is False
    assert (
        await api.client.post("/auth/login", json={"login": "84901000103", "password": "agent103"})
    ).status_code == 200


async def test_refresh_rotates_and_logout_revokes(api, demo) -> None:
    tokens = (
        await api.client.post("/auth/login", json={"login": "84901000101", "password": "agent101"})
    ).json()
    r = await api.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    new = r.json()
    assert (
        await api.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401
    assert (
        await api.client.post("/auth/logout", json={"refresh_token": new["refresh_token"]})
    ).status_code == 204
    assert (
        await api.client.post("/auth/refresh", json={"refresh_token": new["refresh_token"]})
    ).status_code == 401


async def test_access_token_expires_and_forged_tokens_fail(api, demo) -> None:
    headers = demo.agent_headers["101"]
    assert (await api.client.get("/me", headers=headers)).status_code == 200
    api.clock.advance(901)
    r = await api.client.get("/me", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    token = headers["Authorization"].split()[1]
    payload, mac = token.split(".")
    forged = {"Authorization": f"Bearer {payload}x.{mac}"}
    assert (await api.client.get("/me", headers=forged)).status_code == 401
    assert (await api.client.get("/me")).status_code == 401


async def test_password_reset_by_otp(api, demo) -> None:
    token = await otp_token(api, "0901000101", "reset")
    r = await api.client.post("/auth/password-reset", json={"otp_token": token, "password": "brand-new-pass"})
    assert r.status_code == 204
    assert (
        await api.client.post("/auth/login", json={"login": "84901000101", "password": "agent101"})
    ).status_code == 401
    r = await api.client.post("/auth/login", json={"login": "84901000101", "password": "brand-new-pass"})
    assert r.status_code == 200


async def test_reset_for_unknown_phone_sends_nothing_but_answers_the_same(api) -> None:
    r = await api.client.post("/auth/otp", json={"phone": "0987654321", "purpose": "reset"})
    assert r.status_code == 202
    assert not api.sms.sent


async def test_parallel_wrong_logins_all_count(api, demo) -> None:
    import asyncio

    results = await asyncio.gather(
        *(
            api.client.post("/auth/login", json={"login": "84901000103", "password": "wrong-pass"})
            for _ in range(8)
        )
    )
    assert 423 in [r.status_code for r in results]
    r = await api.client.post("/auth/login", json={"login": "84901000103", "password": "agent103"})
    assert r.status_code == 423


async def test_racing_refreshes_with_one_token_yield_one_pair(api, demo) -> None:
    import asyncio

    tokens = (
        await api.client.post("/auth/login", json={"login": "84901000101", "password": "agent101"})
    ).json()
    results = await asyncio.gather(
        *(api.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}) for _ in range(5))
    )
    assert sorted(r.status_code for r in results) == [200, 401, 401, 401, 401]
