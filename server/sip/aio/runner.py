"""The one asyncio adapter of the sans-IO SIP cores (the PBX's `Proxy`, an `Endpoint`): sockets in, the core
called directly, its output sent once per event-loop iteration, one timer following `next_timer()`.

A core never waits, so each message is handled right in the transport's callback, in arrival order.  Sends
are collected and flushed with `call_soon`: a burst of requests read in one loop iteration is answered
with one burst of sends.  A failure inside the core for one message is logged and costs only that message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from server.sip.address import Address
from server.sip.aio.transport import SipTransportLayer
from server.sip.message import SipMessage, SipRequest, SipResponse
from server.sip.transaction import Send

log = logging.getLogger("server.sip.aio.runner")


class SipCore(Protocol):
    """What a sans-IO SIP core offers its adapter."""

    def receive(self, message: SipRequest | SipResponse, source: Address, now: float) -> None: ...

    def send_failed(self, message: SipRequest | SipResponse, now: float) -> None: ...

    def on_timer(self, now: float) -> None: ...

    def next_timer(self) -> float | None: ...

    def take_outgoing(self) -> list[Send]: ...


class MediaHook(Protocol):
    """Rewrites the SDP of some outgoing messages before they leave (media anchoring for recording)."""

    def wants(self, message: SipRequest | SipResponse, dest: Address) -> bool: ...

    async def rewrite(self, message: SipRequest | SipResponse) -> None: ...


class CoreRunner:
    """Runs `core` over `transports`.  `clock` gives the core's `now` (wall-clock by default: the PBX
    persists expiry times); build it inside the running loop, after the transports started."""

    def __init__(
        self,
        core: SipCore,
        transports: SipTransportLayer,
        *,
        clock: Callable[[], float] = time.time,
        after_flush: Callable[[], None] | None = None,
    ) -> None:
        self.core = core
        self.transports = transports
        self.clock = clock
        self._after_flush = after_flush
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._flush_scheduled = False
        self._stopped = False
        self.errors = 0
        # set by the media plane when calls are recorded: those messages leave after `rewrite` (~1 ms)
        self.media_hook: MediaHook | None = None
        self._held: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ into the core
    def on_message(self, message: SipMessage, source: Address) -> None:
        """The transports' message callback."""
        try:
            self.core.receive(message, source, self.clock())
        except Exception:
            self.errors += 1
            log.exception("error handling a message from %s", source)
        self.flush_soon()

    def on_send_error(self, message: SipMessage, dest: Address, exc: Exception) -> None:
        """The transports could not deliver `message` (no connection): its transaction fails now."""
        log.info("cannot reach %s: %s", dest, exc)
        self.in_core(lambda now: self.core.send_failed(message, now))

    def in_core(self, work: Callable[[float], None]) -> None:
        """Run `work(now)` against the core (anything outside a message: timers, commits, commands)."""
        try:
            work(self.clock())
        except Exception:
            self.errors += 1
            log.exception("error in the SIP core")
        self.flush_soon()

    def _fire_timer(self) -> None:
        self._timer, self._timer_at = None, None
        self.in_core(self.core.on_timer)

    # ------------------------------------------------------------------ out of the core
    def flush_soon(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        hook = self.media_hook
        for s in self.core.take_outgoing():
            if (
                hook is not None
                and isinstance(s.message, SipRequest | SipResponse)
                and hook.wants(s.message, s.dest)
            ):
                task = self._loop.create_task(self._send_rewritten(hook, s))
                self._held.add(task)
                task.add_done_callback(self._held.discard)
                continue
            try:
                self.transports.send(s.message, s.dest)
            except (OSError, ValueError, RuntimeError) as e:  # unresolvable host, closed socket
                log.info("cannot send to %s: %s", s.dest, e)
        if self._after_flush is not None:
            self._after_flush()
        self._arm_timer()

    async def _send_rewritten(self, hook: MediaHook, s: Send) -> None:
        message = s.message
        assert isinstance(message, SipRequest | SipResponse)
        try:
            await hook.rewrite(message)
        except Exception as e:  # the call goes on with the phones' own SDP, unanchored
            log.warning("media hook failed for %s (%s); sent unchanged", message.call_id, e)
        try:
            self.transports.send(message, s.dest)
        except (OSError, ValueError, RuntimeError) as e:
            log.info("cannot send to %s: %s", s.dest, e)

    def _arm_timer(self) -> None:
        if self._stopped:
            return
        when = self.core.next_timer()
        if when is None or (self._timer_at is not None and self._timer_at <= when):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_later(max(0.0, when - self.clock()), self._fire_timer)

    async def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        await self.transports.stop()
        for _ in range(3):  # transports close their sockets on the next loop iterations
            await asyncio.sleep(0)
