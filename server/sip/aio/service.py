"""The PBX on asyncio: the `Proxy` on the shared adapter (`CoreRunner`: transports in, the proxy called
directly, sends flushed once per loop iteration, one timer), and the journal committed in the background.
Time is wall-clock (`time.time`), because binding expiry times and quota cut-offs are persisted and must
survive a restart.

The journal writer (`JournalWriter`) commits what the proxy wrote in groups: it waits `group_delay`
after the first pending write (or less when `group_size` are waiting), hands the whole batch to the
sink in one transaction and tells the proxy how far the database got, which releases the responses
that promised durability.  20 ms rather than 2: each transaction costs the event loop ~0.15 ms of
SQLAlchemy and thread hand-offs whatever its size, and at 1,500 REGISTER/s the shorter wait cost 15 %
more CPU per REGISTER (0.31-0.32 vs 0.26-0.27 ms in alternated runs; 5 ms: 0.29, 50 ms: 0.25); a stored
MESSAGE's 202 waits at most that much longer, far inside the 1 s durability promise.  A failing sink
(database down, disk full) keeps the batch and retries with a growing pause; nothing acknowledged is
dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import platformdirs

from server.sip import parser
from server.sip.address import Address
from server.sip.aio.dns import GatewayResolver, make_resolver
from server.sip.aio.runner import CoreRunner
from server.sip.aio.transport import SipTransportLayer
from server.sip.directory import Directory, Disposition
from server.sip.journal import PbxState, Write
from server.sip.proxy import ADMIN_HANGUP_REASON, Proxy, ProxySettings

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
        group_delay: float = 0.02,
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
    """The running PBX: its transports and the proxy on the shared `CoreRunner`, and the journal writer."""

    def __init__(
        self,
        proxy: Proxy,
        transports: SipTransportLayer,
        sink: JournalSink,
        dns_servers: list[str] | None = None,
    ) -> None:
        self.proxy = proxy
        self.transports = transports
        self.ports: dict[str, int] = {}
        self.journal = JournalWriter(self, sink)
        self.runner = CoreRunner(proxy, transports, after_flush=self._after_flush)
        self.gateways = GatewayResolver(proxy.locator, self.in_core, make_resolver(dns_servers))

    def _after_flush(self) -> None:
        if len(self.proxy.journal):
            self.journal.poke()
        self.gateways.poke()

    def in_core(self, work: Callable[[float], None]) -> None:
        """Run `work(now)` on the proxy (anything outside a message: commits, routing changes, commands)."""
        self.runner.in_core(work)

    def hang_up(
        self, call_id: str, reason: str = "", cause: str = "administrator", disposition: str | None = None
    ) -> bool:
        """End a running call now (the console's hang-up button; the media plane with its own ``cause``
        and ``disposition``, ``media_failure``, for the call record); runs in the core, on the caller's
        loop."""
        final = Disposition(disposition) if disposition is not None else None
        text = reason.replace('"', "'").replace("\r", " ").replace("\n", " ")[:100]
        header = f'SIP;cause=200;text="{text}"' if text else ADMIN_HANGUP_REASON
        ended: list[bool] = []
        self.in_core(lambda now: ended.append(self.proxy.hang_up(call_id, now, header, cause, final)))
        return bool(ended and ended[0])

    def trunk_states(self) -> dict[tuple[str, int, str], str]:
        """(host, port, username) of each registering trunk -> idle | registering | registered | failed."""
        return {key: reg.state for key, reg in self.proxy.trunks.registrations.items()}

    async def stop(self) -> None:
        await self.runner.stop()
        await self.gateways.stop()
        await self.journal.stop()


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
    feature_addresses: Mapping[str, tuple[str, int]] | None = None,
    settings: ProxySettings | None = None,
    tls_dir: str | Path | None = None,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    dns_servers: list[str] | None = None,
) -> SipService:
    """Bind the listeners and start the PBX; `.ports` has the bound ports ({"udp": .., "tcp": .., "tls": ..}).

    `state` is what the database had (bindings, running calls, stored messages); `journal_sink` commits
    the PBX's writes (None: they are dropped, for tests of the SIP core alone).  A port of 0 picks a free
    one; None disables the transport.  `dns_servers` ("host[:port]") locate carrier gateways named by host
    name (default: the system's resolver).  With `tcp_port == udp_port == 0` TCP gets its own free port.  TLS
    uses `tls_cert`/`tls_key`, else a self-signed certificate kept in `tls_dir` (default: the user data
    dir of softphone-server).
    """
    holder: list[SipService] = []
    layer = SipTransportLayer(
        lambda m, s: holder[0].runner.on_message(m, s),
        on_send_error=lambda m, d, e: holder[0].runner.on_send_error(m, d, e),
    )
    if tls_port is not None and tls_dir is None and (tls_cert is None or tls_key is None):
        tls_dir = Path(platformdirs.user_data_dir("softphone-server")) / "tls"
    await layer.start(host, udp_port, tcp_port, tls_port, tls_dir, tls_cert=tls_cert, tls_key=tls_key)
    local = {t: layer.local_address(t) for t in layer.ports}
    features = {n: Address("udp", a[0], int(a[1])) for n, a in (feature_addresses or {}).items()}
    proxy = Proxy(
        directory,
        local=local,
        feature_addresses=features,
        settings=settings or ProxySettings(),
    )
    service = SipService(proxy, layer, journal_sink or _discard, dns_servers)
    service.ports = dict(layer.ports)
    holder.append(service)
    service.in_core(lambda now: proxy.start(now, state or PbxState()))
    service.journal.start()
    core = "compiled" if (parser.__file__ or "").endswith((".so", ".pyd")) else "pure Python"
    media = sorted({f"{a.host}:{a.port}" for a in features.values()}) or "no engine"
    log.info("SIP service listening on %s %s (media %s; SIP core %s)", host, service.ports, media, core)
    return service
