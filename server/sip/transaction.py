"""SIP transactions (RFC 3261 section 17, with the RFC 6026 "Accepted" states), sans-IO.

Theory of operation
-------------------
A transaction is the request plus every response to it, retransmissions included. Four state machines exist:
INVITE client (ICT), non-INVITE client (NICT), INVITE server (IST) and non-INVITE server (NIST). All four are
described by the tables below -- everything that changes a transaction's state lives in ``TRANSITIONS``,
``ENTRY_TIMERS`` and ``LIVE_TIMERS``; the ``Transaction`` class only interprets them:

* ``TRANSITIONS[(kind, state, event)] -> (next_state, effects)``. Events are inputs from the network
  (a response class, a retransmitted request, an ACK), from the transaction user (TU: the UA or proxy core
  sending a response) or a timer firing. A missing entry means "absorb silently": that is how retransmissions
  and late responses are swallowed, as the RFC requires.
* ``ENTRY_TIMERS[(kind, state)]`` lists timers armed when a state is entered (only on a real change of state).
  Retransmission timers (A, E, G) are armed only on unreliable transports. Wait timers (D, I, J, K) are zero
  on reliable transports, which makes the transaction terminate at once.
* ``LIVE_TIMERS[(kind, state)]``: timers that survive into a state; every other pending timer is cancelled on
  entry (so a 1xx stops Timer A and B, but leaves a NICT's E and F running).

Time is always an argument. ``handle_timer(now)`` fires every due timer; ``next_timer()`` says when to call it
next. ``TransactionLayer`` owns all transactions, matches incoming messages to them (RFC 3261 17.1.3 for
responses: top Via branch + CSeq method; 17.2.3 for requests: branch + sent-by + method, with ACK matching the
INVITE), keeps one heap of deadlines for all of them, and returns actions for the caller to perform:

* ``Send(message, dest)`` -- put bytes on the wire.
* ``Deliver(message, source, transaction, cancels)`` -- hand a message to the TU. ``transaction`` is None for
  messages outside any transaction (ACK for a 2xx, stray responses); ``cancels`` names the INVITE server
  transaction a CANCEL matches (RFC 3261 9.2), or None -> the TU answers 481.
* ``TransactionTimeout(transaction, request, reason)`` -- Timer B/F/H fired or the transport failed.
* ``Terminated(transaction)`` -- the transaction is gone; its key may be reused.

Deliberate choices: the IST sends "100 Trying" itself 200 ms after it is created unless the TU has answered
by then (RFC 3261 17.2.1), or at once if the client retransmits first -- a TU that answers quickly (a 407
challenge, a busy callee) costs no extra datagram; a 2xx to INVITE moves both INVITE machines to
Accepted (RFC 6026) so 2xx retransmissions reach the TU (client) or the wire (server) and stray ACKs are not
answered. The non-2xx ACK is built by the ICT from the original request (17.1.1.3).

Light server transactions: a layer built with ``light_methods`` (the proxy passes REGISTER) runs those
methods' server transactions over UDP as two small tables instead of ``Transaction`` objects: an open
request (absorbing retransmissions, or repeating the last provisional) and, once answered, the final response
kept for Timer J in a FIFO (every entry lives the same 64*T1, so the FIFO is in deadline order).  The wire
behaviour is the NIST's; the saving is the per-REGISTER state machine, heap entry and 32 s of request
object (bench/bench_pbx.py: REGISTER is the busiest request a PBX sees).  ``get()`` does not see them.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from enum import Enum, auto

from server.sip.address import Address
from server.sip.headers import Headers
from server.sip.message import BRANCH_MAGIC, SipMessage, SipRequest, SipResponse, make_response


class Kind(Enum):
    ICT = "INVITE client"
    NICT = "non-INVITE client"
    IST = "INVITE server"
    NIST = "non-INVITE server"


class State(Enum):
    INIT = auto()
    CALLING = auto()
    TRYING = auto()
    PROCEEDING = auto()
    COMPLETED = auto()
    CONFIRMED = auto()
    ACCEPTED = auto()
    TERMINATED = auto()


class Event(Enum):
    START = auto()
    RECV_1XX = auto()
    RECV_2XX = auto()
    RECV_ERROR = auto()  # 300-699
    RECV_REQUEST = auto()  # retransmission of the server transaction's request
    RECV_ACK = auto()
    TU_1XX = auto()
    TU_2XX = auto()
    TU_ERROR = auto()
    TRANSPORT_ERROR = auto()
    TIMER_A = auto()
    TIMER_B = auto()
    TIMER_D = auto()
    TIMER_E = auto()
    TIMER_F = auto()
    TIMER_G = auto()
    TIMER_H = auto()
    TIMER_I = auto()
    TIMER_J = auto()
    TIMER_K = auto()
    TIMER_L = auto()
    TIMER_M = auto()
    TIMER_TRYING = auto()  # IST: the 200 ms after which 100 Trying goes out if the TU is silent (17.2.1)


class Effect(Enum):
    SEND_REQUEST = auto()  # (re)transmit the client request
    SEND_ACK = auto()  # ICT: (re)send the ACK for the non-2xx final response
    SEND_TRYING = auto()  # IST: 100 Trying when the TU stays silent for 200 ms
    STOP_TRYING = auto()  # IST: the TU (or the retransmission answer) made the pending 100 unnecessary
    SEND_RESPONSE = auto()  # server: transmit the TU's response and remember it
    RESEND_RESPONSE = auto()  # server: retransmit the last response, if any
    RESEND_OR_TRYING = auto()  # IST: retransmit the last response, or send 100 Trying if there is none yet
    DELIVER = auto()  # pass the message to the TU
    TIMEOUT = auto()  # tell the TU the transaction failed
    BACKOFF = auto()  # re-arm the timer that fired at twice its interval (Timer A)
    BACKOFF_CAPPED = auto()  # ... at min(2 * interval, T2) (Timers E and G)
    REARM_T2 = auto()  # ... at T2 (Timer E once a provisional arrived)


# Members are singletons compared by identity, so identity hashing is equivalent; Enum's own __hash__ is
# Python code, and every transition lookup hashes three members.
for _enum in (Kind, State, Event, Effect):
    _enum.__hash__ = object.__hash__  # type: ignore[method-assign]

ICT, NICT, IST, NIST = Kind.ICT, Kind.NICT, Kind.IST, Kind.NIST
S, E, F = State, Event, Effect

TRANSITIONS: dict[tuple[Kind, State, Event], tuple[State, tuple[Effect, ...]]] = {
    # INVITE client (RFC 3261 17.1.1, RFC 6026 7.2)
    (ICT, S.INIT, E.START): (S.CALLING, (F.SEND_REQUEST,)),
    (ICT, S.CALLING, E.TIMER_A): (S.CALLING, (F.SEND_REQUEST, F.BACKOFF)),
    (ICT, S.CALLING, E.TIMER_B): (S.TERMINATED, (F.TIMEOUT,)),
    (ICT, S.CALLING, E.TRANSPORT_ERROR): (S.TERMINATED, (F.TIMEOUT,)),
    (ICT, S.CALLING, E.RECV_1XX): (S.PROCEEDING, (F.DELIVER,)),
    (ICT, S.CALLING, E.RECV_2XX): (S.ACCEPTED, (F.DELIVER,)),
    (ICT, S.CALLING, E.RECV_ERROR): (S.COMPLETED, (F.SEND_ACK, F.DELIVER)),
    (ICT, S.PROCEEDING, E.RECV_1XX): (S.PROCEEDING, (F.DELIVER,)),
    (ICT, S.PROCEEDING, E.RECV_2XX): (S.ACCEPTED, (F.DELIVER,)),
    (ICT, S.PROCEEDING, E.RECV_ERROR): (S.COMPLETED, (F.SEND_ACK, F.DELIVER)),
    (ICT, S.PROCEEDING, E.TRANSPORT_ERROR): (S.TERMINATED, (F.TIMEOUT,)),
    (ICT, S.COMPLETED, E.RECV_ERROR): (S.COMPLETED, (F.SEND_ACK,)),
    (ICT, S.COMPLETED, E.TIMER_D): (S.TERMINATED, ()),
    (ICT, S.ACCEPTED, E.RECV_2XX): (S.ACCEPTED, (F.DELIVER,)),
    (ICT, S.ACCEPTED, E.TIMER_M): (S.TERMINATED, ()),
    # non-INVITE client (17.1.2)
    (NICT, S.INIT, E.START): (S.TRYING, (F.SEND_REQUEST,)),
    (NICT, S.TRYING, E.TIMER_E): (S.TRYING, (F.SEND_REQUEST, F.BACKOFF_CAPPED)),
    (NICT, S.TRYING, E.TIMER_F): (S.TERMINATED, (F.TIMEOUT,)),
    (NICT, S.TRYING, E.TRANSPORT_ERROR): (S.TERMINATED, (F.TIMEOUT,)),
    (NICT, S.TRYING, E.RECV_1XX): (S.PROCEEDING, (F.DELIVER,)),
    (NICT, S.TRYING, E.RECV_2XX): (S.COMPLETED, (F.DELIVER,)),
    (NICT, S.TRYING, E.RECV_ERROR): (S.COMPLETED, (F.DELIVER,)),
    (NICT, S.PROCEEDING, E.TIMER_E): (S.PROCEEDING, (F.SEND_REQUEST, F.REARM_T2)),
    (NICT, S.PROCEEDING, E.TIMER_F): (S.TERMINATED, (F.TIMEOUT,)),
    (NICT, S.PROCEEDING, E.TRANSPORT_ERROR): (S.TERMINATED, (F.TIMEOUT,)),
    (NICT, S.PROCEEDING, E.RECV_1XX): (S.PROCEEDING, (F.DELIVER,)),
    (NICT, S.PROCEEDING, E.RECV_2XX): (S.COMPLETED, (F.DELIVER,)),
    (NICT, S.PROCEEDING, E.RECV_ERROR): (S.COMPLETED, (F.DELIVER,)),
    (NICT, S.COMPLETED, E.TIMER_K): (S.TERMINATED, ()),
    # INVITE server (17.2.1, RFC 6026 7.1)
    (IST, S.INIT, E.START): (S.PROCEEDING, (F.DELIVER,)),
    (IST, S.PROCEEDING, E.TIMER_TRYING): (S.PROCEEDING, (F.SEND_TRYING,)),
    (IST, S.PROCEEDING, E.RECV_REQUEST): (S.PROCEEDING, (F.STOP_TRYING, F.RESEND_OR_TRYING)),
    (IST, S.PROCEEDING, E.TU_1XX): (S.PROCEEDING, (F.STOP_TRYING, F.SEND_RESPONSE)),
    (IST, S.PROCEEDING, E.TU_2XX): (S.ACCEPTED, (F.SEND_RESPONSE,)),
    (IST, S.PROCEEDING, E.TU_ERROR): (S.COMPLETED, (F.SEND_RESPONSE,)),
    (IST, S.PROCEEDING, E.TRANSPORT_ERROR): (S.TERMINATED, (F.TIMEOUT,)),
    (IST, S.ACCEPTED, E.TU_2XX): (S.ACCEPTED, (F.SEND_RESPONSE,)),
    (IST, S.ACCEPTED, E.RECV_ACK): (S.ACCEPTED, (F.DELIVER,)),
    (IST, S.ACCEPTED, E.TIMER_L): (S.TERMINATED, ()),
    (IST, S.COMPLETED, E.RECV_REQUEST): (S.COMPLETED, (F.RESEND_RESPONSE,)),
    (IST, S.COMPLETED, E.TIMER_G): (S.COMPLETED, (F.RESEND_RESPONSE, F.BACKOFF_CAPPED)),
    (IST, S.COMPLETED, E.TIMER_H): (S.TERMINATED, (F.TIMEOUT,)),
    (IST, S.COMPLETED, E.TRANSPORT_ERROR): (S.TERMINATED, (F.TIMEOUT,)),
    (IST, S.COMPLETED, E.RECV_ACK): (S.CONFIRMED, ()),
    (IST, S.CONFIRMED, E.TIMER_I): (S.TERMINATED, ()),
    # non-INVITE server (17.2.2)
    (NIST, S.INIT, E.START): (S.TRYING, (F.DELIVER,)),
    (NIST, S.TRYING, E.TU_1XX): (S.PROCEEDING, (F.SEND_RESPONSE,)),
    (NIST, S.TRYING, E.TU_2XX): (S.COMPLETED, (F.SEND_RESPONSE,)),
    (NIST, S.TRYING, E.TU_ERROR): (S.COMPLETED, (F.SEND_RESPONSE,)),
    (NIST, S.PROCEEDING, E.RECV_REQUEST): (S.PROCEEDING, (F.RESEND_RESPONSE,)),
    (NIST, S.PROCEEDING, E.TU_1XX): (S.PROCEEDING, (F.SEND_RESPONSE,)),
    (NIST, S.PROCEEDING, E.TU_2XX): (S.COMPLETED, (F.SEND_RESPONSE,)),
    (NIST, S.PROCEEDING, E.TU_ERROR): (S.COMPLETED, (F.SEND_RESPONSE,)),
    (NIST, S.PROCEEDING, E.TRANSPORT_ERROR): (S.TERMINATED, (F.TIMEOUT,)),
    (NIST, S.COMPLETED, E.RECV_REQUEST): (S.COMPLETED, (F.RESEND_RESPONSE,)),
    (NIST, S.COMPLETED, E.TIMER_J): (S.TERMINATED, ()),
}


class Interval(Enum):
    """How long a timer runs; resolved against ``TimerSettings`` and the transport's reliability."""

    T1 = auto()
    T4 = auto()
    T1_X64 = auto()
    WAIT_32S = auto()  # Timer D: >= 32 s on unreliable transports
    T4_OR_ZERO = auto()  # Timers I, K
    T1_X64_OR_ZERO = auto()  # Timer J
    TRYING = auto()  # 200 ms before an IST sends 100 Trying on its own


