"""asyncio transports on loopback: UDP + rport, TCP framing and reuse, TLS with a self-signed certificate."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.sip.address import Address
from server.sip.aio.endpoint import SipEndpoint
from server.sip.aio.tls import client_context, ensure_self_signed
from server.sip.aio.transport import SipTransportLayer
from server.sip.headers import Headers
from server.sip.message import SipMessage, SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.parser import StreamFramer, parse_message
from server.sip.transaction import Terminated, TimerSettings, TransactionTimeout
from server.sip.uri import parse_uri

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def event_loop_policy(request: pytest.FixtureRequest) -> asyncio.AbstractEventLoopPolicy:
    """Every transport test on both loops the server runs on (uvloop's transports differ in type)."""
    if request.param == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        return uvloop.EventLoopPolicy()
    return asyncio.DefaultEventLoopPolicy()


TIMEOUT = 10.0


class Endpoint:
    """A transport layer whose received messages land in a queue; answers requests with 200 if asked."""

    def __init__(self, answer: bool = False, **kwargs: object) -> None:
        self.queue: asyncio.Queue[tuple[SipMessage, Address]] = asyncio.Queue()
        self.errors: list[tuple[SipMessage, Address, Exception]] = []
        self.answer = answer
        self.layer = SipTransportLayer(self._on_message, on_send_error=self._on_error, **kwargs)  # type: ignore[arg-type]

    def _on_message(self, msg: SipMessage, source: Address) -> None:
        self.queue.put_nowait((msg, source))
        if self.answer and isinstance(msg, SipRequest) and msg.method != "ACK":
            self.layer.send(make_response(msg, 200, to_tag="srv"), source)

    def _on_error(self, msg: SipMessage, dest: Address, exc: Exception) -> None:
        self.errors.append((msg, dest, exc))

    async def next(self) -> tuple[SipMessage, Address]:
        return await asyncio.wait_for(self.queue.get(), TIMEOUT)


@contextlib.asynccontextmanager
async def running(endpoint: Endpoint, **start: object) -> AsyncIterator[Endpoint]:
    await endpoint.layer.start("127.0.0.1", **start)  # type: ignore[arg-type]
    try:
        yield endpoint
    finally:
        await endpoint.layer.stop()


def options(transport: str, host: str, port: int, rport: bool = True) -> SipRequest:
    via = f"SIP/2.0/{transport.upper()} {host}:{port};branch={new_branch()}" + (";rport" if rport else "")
    return SipRequest(
        "OPTIONS",
        parse_uri("sip:ping@127.0.0.1"),
        Headers(
            [
                ("Via", via),
                ("Max-Forwards", "70"),
                ("From", f"<sip:probe@example.com>;tag={new_tag()}"),
                ("To", "<sip:ping@127.0.0.1>"),
                ("Call-ID", new_branch()),
                ("CSeq", "1 OPTIONS"),
            ]
        ),
    )


async def udp_exchange(port: int, data: bytes) -> tuple[bytes, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    try:
        loop = asyncio.get_running_loop()
        sock.sendto(data, ("127.0.0.1", port))  # uvloop has no loop.sock_sendto; loopback never blocks
        reply = await asyncio.wait_for(loop.sock_recv(sock, 65535), TIMEOUT)
        return reply, sock.getsockname()[1]
    finally:
        sock.close()


async def test_udp_request_gets_received_and_rport_and_answer_goes_back_to_source() -> None:
    async with running(Endpoint(answer=True), tcp_port=None) as server:
        req = options("udp", "198.51.100.7", 5999)  # a client "behind NAT" advertising a private sent-by
        reply, client_port = await udp_exchange(server.layer.ports["udp"], req.to_bytes())
        got, source = await server.next()
        assert source == Address("udp", "127.0.0.1", client_port)
        assert got.via.received == "127.0.0.1" and got.via.rport == client_port
        resp = parse_message(reply)
        assert isinstance(resp, SipResponse) and resp.status == 200
        assert resp.via.rport == client_port  # the filled-in Via is echoed back


async def test_udp_received_without_rport_only_when_host_differs() -> None:
    async with running(Endpoint(), tcp_port=None) as server:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.sendto(
                options("udp", "127.0.0.1", 5060, rport=False).to_bytes(),
                ("127.0.0.1", server.layer.ports["udp"]),
            )
            got, _ = await server.next()
            assert got.via.received is None and not got.via.rport_requested
            sock.sendto(
                options("udp", "host.invalid", 5060, rport=False).to_bytes(),
                ("127.0.0.1", server.layer.ports["udp"]),
            )
            got, _ = await server.next()
            assert got.via.received == "127.0.0.1"
        finally:
            sock.close()


async def test_udp_malformed_request_is_answered_400_with_reason() -> None:
    async with running(Endpoint(), tcp_port=None) as server:
        bad = options("udp", "127.0.0.1", 5060).to_bytes().replace(b"1 OPTIONS", b"1 INVITE")
        reply, _ = await udp_exchange(server.layer.ports["udp"], bad)
        resp = parse_message(reply)
        assert isinstance(resp, SipResponse)
        assert (resp.status, resp.reason) == (400, "CSeq method does not match request method")
        assert server.queue.empty()


async def test_tcp_split_and_merged_writes_keepalive_and_replies_on_same_connection() -> None:
    async with running(Endpoint(answer=True), udp_port=None) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.layer.ports["tcp"])
        try:
            local_port = writer.get_extra_info("sockname")[1]
            msgs = [options("tcp", "127.0.0.1", local_port) for _ in range(3)]
            blob = b"".join(m.to_bytes() for m in msgs[:2])  # two messages in one write
            writer.write(blob)
            third = msgs[2].to_bytes()
            writer.write(b"\r\n\r\n")  # RFC 5626 keep-alive ping
            for i in range(0, len(third), 13):  # the third split into many small writes
                writer.write(third[i : i + 13])
                await writer.drain()
                await asyncio.sleep(0)
            received = [await server.next() for _ in range(3)]
            assert [m.call_id for m, _ in received] == [m.call_id for m in msgs]
            assert {src for _, src in received} == {Address("tcp", "127.0.0.1", local_port)}
            framer = StreamFramer()
            replies: list[bytes] = []
            total = 0
            while len(replies) < 3 or total < sum(map(len, replies)) + 2:
                chunk = await asyncio.wait_for(reader.read(65535), TIMEOUT)
                assert chunk, "connection closed early"
                total += len(chunk)
                replies += [r for r in framer.feed(chunk) if isinstance(r, bytes)]
            assert total == sum(map(len, replies)) + 2  # the CRLF pong answering the ping
            assert [parse_message(r).call_id for r in replies] == [m.call_id for m in msgs]
            assert server.layer.connection_count() == 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def test_tcp_broken_framing_closes_connection() -> None:
    async with running(Endpoint(), udp_port=None) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.layer.ports["tcp"])
        try:
            no_length = options("tcp", "127.0.0.1", 1).to_bytes().replace(b"Content-Length: 0\r\n", b"")
            writer.write(no_length)
            await writer.drain()
            answer = b""
            while chunk := await asyncio.wait_for(reader.read(65535), TIMEOUT):
                answer += chunk
            # Answered with the reason, then EOF: the server closed the stream it can no longer frame.
            resp = parse_message(answer)
            assert isinstance(resp, SipResponse)
            assert (resp.status, resp.reason) == (400, "Missing Content-Length on stream transport")
            assert server.queue.empty()
        finally:
            writer.close()


