"""`SipEndpoint`: the sans-IO `Endpoint` (a transaction-stateful element for a TU) on real sockets, through
the one adapter every core runs on (`CoreRunner`).  Time is ``loop.time()``."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from pathlib import Path

from server.sip.address import Address
from server.sip.aio.runner import CoreRunner
from server.sip.aio.transport import SipTransportLayer
from server.sip.endpoint import Endpoint, EndpointEvent
from server.sip.message import SipMessage, SipRequest, SipResponse
from server.sip.transaction import TimerSettings, TransactionKey, TransactionLayer

__all__ = ["EndpointEvent", "SipEndpoint"]


class SipEndpoint:
    """Runs transactions over real sockets and reports TU events to ``on_event(event)``."""

    def __init__(
        self,
        on_event: Callable[[EndpointEvent], None],
        *,
        settings: TimerSettings = TimerSettings(),
        tls_client_context: ssl.SSLContext | None = None,
    ) -> None:
        self.core = Endpoint(on_event, settings)
        self.transport = SipTransportLayer(
            lambda m, s: self._runner().on_message(m, s),
            on_send_error=lambda m, d, e: self._runner().on_send_error(m, d, e),
            tls_client_context=tls_client_context,
        )
        self.runner: CoreRunner | None = None

    def _runner(self) -> CoreRunner:
        assert self.runner is not None, "endpoint not started"
        return self.runner

    @property
    def transactions(self) -> TransactionLayer:
        return self.core.transactions

    async def start(
        self,
        host: str = "127.0.0.1",
        udp_port: int | None = 0,
        tcp_port: int | None = 0,
        tls_port: int | None = None,
        tls_dir: str | Path | None = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        self.runner = CoreRunner(self.core, self.transport, clock=loop.time)
        await self.transport.start(host, udp_port, tcp_port, tls_port, tls_dir)

    @property
    def ports(self) -> dict[str, int]:
        return self.transport.ports

    def now(self) -> float:
        return self._runner().clock()

    def send_request(self, request: SipRequest, dest: Address) -> TransactionKey:
        """Start a client transaction (ACK is sent without one)."""
        key = self.core.send_request(request, dest, self.now())
        self._runner().flush_soon()
        return key

    def send_response(self, response: SipResponse) -> None:
        """Answer through the matching server transaction (raises ``TransactionError`` if none)."""
        self.core.send_response(response, self.now())
        self._runner().flush_soon()

    def send_stateless(self, message: SipMessage, dest: Address) -> None:
        """Send outside any transaction: ACK for 2xx, 2xx retransmissions forwarded by a proxy."""
        self.core.send_stateless(message, dest)
        self._runner().flush_soon()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
        else:
            await self.transport.stop()
