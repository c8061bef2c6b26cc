"""Interop smoke tests with third-party stacks: sipp's built-in UAC calls a tiny UAS built only from the SIP
core (``SipEndpoint`` = transport + transaction layer + loop timer) over UDP and TCP; a core UAC using the
``Dialog`` helper calls sipp's built-in UAS; pjsua2 registers and calls over TLS with our self-signed cert."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from server.sip.address import Address
from server.sip.aio.endpoint import EndpointEvent, SipEndpoint
from server.sip.dialog import Dialog, target_address
from server.sip.headers import Headers
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_call_id, new_tag
from server.sip.transaction import Deliver, TransactionError, TransactionTimeout
from server.sip.uri import parse_uri

pytestmark = pytest.mark.interop
needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")

SDP = (
    b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


class TinyUas:
    """Answers INVITE with 180 + 200, BYE/OPTIONS with 200; counts what it saw.

    Like any UAS core (RFC 3261 13.3.1.4) it retransmits its 2xx over UDP until the ACK arrives, so a
    datagram lost on a loaded machine does not fail the call."""

    def __init__(self) -> None:
        self.endpoint = SipEndpoint(self.on_event)
        self.counts: dict[str, int] = {}
        self._unacked: dict[str, asyncio.TimerHandle] = {}

    async def stop(self) -> None:
        for handle in self._unacked.values():
            handle.cancel()
        self._unacked.clear()
        await self.endpoint.stop()

    def _retransmit(self, ok: SipResponse, interval: float, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() >= deadline:
            self._unacked.pop(ok.call_id, None)
            return
        with contextlib.suppress(TransactionError):
            self.endpoint.send_response(ok)
        nxt = min(interval * 2, 4.0)
        self._unacked[ok.call_id] = loop.call_later(interval, self._retransmit, ok, nxt, deadline)

    def on_event(self, event: EndpointEvent) -> None:
        if not isinstance(event, Deliver) or not isinstance(event.message, SipRequest):
            return
        req = event.message
        self.counts[req.method] = self.counts.get(req.method, 0) + 1
        if event.transaction is None:
            pending = self._unacked.pop(req.call_id, None)  # ACK for our 2xx
            if pending is not None:
                pending.cancel()
            return
        if req.method == "INVITE":
            tag = new_tag()
            self.endpoint.send_response(make_response(req, 180, to_tag=tag))
            ok = make_response(req, 200, to_tag=tag)
            transport = event.source.transport if event.source else "udp"
            ok.headers.add(
                "Contact", f"<sip:uas@127.0.0.1:{self.endpoint.ports[transport]};transport={transport}>"
            )
            ok.headers.add("Content-Type", "application/sdp")
            ok.body = SDP
            self.endpoint.send_response(ok)
            if transport == "udp":
                loop = asyncio.get_running_loop()
                self._unacked[req.call_id] = loop.call_later(0.5, self._retransmit, ok, 1.0, loop.time() + 32)
        else:
            self.endpoint.send_response(make_response(req, 200, to_tag=new_tag()))


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_sipp(args: list[str], timeout: float = 30.0) -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="sipp-core-") as tmp:
        proc = await asyncio.create_subprocess_exec(
            "sipp", *args, "-nostdin", "-timeout", f"{timeout:.0f}", "-timeout_error",
            "-trace_err", "-error_file", str(Path(tmp) / "err.log"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp,
        )  # fmt: skip
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout + 10)
        except TimeoutError:
            proc.kill()
            out, _ = await proc.communicate()
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        errors = (
            (Path(tmp) / "err.log").read_text(errors="replace") if (Path(tmp) / "err.log").exists() else ""
        )
        return (proc.returncode if proc.returncode is not None else -9), out.decode(errors="replace") + errors


@needs_sipp
@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_sipp_uac_calls_core_uas(transport: str) -> None:
    uas = TinyUas()
    await uas.endpoint.start("127.0.0.1", udp_port=0, tcp_port=0)
    try:
        port = uas.endpoint.ports[transport]
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        calls = 10
        code, output = await run_sipp(
            [
                f"127.0.0.1:{port}", "-sn", "uac", "-t", "u1" if transport == "udp" else "t1",
                "-i", "127.0.0.1", "-p", str(free_port(kind)), "-mp", str(free_port()),
                "-m", str(calls), "-r", "20", "-l", "5", "-d", "100",
            ]
        )  # fmt: skip
        assert code == 0, output[-3000:]
        assert uas.counts.get("INVITE") == calls
        assert uas.counts.get("ACK") == calls
        assert uas.counts.get("BYE") == calls
        assert len(uas.endpoint.transactions) <= 2 * calls  # only Accepted/Completed leftovers, timing out
    finally:
        await uas.stop()


@needs_sipp
async def test_sipp_options_ping_over_udp() -> None:
    uas = TinyUas()
    await uas.endpoint.start("127.0.0.1", udp_port=0, tcp_port=None)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as handle:
            handle.write(OPTIONS_SCENARIO)
            scenario = handle.name
        code, output = await run_sipp(
            [
                f"127.0.0.1:{uas.endpoint.ports['udp']}", "-sf", scenario, "-i", "127.0.0.1",
                "-p", str(free_port()), "-mp", str(free_port()), "-m", "3",
            ]
        )  # fmt: skip
        Path(scenario).unlink()
        assert code == 0, output[-3000:]
        assert uas.counts.get("OPTIONS") == 3
    finally:
        await uas.stop()


OPTIONS_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options ping">
  <send retrans="500">
    <![CDATA[
      OPTIONS sip:ping@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:ping@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" />
</scenario>
"""