# (timer event, interval, only on unreliable transports)
ENTRY_TIMERS: dict[tuple[Kind, State], tuple[tuple[Event, Interval, bool], ...]] = {
    (ICT, S.CALLING): ((E.TIMER_A, Interval.T1, True), (E.TIMER_B, Interval.T1_X64, False)),
    (ICT, S.COMPLETED): ((E.TIMER_D, Interval.WAIT_32S, False),),
    (ICT, S.ACCEPTED): ((E.TIMER_M, Interval.T1_X64, False),),
    (NICT, S.TRYING): ((E.TIMER_E, Interval.T1, True), (E.TIMER_F, Interval.T1_X64, False)),
    (NICT, S.COMPLETED): ((E.TIMER_K, Interval.T4_OR_ZERO, False),),
    (IST, S.PROCEEDING): ((E.TIMER_TRYING, Interval.TRYING, False),),
    (IST, S.ACCEPTED): ((E.TIMER_L, Interval.T1_X64, False),),
    (IST, S.COMPLETED): ((E.TIMER_G, Interval.T1, True), (E.TIMER_H, Interval.T1_X64, False)),
    (IST, S.CONFIRMED): ((E.TIMER_I, Interval.T4_OR_ZERO, False),),
    (NIST, S.COMPLETED): ((E.TIMER_J, Interval.T1_X64_OR_ZERO, False),),
}

