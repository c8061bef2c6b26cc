"""A transaction-stateful SIP element for a transaction user (TU), sans-IO: the transaction layer, with
every `Send` queued for the adapter and everything else (`Deliver`, `TransactionTimeout`, `Terminated`)
handed to the TU's ``on_event``.  Run it for real with `server.sip.aio.endpoint.SipEndpoint`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from server.sip.address import Address
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


class Endpoint:
    def __init__(
        self, on_event: Callable[[EndpointEvent], None], settings: TimerSettings = TimerSettings()
    ) -> None:
        self.on_event = on_event
        self.transactions = TransactionLayer(settings)
        self._outbox: list[Send] = []

    # ------------------------------------------------------------------ SipCore
    def receive(self, message: SipRequest | SipResponse, source: Address, now: float) -> None:
        self._perform(self.transactions.receive(message, source, now))

    def send_failed(self, message: SipRequest | SipResponse, now: float) -> None:
        if isinstance(message, SipRequest) and message.method != "ACK":
            self._perform(self.transactions.transport_error(client_key(message), now))

    def on_timer(self, now: float) -> None:
        self._perform(self.transactions.handle_timer(now))

    def next_timer(self) -> float | None:
        return self.transactions.next_timer()

    def take_outgoing(self) -> list[Send]:
        out, self._outbox = self._outbox, []
        return out

    # ------------------------------------------------------------------ the TU's commands
    def send_request(self, request: SipRequest, dest: Address, now: float) -> TransactionKey:
        """Start a client transaction (ACK is sent without one)."""
        key, actions = self.transactions.send_request(request, dest, now)
        self._perform(actions)
        return key

    def send_response(self, response: SipResponse, now: float) -> None:
        """Answer through the matching server transaction (raises ``TransactionError`` if none)."""
        self._perform(self.transactions.send_response(response, now))

    def send_stateless(self, message: SipMessage, dest: Address) -> None:
        """Outside any transaction: ACK for 2xx, 2xx retransmissions forwarded by a proxy."""
        self._outbox.append(Send(message, dest))

    def _perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self._outbox.append(action)
            else:
                try:
                    self.on_event(action)
                except Exception:
                    log.exception("transaction user failed on %s", type(action).__name__)
