"""Bulk creation of users: every row checked first (all errors at once, nothing half-created), then one
transaction; rows without a password cost no hashing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.domain import models as m

pytestmark = pytest.mark.integration


def row(i: int, **extra: object) -> dict[str, object]:
    return {
        "full_name": f"Nhân viên {i}",
        "phone": f"0912{i:06d}",
        "extensions": [str(2000 + i)],
        "devices": [{"kind": "ip_phone", "sip_username": str(2000 + i), "sip_password": f"pw{2000 + i}x"}],
        **extra,
    }


async def count_users(api) -> int:
    async with api.sessionmaker() as s:
        return int(await s.scalar(select(func.count(m.User.id))))


async def test_a_thousand_agents_in_one_request(api, demo) -> None:
    before = await count_users(api)
    r = await api.client.post(
        "/admin/users/bulk", json={"rows": [row(i) for i in range(1000)]}, headers=demo.admin_headers
    )
    assert r.status_code == 201, r.text[:2000]
    body = r.json()
    assert body["created"] == 1000 and await count_users(api) == before + 1000
    first = body["users"][0]
    assert first["extensions"] == ["2000"] and first["devices"][0]["sip_username"] == "2000"
    assert first["devices"][0]["kind"] == "ip_phone"
    async with api.sessionmaker() as s:
        audit = await s.scalar(select(func.count(m.AuditEntry.id)).where(m.AuditEntry.action == "create"))
    assert audit >= 1000


async def test_every_bad_row_is_reported_and_nothing_is_created(api, demo) -> None:
    before = await count_users(api)
    rows = [
        row(1),
        row(2, phone="12345"),  # not a Vietnamese mobile number
        row(3, extensions=["101"]),  # a demo agent's extension
        row(4, phone="0912000001"),  # the same phone as row 0 (0912000001)
        row(5, extensions=["7"]),  # too short
        row(6, ring_method="mobile"),  # no mobile number
        row(7, password="short"),
    ]
    r = await api.client.post("/admin/users/bulk", json={"rows": rows}, headers=demo.admin_headers)
    assert r.status_code == 422, r.text
    errors = {e["row"]: e for e in r.json()["error"]["rows"]}
    assert sorted(errors) == [0, 1, 2, 3, 4, 5, 6]
    assert errors[1]["fields"] == {"phone": "expected 0912345678, +84912345678 or 84912345678"}
    assert errors[2]["fields"] == {"extensions": "101 taken"}
    assert errors[0]["fields"]["phone"] == errors[3]["fields"]["phone"] == "twice in the import"
    assert "extension" in errors[4]["fields"] and "mobile_number" in errors[5]["fields"]
    assert errors[6]["fields"] == {"password": "at least 8 characters"}
    assert await count_users(api) == before


async def test_dry_run_validates_only(api, demo) -> None:
    before = await count_users(api)
    r = await api.client.post(
        "/admin/users/bulk", json={"rows": [row(1)], "dry_run": True}, headers=demo.admin_headers
    )
    assert r.status_code == 201 and r.json()["created"] == 0
    assert await count_users(api) == before


async def test_login_with_the_given_password_and_none_without_one(api, demo) -> None:
    r = await api.client.post(
        "/admin/users/bulk",
        json={"rows": [row(1, password="matkhau123"), row(2)]},
        headers=demo.admin_headers,
    )
    assert r.status_code == 201, r.text
    ok = await api.client.post("/auth/login", json={"login": "0912000001", "password": "matkhau123"})
    assert ok.status_code == 200
    for attempt in ("", "!unset", "matkhau123"):
        refused = await api.client.post(
            "/auth/login", json={"login": "0912000002", "password": attempt or "x"}
        )
        assert refused.status_code in (401, 422), refused.text


async def test_agents_cannot_bulk_create(api, demo) -> None:
    r = await api.client.post("/admin/users/bulk", json={"rows": [row(1)]}, headers=demo.agent_headers["101"])
    assert r.status_code == 403