class TinyUac:
    """Calls out with the core's client transactions and Dialog helper: INVITE, ACK for 2xx, BYE."""

    def __init__(self) -> None:
        self.endpoint = SipEndpoint(self.on_event)
        self.events: asyncio.Queue[EndpointEvent] = asyncio.Queue()

    def on_event(self, event: EndpointEvent) -> None:
        self.events.put_nowait(event)

    async def final_response(self, method: str) -> SipResponse:
        while True:
            event = await asyncio.wait_for(self.events.get(), 15)
            if isinstance(event, TransactionTimeout):
                raise AssertionError(f"{method} timed out")
            message = event.message if isinstance(event, Deliver) else None
            if isinstance(message, SipResponse) and message.cseq[1] == method and message.status >= 200:
                return message


@needs_sipp
@pytest.mark.slow  # sipp's UAS lingers 4 s after the BYE
async def test_core_uac_calls_sipp_uas_over_udp() -> None:
    uac = TinyUac()
    await uac.endpoint.start("127.0.0.1", udp_port=0, tcp_port=None)
    sipp_port = free_port()
    with tempfile.TemporaryDirectory(prefix="sipp-uas-") as tmp:
        proc = await asyncio.create_subprocess_exec(
            "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(sipp_port), "-mp", str(free_port()),
            "-m", "1", "-nostdin", "-timeout", "30", "-timeout_error",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp,
        )  # fmt: skip
        try:
            local = uac.endpoint.transport.local_address("udp")
            dest = Address("udp", "127.0.0.1", sipp_port)
            invite = SipRequest(
                "INVITE",
                parse_uri(f"sip:service@127.0.0.1:{sipp_port}"),
                Headers(
                    [
                        ("Via", f"SIP/2.0/UDP 127.0.0.1:{local.port};branch={new_branch()};rport"),
                        ("Max-Forwards", "70"),
                        ("From", f"<sip:core@127.0.0.1:{local.port}>;tag={new_tag()}"),
                        ("To", f"<sip:service@127.0.0.1:{sipp_port}>"),
                        ("Call-ID", new_call_id("127.0.0.1")),
                        ("CSeq", "1 INVITE"),
                        ("Contact", f"<sip:core@127.0.0.1:{local.port}>"),
                        ("Content-Type", "application/sdp"),
                    ]
                ),
                SDP,
            )
            # sipp's UAS may still be binding its socket: Timer A retransmits until it answers.
            uac.endpoint.send_request(invite, dest)
            ok = await uac.final_response("INVITE")
            assert ok.status == 200
            dialog = Dialog.from_uac(invite, ok)
            uac.endpoint.send_stateless(dialog.create_ack(1, local), target_address(dialog.remote_target))
            bye = dialog.create_request("BYE", local)
            uac.endpoint.send_request(bye, target_address(dialog.next_hop(bye)))
            assert (await uac.final_response("BYE")).status == 200
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
            assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            await uac.endpoint.stop()


class TinyRegistrarUas(TinyUas):
    """TinyUas that also accepts REGISTER, echoing the Contact with an expiry."""

    def on_event(self, event: EndpointEvent) -> None:
        if isinstance(event, Deliver) and isinstance(event.message, SipRequest):
            req = event.message
            if req.method == "REGISTER" and event.transaction is not None:
                self.counts["REGISTER"] = self.counts.get("REGISTER", 0) + 1
                ok = make_response(req, 200, to_tag=new_tag())
                for contact in req.contacts:
                    ok.headers.add("Contact", str(contact.with_param("expires", "300")))
                self.endpoint.send_response(ok)
                return
        super().on_event(event)


@pytest.mark.skipif(importlib.util.find_spec("pjsua2") is None, reason="pjsua2 not installed")
async def test_pjsua2_registers_and_calls_over_tls_with_self_signed_certificate(tmp_path: Path) -> None:
    uas = TinyRegistrarUas()
    await uas.endpoint.start("127.0.0.1", udp_port=None, tcp_port=None, tls_port=0, tls_dir=tmp_path)
    try:
        assert uas.endpoint.transport.tls_cert is not None
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).parent / "pjsua_tls_client.py"),
            "127.0.0.1", str(uas.endpoint.ports["tls"]), str(uas.endpoint.transport.tls_cert),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        text = out.decode(errors="replace")
        assert proc.returncode == 0, text[-3000:]
        assert "RESULT register=200" in text and "RESULT disconnected=1" in text
        assert uas.counts.get("REGISTER", 0) >= 1
        assert uas.counts.get("INVITE") == 1 and uas.counts.get("ACK") == 1 and uas.counts.get("BYE") == 1
    finally:
        await uas.stop()