async def test_tcp_layer_to_layer_reuses_one_connection() -> None:
    async with (
        running(Endpoint(answer=True), udp_port=None) as server,
        running(Endpoint(), udp_port=None) as client,
    ):
        dest = Address("tcp", "127.0.0.1", server.layer.ports["tcp"])
        first = options("tcp", "127.0.0.1", client.layer.ports["tcp"])
        second = options("tcp", "127.0.0.1", client.layer.ports["tcp"])
        client.layer.send(first, dest)
        client.layer.send(second, dest)  # queued behind the pending connect
        responses = [await client.next() for _ in range(2)]
        assert sorted(r.call_id for r, _ in responses) == sorted([first.call_id, second.call_id])
        assert all(isinstance(r, SipResponse) and r.status == 200 for r, _ in responses)
        client.layer.send(options("tcp", "127.0.0.1", client.layer.ports["tcp"]), dest)
        await client.next()
        assert client.layer.connection_count() == 1
        assert server.layer.connection_count() == 1


async def test_tcp_connect_failure_is_reported() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    async with running(Endpoint(), udp_port=None) as client:
        req = options("tcp", "127.0.0.1", client.layer.ports["tcp"])
        client.layer.send(req, Address("tcp", "127.0.0.1", closed_port))
        for _ in range(200):
            if client.errors:
                break
            await asyncio.sleep(0.05)
        assert client.errors and client.errors[0][0] is req


async def test_tls_with_self_signed_certificate(tmp_path: Path) -> None:
    cert, key = ensure_self_signed(tmp_path / "tls")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert ensure_self_signed(tmp_path / "tls") == (cert, key)  # kept across restarts
    before = cert.read_bytes()
    server = Endpoint(answer=True)
    async with running(server, udp_port=None, tcp_port=None, tls_port=0, tls_dir=tmp_path / "tls"):
        assert server.layer.tls_cert == cert and cert.read_bytes() == before
        client = Endpoint(tls_client_context=client_context(cafile=cert))
        async with running(client, udp_port=None, tcp_port=None):
            dest = Address("tls", "127.0.0.1", server.layer.ports["tls"])
            req = options("tls", "127.0.0.1", 5061)
            client.layer.send(req, dest)
            got, source = await server.next()
            assert got.call_id == req.call_id and source.transport == "tls"
            resp, _ = await client.next()
            assert isinstance(resp, SipResponse) and resp.status == 200


