"""The PBX with real pjsua2 endpoints (softphone-cli subprocesses) on loopback:
forking to two devices, DND, MESSAGE online/offline, presence NOTIFY, blind transfer, outbound trunk."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pbx_thread import PbxThread

from server.sip.directory import DeviceKind, Disposition, Hotline, Trunk
from server.sip.memory_directory import InMemoryDirectory
from server.sip.proxy import ProxySettings
from softphone.testing import CliPeer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOMAIN = "demo.local"


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[PbxThread]:
    d = InMemoryDirectory()
    for ext in ("101", "102", "103"):
        d.add_user(int(ext), ext, default_hotline="02873000001")
        d.add_device(int(ext), ext, f"demo{ext}")
    d.add_device(102, "102b", "demo102b", device_kind=DeviceKind.IP_PHONE)
    # a short housekeeping period: DND changes made in the directory reach watchers within a second
    p = PbxThread(d, tls_dir=str(tmp_path / "tls"), settings=ProxySettings(housekeeping_interval=1.0))
    yield p
    p.stop()


@pytest.fixture
def peers() -> Iterator[Callable[..., CliPeer]]:
    started: list[CliPeer] = []

    def start(pbx: PbxThread, user: str, *extra: str, transport: str = "udp") -> CliPeer:
        port = pbx.service.ports[transport]
        peer = CliPeer(
            [
                "--account",
                f"{user}:demo{user}@{DOMAIN}",
                "--registrar",
                f"127.0.0.1:{port}",
                "--proxy",
                f"127.0.0.1:{port}",
                "--listen-port",
                str(free_port()),
                "--transport",
                transport,
                *extra,
            ],
            name=user,
        )
        started.append(peer)
        peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 20)
        return peer

    yield start
    for p in started:
        p.quit(10)
        p.kill()


def wait_until(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.05)


def incoming(peer: CliPeer, start: int = 0) -> str:
    return peer.wait_for(lambda e: e["event"] == "IncomingCall", 15, start)["call_id"]


def test_fork_to_two_devices_answer_on_one(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    a, b1, b2 = peers(pbx, "101"), peers(pbx, "102"), peers(pbx, "102b")
    call = a.command("make_call", account_id="main", target="102")
    c1, c2 = incoming(b1), incoming(b2)
    b2.command("answer", call_id=c2)
    a.wait_state("confirmed", call)
    b2.wait_state("confirmed", c2)
    b1.wait_state("disconnected", c1)
    a.command("hangup", call_id=call)
    b2.wait_state("disconnected", c2)
    wait_until(lambda: any(r.disposition is Disposition.COMPLETED for r in pbx.directory.calls.values()))


def test_dnd_rejects_with_486(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    a, b = peers(pbx, "101"), peers(pbx, "102")
    pbx.run(lambda: pbx.directory.set_user(102, dnd=True))
    call = a.command("make_call", account_id="main", target="102")
    ev = a.wait_state("disconnected", call)
    assert ev["code"] == 486
    assert b.find(lambda e: e["event"] == "IncomingCall") is None


def test_message_online_and_offline(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    a, b = peers(pbx, "101"), peers(pbx, "102")
    a.command("send_message", account_id="main", to_uri=f"sip:102@{DOMAIN}", text="hello online")
    got = b.wait_for(lambda e: e["event"] == "MessageReceived", 15)
    assert got["text"] == "hello online"
    a.command("send_message", account_id="main", to_uri=f"sip:103@{DOMAIN}", text="hello later")
    st = a.wait_for(lambda e: e["event"] == "MessageStatus" and e["code"] == 202, 15)
    assert st
    c = peers(pbx, "103")
    got = c.wait_for(lambda e: e["event"] == "MessageReceived", 15)
    assert got["text"] == "hello later"
    wait_until(lambda: len(pbx.directory.delivered) == 1)


def test_presence_notify_follows_registration(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    a = peers(pbx, "101")
    a.command("subscribe_presence", account_id="main", uri=f"sip:103@{DOMAIN}")
    a.wait_for(lambda e: e["event"] == "PresenceChanged" and e["status"] == "offline", 15)
    mark = a.mark()
    peers(pbx, "103")
    a.wait_for(lambda e: e["event"] == "PresenceChanged" and e["status"] == "available", 15, mark)
    mark = a.mark()
    pbx.change_user(103, dnd=True)  # as the admin console would
    a.wait_for(lambda e: e["event"] == "PresenceChanged" and e["status"] in ("dnd", "busy"), 15, mark)


def test_blind_transfer(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    a, b, c = peers(pbx, "101"), peers(pbx, "102"), peers(pbx, "103")
    call = a.command("make_call", account_id="main", target="102")
    cb = incoming(b)
    b.command("answer", call_id=cb)
    a.wait_state("confirmed", call)
    mark = c.mark()
    b.command("blind_transfer", call_id=cb, target=f"sip:103@{DOMAIN}")
    cc = incoming(c, mark)
    c.command("answer", call_id=cc)
    c.wait_state("confirmed", cc)
    b.wait_state("disconnected", cb)
    c.command("hangup", call_id=cc)


def start_trunk(pbx: PbxThread) -> tuple[int, subprocess.Popen[bytes]]:
    """A simulated carrier: sipp answering one call (200, then waits for ACK and BYE) on a free port,
    configured as the trunk of hotline 02873000001."""
    trunk_port = free_port()
    pbx.run(
        lambda: pbx.directory.add_hotline(
            DOMAIN, Hotline("02873000001", "viettel", Trunk("127.0.0.1", trunk_port))
        )
    )
    scenario = Path(__file__).parents[2] / "interop" / "sipp" / "uas_answer.xml"
    trunk = subprocess.Popen(
        [
            "sipp",
            f"127.0.0.1:{pbx.port}",
            "-sf",
            str(scenario),
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            str(trunk_port),
            "-nostdin",
            "-timeout",
            "20",
            "-timeout_error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    return trunk_port, trunk


def test_outbound_through_simulated_carrier_trunk(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp not installed")
    a = peers(pbx, "101")
    _, trunk = start_trunk(pbx)
    try:
        call = a.command("make_call", account_id="main", target="0961234567", hotline="adaptive")
        a.wait_state("confirmed", call, timeout=15)
        a.command("hangup", call_id=call)
        assert trunk.wait(20) == 0
    finally:
        if trunk.poll() is None:
            trunk.kill()
            trunk.wait(5)
    wait_until(lambda: any(r.direction == "outbound" and r.end for r in pbx.directory.calls.values()))
    rec = next(r for r in pbx.directory.calls.values() if r.direction == "outbound")
    assert rec.hotline == "02873000001" and rec.callee == "0961234567"


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_call_between_stream_and_udp_clients(
    pbx: PbxThread, peers: Callable[..., CliPeer], transport: str
) -> None:
    a, b = peers(pbx, "101", transport=transport), peers(pbx, "102")
    call = a.command("make_call", account_id="main", target="102")
    cb = incoming(b)
    b.command("answer", call_id=cb)
    a.wait_state("confirmed", call)
    b.command("hangup", call_id=cb)
    a.wait_state("disconnected", call)
    pbx.committed()
    assert any(x.source.startswith(transport) for x in pbx.directory.bindings.values())


def test_attended_transfer_with_replaces(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    a, b, c = peers(pbx, "101"), peers(pbx, "102"), peers(pbx, "103")
    ab = a.command("make_call", account_id="main", target="102")
    b_in = incoming(b)
    b.command("answer", call_id=b_in)
    a.wait_state("confirmed", ab)
    a.command("hold", call_id=ab)
    ac = a.command("make_call", account_id="main", target="103")
    c_in = incoming(c)
    c.command("answer", call_id=c_in)
    a.wait_state("confirmed", ac)
    mark_b = b.mark()
    a.command("attended_transfer", call_id=ab, consult_call_id=ac)
    # b calls c with Replaces through the PBX; c's call with a is replaced by the one with b
    b.wait_for(
        lambda e: e["event"] == "CallStateChanged" and e["state"] == "confirmed" and e["call_id"] != b_in,
        20,
        mark_b,
    )
    a.wait_state("disconnected", ab, timeout=20)
    a.wait_state("disconnected", ac, timeout=20)
    pbx.committed()
    history = pbx.run(lambda: list(pbx.directory.call_history))
    assert any(r.caller == "102" and r.callee == "103" and r.answer for r in history)


def test_dead_tcp_device_fails_fast(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    """A device that vanished without un-registering (its TCP flow is gone): the call fails at once,
    not after the 32 s transaction timeout."""
    a, b = peers(pbx, "101"), peers(pbx, "102", transport="tcp")
    b.kill()
    started = time.monotonic()
    call = a.command("make_call", account_id="main", target="102")
    ev = a.wait_state("disconnected", call, timeout=20)
    assert ev["code"] in (408, 480, 503), ev
    assert time.monotonic() - started < 10


def test_quota_cut_off_ends_the_call_on_both_sides(pbx: PbxThread, peers: Callable[..., CliPeer]) -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp not installed")
    pbx.run(lambda: pbx.directory.set_user(101, monthly_minutes=1, minutes_used=1 - 3 / 60))  # 3 s left
    a = peers(pbx, "101")
    _, trunk = start_trunk(pbx)
    try:
        call = a.command("make_call", account_id="main", target="0961234567")
        a.wait_state("confirmed", call, timeout=15)
        answered = time.monotonic()
        a.wait_state("disconnected", call, timeout=15)  # the PBX's BYE
        assert 2.0 < time.monotonic() - answered < 10.0
        assert trunk.wait(20) == 0  # the carrier got its BYE too (the scenario waits for it)
    finally:
        if trunk.poll() is None:
            trunk.kill()
            trunk.wait(5)
    pbx.committed()
    seconds = pbx.run(lambda: pbx.directory.outbound_seconds.get(101, 0.0))
    assert 2.0 < seconds < 10.0
    rec = next(r for r in pbx.run(lambda: list(pbx.directory.calls.values())) if r.direction == "outbound")
    assert rec.disposition.value == "quota_exceeded"
    assert a.command("make_call", account_id="main", target="0961234567")  # refused now: 403
    ev = a.wait_for(
        lambda e: e["event"] == "CallStateChanged" and e["state"] == "disconnected" and e["code"] == 403, 15
    )
    assert ev
