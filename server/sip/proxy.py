"""The PBX core: a stateful, record-routing SIP proxy, as a thin router over parts with one job each.
No sockets and no waiting: messages and `now` go in, `Send`s come out (`take_outgoing`).

Every message first goes through the transaction layer (`Element`), which absorbs retransmissions and
returns actions; the router hands what is left to the part whose job it is:

* `Registrar` -- REGISTER (digest, bindings, expiry);
* `CallRouter` (calls.py) -- initial INVITEs: routing decision, CDR, fork / trunk / media / refusal;
* `Forking` -- every relayed request's branches, responses, CANCEL, ring timeout;
* `DialogTable` (dialogs.py) -- answered calls: in-dialog relay, restore after a restart, quota cut-off,
  hang-up;
* `PresenceServer` -- SUBSCRIBE / PUBLISH / NOTIFY;
* `MessageRelay` -- MESSAGE relay and store-and-forward;
* `TrunkRegistrations` -- the PBX's own REGISTERs to carrier trunks.

Routing facts come from the in-memory `Directory` (the routing snapshot); whatever must survive a
restart goes to the `Journal`, which the adapter commits in batches and acknowledges with
`journal_committed`.  `next_timer()` merges every part's deadlines.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from server.sip import routing
from server.sip.address import Address
from server.sip.auth import DigestAuthenticator, authenticate
from server.sip.calls import CallRouter
from server.sip.cdr import CallLog
from server.sip.dialog import route_token_key
from server.sip.dialogs import DialogTable
from server.sip.directory import Directory, Disposition, UserRouting
from server.sip.element import Element, hostport
from server.sip.errors import SipParseError
from server.sip.flood import FloodGuard, FloodPolicy
from server.sip.forking import Forking
from server.sip.journal import Journal, PbxState
from server.sip.locator import Locator
from server.sip.message import SipRequest, SipResponse, make_response, new_tag
from server.sip.message_relay import MessageRelay
from server.sip.presence import PresenceAgent
from server.sip.presence_server import PresenceServer
from server.sip.quota import usage_period
from server.sip.registrar import Registrar
from server.sip.transaction import (
    Action,
    Deliver,
    Send,
    Terminated,
    TimerSettings,
    TransactionKey,
    TransactionTimeout,
    client_key,
)
from server.sip.trunk_registrations import TrunkRegistrations

log = logging.getLogger("server.sip.proxy")

AUTHENTICATED_METHODS = frozenset({"INVITE", "MESSAGE", "SUBSCRIBE", "PUBLISH"})
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, PUBLISH, REFER, INFO"
ADMIN_HANGUP_REASON = 'SIP;cause=200;text="Ended by an administrator"'


@dataclass(frozen=True, slots=True)
class ProxySettings:
    ring_timeout: float = 120.0  # no answer from any branch -> CANCEL them all, 480 upstream
    housekeeping_interval: float = 5.0  # binding/subscription expiry sweep
    max_dialog_age: float = 12 * 3600.0  # a call whose BYE we never saw is closed (CDR, presence) after this
    timers: TimerSettings = field(default_factory=TimerSettings)
    flood: FloodPolicy = field(default_factory=FloodPolicy)
    nonce_ttl: float = 300.0
    auth_algorithms: tuple[str, ...] = ("SHA-256", "MD5")
    # The server's persisted secret: keys the dialog proof in our Record-Route, so in-dialog requests of
    # calls set up before a restart are still relayed.  None: a per-process key (nothing survives a restart).
    route_key: bytes | None = field(default=None, repr=False)


class Proxy:
    """Sans-IO PBX core.  Drive with `receive` and `on_timer`; collect output with `take_outgoing`."""

    def __init__(
        self,
        directory: Directory,
        *,
        local: Mapping[str, Address],
        feature_addresses: Mapping[str, Address] | None = None,
        settings: ProxySettings = ProxySettings(),
        auth_secret: bytes | None = None,
    ) -> None:
        self.directory = directory
        self.settings = settings
        self.element = element = Element(local, settings.timers)
        self.journal = journal = Journal()
        self.auth = DigestAuthenticator(
            secret=auth_secret, nonce_ttl=settings.nonce_ttl, algorithms=settings.auth_algorithms
        )
        exempt = frozenset(a.host for a in (feature_addresses or {}).values())
        self.flood = FloodGuard(replace(settings.flood, exempt_hosts=settings.flood.exempt_hosts | exempt))
        self.registrar = Registrar(directory, journal, self.auth, self.flood)
        self.calls = CallLog(journal)
        self.locator = Locator()
        self.forking = Forking(element, ring_timeout=settings.ring_timeout)
        self.dialogs = DialogTable(
            element=element,
            forking=self.forking,
            calls=self.calls,
            journal=journal,
            directory=directory,
            registrar=self.registrar,
            route_key=route_token_key(settings.route_key or secrets.token_bytes(32)),
            max_dialog_age=settings.max_dialog_age,
        )
        self.presence = PresenceServer(
            element=element,
            agent=PresenceAgent(local_contact=f"sip:pbx@{hostport(element.primary)}"),
            directory=directory,
            registrar=self.registrar,
            dialogs=self.dialogs,
            forking=self.forking,
            journal=journal,
        )
        self.dialogs.listener = self.presence
        self.messages = MessageRelay(
            element=element,
            forking=self.forking,
            directory=directory,
            registrar=self.registrar,
            journal=journal,
        )
        self.router = CallRouter(
            element=element,
            forking=self.forking,
            dialogs=self.dialogs,
            presence=self.presence,
            calls=self.calls,
            directory=directory,
            registrar=self.registrar,
            locator=self.locator,
            feature_addresses=dict(feature_addresses or {}),
        )
        self.trunks = TrunkRegistrations(element, directory, self.locator)
        self._next_housekeeping: float | None = None

    # ------------------------------------------------------------------ driving
    def start(self, now: float, state: PbxState = PbxState()) -> None:
        """Take back what the database had (after a restart) and begin."""
        count = self.registrar.load(state.bindings, now)
        if count:
            log.info("registrar: %d bindings restored", count)
        for m in state.pending_messages:
            self.messages.pending.add(m)
        for p in state.presence:
            self.presence.restore(p.user_id, p.status, p.note, p.expires_at)
        self.calls.adopt(list(state.running_calls), now)
        self.dialogs.rearm(now)
        self.locator.want([h.trunk for h in self.directory.all_hotlines()], now)
        self._next_housekeeping = now + self.settings.housekeeping_interval

    def take_outgoing(self) -> list[Send]:
        return self.element.take_outgoing()

    def next_timer(self) -> float | None:
        times = (
            self.element.transactions.next_timer(),
            self._next_housekeeping,
            self.forking.next_timer(),
            self.dialogs.next_timer(),
        )
        return min((t for t in times if t is not None), default=None)

    def receive(self, message: SipRequest | SipResponse, source: Address, now: float) -> None:
        if isinstance(message, SipRequest) and not self.flood.allow(source.host, now):
            return
        try:
            actions = self.element.transactions.receive(message, source, now)
        except SipParseError as e:
            log.info("dropping message from %s: %s", source, e.reason)
            return
        self._run(actions, now)

    def send_failed(self, message: SipRequest | SipResponse, now: float) -> None:
        """The transport could not deliver `message` (no connection): fail its transaction now instead of
        after Timer B/F, so forking moves on and the caller hears about it."""
        if isinstance(message, SipRequest) and message.method != "ACK":
            self._run(self.element.transactions.transport_error(client_key(message), now), now)

    def on_timer(self, now: float) -> None:
        self._run(self.element.transactions.handle_timer(now), now)
        self.forking.on_timer(now)
        self.dialogs.on_timer(now)
        if self._next_housekeeping is not None and now >= self._next_housekeeping:
            self._next_housekeeping = now + self.settings.housekeeping_interval
            self._housekeeping(now)

    def journal_committed(self, seq: int, now: float) -> None:
        """The database has every journal write up to `seq`: the responses that waited for it go out."""
        self.journal.mark_committed(seq)
        self.messages.committed(seq, now)

    def routing_changed(self, user_ids: set[int], now: float) -> None:
        """New facts in the snapshot (users' DND, devices, hotlines): tell watchers, locate new gateways."""
        self.locator.want([h.trunk for h in self.directory.all_hotlines()], now)
        for uid in user_ids:
            if self.presence.watched(uid):
                self.presence.changed(uid, now)

    def hang_up(
        self,
        call_id: str,
        now: float,
        reason: str = ADMIN_HANGUP_REASON,
        cause: str = "administrator",
        disposition: Disposition | None = None,
    ) -> bool:
        """An administrator (or the media plane, ``cause``) ends a call: BYE to both parties once answered,
        CANCEL to the ringing devices before (the caller then gets 487).  False when no such call runs."""
        if self.dialogs.hang_up(call_id, now, reason=reason, cause=cause, disposition=disposition):
            return True
        for call in list(self.forking.pending_invites().values()):
            if call.request.call_id == call_id and call.request.method == "INVITE" and not call.final_sent:
                if not call.cancelled:
                    self.forking.cancel(call, now)
                return True
        return False

    def _housekeeping(self, now: float) -> None:
        self.locator.want([h.trunk for h in self.directory.all_hotlines()], now)
        self.trunks.tick(now)
        self.dialogs.housekeeping(now)
        for uid in {b.user_id for b in self.registrar.expire(now)}:
            self.presence.changed(uid, now)
        self.presence.housekeeping(now)

    # ------------------------------------------------------------------ action loop
    def _run(self, actions: list[Action], now: float) -> None:
        self.element.perform(actions)
        for a in actions:
            try:
                if isinstance(a, Deliver):
                    if isinstance(a.message, SipRequest):
                        assert a.source is not None
                        self._on_request(a.message, a.source, a.transaction, a.cancels, now)
                    elif a.transaction is None:
                        self._forward_response_statelessly(a.message)
                    elif not self.element.answered(a.transaction, a.message, now):
                        self.forking.on_response(a.transaction, a.message, now)
                elif isinstance(a, TransactionTimeout):
                    if not self.element.answered(a.transaction, None, now):
                        self.forking.on_timeout(a.transaction, a.reason != "timeout", now)
                elif isinstance(a, Terminated):
                    call = self.forking.terminated(a.transaction)
                    if call is not None:
                        self.dialogs.end_early(call)
            except SipParseError as e:
                log.info("bad message: %s", e.reason)
                if isinstance(a, Deliver) and isinstance(a.message, SipRequest) and a.transaction is not None:
                    self.element.respond(make_response(a.message, 400, e.reason), now)

    # ------------------------------------------------------------------ requests
    def _on_request(
        self,
        req: SipRequest,
        source: Address,
        txn: TransactionKey | None,
        cancels: TransactionKey | None,
        now: float,
    ) -> None:
        method = req.method
        if method == "ACK":
            if txn is None:
                self._stray_ack(req, source, now)
            return
        if method == "CANCEL":
            self._on_cancel(req, cancels, now)
            return
        if method == "INVITE" and txn is not None and req.to_tag is None:
            self.forking.remember_invite(req, txn)
        mf = req.max_forwards
        if mf is not None and mf <= 0:
            self.element.respond(make_response(req, 483), now)
            return
        if req.to_tag is not None:
            tokens = self.dialogs.own_route_tokens(req)
            self._pop_own_routes(req)
            if not self.dialogs.relay(req, source, tokens, now):
                self.presence.in_dialog(req, source, now)
            return
        self._pop_own_routes(req)
        if method == "REGISTER":
            result = self.registrar.handle(req, source, now)
            self.element.respond(result.response, now)
            if result.credential is not None:
                uid = result.credential.user_id
                if result.added or result.removed:
                    self.presence.changed(uid, now)
                self.messages.deliver_pending(uid, now)
            return
        if method == "OPTIONS":
            resp = make_response(req, 200, to_tag=new_tag())
            resp.headers.add("Allow", ALLOW)
            self.element.respond(resp, now)
            return
        if method in AUTHENTICATED_METHODS:
            self._initial(req, source, now)
            return
        self.element.respond(make_response(req, 405 if method == "REFER" else 501, to_tag=new_tag()), now)

    def _initial(self, req: SipRequest, source: Address, now: float) -> None:
        """INVITE/MESSAGE/SUBSCRIBE/PUBLISH outside a dialog: from a carrier to a hotline, or authenticated"""
        inbound = self.router.inbound_hotline(req, source) if req.method == "INVITE" else None
        caller: UserRouting | None = None
        if inbound is not None:
            domain, hotline = inbound
            target = routing.route_inbound_hotline(hotline, self.router.routed_hotlines)
            if isinstance(target, routing.NotFound):
                self.element.respond(make_response(req, 404, target.reason, to_tag=new_tag()), now)
                return
            dialed = target.dialed
            if dialed == routing.CALL_CENTER:  # which hotline was called, as the PBX (not the carrier) says
                req.headers.set("X-Hotline", hotline.number)
        elif req.method == "INVITE" and source in self.router.pbx_sources:
            # a leg the PBX places itself (a queue ringing an agent): trusted, routed as an internal call
            domain = req.uri.host.lower()
            dialed = req.uri.user or ""
        else:
            got = authenticate(
                req,
                directory=self.directory,
                auth=self.auth,
                flood=self.flood,
                realm=req.from_.uri.host.lower(),
                source=source,
                now=now,
                proxy=True,
            )
            if isinstance(got, SipResponse):
                self.element.respond(got, now)
                return
            caller = self.directory.user_routing(got.user_id)
            if caller is None:
                self.element.respond(make_response(req, 403, "No such user", to_tag=new_tag()), now)
                return
            if caller.monthly_minutes is not None:
                used = self.directory.seconds_used(caller.user_id, usage_period(now))
                caller = replace(caller, minutes_used=used / 60.0)
            domain = caller.domain
            dialed = req.uri.user or ""
        if req.method == "SUBSCRIBE":
            self.presence.subscribe(req, domain, source, now)
        elif req.method == "PUBLISH":
            assert caller is not None
            self.presence.publish(req, caller.user_id, now)
        elif req.method == "MESSAGE":
            assert caller is not None
            self.messages.receive(req, caller, dialed, source, now)
        else:
            self.router.invite(
                req, source, caller, domain, dialed, inbound is not None, now,
                record=source not in self.router.pbx_sources,
            )

    def _on_cancel(self, req: SipRequest, cancels: TransactionKey | None, now: float) -> None:
        if cancels is None:
            self.element.respond(make_response(req, 481), now)
            return
        self.element.respond(make_response(req, 200), now)
        call = self.forking.calls.get(cancels)
        if call is None or call.final_sent:
            return
        self.calls.update(req.call_id, hangup_cause="caller CANCEL")
        self.forking.cancel(call, now)

    def _stray_ack(self, req: SipRequest, source: Address, now: float) -> None:
        """An ACK outside any transaction: the ACK of a 2xx (forward along the route set), or an ACK of our
        non-2xx whose branch does not match the INVITE's (re-matched by Call-ID, CSeq and From tag)."""
        if self.dialogs.stray_ack(req, now):
            return
        via = self.forking.invite_via(req)
        if via is not None and via != req.headers.get("Via"):
            fixed = req.copy()
            fixed.headers.set("Via", via)
            self._run(self.element.transactions.receive(fixed, source, now), now)
        # anything else has no route through us: drop it

    def _pop_own_routes(self, req: SipRequest) -> None:
        """Remove our Route entries (one, or two when we double-record-routed)."""
        routes = req.routes
        while routes and self.element.is_us(routes[0].uri):
            req.headers.pop_first("Route")
            routes = routes[1:]

    def _forward_response_statelessly(self, resp: SipResponse) -> None:
        vias = resp.vias
        if len(vias) < 2 or not self.element.is_us_host(vias[0].host, vias[0].port):
            return
        out = resp.copy()
        out.headers.pop_first("Via")
        nxt = vias[1]
        host = nxt.received or nxt.host
        port = nxt.rport or nxt.port or 5060
        self.element.send_stateless(out, Address(nxt.transport.lower(), host, port))
