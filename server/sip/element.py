"""The PBX as one SIP element: its transactions, its own addresses, and what it sends.

Every part of the proxy (forking, dialogs, presence, messages, trunk registration) sends through one
`Element`: responses through their server transaction, requests through a new client transaction (with an
optional `on_answer` handler that gets the final response, or None on a timeout), stateless forwards
straight to the outbox.  The adapter collects the outbox with `take_outgoing()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from server.sip.address import Address
from server.sip.message import SipMessage, SipRequest, SipResponse, new_branch
from server.sip.transaction import (
    Action,
    Send,
    TimerSettings,
    TransactionError,
    TransactionKey,
    TransactionLayer,
)
from server.sip.uri import SipUri

log = logging.getLogger("server.sip.element")

AnswerHandler = Callable[[SipResponse | None, float], None]


def hostport(a: Address) -> str:
    host = f"[{a.host}]" if ":" in a.host else a.host
    return f"{host}:{a.port}"


def resolve(uri: SipUri) -> Address:
    """Where a URI's requests go without DNS: its host and port, or the transport's default port."""
    transport = uri.transport
    default = 5061 if transport == "tls" else 5060
    return Address(transport, uri.host, uri.port or default)


class Element:
    """Transactions, addresses and the outbox of the PBX."""

    def __init__(self, local: Mapping[str, Address], timers: TimerSettings) -> None:
        self.local = dict(local)
        self.transactions = TransactionLayer(timers, light_methods=frozenset({"REGISTER"}))
        self.outbox: list[Send] = []
        self._answers: dict[TransactionKey, AnswerHandler] = {}

    # ------------------------------------------------------------------ sending
    def perform(self, actions: list[Action]) -> None:
        """Queue the `Send`s among transaction actions."""
        for a in actions:
            if isinstance(a, Send):
                self.outbox.append(a)

    def respond(self, response: SipResponse, now: float) -> None:
        try:
            self.perform(self.transactions.send_response(response, now))
        except TransactionError:
            log.debug("response %d without transaction dropped", response.status)

    def send_request(
        self, request: SipRequest, dest: Address, now: float, on_answer: AnswerHandler | None = None
    ) -> TransactionKey:
        key, actions = self.transactions.send_request(request, dest, now)
        self.perform(actions)
        if on_answer is not None:
            self._answers[key] = on_answer
        return key

    def send_stateless(self, message: SipMessage, dest: Address) -> None:
        self.outbox.append(Send(message, dest))

    def take_outgoing(self) -> list[Send]:
        out, self.outbox = self.outbox, []
        return out

    # ------------------------------------------------------------------ our own requests' answers
    def answered(self, key: TransactionKey, response: SipResponse | None, now: float) -> bool:
        """Hand a final response (None: timeout) of one of our own requests to its handler; False when the
        transaction is not one of those.  Provisional responses are swallowed."""
        handler = self._answers.get(key)
        if handler is None:
            return False
        if response is None or response.status >= 200:
            del self._answers[key]
            handler(response, now)
        return True

    # ------------------------------------------------------------------ addressing
    def local_for(self, transport: str) -> Address:
        return self.local.get(transport) or self.local.get("udp") or next(iter(self.local.values()))

    @property
    def primary(self) -> Address:
        return self.local.get("udp") or next(iter(self.local.values()))

    def via(self, transport: str) -> str:
        local = self.local_for(transport)
        return f"SIP/2.0/{local.transport.upper()} {hostport(local)};branch={new_branch()};rport"

    def rr_uri(self, transport: str) -> str:
        local = self.local_for(transport)
        param = "" if local.transport == "udp" else f";transport={local.transport}"
        return f"sip:{hostport(local)}{param};lr"

    def with_via(self, request: SipRequest, dest: Address) -> SipRequest:
        """`request` with our Via (a new branch) as its only one: a request of our own."""
        request.headers.remove("Via")
        request.headers.add_first("Via", self.via(dest.transport))
        return request

    def is_us(self, uri: SipUri) -> bool:
        return self.is_us_host(uri.host, uri.port)

    def is_us_host(self, host: str, port: int | None) -> bool:
        return any(host == a.host and (port or 5060) == a.port for a in self.local.values())
