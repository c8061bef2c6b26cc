"""The real server with `--https-port`, loopback left out of `phones_plain_http_networks`: a phone pairs and
gets its files over HTTPS only, and its token URL is an HTTPS one."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest
from desk_phone_sim import Boot, DeskPhoneSim, user_agent
from vendor_formats import lines

from softphone.testing import free_port, wait_http_ok

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAC = "001565000103"  # the demo's Yealink


def test_outside_the_plain_http_networks_phones_get_their_files_over_https_only(
    tmp_path: Path, start_demo_server
) -> None:
    https_port = free_port()
    server = start_demo_server(
        False,
        extra=["--https-port", str(https_port)],
        settings_env={"SOFTPHONE_SERVER_PHONES_PLAIN_HTTP_NETWORKS": '["10.0.0.0/8"]'},
    )
    try:
        wait_http_ok(f"{server.base_url}/api/v1/health", process=server.process, timeout=60)
    except (RuntimeError, TimeoutError) as exc:
        raise AssertionError(f"{exc}\n{server.text()}") from exc
    ua = {"User-Agent": user_agent("yealink", MAC)}
    plain = httpx.get(f"{server.base_url}/phones/{MAC}.cfg", headers=ua, timeout=15)
    assert plain.status_code == 403 and "HTTPS" in plain.text

    trust = ssl.create_default_context(cafile=str(tmp_path / "data" / "tls" / "sip-cert.pem"))

    async def boot() -> Boot:
        async with httpx.AsyncClient(verify=trust, timeout=15) as client:
            return await DeskPhoneSim(
                client, f"https://127.0.0.1:{https_port}/phones/", "yealink", MAC
            ).boot()

    paired = asyncio.run(boot())
    assert paired.token_url is not None
    assert paired.token_url.startswith(f"https://127.0.0.1:{https_port}/phones/")
    assert lines("yealink", paired.settings)[0].username == "u103-ipphone"
    over_http = paired.token_url.replace(f"https://127.0.0.1:{https_port}", server.base_url)
    assert httpx.get(over_http + f"{MAC}.cfg", headers=ua, timeout=15).status_code == 403
