"""Forking: one request from upstream relayed to one or more targets ("branches"), and the best answer back.

Theory of operation
-------------------
A `ProxyCall` is one server transaction (the request as received) and the client transactions it forked
(its branches).  Everything that moves a call from one state to the next is in ``TRANSITIONS``; `Forking`
only interprets it:

* ``TRANSITIONS[(state, event)] -> (next state, effects)``.  Events come from the branches (a provisional,
  a 2xx, a final failure while other branches are live, the last failure), from the caller (CANCEL) and
  from the clock (ring timeout).  A missing entry means "absorb": a provisional after a CANCEL, a failure
  while other branches may still answer, anything once the final answer went upstream.
* Effects relay a response upstream (with the caller's own Via stack, CSeq and From), CANCEL the other
  branches or all of them, and report to the call's owner: ringing, answered (first 2xx), failed (every
  branch failed: the best final response, which the owner sends upstream or handles otherwise).

Branches follow RFC 3261 9.1: a branch is cancelled only after it sent a provisional response; one
cancelled before that is marked and cancelled on its first provisional.  The best final response is the
lowest `_rank`: 6xx, then 486, then an auth challenge, other 4xx, 487, 480, 408, then the rest.  The
owner (the call router, the message relay, the in-dialog relay) decides what a call means; forking only
moves responses.  A trunk that challenges the PBX gets the request again with credentials through the
owner's `retry`, and so does the next gateway of a carrier when one failed (RFC 3263 4.3).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Protocol

from server.sip.address import Address
from server.sip.deadlines import Deadlines
from server.sip.dialog import ROUTE_TOKEN_PARAM
from server.sip.directory import QueuedMessage, Trunk
from server.sip.element import Element
from server.sip.message import SipRequest, SipResponse, make_response, new_tag
from server.sip.transaction import TransactionError, TransactionKey, build_cancel, server_key
from server.sip.uri import SipUri


class CallState(Enum):
    PROCEEDING = auto()  # forked; no final answer upstream yet
    CANCELLING = auto()  # the caller cancelled (or nobody answered in time): branches are being cancelled
    ACCEPTED = auto()  # a 2xx went upstream
    COMPLETED = auto()  # a final failure went upstream


class ForkEvent(Enum):
    PROVISIONAL = auto()  # 101-199 from a branch
    SUCCESS = auto()  # 2xx from a branch
    LAST_FAILURE = auto()  # the last live branch failed, and none answered 2xx
    CANCEL = auto()  # the caller's CANCEL
    RING_TIMEOUT = auto()


class ForkEffect(Enum):
    RELAY = auto()  # the response upstream
    REPORT_RINGING = auto()
    REPORT_ANSWERED = auto()
    CANCEL_OTHERS = auto()  # every other live branch: "call completed elsewhere"
    CANCEL_ALL = auto()
    REPORT_FAILED = auto()  # the best final response to the owner


for _enum in (CallState, ForkEvent, ForkEffect):
    _enum.__hash__ = object.__hash__  # type: ignore[method-assign]

C, V, X = CallState, ForkEvent, ForkEffect

TRANSITIONS: dict[tuple[CallState, ForkEvent], tuple[CallState, tuple[ForkEffect, ...]]] = {
    (C.PROCEEDING, V.PROVISIONAL): (C.PROCEEDING, (X.REPORT_RINGING, X.RELAY)),
    (C.PROCEEDING, V.SUCCESS): (C.ACCEPTED, (X.RELAY, X.CANCEL_OTHERS, X.REPORT_ANSWERED)),
    (C.PROCEEDING, V.LAST_FAILURE): (C.COMPLETED, (X.REPORT_FAILED,)),
    (C.PROCEEDING, V.CANCEL): (C.CANCELLING, (X.CANCEL_ALL,)),
    (C.PROCEEDING, V.RING_TIMEOUT): (C.CANCELLING, (X.CANCEL_ALL,)),
    # a 2xx racing the CANCEL wins: the caller gets it and ends the call with BYE (RFC 3261 16.7)
    (C.CANCELLING, V.SUCCESS): (C.ACCEPTED, (X.RELAY, X.CANCEL_OTHERS, X.REPORT_ANSWERED)),
    (C.CANCELLING, V.LAST_FAILURE): (C.COMPLETED, (X.REPORT_FAILED,)),
    # more 2xx (another forked branch answered too): relayed, the caller ACKs and BYEs it
    (C.ACCEPTED, V.SUCCESS): (C.ACCEPTED, (X.RELAY, X.REPORT_ANSWERED)),
}

RING_NO_ANSWER = 'SIP;cause=480;text="No answer"'
COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"'


class ForkOwner(Protocol):
    """What a call means is its owner's business: forking reports, the owner acts."""

    def ringing(self, call: ProxyCall, now: float) -> None: ...

    def answered(self, call: ProxyCall, branch: Branch, response: SipResponse, now: float) -> None:
        """A 2xx went upstream (the first, or one more from another forked branch)."""
        ...

    def failed(self, call: ProxyCall, best: SipResponse, now: float) -> None:
        """Every branch failed: answer upstream with `best` (`Forking.send_final`) or otherwise."""
        ...

    def retry(
        self, call: ProxyCall, branch: Branch, response: SipResponse
    ) -> tuple[SipRequest, Address] | None:
        """The request again, and where to, for a branch that failed with `response`: a trunk asking the PBX
        for credentials (401/407), a carrier gateway that failed while another one may answer (RFC 3263)."""
        ...


