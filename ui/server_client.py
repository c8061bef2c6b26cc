"""The provisioning client as the session view-model uses it (softphone.provisioning underneath)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

API_PREFIX = "/api/v1"


def api_base(server_url: str) -> str:
    """``http://host:8080`` or ``http://host:8080/api/v1`` -> the API base URL."""
    url = server_url.strip().rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class ServerClient:
    def __init__(self, api: Any) -> None:
        self.api = api

    @property
    def logged_in(self) -> bool:
        return bool(self.api.logged_in)

    async def login(self, login: str, password: str) -> Any:
        return await self.api.login(login, password)

    async def request_otp(self, phone: str, purpose: str = "signup") -> int:
        return await self.api.request_otp(phone, purpose)

    async def verify_otp(self, phone: str, code: str, purpose: str = "signup") -> str:
        return await self.api.verify_otp(phone, code, purpose)

    async def signup(self, otp_token: str, password: str, full_name: str, **kw: Any) -> Any:
        return await self.api.signup(otp_token, password, full_name, **kw)

    async def me(self) -> Any:
        return await self.api.me()

    async def my_accounts(self) -> list[Any]:
        return await self.api.accounts()

    async def activate(self, device_id: int) -> Any:
        return await self.api.activate(device_id)

    async def provisioning(self, device_id: int) -> Any:
        return await self.api.provisioning(device_id)

    async def directory(self) -> list[Any]:
        return await self.api.directory()

    async def update_settings(self, **settings: Any) -> Any:
        return await self.api.update_settings(**settings)

    async def mobile_provisioning_qr(self) -> bytes:
        offer = await self.api.mobile_provisioning()
        async with httpx.AsyncClient(timeout=15) as http:
            response = await http.get(offer.qr_png_url)
            response.raise_for_status()
            return response.content

    async def logout(self) -> None:
        try:
            await self.api.logout()
        finally:
            self.api.forget_tokens()


def client_factory(token_store: Any) -> Callable[[str], ServerClient]:
    def make(server_url: str) -> ServerClient:
        from softphone.provisioning import ProvisioningClient

        return ServerClient(ProvisioningClient(api_base(server_url), token_store))

    return make
