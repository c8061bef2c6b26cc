"""Admin-side helpers of the desk-phone tests (through the JSON API, as the console would)."""

from __future__ import annotations

from typing import Any

import httpx
from desk_phone_sim import MODELS, DeskPhoneSim


def sim(client: httpx.AsyncClient, vendor: str, mac: str) -> DeskPhoneSim:
    return DeskPhoneSim(client, f"{str(client.base_url).rstrip('/')}/phones/", vendor, mac)


async def user_id_of(api: Any, headers: dict[str, str], extension: str) -> int:
    r = await api.client.get("/admin/users", headers=headers)
    assert r.status_code == 200, r.text
    return next(u["id"] for u in r.json() if extension in u["extensions"])


async def add_phone(api: Any, headers: dict[str, str], vendor: str, mac: str, **body: Any) -> dict[str, Any]:
    payload = {"mac": mac, "vendor": vendor, "model": MODELS[vendor], **body}
    if "user_id" not in payload:
        payload["user_id"] = await user_id_of(api, headers, "102")
    r = await api.client.post("/admin/desk-phones", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())