async def test_tls_rejects_untrusted_server(tmp_path: Path) -> None:
    server = Endpoint(answer=True)
    async with running(server, udp_port=None, tcp_port=None, tls_port=0, tls_dir=tmp_path):
        client = Endpoint(tls_client_context=client_context())  # system CAs only
        async with running(client, udp_port=None, tcp_port=None):
            req = options("tls", "127.0.0.1", 5061)
            client.layer.send(req, Address("tls", "127.0.0.1", server.layer.ports["tls"]))
            for _ in range(200):
                if client.errors:
                    break
                await asyncio.sleep(0.05)
            assert client.errors and server.queue.empty()


async def test_endpoint_retransmits_over_udp_and_times_out_on_the_loop_clock() -> None:
    """SipEndpoint drives Timer E/F from loop.time(): a silent peer sees retransmissions, the TU a timeout."""
    events: asyncio.Queue[object] = asyncio.Queue()
    endpoint = SipEndpoint(events.put_nowait, settings=TimerSettings(t1=0.05, t2=0.2, t4=0.25))
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    silent.setblocking(False)
    await endpoint.start("127.0.0.1", udp_port=0, tcp_port=None)
    try:
        dest = Address("udp", "127.0.0.1", silent.getsockname()[1])
        req = options("udp", "127.0.0.1", endpoint.ports["udp"])
        key = endpoint.send_request(req, dest)
        timeout = await asyncio.wait_for(events.get(), TIMEOUT)
        assert isinstance(timeout, TransactionTimeout) and timeout.transaction == key
        assert isinstance(await asyncio.wait_for(events.get(), TIMEOUT), Terminated)
        copies = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                silent.recv(65535)
                copies += 1
        # 0, 0.05, 0.15, 0.35, 0.55, ... until 64*T1 = 3.2 s: at least the first few retransmissions arrived.
        assert copies >= 5
        assert len(endpoint.transactions) == 0
    finally:
        silent.close()
        await endpoint.stop()


async def test_idle_stream_connections_are_closed() -> None:
    async with running(Endpoint(idle_timeout=0.3), udp_port=None) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.layer.ports["tcp"])
        try:
            writer.write(options("tcp", "127.0.0.1", 1).to_bytes())
            await server.next()
            assert server.layer.connection_count() == 1
            assert await asyncio.wait_for(reader.read(100), TIMEOUT) == b""  # closed by the server
            for _ in range(100):
                if server.layer.connection_count() == 0:
                    break
                await asyncio.sleep(0.02)
            assert server.layer.connection_count() == 0
        finally:
            writer.close()


async def test_connection_cap_refuses_extra_connections() -> None:
    async with running(Endpoint(max_connections=1), udp_port=None) as server:
        _, first = await asyncio.open_connection("127.0.0.1", server.layer.ports["tcp"])
        reader2, second = await asyncio.open_connection("127.0.0.1", server.layer.ports["tcp"])
        try:
            first.write(options("tcp", "127.0.0.1", 1).to_bytes())
            await server.next()
            with contextlib.suppress(ConnectionError):
                assert await asyncio.wait_for(reader2.read(100), TIMEOUT) == b""
            assert server.layer.connection_count() == 1
        finally:
            first.close()
            second.close()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")
async def test_ipv6_udp_and_tcp() -> None:
    server = Endpoint(answer=True)
    await server.layer.start("::1", udp_port=0, tcp_port=0)
    client = Endpoint()
    await client.layer.start("::1", udp_port=0, tcp_port=0)
    try:
        for transport in ("udp", "tcp"):
            req = options(transport, "[::1]", client.layer.ports[transport])
            client.layer.send(req, Address(transport, "::1", server.layer.ports[transport]))
            got, source = await server.next()
            assert source.host == "::1" and got.via.host == "::1"
            assert (got.via.received, got.via.rport) == ("::1", source.port)
            resp, _ = await client.next()
            assert isinstance(resp, SipResponse) and resp.call_id == req.call_id
    finally:
        await client.layer.stop()
        await server.layer.stop()


async def test_garbage_on_the_wire_and_failing_handler_do_not_stop_the_transport() -> None:
    calls: list[str] = []

    def explode(msg: SipMessage, source: Address) -> None:
        calls.append(msg.call_id)
        if len(calls) == 1:
            raise RuntimeError("handler bug")

    layer = SipTransportLayer(explode)
    await layer.start("127.0.0.1", udp_port=0, tcp_port=0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        port = layer.ports["udp"]
        for junk in (b"\x00" * 10, bytes(range(256)), b"INVITE\r\n\r\n", b"SIP/2.0 200\r\n\r\n", b"\r\n\r\n"):
            sock.sendto(junk, ("127.0.0.1", port))
        first = options("udp", "127.0.0.1", 1)
        second = options("udp", "127.0.0.1", 1)
        sock.sendto(first.to_bytes(), ("127.0.0.1", port))
        sock.sendto(second.to_bytes(), ("127.0.0.1", port))
        _, writer = await asyncio.open_connection("127.0.0.1", layer.ports["tcp"])
        third = options("tcp", "127.0.0.1", 1)
        writer.write(third.to_bytes())
        await writer.drain()
        for _ in range(200):
            if len(calls) == 3:
                break
            await asyncio.sleep(0.02)
        assert sorted(calls) == sorted([first.call_id, second.call_id, third.call_id])
        writer.close()
    finally:
        sock.close()
        await layer.stop()
