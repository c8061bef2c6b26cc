"""asyncio wiring of the PBX core: S1's `SipTransportLayer` (UDP, TCP, TLS) in, one worker, one timer.

Messages are processed one at a time by a single worker task, in arrival order, so the sans-IO core
never sees two messages interleaved across its Directory awaits; timer ticks go through the same
queue.  Time is wall-clock (`time.time`), because binding expiry times are persisted and must
survive a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from server.sip import parser
from server.sip.address import Address
from server.sip.aio.transport import SipTransportLayer
from server.sip.directory import Directory
from server.sip.message import SipMessage
from server.sip.proxy import Proxy, ProxySettings

log = logging.getLogger("server.sip.aio.service")

_QUEUE_LIMIT = 10_000  # beyond this, incoming messages are dropped (overload protection)
_FLUSH_EVERY = 32  # most messages handled before their answers go out, when more are waiting
_HOLD_SECONDS = 0.0005  # ... and no answer waits longer than this for the rest of the burst


@dataclass
class SipService:
    proxy: Proxy
    transports: SipTransportLayer
    ports: dict[str, int]
    _queue: asyncio.Queue[tuple[SipMessage, Address] | tuple[SipMessage] | None] = field(
        default_factory=asyncio.Queue
    )
    _worker: asyncio.Task[None] | None = None
    _timer: asyncio.TimerHandle | None = None
    _timer_at: float | None = None
    _stopped: bool = False
    dropped: int = 0

    def _on_message(self, message: SipMessage, source: Address) -> None:
        if self._queue.qsize() >= _QUEUE_LIMIT:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("overload: %d messages dropped so far", self.dropped)
            return
        self._queue.put_nowait((message, source))

    async def _work(self) -> None:
        unflushed = 0
        held_since = 0.0
        while True:
            item = await self._queue.get()
            if not unflushed:
                held_since = time.perf_counter()
            try:
                if item is None:  # the timer fired
                    self._timer, self._timer_at = None, None
                    await self.proxy.on_timer(time.time())
                elif len(item) == 1:  # a stream connection for this request could not be opened
                    await self.proxy.send_failed(item[0], time.time())
                else:
                    await self.proxy.receive(item[0], item[1], time.time())
            except Exception:
                log.exception("error handling %s", "timer" if item is None else f"message {item}")
            # Under load, answer a burst with a burst: every send wakes the peer (and on a busy machine
            # hands it our CPU), so sends wait until the queue is drained, at most _FLUSH_EVERY messages
            # or _HOLD_SECONDS (peers with a bounded number of open transactions wait on our answers).
            unflushed += 1
            held = time.perf_counter() - held_since
            if unflushed >= _FLUSH_EVERY or held > _HOLD_SECONDS or self._queue.empty():
                unflushed = 0
                try:
                    self._flush()
                except Exception:
                    log.exception("error sending")

    def _on_send_error(self, message: SipMessage, dest: Address, exc: Exception) -> None:
        log.info("cannot reach %s: %s", dest, exc)
        self._queue.put_nowait((message,))

    def _flush(self) -> None:
        for s in self.proxy.take_outgoing():
            try:
                self.transports.send(s.message, s.dest)
            except (OSError, ValueError, RuntimeError) as e:  # unresolvable host, closed socket
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
        self._timer_at = when
        self._timer = asyncio.get_running_loop().call_later(max(0.0, when - time.time()), self._fire_timer)

    def _fire_timer(self) -> None:
        # through the queue, so timers never interleave with message processing
        self._queue.put_nowait(None)

    async def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self.transports.stop()
        for _ in range(3):  # transports close their sockets on the next loop iterations
            await asyncio.sleep(0)


def tune_gc_for_serving(threshold: int = 20_000) -> None:
    """Process-wide GC settings for a dedicated PBX process; call once, after start-up.

    Each REGISTER leaves two server transactions alive for Timer J (32 s), so under load nearly
    every young object survives and the default thresholds (700, 10, 10) run collections that find
    nothing to free.  `gc.freeze()` moves the start-up objects (modules, directory caches) out of
    every later collection.  bench/bench_pbx.py: ~12% less CPU per digest REGISTER.  Not called by
    `start_sip_service` itself, because it changes the whole interpreter (tests, embedded use).
    """
    gc.freeze()
    gc.set_threshold(threshold, 20, 20)


def event_loop_factory(*, prefer_uvloop: bool = True) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where installed and wanted (the SIP hot path costs ~40% less CPU, bench/bench_pbx.py);
    None means asyncio's default loop.  For `asyncio.Runner(loop_factory=...)`."""
    if not prefer_uvloop:
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def start_sip_service(
    *,
    directory: Directory,
    host: str = "127.0.0.1",
    udp_port: int | None = 5060,
    tcp_port: int | None = 5060,
    tls_port: int | None = None,
    media_address: tuple[str, int] | None = None,
    settings: ProxySettings | None = None,
    tls_dir: str | Path | None = None,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
) -> SipService:
    """Bind the listeners and start the PBX; `.ports` has the bound ports ({"udp": .., "tcp": .., "tls": ..}).

    A port of 0 picks a free one; None disables the transport.  With `tcp_port == udp_port == 0`
    TCP gets its own free port.  TLS uses `tls_cert`/`tls_key`, else a self-signed certificate kept in
    `tls_dir` (default: the user data dir of softphone-server).
    """
    holder: list[SipService] = []
    layer = SipTransportLayer(
        lambda m, s: holder[0]._on_message(m, s),
        on_send_error=lambda m, d, e: holder[0]._on_send_error(m, d, e),
    )
    if tls_port is not None and tls_dir is None and (tls_cert is None or tls_key is None):
        tls_dir = Path(platformdirs.user_data_dir("softphone-server")) / "tls"
    await layer.start(host, udp_port, tcp_port, tls_port, tls_dir, tls_cert=tls_cert, tls_key=tls_key)
    local = {t: layer.local_address(t) for t in layer.ports}
    media = Address("udp", media_address[0], int(media_address[1])) if media_address else None
    proxy = Proxy(directory, local=local, media_address=media, settings=settings or ProxySettings())
    service = SipService(proxy=proxy, transports=layer, ports=dict(layer.ports))
    holder.append(service)
    await proxy.start(time.time())
    service._worker = asyncio.ensure_future(service._work())
    service._arm_timer()
    core = "compiled" if (parser.__file__ or "").endswith((".so", ".pyd")) else "pure Python"
    log.info("SIP service listening on %s %s (media %s; SIP core %s)", host, service.ports, media, core)
    return service
