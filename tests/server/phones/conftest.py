"""Fixtures for desk-phone tests: clients of the in-process app from any address, and admin helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

PhoneClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def phone_client(api: Any) -> PhoneClient:
    """`async with phone_client(host="203.0.113.9", https=True) as client:` a client of the app as seen from
    `host`, over HTTPS or plain HTTP; the server's Host is pbx.example.vn."""

    @asynccontextmanager
    async def client(host: str = "127.0.0.1", https: bool = False) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=api.app, client=(host, 40123))
        base = f"{'https' if https else 'http'}://pbx.example.vn"
        async with httpx.AsyncClient(transport=transport, base_url=base) as c:
            yield c

    return client
