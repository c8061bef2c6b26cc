"""The echo test `*43` through the PBX to the real media service, and a media crash mid-call."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pbx_thread import PbxThread

from server.media.supervisor import MediaSupervisor
from server.sip.address import Address
from server.sip.memory_directory import InMemoryDirectory
from softphone.testing import CliPeer, free_port, tone_levels

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOMAIN = "demo.local"


@pytest.fixture
def pbx_with_media() -> Iterator[tuple[PbxThread, MediaSupervisor]]:
    d = InMemoryDirectory()
    for ext in ("101", "102", "103"):
        d.add_user(int(ext), ext)
        d.add_device(int(ext), ext, f"demo{ext}")
    pbx = PbxThread(d)
    supervisor = MediaSupervisor(backoff_initial=0.2)
    try:
        host, port = pbx.call(supervisor.start(), timeout=30)
        pbx.call(supervisor.wait_ready(30), timeout=35)
        pbx.run(lambda: setattr(pbx.service.proxy, "media_address", Address("udp", host, port)))
        yield pbx, supervisor
    finally:
        pbx.call(supervisor.stop(), timeout=20)
        pbx.stop()


def peer(pbx: PbxThread, user: str, *extra: str) -> CliPeer:
    p = CliPeer(
        [
            "--account",
            f"{user}:demo{user}@{DOMAIN}",
            "--registrar",
            f"127.0.0.1:{pbx.port}",
            "--proxy",
            f"127.0.0.1:{pbx.port}",
            "--listen-port",
            str(free_port()),
            *extra,
        ],
        name=user,
    )
    p.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 20)
    return p


def test_echo_test_through_the_pbx_returns_callers_tone(
    pbx_with_media: tuple[PbxThread, MediaSupervisor], tmp_path: Path
) -> None:
    pbx, _ = pbx_with_media
    heard = tmp_path / "heard.wav"
    a = peer(pbx, "101", "--tone", "700", "--record-heard", str(heard))
    try:
        call = a.command("make_call", account_id="main", target="*43")
        a.wait_state("confirmed", call, timeout=15)
        time.sleep(2.5)
        a.command("hangup", call_id=call)
        a.wait_state("disconnected", call)
    finally:
        a.quit(15)
        a.kill()
    levels = tone_levels(heard, [700, 1000], skip_s=0.8, max_s=1.5)
    assert levels[700] > 0.3, levels  # our own tone came back
    pbx.committed()
    assert any(r.direction == "feature" for r in pbx.directory.calls.values())


def test_media_crash_leaves_other_calls_up(pbx_with_media: tuple[PbxThread, MediaSupervisor]) -> None:
    pbx, supervisor = pbx_with_media
    a, b, c = peer(pbx, "101"), peer(pbx, "102"), peer(pbx, "103")
    try:
        call = a.command("make_call", account_id="main", target="102")
        cb = b.wait_for(lambda e: e["event"] == "IncomingCall", 15)["call_id"]
        b.command("answer", call_id=cb)
        a.wait_state("confirmed", call)
        echo = c.command("make_call", account_id="main", target="*43")
        c.wait_state("confirmed", echo, timeout=15)
        old_pid = supervisor.pid
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while supervisor.pid in (None, old_pid):
            assert time.monotonic() < deadline, "media service not restarted"
            time.sleep(0.1)
        pbx.call(supervisor.wait_ready(20), timeout=25)
        # the agents' call is untouched; registrations too
        assert a.find(lambda e: e["event"] == "CallStateChanged" and e["state"] == "disconnected") is None
        pbx.committed()
        assert len(pbx.run(lambda: list(pbx.directory.bindings))) == 3
        # and the echo test works again after the restart
        c.command("hangup", call_id=echo)
        again = c.command("make_call", account_id="main", target="*43")
        c.wait_state("confirmed", again, timeout=15)
        c.command("hangup", call_id=again)
        a.command("hangup", call_id=call)
        b.wait_state("disconnected", cb)
    finally:
        for p in (a, b, c):
            p.quit(15)
            p.kill()
