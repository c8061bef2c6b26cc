"""sipp against the PBX on loopback: register with digest, call with 407, busy, cancel."""

from __future__ import annotations

import asyncio
import time

import pytest
from sipp_runner import SIPP, auth_field, free_udp_port, run_sipp

from server.sip.aio.service import SipService, start_sip_service
from server.sip.directory import Disposition
from server.sip.memory_directory import InMemoryDirectory

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(SIPP is None, reason="sipp not installed"),
]

DOMAIN = "demo.local"


@pytest.fixture
async def pbx() -> tuple[SipService, InMemoryDirectory]:
    d = InMemoryDirectory()
    for ext in ("101", "102"):
        d.add_user(int(ext), ext)
        d.add_device(int(ext), ext, f"demo{ext}")
    # Default settings: sipp 3.6 (which answers MD5 only) gets an MD5-only challenge by its User-Agent.
    service = await start_sip_service(directory=d, journal_sink=d.commit, udp_port=0, tcp_port=None)
    yield service, d
    await service.stop()


def target(service: SipService) -> tuple[str, int]:
    return ("127.0.0.1", service.ports["udp"])


def caller_row(callee: str = "102") -> list[str]:
    return ["101", auth_field("101", "demo101"), DOMAIN, callee]


async def register_uas(service: SipService, port: int) -> None:
    r = await run_sipp(
        target(service),
        "register_contact.xml",
        local_port=free_udp_port(),
        rows=[["102", auth_field("102", "demo102"), DOMAIN, str(port)]],
    )
    assert r.returncode == 0, r.errors


async def wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_register_with_digest(pbx: tuple[SipService, InMemoryDirectory]) -> None:
    service, d = pbx
    r = await run_sipp(
        target(service),
        "register_auth.xml",
        local_port=free_udp_port(),
        rows=[["101", auth_field("101", "demo101"), DOMAIN]],
    )
    assert r.returncode == 0, r.errors
    assert await service.journal.flush()  # the bindings reach the store with the next group commit
    assert [b.username for b in d.bindings.values()] == ["101"]


async def test_wrong_password_fails(pbx: tuple[SipService, InMemoryDirectory]) -> None:
    service, d = pbx
    r = await run_sipp(
        target(service),
        "register_auth.xml",
        local_port=free_udp_port(),
        rows=[["101", auth_field("101", "nope"), DOMAIN]],
        timeout=4,
    )
    assert r.returncode != 0
    assert await service.journal.flush()
    assert not d.bindings


async def _call(service: SipService, uas: str, uac: str) -> tuple[int, int, str]:
    uas_port = free_udp_port()
    await register_uas(service, uas_port)
    uas_task = asyncio.ensure_future(run_sipp(target(service), uas, local_port=uas_port, timeout=15))
    await asyncio.sleep(0.3)  # let the UAS bind its port
    uac_result = await run_sipp(
        target(service), uac, local_port=free_udp_port(), rows=[caller_row()], timeout=10
    )
    uas_result = await uas_task
    report = uac_result.errors + uas_result.errors + uac_result.output[-3000:]
    return uac_result.returncode, uas_result.returncode, report


async def test_call_with_proxy_auth(pbx: tuple[SipService, InMemoryDirectory]) -> None:
    service, d = pbx
    uac_rc, uas_rc, errors = await _call(service, "uas_answer.xml", "uac_call.xml")
    assert (uac_rc, uas_rc) == (0, 0), errors
    await wait_for(lambda: any(c.disposition is Disposition.COMPLETED for c in d.calls.values()))


async def test_busy(pbx: tuple[SipService, InMemoryDirectory]) -> None:
    service, d = pbx
    uac_rc, uas_rc, errors = await _call(service, "uas_busy.xml", "uac_busy.xml")
    assert (uac_rc, uas_rc) == (0, 0), errors
    await wait_for(lambda: any(c.disposition is Disposition.BUSY for c in d.calls.values()))


async def test_cancel(pbx: tuple[SipService, InMemoryDirectory]) -> None:
    service, d = pbx
    uac_rc, uas_rc, errors = await _call(service, "uas_ring.xml", "uac_cancel.xml")
    assert (uac_rc, uas_rc) == (0, 0), errors
    await wait_for(lambda: any(c.disposition is Disposition.CANCELLED for c in d.calls.values()))


async def test_restart_keeps_bindings(pbx: tuple[SipService, InMemoryDirectory]) -> None:
    """Stop the PBX after the callee registered, start a new one on the same port: the call still works."""
    service, d = pbx
    port = service.ports["udp"]
    uas_port = free_udp_port()
    await register_uas(service, uas_port)
    await service.stop()
    restarted = await start_sip_service(
        directory=d, state=d.state(), journal_sink=d.commit, udp_port=port, tcp_port=None
    )
    try:
        uas_task = asyncio.ensure_future(run_sipp(target(restarted), "uas_answer.xml", local_port=uas_port))
        await asyncio.sleep(0.3)
        uac = await run_sipp(
            target(restarted), "uac_call.xml", local_port=free_udp_port(), rows=[caller_row()]
        )
        uas = await uas_task
        assert (uac.returncode, uas.returncode) == (0, 0), uac.errors + uas.errors
    finally:
        await restarted.stop()
