"""asyncio wiring of the PBX core: `SipTransportLayer` (UDP, TCP, TLS) in, the proxy called directly, one
timer, and the journal committed in the background.

The proxy never awaits, so each message is handled right in the transport's callback, in arrival order.
Its output is sent once per event-loop iteration (`call_soon`), so a burst of requests read in one
iteration is answered with one burst of sends.  Time is wall-clock (`time.time`), because binding
expiry times and quota cut-offs are persisted and must survive a restart.

The journal writer (`JournalWriter`) commits what the proxy wrote in groups: it waits `group_delay`
after the first pending write (or less when `group_size` are waiting), hands the whole batch to the
sink in one transaction and tells the proxy how far the database got, which releases the responses
that promised durability.  A failing sink (database down, disk full) keeps the batch and retries with
a growing pause; nothing acknowledged is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import platformdirs

from server.sip import parser
from server.sip.address import Address
from server.sip.aio.transport import SipTransportLayer
from server.sip.directory import Directory
from server.sip.journal import PbxState, Write
from server.sip.message import SipMessage
from server.sip.proxy import Proxy, ProxySettings

log = logging.getLogger("server.sip.aio.service")

JournalSink = Callable[[list[Write]], Awaitable[None]]


async def _discard(_writes: list[Write]) -> None:
    """A sink that keeps nothing (tests and benchmarks of the SIP core alone)."""


class JournalWriter:
    """Group commit of the proxy's journal through `sink`, off the response path."""

    def __init__(
        self,
        service: SipService,
        sink: JournalSink,
        *,
        group_delay: float = 0.002,
        group_size: int = 2000,
    ) -> None:
        self._service = service
        self._sink = sink
        self.group_delay = group_delay
        self.group_size = group_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.written = 0
        self.failures = 0

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def poke(self) -> None:
        """Something was appended: commit soon."""
        if not self._wake.is_set():
            self._wake.set()

    async def _run(self) -> None:
        journal = self._service.proxy.journal
        pause = 0.05
        batch: list[Write] = []
        seq = 0
        while True:
            if not batch:
                await self._wake.wait()
                self._wake.clear()
                if len(journal) < self.group_size:
                    await asyncio.sleep(self.group_delay)
                seq, batch = journal.take()
                if not batch:
                    continue
            try:
                await self._sink(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                log.error(
                    "journal: committing %d writes failed (%s); retrying in %.2f s", len(batch), exc, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            pause = 0.05
            self.batches += 1
            self.written += len(batch)
            batch = []
            self._service.in_core(functools.partial(self._committed, seq))
            if len(journal):
                self._wake.set()

    def _committed(self, seq: int, now: float) -> None:
        self._service.proxy.journal_committed(seq, now)

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything appended so far is committed (shutdown, tests)."""
        journal = self._service.proxy.journal
        target = journal.appended
        deadline = time.monotonic() + timeout
        while journal.committed < target:
            if time.monotonic() > deadline:
                return False
            self.poke()
            await asyncio.sleep(0.002)
        return True

    async def stop(self, timeout: float = 10.0) -> None:
        if not await self.flush(timeout):
            log.error("journal: %d writes not committed at shutdown", len(self._service.proxy.journal))
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class SipService:
    """The running PBX: transports, the proxy, its timer and its journal writer."""

    def __init__(self, proxy: Proxy, transports: SipTransportLayer, sink: JournalSink) -> None:
        self.proxy = proxy
        self.transports = transports
        self.ports: dict[str, int] = {}
        self.journal = JournalWriter(self, sink)
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._flush_scheduled = False
        self._stopped = False
        self.errors = 0

    # ------------------------------------------------------------------ into the core
    def _on_message(self, message: SipMessage, source: Address) -> None:
        try:
            self.proxy.receive(message, source, time.time())
        except Exception:
            self.errors += 1
            log.exception("error handling a message from %s", source)
        self._schedule_flush()

    def _on_send_error(self, message: SipMessage, dest: Address, exc: Exception) -> None:
        log.info("cannot reach %s: %s", dest, exc)
        self.in_core(lambda now: self.proxy.send_failed(message, now))

    def _fire_timer(self) -> None:
        self._timer, self._timer_at = None, None
        self.in_core(self.proxy.on_timer)

    def in_core(self, work: Callable[[float], None]) -> None:
        """Run `work(now)` on the proxy (anything outside a message: timers, commits, routing changes)."""
        try:
            work(time.time())
        except Exception:
            self.errors += 1
            log.exception("error in the SIP core")
        self._schedule_flush()

    # ------------------------------------------------------------------ out of the core
    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        for s in self.proxy.take_outgoing():
            try:
                self.transports.send(s.message, s.dest)
            except (OSError, ValueError, RuntimeError) as e:  # unresolvable host, closed socket
                log.info("cannot send to %s: %s", s.dest, e)
        if len(self.proxy.journal):
            self.journal.poke()
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
        self._timer = self._loop.call_later(max(0.0, when - time.time()), self._fire_timer)

    async def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        await self.transports.stop()
        await self.journal.stop()
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
    state: PbxState | None = None,
    journal_sink: JournalSink | None = None,
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

    `state` is what the database had (bindings, running calls, stored messages); `journal_sink` commits
    the PBX's writes (None: they are dropped, for tests of the SIP core alone).  A port of 0 picks a free
    one; None disables the transport.  With `tcp_port == udp_port == 0` TCP gets its own free port.  TLS
    uses `tls_cert`/`tls_key`, else a self-signed certificate kept in `tls_dir` (default: the user data
    dir of softphone-server).
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
    service = SipService(proxy, layer, journal_sink or _discard)
    service.ports = dict(layer.ports)
    holder.append(service)
    proxy.start(time.time(), state or PbxState())
    service.journal.start()
    service._schedule_flush()
    core = "compiled" if (parser.__file__ or "").endswith((".so", ".pyd")) else "pure Python"
    log.info("SIP service listening on %s %s (media %s; SIP core %s)", host, service.ports, media, core)
    return service
