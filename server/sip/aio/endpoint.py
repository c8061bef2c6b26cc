"""A transaction-stateful SIP element on asyncio: ``SipTransportLayer`` + ``TransactionLayer`` + one timer.

This is the thin glue the sans-IO core needs to run for real: network messages go through the transaction
layer, its ``Send`` actions go to the transport, everything else (``Deliver``, ``TransactionTimeout``,
``Terminated``) goes to the transaction user's ``on_event``, and one ``LoopTimer`` follows
``TransactionLayer.next_timer()``. Time is ``loop.time()``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from pathlib import Path

from server.sip.address import Address
from server.sip.aio.timers import LoopTimer
from server.sip.aio.transport import SipTransportLayer
from server.sip.message import SipMessage, SipRequest, SipResponse
from server.sip.transaction import (
    Action,
    Deliver,
    Send,
    Terminated,
    TimerSettings,
    TransactionKey,
    TransactionLayer,
    TransactionTimeout,
    client_key,
)

log = logging.getLogger(__name__)

EndpointEvent = Deliver | TransactionTimeout | Terminated


class SipEndpoint:
    """Runs transactions over real sockets and reports TU events to ``on_event(event)``."""

    def __init__(
        self,
        on_event: Callable[[EndpointEvent], None],
        *,
        settings: TimerSettings = TimerSettings(),
        tls_client_context: ssl.SSLContext | None = None,
    ) -> None:
        self.on_event = on_event
        self.transactions = TransactionLayer(settings)
        self.transport = SipTransportLayer(
            self._on_message, on_send_error=self._on_send_error, tls_client_context=tls_client_context
        )
        self._timer: LoopTimer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(
        self,
        host: str = "127.0.0.1",
        udp_port: int | None = 0,
        tcp_port: int | None = 0,
        tls_port: int | None = None,
        tls_dir: str | Path | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._timer = LoopTimer(self._loop, self._on_timer)
        await self.transport.start(host, udp_port, tcp_port, tls_port, tls_dir)

    @property
    def ports(self) -> dict[str, int]:
        return self.transport.ports

    def now(self) -> float:
        assert self._loop is not None, "endpoint not started"
        return self._loop.time()

    def send_request(self, request: SipRequest, dest: Address) -> TransactionKey:
        """Start a client transaction (ACK is sent without one)."""
        key, actions = self.transactions.send_request(request, dest, self.now())
        self._perform(actions)
        return key

    def send_response(self, response: SipResponse) -> None:
        """Answer through the matching server transaction (raises ``TransactionError`` if none)."""
        self._perform(self.transactions.send_response(response, self.now()))

    def send_stateless(self, message: SipMessage, dest: Address) -> None:
        """Send outside any transaction: ACK for 2xx, 2xx retransmissions forwarded by a proxy."""
        self.transport.send(message, dest)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        await self.transport.stop()

    def _on_message(self, message: SipMessage, source: Address) -> None:
        self._perform(self.transactions.receive(message, source, self.now()))

    def _on_send_error(self, message: SipMessage, dest: Address, exc: Exception) -> None:
        if isinstance(message, SipRequest) and message.method != "ACK":
            self._perform(self.transactions.transport_error(client_key(message), self.now()))

    def _on_timer(self, now: float) -> None:
        self._perform(self.transactions.handle_timer(now))

    def _perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self.transport.send(action.message, action.dest)
            else:
                try:
                    self.on_event(action)
                except Exception:
                    log.exception("transaction user failed on %s", type(action).__name__)
        if self._timer is not None:
            self._timer.schedule(self.transactions.next_timer())
