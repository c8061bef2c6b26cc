"""asyncio wiring of the PBX core: UDP and TCP sockets, one worker, one timer.

Messages are processed one at a time by a single worker task, in arrival order, so the sans-IO core
never sees two messages interleaved across its Directory awaits.  Time is wall-clock (`time.time`),
because binding expiry times are persisted and must survive a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from server.sip.address import Address
from server.sip.directory import Directory
from server.sip.errors import SipParseError
from server.sip.message import SipRequest, SipResponse
from server.sip.parser import StreamFramer, make_error_response, parse_message
from server.sip.proxy import Proxy, ProxySettings
from server.sip.transaction import Send

log = logging.getLogger("server.sip.service")

_QUEUE_LIMIT = 10_000  # beyond this, datagrams are dropped (overload protection)
_UDP_BUFFER = 4 * 1024 * 1024


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, on_data: Callable[[bytes, Address], None]) -> None:
        self.on_data = on_data
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.on_data(data, Address("udp", str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        log.debug("udp error: %s", exc)


@dataclass
class SipService:
    proxy: Proxy
    ports: dict[str, int]
    _udp: asyncio.DatagramTransport | None = None
    _tcp_server: asyncio.Server | None = None
    _tcp_writers: dict[tuple[str, int], asyncio.StreamWriter] = field(default_factory=dict)
    _queue: asyncio.Queue[tuple[bytes, Address] | None] = field(default_factory=asyncio.Queue)
    _worker: asyncio.Task[None] | None = None
    _timer: asyncio.TimerHandle | None = None
    _timer_at: float | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _stopped: bool = False

    # ----------------------------------------------------------------- input
    def _on_data(self, data: bytes, source: Address) -> None:
        if self._queue.qsize() >= _QUEUE_LIMIT:
            return
        self._queue.put_nowait((data, source))

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:  # the timer fired
                await self._on_timer()
                continue
            data, source = item
            try:
                await self._process(data, source)
                self._flush()
            except Exception:
                log.exception("error processing message from %s", source)

    async def _process(self, data: bytes, source: Address) -> None:
        if data.strip(b"\r\n") == b"":
            return  # keep-alive
        try:
            msg = parse_message(data)
        except SipParseError as e:
            resp = make_error_response(e)
            log.info("unparseable message from %s: %s", source, e.reason)
            if resp is not None:
                self._send(Send(resp, source))
            return
        await self.proxy.receive(msg, source, time.time())

    async def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        try:
            await self.proxy.on_timer(time.time())
            self._flush()
        except Exception:
            log.exception("error in timer")

    # ----------------------------------------------------------------- output
    def _flush(self) -> None:
        for s in self.proxy.take_outgoing():
            try:
                self._send(s)
            except (OSError, ValueError) as e:  # unresolvable host, family mismatch, closed socket
                log.info("cannot send to %s: %s", s.dest, e)
        self._arm_timer()

    def _arm_timer(self) -> None:
        if self._stopped:
            return
        when = self.proxy.next_timer()
        if when is None or (self._timer_at is not None and self._timer_at <= when):
            return
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer_at = when
        self._timer = loop.call_later(max(0.0, when - time.time()), self._fire_timer)

    def _fire_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        # through the queue, so timers never interleave with message processing
        self._queue.put_nowait(None)

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _send(self, s: Send) -> None:
        msg: SipRequest | SipResponse = s.message
        data = msg.to_bytes()
        dest = s.dest
        if dest.transport == "udp":
            if self._udp is not None:
                self._udp.sendto(data, (dest.host, dest.port))
            return
        writer = self._tcp_writers.get((dest.host, dest.port))
        if writer is not None and not writer.is_closing():
            writer.write(data)
            return
        self._spawn(self._connect_and_send(dest, data))

    async def _connect_and_send(self, dest: Address, data: bytes) -> None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(dest.host, dest.port), 5.0)
        except (OSError, TimeoutError) as e:
            log.info("tcp connect to %s failed: %s", dest, e)
            return
        self._tcp_writers[(dest.host, dest.port)] = writer
        writer.write(data)
        await self._read_stream(reader, writer, Address("tcp", dest.host, dest.port))

    async def _on_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = Address("tcp", str(peer[0]), int(peer[1]))
        self._tcp_writers[(source.host, source.port)] = writer
        await self._read_stream(reader, writer, source)

    async def _read_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, source: Address
    ) -> None:
        framer = StreamFramer()
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                for item in framer.feed(chunk):
                    if isinstance(item, SipParseError):
                        log.info("tcp framing error from %s: %s", source, item.reason)
                        return
                    self._on_data(item, source)
        except (ConnectionError, OSError):
            pass
        finally:
            self._tcp_writers.pop((source.host, source.port), None)
            writer.close()

    # ----------------------------------------------------------------- lifecycle
    async def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        for t in list(self._tasks):
            t.cancel()
        for w in list(self._tcp_writers.values()):
            w.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            with contextlib.suppress(Exception):
                await self._tcp_server.wait_closed()
        if self._udp is not None:
            self._udp.close()


async def start_sip_service(
    *,
    directory: Directory,
    host: str = "127.0.0.1",
    udp_port: int = 5060,
    tcp_port: int | None = 5060,
    tls_port: int | None = None,
    media_address: tuple[str, int] | None = None,
    settings: ProxySettings | None = None,
) -> SipService:
    """Bind UDP (and TCP on the same port when `tcp_port == udp_port` or given) and start the PBX.

    Port 0 picks a free port; the chosen ports are in `.ports`.  TLS is not served yet (`tls_port`
    is accepted for the interface and logged).
    """
    loop = asyncio.get_running_loop()
    holder: dict[str, SipService] = {}

    def on_data(data: bytes, source: Address) -> None:
        holder["s"]._on_data(data, source)

    udp_transport, _ = await loop.create_datagram_endpoint(lambda: _Udp(on_data), local_addr=(host, udp_port))
    sock = udp_transport.get_extra_info("socket")
    if sock is not None:
        # Bursts (a few hundred INVITEs at once) must queue in the kernel, not be dropped.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_BUFFER)
    bound_udp = int(udp_transport.get_extra_info("sockname")[1])
    ports = {"udp": bound_udp}
    local = {"udp": Address("udp", host, bound_udp)}
    media = Address("udp", media_address[0], int(media_address[1])) if media_address else None
    proxy = Proxy(directory, local=local, media_address=media, settings=settings or ProxySettings())
    service = SipService(proxy=proxy, ports=ports, _udp=udp_transport)
    holder["s"] = service
    if tcp_port is not None:
        want = bound_udp if tcp_port in (0, udp_port) else tcp_port
        try:
            server = await asyncio.start_server(service._on_tcp, host, want)
        except OSError:
            server = await asyncio.start_server(service._on_tcp, host, 0)
        service._tcp_server = server
        tcp_bound = int(server.sockets[0].getsockname()[1])
        ports["tcp"] = tcp_bound
        proxy.local["tcp"] = Address("tcp", host, tcp_bound)
    if tls_port is not None:
        log.warning("TLS on port %s requested but not served yet", tls_port)
    await proxy.start(time.time())
    service._worker = asyncio.ensure_future(service._work())
    service._arm_timer()
    log.info("SIP service listening on %s %s (media %s)", host, ports, media)
    return service
