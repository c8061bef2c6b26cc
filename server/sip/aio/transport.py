"""asyncio transports for SIP: UDP, TCP and TLS, kept thin -- bytes in, parsed messages out.

Incoming requests get RFC 3581 treatment before they are handed on: the top Via gets ``received`` when the
packet's source differs from its sent-by, and ``rport=<source port>`` (plus ``received``) when the client
asked for it. Responses then go back to the packet's source, which is what makes clients behind NAT work.

Stream connections (TCP/TLS) are kept in a table keyed by the remote address and reused for anything sent to
that address, in both directions, so responses travel on the connection the request came in on. A response
whose connection has gone is sent to the Via's received/rport (RFC 3261 18.2.2), opening a new connection.

Malformed input: a request whose Via/From/To/Call-ID/CSeq survive gets the parser's status (400, 505, ...)
with the reason as phrase; anything else is logged and dropped. A stream whose framing broke is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import cast

from server.sip.address import Address
from server.sip.aio.tls import ensure_self_signed, server_context
from server.sip.errors import SipParseError
from server.sip.message import SipMessage, SipRequest, SipResponse, apply_rport
from server.sip.parser import StreamFramer, make_error_response, parse_message

log = logging.getLogger(__name__)

MAX_WRITE_BUFFER = 1 << 20
UDP_SOCKET_BUFFER = 4 << 20

MessageHandler = Callable[[SipMessage, Address], None]
ErrorHandler = Callable[[SipMessage, Address, Exception], None]


def response_fallback_address(response: SipResponse, transport: str) -> Address:
    """Where RFC 3261 18.2.2 / RFC 3581 send a response when the request's connection is gone."""
    via = response.via
    host = via.received or via.host
    port = via.rport or via.port or (5061 if transport == "tls" else 5060)
    return Address(transport, host, port)


class _Datagram(asyncio.DatagramProtocol):
    def __init__(self, layer: SipTransportLayer) -> None:
        self.layer = layer
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass asyncio.DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if not data.strip(b"\r\n\x00 "):
            return  # keep-alive
        source = Address("udp", str(addr[0]), int(str(addr[1])))
        self.layer._incoming(data, source, self._reply)

    def _reply(self, data: bytes, dest: Address) -> None:
        if self.transport is not None:
            self.transport.sendto(data, (dest.host, dest.port))

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)


class _Stream(asyncio.Protocol):
    """One TCP or TLS connection; registers itself in the layer's connection table."""

    def __init__(self, layer: SipTransportLayer, transport_name: str) -> None:
        self.layer = layer
        self.name = transport_name
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Address | None = None
        self.loop = asyncio.get_running_loop()
        self.closed = self.loop.create_future()
        self.last_activity = self.loop.time()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream protocol always gets a stream transport; uvloop's do not subclass asyncio.Transport
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = Address(self.name, str(peer[0]), int(peer[1]))
        if self.layer.connection_count() >= self.layer.max_connections:
            log.warning("refusing %s: %d connections open", self.peer, self.layer.connection_count())
            self.transport.abort()
            return
        self.layer._register(self)

    def data_received(self, data: bytes) -> None:
        assert self.peer is not None
        self.last_activity = self.loop.time()
        pings = self.framer.pings
        for item in self.framer.feed(data):
            if isinstance(item, SipParseError):
                log.warning("closing %s: %s", self.peer, item.reason)
                response = make_error_response(item)
                if response is not None:
                    self.write(response.to_bytes())
                if self.transport is not None:
                    self.transport.close()  # flushes the answer first
                return
            self.layer._incoming(item, self.peer, self._reply)
        if self.framer.pings > pings and self.transport is not None:
            self.transport.write(b"\r\n")  # RFC 5626 pong

    def _reply(self, data: bytes, dest: Address) -> None:
        self.write(data)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.last_activity = self.loop.time()
            self.transport.write(data)
            if self.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
                # A peer that stops reading must not make us buffer without bound.
                log.warning("closing %s: peer is not reading", self.peer)
                self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.layer._unregister(self)
        if not self.closed.done():
            self.closed.set_result(None)


