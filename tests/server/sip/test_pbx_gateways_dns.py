"""Carrier gateways given by host name: RFC 3263 location (NAPTR, SRV by priority and weight, A) from a
real DNS server on loopback, and failover to the next gateway when one fails."""

from __future__ import annotations

import random

import pytest
from dns_zone import ZoneServer

from server.sip.address import Address
from server.sip.aio.dns import locate, make_resolver

pytestmark = pytest.mark.integration

ZONE = """
srv.test.            60 IN A     127.0.0.9
_sip._udp.srv.test.  60 IN SRV   10 0 5091 gw2.srv.test.
_sip._udp.srv.test.  60 IN SRV   5 0 5090 gw1.srv.test.
gw1.srv.test.        60 IN A     127.0.0.11
gw2.srv.test.        30 IN A     127.0.0.12
naptr.test.          60 IN NAPTR 20 50 "s" "SIP+D2U" "" _sip._udp.naptr.test.
naptr.test.          60 IN NAPTR 10 50 "s" "SIP+D2T" "" _sip._tcp.naptr.test.
_sip._tcp.naptr.test. 60 IN SRV  10 0 5070 edge.naptr.test.
edge.naptr.test.     60 IN A     127.0.0.21
plain.test.          45 IN A     127.0.0.31
weighted.test.       60 IN A     127.0.0.99
_sip._udp.weighted.test. 60 IN SRV 10 90 5060 heavy.weighted.test.
_sip._udp.weighted.test. 60 IN SRV 10 10 5060 light.weighted.test.
heavy.weighted.test. 60 IN A     127.0.0.41
light.weighted.test. 60 IN A     127.0.0.42
"""


@pytest.fixture(scope="module")
def dns():
    with ZoneServer(ZONE) as server:
        yield server


async def test_srv_targets_in_priority_order_with_the_lowest_ttl(dns) -> None:
    answer = await locate(make_resolver([dns.address]), "srv.test", 5060, "udp")
    assert answer.targets == (Address("udp", "127.0.0.11", 5090), Address("udp", "127.0.0.12", 5091))
    assert answer.ttl == 30


async def test_naptr_may_choose_another_transport(dns) -> None:
    answer = await locate(make_resolver([dns.address]), "naptr.test", 5060, "udp")
    assert answer.targets == (Address("tcp", "127.0.0.21", 5070),)


async def test_an_explicit_port_or_no_service_records_use_the_address_records(dns) -> None:
    resolver = make_resolver([dns.address])
    assert (await locate(resolver, "srv.test", 5080, "udp")).targets == (Address("udp", "127.0.0.9", 5080),)
    answer = await locate(resolver, "plain.test", 5060, "tcp")
    assert answer.targets == (Address("tcp", "127.0.0.31", 5060),) and answer.ttl == 45


async def test_an_unknown_name_gives_nothing_and_a_retry_time(dns) -> None:
    answer = await locate(make_resolver([dns.address]), "nowhere.test", 5060, "udp")
    assert answer.targets == () and answer.ttl == 30


async def test_weights_share_the_first_place(dns) -> None:
    resolver = make_resolver([dns.address])
    firsts = [
        (await locate(resolver, "weighted.test", 5060, "udp", random.Random(seed))).targets[0].host
        for seed in range(40)
    ]
    assert 25 <= firsts.count("127.0.0.41") <= 40 and "127.0.0.42" in firsts


def test_a_real_call_fails_over_to_the_second_gateway(tmp_path) -> None:
    """softphone-cli calls out through a hotline whose gateway is a DNS name with two SRV targets: the
    first (a sipp UAS) answers 503, the PBX tries the second, which answers; the caller never sees the 503."""
    import shutil
    import subprocess
    import textwrap
    import time
    from pathlib import Path

    from pbx_thread import PbxThread

    from server.sip.directory import Hotline, Trunk
    from server.sip.memory_directory import InMemoryDirectory
    from softphone.testing import CliPeer, free_port

    if shutil.which("sipp") is None:
        pytest.skip("sipp not installed")
    sipp_dir = Path(__file__).parents[2] / "interop" / "sipp"
    unavailable = tmp_path / "uas_503.xml"
    unavailable.write_text(
        (sipp_dir / "uas_busy.xml").read_text().replace("486 Busy Here", "503 Service Unavailable")
    )
    gw1, gw2 = free_port(), free_port()
    zone = f"""
    carrier.test.            60 IN A   127.0.0.1
    _sip._udp.carrier.test.  60 IN SRV 10 0 {gw1} gw1.carrier.test.
    _sip._udp.carrier.test.  60 IN SRV 20 0 {gw2} gw2.carrier.test.
    gw1.carrier.test.        60 IN A   127.0.0.1
    gw2.carrier.test.        60 IN A   127.0.0.1
    """
    with ZoneServer(textwrap.dedent(zone)) as dns:
        d = InMemoryDirectory()
        d.add_user(101, "101", default_hotline="02873000007")
        d.add_device(101, "101", "demo101")
        d.add_hotline("demo.local", Hotline("02873000007", "viettel", Trunk("carrier.test", 5060)))
        pbx = PbxThread(d, dns_servers=[dns.address])
        procs: list[subprocess.Popen[bytes]] = []
        caller = None
        try:
            for port, scenario in ((gw1, unavailable), (gw2, sipp_dir / "uas_answer.xml")):
                procs.append(
                    subprocess.Popen(
                        [
                            *(
                                "sipp",
                                f"127.0.0.1:{pbx.port}",
                                "-sf",
                                str(scenario),
                                "-m",
                                "1",
                                "-i",
                                "127.0.0.1",
                            ),
                            *("-p", str(port), "-nostdin", "-timeout", "30", "-timeout_error"),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            time.sleep(0.3)
            caller = CliPeer(
                [
                    *("--account", "101:demo101@demo.local", "--registrar", f"127.0.0.1:{pbx.port}"),
                    *("--proxy", f"127.0.0.1:{pbx.port}", "--listen-port", str(free_port())),
                ],
                name="101",
            )
            caller.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 20)
            call = caller.command("make_call", account_id="main", target="0961234567")
            caller.wait_state("confirmed", call, timeout=20)
            assert not [
                e for e in caller.events if e.get("event") == "CallStateChanged" and e.get("code") == 503
            ]
            caller.command("hangup", call_id=call)
            assert procs[0].wait(20) == 0, "the first gateway never got the INVITE"
            assert procs[1].wait(20) == 0, "the second gateway did not complete the call"
            assert ("_sip._udp.carrier.test", "SRV") in dns.queries
        finally:
            if caller is not None:
                caller.quit(10)
                caller.kill()
            for p in procs:
                if p.poll() is None:
                    p.kill()
            pbx.stop()
