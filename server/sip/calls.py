"""Call routing: an initial INVITE from a user (authenticated) or from a carrier trunk (a hotline number)
becomes a routing decision (`routing.decide` over facts from the snapshot and the registrar) and then SIP:
forked to the callee's devices, out through a carrier trunk with the hotline as caller ID, to the media
service, or refused with a status and a Reason.  The call's CDR follows it (started, ringing, answered,
failed) and the parties' watchers hear about it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from server.sip import routing
from server.sip.address import Address
from server.sip.carriers import normalize_number
from server.sip.cdr import CallLog
from server.sip.dialogs import DialogTable
from server.sip.directory import (
    CallRecord,
    Directory,
    ForwardCondition,
    ForwardRule,
    ForwardTargetKind,
    Hotline,
    UserRouting,
)
from server.sip.element import Element, resolve
from server.sip.forking import Branch, Forking, ProxyCall
from server.sip.locator import Locator, is_address
from server.sip.message import SipRequest, SipResponse, make_response, new_tag
from server.sip.presence_server import PresenceServer
from server.sip.quota import usage_period
from server.sip.registrar import Registrar, binding_address
from server.sip.trunks import authorize
from server.sip.uri import SipUri, parse_uri

log = logging.getLogger("server.sip.calls")

DND_REASON = 'SIP;cause=486;text="Do Not Disturb"'
FAILOVER = frozenset({408, 503})  # a gateway that timed out, could not be reached or is overloaded
BUSY_STATUSES = frozenset({486, 600})  # every device said busy: the callee's busy forwarding applies
LATE_CONDITIONS = (ForwardCondition.BUSY, ForwardCondition.NO_ANSWER)  # known only after ringing


class CallRouter:
    def __init__(
        self,
        *,
        element: Element,
        forking: Forking,
        dialogs: DialogTable,
        presence: PresenceServer,
        calls: CallLog,
        directory: Directory,
        registrar: Registrar,
        locator: Locator,
        feature_addresses: dict[str, Address] | None = None,
    ) -> None:
        self.element = element
        self.forking = forking
        self.dialogs = dialogs
        self.presence = presence
        self.calls = calls
        self.directory = directory
        self.registrar = registrar
        self.locator = locator
        # feature numbers the media engine's UAS answers (echo, hold music...); empty: no engine running
        self.feature_addresses = feature_addresses or {}
        # set by the call-center runtime: hotlines (normalised numbers) routed to its UAS, and the UAS's
        # address, whose INVITEs (agent legs it places itself) are trusted and get no CDR of their own
        self.routed_hotlines: frozenset[str] = frozenset()
        self.pbx_sources: frozenset[Address] = frozenset()

    def inbound_hotline(self, req: SipRequest, source: Address) -> tuple[str, Hotline] | None:
        """(domain, hotline) when the INVITE comes from a hotline's carrier trunk to the hotline's number."""
        for number in (req.uri.user, req.to.uri.user):
            if not number or normalize_number(number) is None:
                continue
            found = self.directory.hotline_by_number(number)
            if found is not None and found[1].trunk.host == source.host:
                return found
        return None

    def invite(
        self,
        req: SipRequest,
        source: Address,
        caller: UserRouting | None,
        domain: str,
        dialed: str,
        inbound: bool,
        now: float,
        *,
        record: bool = True,
    ) -> None:
        """An initial INVITE: decide, write the CDR (unless ``record`` is off), act."""
        req.headers.remove(routing.VOICEMAIL_HEADER)  # only the PBX itself says where voicemail goes
        call = self.forking.open(req, source, self)
        call.caller_user_id = caller.user_id if caller else None
        self.dialogs.note_early(call)
        callee: UserRouting | None = None
        if not routing.is_feature_number(dialed):
            uid = self.directory.user_by_extension(domain, dialed)
            if uid is not None:
                callee = self.directory.user_routing(uid)
        facts = routing.RouteFacts(
            caller,
            dialed,
            req.headers.get("X-Hotline"),
            callee,
            self.registrar.bindings_of(callee.user_id, now) if callee is not None else (),
            self.directory.hotlines(domain),
            (routing.feature_prefix(dialed) or dialed) in self.feature_addresses,
            inbound,
            source in self.pbx_sources,
            callee is not None and self.dialogs.on_call(callee.user_id),
            # a leg the call center places (a queue offering a call) rings the agent, never a forward
            source in self.pbx_sources,
            media_engine=bool(self.feature_addresses),
        )
        decision = routing.decide(facts)
        path: str | None = None
        target = callee
        if isinstance(decision, routing.Forward) and callee is not None:
            call.callee_user_id = callee.user_id  # the call record keeps whom the caller dialled
            path = routing.forward_path(dialed, decision.rule)
            decision, target = self._forward_decision(facts, callee, decision.rule, now)
            if isinstance(decision, routing.NotFound):  # the target is gone: ring the user after all
                path = None
                decision, target = routing.decide(replace(facts, forwarded=True)), callee
        caller_text = caller.extensions[0] if caller and caller.extensions else (req.from_.uri.user or "")
        direction = "inbound" if inbound else "internal"
        hotline_number: str | None = None
        if isinstance(decision, routing.Trunk):
            if caller is not None and decision.billed_user_id is not None and path is None:
                direction = "outbound"
            hotline_number = decision.hotline.number
        elif isinstance(decision, routing.Media):
            direction = "inbound" if inbound else "feature"
        if isinstance(decision, routing.Extension | routing.Dnd) and call.callee_user_id is None:
            call.callee_user_id = decision.user_id
        if record:
            owner = caller  # a carrier's call belongs to the company of the user it reached
            if owner is None and call.callee_user_id is not None:
                owner = self.directory.user_routing(call.callee_user_id)
            self._record(req, owner, caller_text, domain, dialed, direction, hotline_number, call, now, path)
        if isinstance(decision, routing.Extension | routing.Dnd):
            call.callee_user_id = decision.user_id  # a forward's target: their presence, their dialog
        if isinstance(decision, routing.Extension) and not facts.forwarded and callee is not None:
            late = (routing.forward_rule(callee, c) for c in LATE_CONDITIONS)
            if any(rule is not None for rule in late):
                call.forward_user_id = callee.user_id
        self._act(call, decision, target, caller_text, now)

    def _forward_decision(
        self, facts: routing.RouteFacts, user: UserRouting, rule: ForwardRule, now: float
    ) -> tuple[routing.RouteDecision, UserRouting | None]:
        """Where `user`'s forwarding `rule` sends this call, and the user it then rings (if one).

        One hop only: an extension target is decided as a call to it with `forwarded` set, so its own
        forwarding rules do not apply (no loops)."""
        if rule.target_kind == ForwardTargetKind.EXTENSION:
            uid = self.directory.user_by_extension(user.domain, rule.target)
            target = self.directory.user_routing(uid) if uid is not None else None
            if target is None:
                return routing.NotFound("Forwarding target not found"), None
            again = replace(
                facts,
                dialed=rule.target,
                callee=target,
                callee_bindings=self.registrar.bindings_of(target.user_id, now),
                callee_on_call=self.dialogs.on_call(target.user_id),
                forwarded=True,
            )
            return routing.decide(again), target
        if rule.target_kind == ForwardTargetKind.EXTERNAL and user.monthly_minutes is not None:
            used = self.directory.seconds_used(user.user_id, usage_period(now))
            user = replace(user, minutes_used=used / 60.0)
        return routing.forward_target(user, rule, facts.hotlines), None

    def _late_forward(self, call: ProxyCall, best: SipResponse, now: float) -> bool:
        """Busy (every device 486/600) or no answer in time: send the call to the callee's forwarding
        target instead of failing it, when they have such a rule."""
        uid = call.forward_user_id
        if uid is None or call.caller_cancelled:
            return False
        call.forward_user_id = None
        user = self.directory.user_routing(uid)
        if user is None:
            return False
        if call.no_answer:
            rule = routing.forward_rule(user, ForwardCondition.NO_ANSWER)
        elif best.status in BUSY_STATUSES:
            rule = routing.forward_rule(user, ForwardCondition.BUSY)
        else:
            return False
        if rule is None:
            return False
        facts = routing.RouteFacts(
            self.directory.user_routing(call.caller_user_id) if call.caller_user_id is not None else None,
            user.extensions[0] if user.extensions else "",
            None,
            user,
            (),
            self.directory.hotlines(user.domain),
            bool(self.feature_addresses),
            media_engine=bool(self.feature_addresses),
        )
        decision, target = self._forward_decision(facts, user, rule, now)
        if isinstance(decision, routing.NotFound):
            return False  # the target is gone: the caller gets the busy / no answer
        self.forking.reopen(call)
        self.presence.changed(uid, now)
        changes: dict[str, object] = {"path": routing.forward_path(facts.dialed, rule)}
        if isinstance(decision, routing.Trunk):
            changes["hotline"] = decision.hotline.number
        self.calls.update(call.request.call_id, **changes)
        if isinstance(decision, routing.Extension | routing.Dnd):
            call.callee_user_id = decision.user_id
        log.info("call %s: %s", call.request.call_id, changes["path"])
        self._act(call, decision, target, facts.dialed, now)
        return True

    def _record(
        self,
        req: SipRequest,
        owner: UserRouting | None,
        caller_text: str,
        domain: str,
        dialed: str,
        direction: str,
        hotline_number: str | None,
        call: ProxyCall,
        now: float,
        path: str | None = None,
    ) -> None:
        self.calls.start(
            CallRecord(
                call_id=req.call_id,
                company_id=owner.company_id if owner else None,
                domain=domain,
                caller=caller_text,
                callee=dialed,
                direction=direction,
                hotline=hotline_number,
                start=now,
                caller_user_id=call.caller_user_id,
                callee_user_id=call.callee_user_id,
                path=path,
            )
        )

    def _act(
        self,
        call: ProxyCall,
        decision: routing.RouteDecision,
        callee: UserRouting | None,
        caller_text: str,
        now: float,
    ) -> None:
        req = call.request
        if isinstance(decision, routing.Dnd):
            resp = make_response(req, 486, to_tag=new_tag())
            resp.headers.add("Reason", DND_REASON)
            call.dnd_seen = True
            self.failed(call, resp, now)
        elif isinstance(decision, routing.Forbidden):
            resp = make_response(req, 403, decision.reason, to_tag=new_tag())
            resp.headers.add("Reason", f'SIP;cause=403;text="{decision.reason}"')
            self.failed(call, resp, now)
        elif isinstance(decision, routing.NotFound):
            self.failed(call, make_response(req, 404, decision.reason, to_tag=new_tag()), now)
        elif isinstance(decision, routing.Unavailable):
            self.failed(call, make_response(req, 480, decision.reason, to_tag=new_tag()), now)
        elif isinstance(decision, routing.MediaDown):
            resp = make_response(req, 503, decision.reason, to_tag=new_tag())
            resp.headers.add("Reason", f'SIP;cause=503;text="{decision.reason}"')
            self.failed(call, resp, now)
        elif isinstance(decision, routing.Extension):
            if callee is not None and callee.auto_answer:
                # Understood by pjsip-based and most desk phones: answer without ringing.
                auto = self.element.rr_uri("udp").removesuffix(";lr")
                req.headers.set("Call-Info", f"<{auto}>;answer-after=0")
            targets = [
                (parse_uri(b.contact), binding_address(b) or resolve(parse_uri(b.contact)))
                for b in decision.contacts
            ]
            self._fork(call, targets, now, ring_timeout=decision.ring_seconds)
            self.presence.changed(decision.user_id, now)
        elif isinstance(decision, routing.Trunk):
            self._out_through_trunk(call, decision, caller_text, now)
        elif isinstance(decision, routing.Media):
            m = self.feature_addresses.get(decision.feature) or self.feature_addresses.get(
                routing.feature_prefix(decision.feature) or ""
            )
            assert m is not None
            # who dialled, as the proxy authenticated them (the agents' feature codes act on it)
            req.headers.remove(routing.PBX_USER_HEADER)
            if call.caller_user_id is not None:
                req.headers.set(routing.PBX_USER_HEADER, str(call.caller_user_id))
            self._fork(call, [(SipUri(user=decision.feature, host=m.host, port=m.port), m)], now)
        elif isinstance(decision, routing.Voicemail):
            box = self.feature_addresses.get(routing.CALL_CENTER)
            if box is None:
                self.failed(call, make_response(req, 480, "Voicemail unavailable", to_tag=new_tag()), now)
                return
            req.headers.set(routing.VOICEMAIL_HEADER, decision.header)
            uri = SipUri(user=routing.CALL_CENTER, host=box.host, port=box.port)
            self._fork(call, [(uri, box)], now)
        elif isinstance(decision, routing.Forward):  # decided again with `forwarded`: never one more hop
            self.failed(call, make_response(req, 480, "Forwarding loop", to_tag=new_tag()), now)

    def _fork(
        self,
        call: ProxyCall,
        targets: list[tuple[SipUri, Address]],
        now: float,
        ring_timeout: float | None = None,
    ) -> None:
        self.forking.fork(
            call,
            targets,
            now,
            record_route=True,
            token=self.dialogs.route_proof(call, now),
            ring_timeout=ring_timeout,
        )

    def _out_through_trunk(
        self, call: ProxyCall, decision: routing.Trunk, caller_text: str, now: float
    ) -> None:
        req = call.request
        trunk = decision.hotline.trunk
        targets = self.locator.targets(trunk, now)
        if not targets:
            resp = make_response(req, 503, "Carrier gateway not located yet", to_tag=new_tag())
            resp.headers.add("Retry-After", "5")
            log.warning("outbound call %s: no address for trunk host %s yet", req.call_id, trunk.host)
            self.failed(call, resp, now)
            return
        call.trunk_targets = targets[1:]
        call.max_seconds = decision.max_seconds
        call.billed_user_id = decision.billed_user_id
        call.trunk = trunk
        call.original_from = req.headers.get("From")
        carrier_from = replace(
            req.from_, uri=SipUri(user=decision.caller_id, host=trunk.host), display_name=None
        )
        call.trunk_from = str(replace(carrier_from, params={}))
        req.headers.set("From", str(carrier_from))
        req.headers.set("P-Asserted-Identity", f"<sip:{decision.caller_id}@{trunk.host}>")
        log.info("outbound %s -> %s via hotline %s", caller_text, decision.number, decision.hotline.number)
        # a gateway named by host name keeps its name in the Request-URI (RFC 3263); no port when SRV applies
        port = trunk.port if is_address(trunk.host) or trunk.port != 5060 else None
        uri = SipUri(user=decision.number, host=trunk.host, port=port)
        self._fork(call, [(uri, targets[0])], now)

    # ------------------------------------------------------------------ ForkOwner
    def ringing(self, call: ProxyCall, now: float) -> None:
        self.calls.ringing(call.request.call_id)

    def answered(self, call: ProxyCall, branch: Branch, response: SipResponse, now: float) -> None:
        if call.request.call_id in self.dialogs.dialogs:
            self.dialogs.another_2xx(call, response)
        else:
            self.dialogs.answered(call, branch, response, now)

    def failed(self, call: ProxyCall, best: SipResponse, now: float) -> None:
        if self._late_forward(call, best, now):
            return
        self.forking.send_final(call, best, now)
        if call.callee_user_id is not None:
            self.presence.changed(call.callee_user_id, now)
        dnd = call.dnd_seen or "Do Not Disturb" in (best.headers.get("Reason") or "")
        self.calls.failed(call.request.call_id, now, best.status, best.reason, dnd=dnd)

    def retry(
        self, call: ProxyCall, branch: Branch, response: SipResponse
    ) -> tuple[SipRequest, Address] | None:
        if call.trunk is None:
            return None
        if response.status in (401, 407):
            if call.cseq_offset:
                return None  # the credentials were refused
            again = authorize(branch.request, response, call.trunk)
            if again is None:
                return None
            call.cseq_offset = 1
            return again, branch.dest
        if response.status in FAILOVER and call.trunk_targets:
            dest, call.trunk_targets = call.trunk_targets[0], call.trunk_targets[1:]
            log.info(
                "call %s: gateway %s failed (%d), trying %s",
                call.request.call_id,
                branch.dest,
                response.status,
                dest,
            )
            return self.element.with_via(branch.request.copy(), dest), dest
        return None