@dataclass(slots=True)
class Branch:
    key: TransactionKey
    request: SipRequest  # as forwarded
    dest: Address
    final: SipResponse | None = None
    provisional: bool = False
    cancel_wanted: bool = False  # cancel once it sends a provisional (RFC 3261 9.1)
    cancelled: bool = False
    cancel_reason: str | None = None


@dataclass(slots=True)
class ProxyCall:
    """One forked request (initial INVITE or MESSAGE, or an in-dialog request) and its branches."""

    server_key: TransactionKey
    request: SipRequest  # as received
    source: Address
    owner: ForkOwner
    state: CallState = CallState.PROCEEDING
    branches: dict[TransactionKey, Branch] = field(default_factory=dict)
    live_branches: int = 0  # client transactions not terminated yet
    server_done: bool = False  # the server transaction terminated
    # set by the owner
    caller_user_id: int | None = None
    callee_user_id: int | None = None
    billed_user_id: int | None = None
    max_seconds: float | None = None  # quota left for billed_user_id
    original_from: str | None = None  # restored on responses upstream when From was rewritten (trunks)
    original_to: str | None = None  # ... and To, for in-dialog requests from a carrier
    trunk_from: str | None = None  # the From the carrier saw (hotline caller ID), kept for the dialog
    cseq_offset: int = 0  # 1 once the INVITE was re-sent with a trunk's credentials
    dnd_seen: bool = False
    no_answer: bool = False  # the ring timeout cancelled the branches
    forward_user_id: int | None = None  # whose busy / no-answer forwarding may still apply (the owner's)
    caller_cancelled: bool = False
    trunk: Trunk | None = None  # a call out through this carrier trunk
    trunk_targets: tuple[Address, ...] = ()  # the trunk's other gateway addresses, tried when one fails
    message: QueuedMessage | None = None  # the message relay's copy to store (MESSAGE)

    @property
    def answered(self) -> bool:
        return self.state is CallState.ACCEPTED

    @property
    def final_sent(self) -> bool:
        return self.state in (CallState.ACCEPTED, CallState.COMPLETED)

    @property
    def cancelled(self) -> bool:
        return self.state is CallState.CANCELLING


