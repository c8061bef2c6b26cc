"""SIP MESSAGE between colleagues: relayed to every registered device, stored for later when none can take
it, delivered from the store when the recipient registers (`messages.py` has the rules).

A 202 Accepted for a stored message promises it is kept, so it is held until the journal has committed
the message (`committed`); every other answer goes out at once.
"""

from __future__ import annotations

import logging

from server.sip import messages
from server.sip.address import Address
from server.sip.directory import Directory, QueuedMessage, UserRouting
from server.sip.element import AnswerHandler, Element, resolve
from server.sip.forking import Branch, Forking, ProxyCall
from server.sip.journal import Journal, MessageDelivered, MessageQueued
from server.sip.message import SipRequest, SipResponse, make_response, new_tag
from server.sip.registrar import Registrar, binding_address
from server.sip.uri import parse_uri

log = logging.getLogger("server.sip.message_relay")


class MessageRelay:
    def __init__(
        self,
        *,
        element: Element,
        forking: Forking,
        directory: Directory,
        registrar: Registrar,
        journal: Journal,
    ) -> None:
        self.element = element
        self.forking = forking
        self.directory = directory
        self.registrar = registrar
        self.journal = journal
        self.pending = messages.PendingMessages()
        self._delivering: set[str] = set()
        self._held: list[tuple[int, SipResponse]] = []  # (journal sequence, response)

    def receive(self, req: SipRequest, caller: UserRouting, dialed: str, source: Address, now: float) -> None:
        """An authenticated MESSAGE from `caller` to extension `dialed`."""
        uid = self.directory.user_by_extension(caller.domain, dialed)
        if uid is None:
            self.element.respond(make_response(req, 404, to_tag=new_tag()), now)
            return
        call = self.forking.open(req, source, self)
        call.caller_user_id, call.callee_user_id = caller.user_id, uid
        call.message = messages.queued_from_request(req, domain=caller.domain, user_id=uid, now=now)
        bindings = self.registrar.bindings_of(uid, now)
        if not bindings:
            self._store(call, now)
            return
        targets = [
            (parse_uri(b.contact), binding_address(b) or resolve(parse_uri(b.contact))) for b in bindings
        ]
        self.forking.fork(call, targets, now)

    def _store(self, call: ProxyCall, now: float) -> None:
        m = call.message
        assert isinstance(m, QueuedMessage)
        if not messages.worth_storing(m.content_type):
            self.forking.send_final(call, make_response(call.request, 480, to_tag=new_tag()), now)
            return
        self.pending.add(m)
        seq = self.journal.append(MessageQueued(m))
        log.info("message %s stored for user %d", m.message_id, m.user_id)
        # 202 promises the message is kept: it goes out once the database has it
        accepted = make_response(call.request, 202, to_tag=new_tag())
        self.forking.complete(call)
        self._held.append((seq, self.forking.upstream_copy(call, accepted)))

    def committed(self, seq: int, now: float) -> None:
        """The journal reached `seq`: the 202s waiting for it go out."""
        if not self._held or self._held[0][0] > seq:
            return
        ready = [r for s, r in self._held if s <= seq]
        self._held = [(s, r) for s, r in self._held if s > seq]
        for resp in ready:
            self.element.respond(resp, now)

    def deliver_pending(self, user_id: int, now: float) -> None:
        """Stored messages of a user who (re-)registered: from the PBX to their newest device."""
        pending = self.pending.of(user_id)
        if not pending:
            return
        bindings = self.registrar.bindings_of(user_id, now)
        if not bindings:
            return
        b = bindings[0]
        dest = binding_address(b) or resolve(parse_uri(b.contact))
        for m in pending:
            if m.message_id in self._delivering:
                continue
            self._delivering.add(m.message_id)
            r = messages.delivery_request(m, parse_uri(b.contact))
            self.element.send_request(self.element.with_via(r, dest), dest, now, on_answer=self._delivered(m))

    def _delivered(self, m: QueuedMessage) -> AnswerHandler:
        def done(resp: SipResponse | None, now: float) -> None:
            self._delivering.discard(m.message_id)
            if resp is not None and resp.status < 300:
                self.pending.delivered(m)
                self.journal.append(MessageDelivered(m.message_id, now))
                log.info("message %s delivered from store", m.message_id)

        return done

    # ------------------------------------------------------------------ ForkOwner
    def ringing(self, call: ProxyCall, now: float) -> None:
        pass

    def answered(self, call: ProxyCall, branch: Branch, response: SipResponse, now: float) -> None:
        pass

    def failed(self, call: ProxyCall, best: SipResponse, now: float) -> None:
        if best.status in messages.UNREACHABLE and call.message is not None:
            self._store(call, now)
        else:
            self.forking.send_final(call, best, now)

    def retry(
        self, call: ProxyCall, branch: Branch, response: SipResponse
    ) -> tuple[SipRequest, Address] | None:
        return None