LIVE_TIMERS: dict[tuple[Kind, State], frozenset[Event]] = {
    (ICT, S.CALLING): frozenset({E.TIMER_A, E.TIMER_B}),
    (NICT, S.TRYING): frozenset({E.TIMER_E, E.TIMER_F}),
    (NICT, S.PROCEEDING): frozenset({E.TIMER_E, E.TIMER_F}),
}


@dataclass(frozen=True, slots=True)
class TimerSettings:
    """RFC 3261 timer values in seconds (table 4)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    trying: float = 0.2

    def interval(self, interval: Interval, reliable: bool) -> float:
        if interval is Interval.T1:
            return self.t1
        if interval is Interval.T4:
            return self.t4
        if interval is Interval.T1_X64:
            return 64 * self.t1
        if interval is Interval.TRYING:
            return self.trying
        if interval is Interval.WAIT_32S:
            return 0.0 if reliable else max(32.0, 64 * self.t1)
        if interval is Interval.T4_OR_ZERO:
            return 0.0 if reliable else self.t4
        return 0.0 if reliable else 64 * self.t1


@dataclass(frozen=True, slots=True, init=False)
class TransactionKey:
    """Identity of a transaction. Client keys have ``sent_by == ""`` (our branches are unique)."""

    branch: str
    method: str
    sent_by: str = ""
    server: bool = False

    # __init__, __hash__ and __eq__ are written out so that mypyc compiles them: the ones dataclass generates
    # stay interpreted (a frozen __init__ costs ~0.5 µs, the compiled one ~0.03 µs), and keys are made and
    # looked up several times per message.
    def __init__(self, branch: str, method: str, sent_by: str = "", server: bool = False) -> None:
        object.__setattr__(self, "branch", branch)
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "sent_by", sent_by)
        object.__setattr__(self, "server", server)

    def __hash__(self) -> int:
        return hash((self.branch, self.method, self.sent_by, self.server))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TransactionKey):
            return NotImplemented
        return (
            self.branch == other.branch
            and self.method == other.method
            and self.sent_by == other.sent_by
            and self.server == other.server
        )


# Send and Deliver write out __init__ for mypyc, like TransactionKey: several are made per message.
@dataclass(frozen=True, slots=True, init=False)
class Send:
    message: SipMessage
    dest: Address

    def __init__(self, message: SipMessage, dest: Address) -> None:
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "dest", dest)


@dataclass(frozen=True, slots=True, init=False)
class Deliver:
    message: SipMessage
    source: Address | None
    transaction: TransactionKey | None
    cancels: TransactionKey | None = None

    def __init__(
        self,
        message: SipMessage,
        source: Address | None,
        transaction: TransactionKey | None,
        cancels: TransactionKey | None = None,
    ) -> None:
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "transaction", transaction)
        object.__setattr__(self, "cancels", cancels)


@dataclass(frozen=True, slots=True)
class TransactionTimeout:
    transaction: TransactionKey
    request: SipRequest
    reason: str = "timeout"  # "timeout" | "transport"


@dataclass(frozen=True, slots=True, init=False)
class Terminated:
    transaction: TransactionKey

    # Written out so that mypyc compiles it (dataclass's generated one stays interpreted): one per
    # transaction.
    def __init__(
        self,
        transaction: TransactionKey,
    ) -> None:
        object.__setattr__(self, "transaction", transaction)


Action = Send | Deliver | TransactionTimeout | Terminated


class TransactionError(Exception):
    """A TU asked for something no transaction can do (e.g. a response without a server transaction)."""


def _response_event(status: int, *, from_tu: bool) -> Event:
    if status < 200:
        return E.TU_1XX if from_tu else E.RECV_1XX
    if status < 300:
        return E.TU_2XX if from_tu else E.RECV_2XX
    return E.TU_ERROR if from_tu else E.RECV_ERROR


class Transaction:
    """One transaction of any kind. Drive it with ``start``, ``receive``, ``respond``, ``handle_timer``."""

    def __init__(
        self,
        kind: Kind,
        key: TransactionKey,
        request: SipRequest,
        peer: Address,
        settings: TimerSettings = TimerSettings(),
    ) -> None:
        self.kind = kind
        self.key = key
        self.request = request
        self.peer = peer
        self.settings = settings
        self.state = State.INIT
        self.last_response: SipResponse | None = None
        self._ack: SipRequest | None = None
        self._timers: dict[Event, float] = {}
        self._intervals: dict[Event, float] = {}

    @property
    def reliable(self) -> bool:
        return self.peer.reliable

    def start(self, now: float) -> list[Action]:
        """Send the request (client) or deliver it to the TU and send 100 Trying (INVITE server)."""
        return self._dispatch(E.START, self.request, now)

    def receive(self, message: SipMessage, now: float) -> list[Action]:
        """A response (client transactions) or a retransmitted request / ACK (server transactions)."""
        if isinstance(message, SipResponse):
            return self._dispatch(_response_event(message.status, from_tu=False), message, now)
        if message.method == "ACK":
            return self._dispatch(E.RECV_ACK, message, now)
        return self._dispatch(E.RECV_REQUEST, message, now)

    def respond(self, response: SipResponse, now: float) -> list[Action]:
        """The TU sends a response through this server transaction."""
        return self._dispatch(_response_event(response.status, from_tu=True), response, now)

    def transport_error(self, now: float) -> list[Action]:
        return self._dispatch(E.TRANSPORT_ERROR, None, now)

    def next_timer(self) -> float | None:
        return min(self._timers.values(), default=None)

    def timers(self) -> dict[Event, float]:
        """Pending timers and their deadlines (for tests and diagnostics)."""
        return dict(self._timers)

    def handle_timer(self, now: float) -> list[Action]:
        actions: list[Action] = []
        while self.state is not State.TERMINATED:
            due = [(when, ev) for ev, when in self._timers.items() if when <= now]
            if not due:
                break
            when, event = min(due, key=lambda item: item[0])
            del self._timers[event]
            actions += self._dispatch(event, None, when)
        return actions

    def _dispatch(self, event: Event, message: SipMessage | None, now: float) -> list[Action]:
        entry = TRANSITIONS.get((self.kind, self.state, event))
        if entry is None:
            return []
        next_state, effects = entry
        actions: list[Action] = []
        for effect in effects:
            self._apply(effect, event, message, now, actions)
        if next_state is not self.state:
            self._enter(next_state, now, actions)
        return actions

    def _enter(self, state: State, now: float, actions: list[Action]) -> None:
        self.state = state
        if self._timers:
            live = LIVE_TIMERS.get((self.kind, state), frozenset())
            for ev in [ev for ev in self._timers if ev not in live]:
                del self._timers[ev]
        if state is State.TERMINATED:
            self._timers.clear()
            actions.append(Terminated(self.key))
            return
        immediate: list[Event] = []
        for ev, interval, unreliable_only in ENTRY_TIMERS.get((self.kind, state), ()):
            if unreliable_only and self.reliable:
                continue
            seconds = self.settings.interval(interval, self.reliable)
            if seconds <= 0:
                immediate.append(ev)
            else:
                self._timers[ev] = now + seconds
                self._intervals[ev] = seconds
        for ev in immediate:
            if self.state is not State.TERMINATED:
                actions += self._dispatch(ev, None, now)

    def _apply(
        self, effect: Effect, event: Event, message: SipMessage | None, now: float, actions: list[Action]
    ) -> None:
        if effect is F.SEND_REQUEST:
            actions.append(Send(self.request, self.peer))
        elif effect is F.SEND_ACK:
            if self._ack is None and isinstance(message, SipResponse):
                self._ack = build_ack(self.request, message)
            if self._ack is not None:
                actions.append(Send(self._ack, self.peer))
        elif effect is F.SEND_TRYING or (effect is F.RESEND_OR_TRYING and self.last_response is None):
            trying = make_response(self.request, 100)
            self.last_response = trying
            actions.append(Send(trying, self.peer))
        elif effect is F.STOP_TRYING:
            self._timers.pop(E.TIMER_TRYING, None)
        elif effect is F.SEND_RESPONSE:
            assert isinstance(message, SipResponse)
            self.last_response = message
            actions.append(Send(message, self.peer))
        elif effect is F.RESEND_RESPONSE or effect is F.RESEND_OR_TRYING:
            if self.last_response is not None:
                actions.append(Send(self.last_response, self.peer))
        elif effect is F.DELIVER:
            assert message is not None
            actions.append(Deliver(message, self.peer, self.key))
        elif effect is F.TIMEOUT:
            reason = "transport" if event is E.TRANSPORT_ERROR else "timeout"
            actions.append(TransactionTimeout(self.key, self.request, reason))
        else:
            previous = self._intervals.get(event, self.settings.t1)
            if effect is F.BACKOFF:
                seconds = previous * 2
            elif effect is F.BACKOFF_CAPPED:
                seconds = min(previous * 2, self.settings.t2)
            else:
                seconds = self.settings.t2
            self._timers[event] = now + seconds
            self._intervals[event] = seconds


def build_ack(request: SipRequest, response: SipResponse) -> SipRequest:
    """ACK for a non-2xx final response (RFC 3261 17.1.1.3): same Request-URI, Call-ID, From, CSeq number,
    top Via and Route set as the INVITE; To from the response."""
    headers = Headers()
    top_via = request.headers.get("Via")
    if top_via is not None:
        headers.add("Via", top_via)
    for route in request.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    for name in ("From",):
        value = request.headers.get(name)
        if value is not None:
            headers.add(name, value)
    to_value = response.headers.get("To")
    if to_value is not None:
        headers.add("To", to_value)
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq[0]} ACK")
    return SipRequest(method="ACK", uri=request.uri, headers=headers)


def build_cancel(invite: SipRequest, reason: str | None = None) -> SipRequest:
    """CANCEL for a pending INVITE (RFC 3261 9.1): same Request-URI, Call-ID, From, To, CSeq number, top Via
    (so the same branch) and Route set. Send it only once the INVITE got a provisional response; ``reason``
    becomes a Reason header (RFC 3326), e.g. ``SIP;cause=200;text="Call completed elsewhere"``."""
    headers = Headers()
    top_via = invite.headers.get("Via")
    if top_via is not None:
        headers.add("Via", top_via)
    for route in invite.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    for name in ("From", "To"):
        value = invite.headers.get(name)
        if value is not None:
            headers.add(name, value)
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq[0]} CANCEL")
    if reason:
        headers.add("Reason", reason)
    return SipRequest(method="CANCEL", uri=invite.uri, headers=headers)


def client_key(message: SipMessage) -> TransactionKey:
    """Key of the client transaction a request creates or a response belongs to (17.1.3)."""
    method = message.cseq[1]
    if method == "ACK":
        method = "INVITE"
    return TransactionKey(branch=message.via.branch or "", method=method)


def server_key(request: SipRequest, method: str | None = None) -> TransactionKey:
    """Key of the server transaction for an incoming request (17.2.3); ACK maps to its INVITE.

    Requests without the RFC 3261 magic cookie (RFC 2543 peers) get a key built from Call-ID, CSeq number,
    From tag and the top Via instead of the branch.
    """
    via = request.via
    method = method or request.method
    if method == "ACK":
        method = "INVITE"
    branch = via.branch or ""
    if not branch.startswith(BRANCH_MAGIC):
        branch = f"2543|{request.call_id}|{request.cseq[0]}|{request.from_tag}|{via}|{request.uri}"
    return TransactionKey(branch=branch, method=method, sent_by=via.sent_by, server=True)


class TransactionLayer:
    """All transactions of one SIP element, matched by key, with one timer heap.

    Not thread-safe; meant to be driven by one asyncio task or a test with a fake clock.
    """

    def __init__(
        self, settings: TimerSettings = TimerSettings(), *, light_methods: frozenset[str] = frozenset()
    ) -> None:
        self.settings = settings
        self._transactions: dict[TransactionKey, Transaction] = {}
        self._heap: list[tuple[float, int, TransactionKey]] = []
        self._seq = 0
        self._light_methods = light_methods
        self._light_open: dict[TransactionKey, tuple[Address, SipResponse | None]] = {}
        self._light_done: dict[TransactionKey, tuple[Address, SipResponse]] = {}
        self._light_expiry: deque[tuple[float, TransactionKey]] = deque()

    def __len__(self) -> int:
        return len(self._transactions) + len(self._light_open) + len(self._light_done)

    def get(self, key: TransactionKey) -> Transaction | None:
        return self._transactions.get(key)

    def receive(self, message: SipMessage, source: Address, now: float) -> list[Action]:
        """Match a message from the network to its transaction, creating server transactions for new
        requests. Messages belonging to no transaction are delivered with ``transaction=None``."""
        if isinstance(message, SipResponse):
            txn = self._transactions.get(client_key(message))
            if txn is None:
                return [Deliver(message, source, None)]
            return self._after(txn, txn.receive(message, now))
        key = server_key(message)
        light = message.method in self._light_methods and not source.reliable
        if light and key.branch.startswith(BRANCH_MAGIC):
            return self._receive_light(message, key, source)
        txn = self._transactions.get(key)
        if message.method == "ACK":
            if txn is None or txn.kind is not IST:
                return [Deliver(message, source, None)]
            return self._after(txn, txn.receive(message, now))
        if txn is not None:
            return self._after(txn, txn.receive(message, now))
        kind = IST if message.method == "INVITE" else NIST
        txn = Transaction(kind, key, message, source, self.settings)
        self._transactions[key] = txn
        actions = txn.start(now)
        if message.method == "CANCEL":
            invite_key = server_key(message, "INVITE")
            invite = self._transactions.get(invite_key)
            cancels = invite_key if invite is not None and invite.kind is IST else None
            actions = [
                Deliver(a.message, a.source, a.transaction, cancels) if isinstance(a, Deliver) else a
                for a in actions
            ]
        return self._after(txn, actions)

    def _receive_light(self, request: SipRequest, key: TransactionKey, source: Address) -> list[Action]:
        done = self._light_done.get(key)
        if done is not None:  # Completed: repeat the final response
            return [Send(done[1], done[0])]
        opened = self._light_open.get(key)
        if opened is not None:  # Trying / Proceeding: absorb, or repeat the last provisional
            return [Send(opened[1], opened[0])] if opened[1] is not None else []
        self._light_open[key] = (source, None)
        return [Deliver(request, source, key)]

    def _respond_light(
        self, key: TransactionKey, peer: Address, response: SipResponse, now: float
    ) -> list[Action]:
        if response.status < 200:
            self._light_open[key] = (peer, response)
        else:
            del self._light_open[key]
            self._light_done[key] = (peer, response)
            wait = self.settings.interval(Interval.T1_X64_OR_ZERO, reliable=False)
            self._light_expiry.append((now + wait, key))
        return [Send(response, peer)]

    def send_request(
        self, request: SipRequest, dest: Address, now: float
    ) -> tuple[TransactionKey, list[Action]]:
        """Start a client transaction for ``request`` (which must carry a top Via with a unique branch).

        ACK is not a transaction: it is returned as a plain ``Send`` with the key it would have.
        """
        key = client_key(request)
        if request.method == "ACK":
            return key, [Send(request, dest)]
        if key in self._transactions:
            raise TransactionError(f"client transaction {key.branch} {key.method} already exists")
        kind = ICT if request.method == "INVITE" else NICT
        txn = Transaction(kind, key, request, dest, self.settings)
        self._transactions[key] = txn
        return key, self._after(txn, txn.start(now))

    def send_response(self, response: SipResponse, now: float) -> list[Action]:
        """Send a response through the server transaction it answers (matched by top Via and CSeq)."""
        method = response.cseq[1]
        via = response.via
        branch = via.branch or ""
        if branch.startswith(BRANCH_MAGIC):
            key = TransactionKey(branch, method, via.sent_by, True)
            opened = self._light_open.get(key)
            if opened is not None:
                return self._respond_light(key, opened[0], response, now)
            txn = self._transactions.get(key)
            candidates = [txn] if txn is not None else []
        else:
            candidates = self._rfc2543_candidates(response, method)
        for txn in candidates:
            return self._after(txn, txn.respond(response, now))
        raise TransactionError(f"no server transaction for {response.status} {method}")

    def _rfc2543_candidates(self, response: SipResponse, method: str) -> list[Transaction]:
        """Server transactions of peers without the magic cookie, matched by their whole top Via."""
        via = response.via
        return [
            t
            for t in self._transactions.values()
            if t.key.server and t.key.method == method and t.request.via == via
        ]

    def transport_error(self, key: TransactionKey, now: float) -> list[Action]:
        txn = self._transactions.get(key)
        if txn is None:
            return []
        return self._after(txn, txn.transport_error(now))

    def next_timer(self) -> float | None:
        light = self._light_expiry[0][0] if self._light_expiry else None
        while self._heap:
            when, _, key = self._heap[0]
            txn = self._transactions.get(key)
            if txn is not None and txn.next_timer() == when:
                return when if light is None else min(when, light)
            heapq.heappop(self._heap)
        return light

    def handle_timer(self, now: float) -> list[Action]:
        actions: list[Action] = []
        expiry = self._light_expiry
        while expiry and expiry[0][0] <= now:
            key = expiry.popleft()[1]
            del self._light_done[key]
            actions.append(Terminated(key))
        while self._heap and self._heap[0][0] <= now:
            when, _, key = heapq.heappop(self._heap)
            txn = self._transactions.get(key)
            if txn is None or txn.next_timer() != when:
                continue
            actions += self._after(txn, txn.handle_timer(now))
        return actions

    def _after(self, txn: Transaction, actions: list[Action]) -> list[Action]:
        if txn.state is State.TERMINATED:
            self._transactions.pop(txn.key, None)
        else:
            when = txn.next_timer()
            if when is not None:
                self._seq += 1
                heapq.heappush(self._heap, (when, self._seq, txn.key))
        return actions