@dataclass(frozen=True, slots=True, init=False)
class RingTimeout:
    call: TransactionKey

    # Written out so that mypyc compiles them (dataclass's generated ones stay interpreted): deadlines are
    # made, hashed and compared several times per call.
    def __init__(self, call: TransactionKey) -> None:
        object.__setattr__(self, "call", call)

    def __hash__(self) -> int:
        return hash(self.call)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RingTimeout):
            return NotImplemented
        return self.call == other.call


def _rank(status: int) -> tuple[int, int]:
    if status >= 600:
        return (0, status)
    if status == 486:
        return (1, status)
    if status in (401, 407):
        return (2, status)
    if 400 <= status < 500 and status not in (408, 480, 487):
        return (3, status)
    if status == 487:
        return (4, status)
    if status == 480:
        return (5, status)
    if status == 408:
        return (6, status)
    return (7, status)


def best_response(finals: list[SipResponse]) -> SipResponse:
    return min(finals, key=lambda r: _rank(r.status))


class Forking:
    """Every `ProxyCall` in flight, by server transaction and by branch."""

    def __init__(self, element: Element, *, ring_timeout: float) -> None:
        self.element = element
        self.ring_timeout = ring_timeout
        self.calls: dict[TransactionKey, ProxyCall] = {}
        self._owner_of: dict[TransactionKey, TransactionKey] = {}  # branch -> call
        self._deadlines: Deadlines[RingTimeout] = Deadlines()
        # INVITE server transactions by (Call-ID, CSeq, From tag) -> top Via, to match ACKs that carry a
        # fresh branch (sipp does that for the ACK of a 407) to the INVITE they acknowledge.
        self._invite_vias: dict[tuple[str, int, str], str] = {}
        self._invite_ids: dict[TransactionKey, tuple[str, int, str]] = {}

    # ------------------------------------------------------------------ calls
    def open(self, request: SipRequest, source: Address, owner: ForkOwner) -> ProxyCall:
        call = ProxyCall(server_key(request), request, source, owner)
        self.calls[call.server_key] = call
        return call

    def call_of_branch(self, key: TransactionKey) -> ProxyCall | None:
        owner = self._owner_of.get(key)
        return self.calls.get(owner) if owner is not None else None

    def fork(
        self,
        call: ProxyCall,
        targets: list[tuple[SipUri, Address]],
        now: float,
        *,
        record_route: bool = False,
        token: str | None = None,
        ring_timeout: float | None = None,
    ) -> None:
        """Forward the call's request to every target; arm the ring timeout of an INVITE (`ring_timeout`
        seconds, or the default)."""
        for uri, dest in targets:
            fwd = self.prepare_forward(
                call.request, uri, dest, record_route=record_route, inbound=call.source.transport, token=token
            )
            self.add_branch(call, fwd, dest, now)
        if record_route and call.request.method == "INVITE":
            timeout = self.ring_timeout if ring_timeout is None else ring_timeout
            self._deadlines.set(RingTimeout(call.server_key), now + timeout)

    def reopen(self, call: ProxyCall) -> None:
        """Every branch failed and the owner, instead of answering upstream, forks the call again
        (forwarding): the failed branches no longer count (their transactions end on their own)."""
        call.branches.clear()
        call.state = CallState.PROCEEDING
        call.no_answer = False
        call.dnd_seen = False

    def add_branch(self, call: ProxyCall, request: SipRequest, dest: Address, now: float) -> Branch:
        key = self.element.send_request(request, dest, now)
        branch = call.branches[key] = Branch(key, request, dest)
        call.live_branches += 1
        self._owner_of[key] = call.server_key
        return branch

    def prepare_forward(
        self,
        request: SipRequest,
        uri: SipUri,
        dest: Address,
        *,
        record_route: bool,
        inbound: str | None = None,
        token: str | None = None,
    ) -> SipRequest:
        """A copy of `request` for `uri` via `dest`: Max-Forwards down, our Via on top, our Record-Route."""
        fwd = request.copy()
        fwd.uri = uri
        mf = request.max_forwards
        fwd.headers.set("Max-Forwards", str((mf if mf is not None else 70) - 1))
        fwd.headers.remove("X-Hotline")
        fwd.headers.remove("Proxy-Authorization")
        element = self.element
        if record_route:
            proof = f";{ROUTE_TOKEN_PARAM}={token}" if token else ""
            # RFC 5658 double Record-Route when the two sides use different transports: each side
            # then reaches us on its own transport.
            if inbound is not None and inbound != dest.transport and inbound in element.local:
                fwd.headers.add_first("Record-Route", f"<{element.rr_uri(inbound)}{proof}>")
            fwd.headers.add_first("Record-Route", f"<{element.rr_uri(dest.transport)}{proof}>")
        fwd.headers.add_first("Via", element.via(dest.transport))
        return fwd

    # ------------------------------------------------------------------ the machine
    def _dispatch(
        self, call: ProxyCall, event: ForkEvent, branch: Branch | None, resp: SipResponse | None, now: float
    ) -> None:
        found = TRANSITIONS.get((call.state, event))
        if found is None:
            return
        previous = call.state
        call.state, effects = found
        if event is V.RING_TIMEOUT:
            call.no_answer = True
        for effect in effects:
            if effect is X.RELAY:
                assert resp is not None
                self.element.respond(self.upstream_copy(call, resp), now)
            elif effect is X.REPORT_RINGING:
                call.owner.ringing(call, now)
            elif effect is X.REPORT_ANSWERED:
                assert branch is not None and resp is not None
                self._deadlines.cancel(RingTimeout(call.server_key))
                call.owner.answered(call, branch, resp, now)
            elif effect is X.CANCEL_OTHERS:
                for other in call.branches.values():
                    if other is not branch:
                        self._cancel_branch(other, now, COMPLETED_ELSEWHERE)
            elif effect is X.CANCEL_ALL:
                reason = RING_NO_ANSWER if event is V.RING_TIMEOUT else None
                for other in call.branches.values():
                    self._cancel_branch(other, now, reason)
            elif effect is X.REPORT_FAILED:
                self._deadlines.cancel(RingTimeout(call.server_key))
                finals = [b.final for b in call.branches.values() if b.final is not None]
                best = best_response(finals).copy()
                if call.no_answer and best.status in (408, 487):
                    best = make_response(call.request, 480, "No Answer", to_tag=new_tag())
                elif best.status == 408 and previous is CallState.CANCELLING:
                    best = make_response(call.request, 487, to_tag=new_tag())
                call.owner.failed(call, best, now)

    def on_response(self, key: TransactionKey, resp: SipResponse, now: float) -> bool:
        """A response on one of our branches; False when `key` is not a branch."""
        call = self.call_of_branch(key)
        if call is None:
            return False
        branch = call.branches.get(key)
        if branch is None:
            return True
        status = resp.status
        if status < 200:
            if status == 100:
                return True
            branch.provisional = True
            if branch.cancel_wanted and not branch.cancelled:
                self._send_cancel(branch, now)
            self._dispatch(call, V.PROVISIONAL, branch, resp, now)
        elif status < 300:
            branch.final = branch.final or resp
            self._dispatch(call, V.SUCCESS, branch, resp, now)
        else:
            branch.final = resp
            if call.final_sent:
                return True
            again = call.owner.retry(call, branch, resp)
            if again is not None:
                self.add_branch(call, again[0], again[1], now)
                return True
            if all(b.final is not None for b in call.branches.values()):
                self._dispatch(call, V.LAST_FAILURE, branch, resp, now)
        return True

    def on_timeout(self, key: TransactionKey, unreachable: bool, now: float) -> bool:
        """A branch timed out or could not be sent: it fails with 408 (False when `key` is not a branch)."""
        call = self.call_of_branch(key)
        if call is None:
            return False
        branch = call.branches.get(key)
        if branch is not None and branch.final is None:
            fake = make_response(branch.request, 408, "Unreachable" if unreachable else "Request Timeout")
            self.on_response(key, fake, now)
        return True

    def cancel(self, call: ProxyCall, now: float) -> None:
        """The caller's CANCEL (answered 200 by the caller of this method)."""
        call.caller_cancelled = True
        self._dispatch(call, V.CANCEL, None, None, now)

    def send_final(self, call: ProxyCall, resp: SipResponse, now: float) -> None:
        """A final non-2xx upstream for `call` (ours, or the best branch response)."""
        self.complete(call)
        self.element.respond(self.upstream_copy(call, resp), now)

    def complete(self, call: ProxyCall) -> None:
        """The call's final answer is decided (sent now, or held by its owner): nothing more goes upstream."""
        call.state = CallState.COMPLETED
        self._deadlines.cancel(RingTimeout(call.server_key))

    def upstream_copy(self, call: ProxyCall, resp: SipResponse) -> SipResponse:
        """The response as the caller must see it: the caller's own Via stack (robust against downstream UAs
        that mangle Vias, e.g. a 487 copied from our CANCEL), its own CSeq, From and To."""
        out = resp.copy()
        out.headers.remove("Via")
        for via in reversed(call.request.headers.get_all("Via")):
            out.headers.add_first("Via", via)
        out.headers.set("CSeq", call.request.headers.get("CSeq") or "")
        if call.original_from is not None:
            out.headers.set("From", call.original_from)
        if call.original_to is not None:
            to_tag = resp.to_tag
            out.headers.set("To", f"{call.original_to};tag={to_tag}" if to_tag else call.original_to)
        return out

    def _cancel_branch(self, branch: Branch, now: float, reason: str | None) -> None:
        if branch.final is not None or branch.cancelled:
            return
        branch.cancel_reason = reason
        if branch.provisional:
            self._send_cancel(branch, now)
        else:
            branch.cancel_wanted = True

    def _send_cancel(self, branch: Branch, now: float) -> None:
        branch.cancelled = True
        with contextlib.suppress(TransactionError):
            self.element.send_request(build_cancel(branch.request, branch.cancel_reason), branch.dest, now)

    # ------------------------------------------------------------------ time and lifetime
    def next_timer(self) -> float | None:
        return self._deadlines.next()

    def on_timer(self, now: float) -> None:
        for due in self._deadlines.due(now):
            call = self.calls.get(due.call)
            if call is not None:
                self._dispatch(call, V.RING_TIMEOUT, None, None, now)

    def terminated(self, key: TransactionKey) -> ProxyCall | None:
        """A transaction ended; the call whose server transaction it was (when it was one)."""
        ident = self._invite_ids.pop(key, None)
        if ident is not None:
            self._invite_vias.pop(ident, None)
        owner = self._owner_of.pop(key, None)
        if owner is not None:
            call = self.calls.get(owner)
            if call is not None:
                call.live_branches -= 1
                if call.live_branches <= 0 and call.server_done:
                    del self.calls[owner]
            return None
        call = self.calls.get(key)
        if call is None:
            return None
        call.server_done = True
        if not call.final_sent:
            call.state = CallState.COMPLETED  # late branch answers have nowhere to go
        if call.live_branches <= 0:
            del self.calls[key]
        return call

    # ------------------------------------------------------------------ ACKs with a fresh branch
    def remember_invite(self, request: SipRequest, key: TransactionKey) -> None:
        ident = (request.call_id, request.cseq[0], request.from_tag or "")
        self._invite_vias[ident] = request.headers.get("Via") or ""
        self._invite_ids[key] = ident

    def invite_via(self, ack: SipRequest) -> str | None:
        """The top Via of the INVITE an ACK acknowledges (matched by Call-ID, CSeq and From tag)."""
        return self._invite_vias.get((ack.call_id, ack.cseq[0], ack.from_tag or ""))

    def pending_invites(self) -> Mapping[TransactionKey, ProxyCall]:
        return self.calls