class SipTransportLayer:
    """UDP, TCP and TLS listeners plus outgoing connections; calls ``on_message(msg, source)`` per message.

    ``on_send_error(msg, dest, exc)`` is told when an outgoing stream connection cannot be opened, so the
    caller can fail the transaction (``TransactionLayer.transport_error``).
    """

    def __init__(
        self,
        on_message: MessageHandler,
        *,
        on_send_error: ErrorHandler | None = None,
        tls_client_context: ssl.SSLContext | None = None,
        idle_timeout: float | None = 900.0,
        max_connections: int = 10_000,
    ) -> None:
        """``idle_timeout``: close stream connections with no traffic either way for that long (clients keep
        theirs alive with CRLF pings and re-registrations); ``max_connections`` caps open streams."""
        self.on_message = on_message
        self.on_send_error = on_send_error
        self.tls_client_context = tls_client_context
        self.host = "127.0.0.1"
        self.ports: dict[str, int] = {}
        self.tls_cert: Path | None = None
        self._udp: _Datagram | None = None
        self._servers: list[asyncio.Server] = []
        self._connections: dict[Address, _Stream] = {}
        self._connecting: dict[Address, list[bytes]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self._sweeper: asyncio.Task[None] | None = None

    async def start(
        self,
        host: str = "127.0.0.1",
        udp_port: int | None = 0,
        tcp_port: int | None = 0,
        tls_port: int | None = None,
        tls_dir: str | Path | None = None,
        *,
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
    ) -> None:
        """Bind the listeners; a port of 0 picks a free one, None disables that transport. TLS uses
        ``tls_cert``/``tls_key`` when given, else a self-signed pair created in ``tls_dir``."""
        loop = asyncio.get_running_loop()
        self.host = host
        if udp_port is not None:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _Datagram(self), local_addr=(host, udp_port)
            )
            self._udp = protocol
            self.ports["udp"] = int(transport.get_extra_info("sockname")[1])
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # Bursts (a REGISTER storm, a benchmark) must queue in the kernel, not be dropped, while
                # the loop is busy; the kernel caps this at net.core.rmem_max / wmem_max.
                for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, option, UDP_SOCKET_BUFFER)
        if tcp_port is not None:
            server = await loop.create_server(lambda: _Stream(self, "tcp"), host, tcp_port)
            self._servers.append(server)
            self.ports["tcp"] = int(server.sockets[0].getsockname()[1])
        if tls_port is not None:
            if tls_cert is None or tls_key is None:
                if tls_dir is None:
                    raise ValueError("TLS needs tls_cert/tls_key or a tls_dir for a self-signed certificate")
                tls_cert, tls_key = ensure_self_signed(tls_dir)
            self.tls_cert = Path(tls_cert)
            context = server_context(tls_cert, tls_key)
            server = await loop.create_server(lambda: _Stream(self, "tls"), host, tls_port, ssl=context)
            self._servers.append(server)
            self.ports["tls"] = int(server.sockets[0].getsockname()[1])
        if self.idle_timeout is not None and (tcp_port is not None or tls_port is not None):
            self._sweeper = loop.create_task(self._sweep_idle(self.idle_timeout))

    async def _sweep_idle(self, idle_timeout: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.05, min(30.0, idle_timeout / 4)))
            cutoff = loop.time() - idle_timeout
            for conn in {id(c): c for c in self._connections.values()}.values():
                if conn.last_activity < cutoff and conn.transport is not None:
                    log.info("closing idle connection %s", conn.peer)
                    conn.transport.close()

    def local_address(self, transport: str) -> Address:
        """Our listening address for ``transport`` (for Via sent-by, Contact and Record-Route)."""
        return Address(transport, self.host, self.ports[transport])

    def send(self, message: SipMessage, dest: Address) -> None:
        """Send now (UDP, open connection) or after connecting (TCP/TLS). Never raises for network errors."""
        data = message.to_bytes()
        if dest.transport == "udp":
            if self._udp is None or self._udp.transport is None:
                raise RuntimeError("UDP transport is not started")
            self._udp.transport.sendto(data, (dest.host, dest.port))
            return
        conn = self._connections.get(dest)
        if conn is None and isinstance(message, SipResponse):
            fallback = response_fallback_address(message, dest.transport)
            conn = self._connections.get(fallback)
            if conn is None:
                dest = fallback
        if conn is not None:
            conn.write(data)
            return
        pending = self._connecting.get(dest)
        if pending is not None:
            pending.append(data)
            return
        self._connecting[dest] = [data]
        task = asyncio.get_running_loop().create_task(self._connect(dest, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, dest: Address, first: SipMessage) -> None:
        loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if dest.transport == "tls":
            context = self.tls_client_context or ssl.create_default_context()
        elif dest.transport != "tcp":
            self._connecting.pop(dest, None)
            self._report(first, dest, ValueError(f"unknown transport {dest.transport}"))
            return
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Stream(self, dest.transport), dest.host, dest.port, ssl=context
                ),
                timeout=10,
            )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            self._connecting.pop(dest, None)
            log.warning("cannot connect to %s: %s", dest, exc)
            self._report(first, dest, exc)
            return
        # The peer address reported by the socket is the key the connection registered under; alias dest.
        self._connections[dest] = protocol
        for data in self._connecting.pop(dest, []):
            protocol.write(data)

    def _report(self, message: SipMessage, dest: Address, exc: Exception) -> None:
        if self.on_send_error is not None:
            self.on_send_error(message, dest, exc)

    def _register(self, conn: _Stream) -> None:
        assert conn.peer is not None
        self._connections[conn.peer] = conn

    def _unregister(self, conn: _Stream) -> None:
        for key in [k for k, v in self._connections.items() if v is conn]:
            del self._connections[key]

    def connection_count(self) -> int:
        return len({id(c) for c in self._connections.values()})

    def _incoming(self, data: bytes, source: Address, reply: Callable[[bytes, Address], None]) -> None:
        try:
            message = parse_message(data)
        except SipParseError as error:
            response = make_error_response(error)
            if response is None:
                log.info("dropped malformed message from %s: %s", source, error.reason)
                return
            log.info("answered malformed request from %s with %d %s", source, error.status_hint, error.reason)
            reply(response.to_bytes(), source)
            return
        if isinstance(message, SipRequest):
            apply_rport(message, source)
        try:
            self.on_message(message, source)
        except Exception:  # one bad handler call must not kill the connection or the socket
            log.exception("SIP message handler failed for %s from %s", message, source)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for server in self._servers:
            server.close()
        for conn in list({id(c): c for c in self._connections.values()}.values()):
            if conn.transport is not None:
                conn.transport.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=2)
        self._servers.clear()
        self._connections.clear()
        self._udp = None
