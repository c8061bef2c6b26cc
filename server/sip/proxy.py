"""The PBX core: a stateful, record-routing SIP proxy with the registrar, presence agent and
MESSAGE store-and-forward attached.  No sockets: messages and `now` go in, `Send`s come out.

Theory of operation
-------------------
Every message first goes through S1's `TransactionLayer`, which absorbs retransmissions and
returns actions.  `Deliver`ed requests reach `_on_request`:

* requests with a To tag are in-dialog: we pop our own Route and forward them along the route set
  (loose routing) or to the Request-URI; ACK for a 2xx is forwarded without a transaction;
* REGISTER goes to the `Registrar`, SUBSCRIBE/PUBLISH to the `PresenceAgent`, MESSAGE to the relay;
* INVITE is authenticated (407), routed by `routing.decide` on facts from the Directory, and then
  forked: one client transaction ("branch") per target.  Provisional responses go upstream; the first
  2xx goes upstream and CANCELs the other branches; when every branch is final without a 2xx, the
  best final response goes upstream (6xx first, then 486 > 480 > other 4xx > 5xx).

A `Dialog` is remembered for every answered call (Call-ID + tags, both contacts and flows) so the
proxy can end a call itself when the monthly quota runs out (BYE to both sides), keep presence's
"on the phone", and close the CDR when a BYE passes through.  At answer time the dialog and the
quota cut-off time are stored with the call's CDR (`CallDialog`, `CallRecord.cutoff`), so a restart
(even `kill -9`) does not lose them:

* `start` re-arms the cut-off of every answered, not ended call that has one (`_rearm_cutoffs`); a
  cut-off that fell while the server was down fires on the first timer tick, and bills the call up to
  the cut-off moment only;
* our Record-Route carries a MAC over the Call-ID and the caller's tag (`dialog.route_token`, keyed by
  the server's persisted secret): after a restart an in-dialog request whose route proof verifies
  re-creates any other dialog (`_restore_dialog`, from the stored `CallDialog` when there is one)
  instead of getting 481, and nobody can forge one towards a trunk.

Our own timers (ring timeout, quota cut-off, binding/subscription expiry) live in `_deadlines`;
`next_timer()` merges them with the transaction layer's.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from server.sip import messages, routing
from server.sip.address import Address, parse_address
from server.sip.auth import DigestAuthenticator, authenticate
from server.sip.carriers import normalize_number
from server.sip.cdr import CallLog
from server.sip.dialog import ROUTE_TOKEN_PARAM, route_token, route_token_key, verify_route_token
from server.sip.directory import (
    CallDialog,
    CallRecord,
    DialogParty,
    Directory,
    Disposition,
    Hotline,
    QueuedMessage,
    Trunk,
    UserRouting,
)
from server.sip.errors import SipParseError
from server.sip.flood import FloodGuard, FloodPolicy
from server.sip.headers import NameAddr, parse_name_addr
from server.sip.journal import (
    Journal,
    MessageDelivered,
    MessageQueued,
    PbxState,
    PresencePublished,
    UsageAdded,
)
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.presence import (
    EVENTS,
    DialogState,
    PresenceAgent,
    PresenceFacts,
    Subscription,
    derive_status,
)
from server.sip.quota import usage_period
from server.sip.registrar import Registrar, binding_address
from server.sip.transaction import (
    Action,
    Deliver,
    Send,
    Terminated,
    TimerSettings,
    TransactionError,
    TransactionKey,
    TransactionLayer,
    TransactionTimeout,
    client_key,
    server_key,
)
from server.sip.trunks import TrunkRegistration, authorize, trunk_key
from server.sip.uri import SipUri, parse_uri

log = logging.getLogger("server.sip.proxy")

DND_REASON = 'SIP;cause=486;text="Do Not Disturb"'
AUTHENTICATED_METHODS = frozenset({"INVITE", "MESSAGE", "SUBSCRIBE", "PUBLISH"})
_ENDED_MEMORY = 10_000  # Call-IDs of ended dialogs kept so their Record-Route proof cannot revive them
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, PUBLISH, REFER, INFO"


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


@dataclass(slots=True)
class Branch:
    key: TransactionKey
    request: SipRequest
    dest: Address
    final: SipResponse | None = None
    provisional: bool = False
    cancel_wanted: bool = False
    cancelled: bool = False


@dataclass(slots=True)
class ProxyCall:
    """One forked initial request (INVITE or MESSAGE) and its branches."""

    server_key: TransactionKey
    request: SipRequest  # as received
    source: Address
    branches: dict[TransactionKey, Branch] = field(default_factory=dict)
    answered: bool = False
    final_sent: bool = False
    cancelled: bool = False
    dnd_seen: bool = False
    caller_user_id: int | None = None
    callee_user_id: int | None = None
    original_from: str | None = None  # restored on responses when we rewrote From for a trunk
    max_seconds: float | None = None  # quota left for billed_user_id
    billed_user_id: int | None = None
    message: QueuedMessage | None = None  # MESSAGE: stored if no device accepts it
    pending: bool = True  # routing decision not made yet
    initial: bool = True  # False: an in-dialog request relayed along the route set
    trunk: Trunk | None = None  # set for calls out through a carrier trunk
    cseq_offset: int = 0  # 1 once we re-sent the INVITE with the trunk's credentials
    live_branches: int = 0
    server_done: bool = False


@dataclass(slots=True)
class Dialog:
    call_id: str
    caller_tag: str
    callee_tag: str
    caller_uri: str  # From of the INVITE (name-addr without tag)
    callee_uri: str  # To of the INVITE (without tag)
    caller_target: SipUri
    callee_target: SipUri
    caller_flow: Address
    callee_flow: Address
    answered_at: float
    caller_user_id: int | None
    callee_user_id: int | None
    billed_user_id: int | None
    cutoff_at: float | None
    caller_cseq: int
    callee_cseq: int = 0
    cseq_offset: int = 0  # added to caller -> callee in-dialog CSeqs (trunk re-sent the INVITE)
    other_callee_tags: set[str] = field(default_factory=set)  # 2xx from a second forked branch


class Proxy:
    """Sans-IO PBX core.  Drive with `receive` and `on_timer`; collect output with `take_outgoing`."""

    def __init__(
        self,
        directory: Directory,
        *,
        local: Mapping[str, Address],
        media_address: Address | None = None,
        settings: ProxySettings = ProxySettings(),
        auth_secret: bytes | None = None,
    ) -> None:
        self.directory = directory
        self.local = dict(local)
        self.media_address = media_address
        self.settings = settings
        self.transactions = TransactionLayer(settings.timers, light_methods=frozenset({"REGISTER"}))
        self.auth = DigestAuthenticator(
            secret=auth_secret, nonce_ttl=settings.nonce_ttl, algorithms=settings.auth_algorithms
        )
        exempt = frozenset({media_address.host}) if media_address is not None else frozenset()
        self.flood = FloodGuard(replace(settings.flood, exempt_hosts=settings.flood.exempt_hosts | exempt))
        self.journal = Journal()
        self.registrar = Registrar(directory, self.journal, self.auth, self.flood)
        primary = self.local.get("udp") or next(iter(self.local.values()))
        self.presence = PresenceAgent(local_contact=f"sip:pbx@{_hostport(primary)}")
        self.calls = CallLog(self.journal)
        self.messages = messages.PendingMessages()
        # responses that promise durability (202 for a stored MESSAGE), held until the journal commits
        self._held: list[tuple[int, SipResponse]] = []
        self._outbox: list[Send] = []
        self._proxy_calls: dict[TransactionKey, ProxyCall] = {}
        self._branch_owner: dict[TransactionKey, TransactionKey] = {}
        self._dialogs: dict[str, Dialog] = {}  # by Call-ID
        self._route_key = route_token_key(settings.route_key or secrets.token_bytes(32))
        # Call-IDs of dialogs ended here: their Record-Route proof must not bring them back (bounded).
        self._ended: dict[str, None] = {}
        # our own requests (stored MESSAGE delivery, trunk REGISTER) -> what to do with the answer
        self._uac_callbacks: dict[TransactionKey, Callable[[SipResponse | None, float], None]] = {}
        self._trunk_regs: dict[tuple[str, int, str], TrunkRegistration] = {}
        # Call-ID -> {INVITE server transaction: caller's From tag} while an initial INVITE is pending;
        # with `_dialogs` this decides which in-dialog requests we relay (never strangers' "dialogs").
        self._early: dict[str, dict[TransactionKey, str]] = {}
        self._next_trunk_scan = 0.0
        self._deadlines: dict[str, float] = {}
        self._delivering: set[str] = set()
        self._next_housekeeping: float | None = None
        # INVITE server transactions by (Call-ID, CSeq, From tag) -> top Via, to match ACKs that
        # carry a fresh branch (sipp does that for the ACK of a 407) to the INVITE they acknowledge.
        self._invite_vias: dict[tuple[str, int, str], str] = {}
        self._invite_ids: dict[TransactionKey, tuple[str, int, str]] = {}

    # ------------------------------------------------------------------ driving
    def start(self, now: float, state: PbxState = PbxState()) -> None:
        """Take back what the database had (after a restart) and begin."""
        count = self.registrar.load(state.bindings, now)
        if count:
            log.info("registrar: %d bindings restored", count)
        for m in state.pending_messages:
            self.messages.add(m)
        for p in state.presence:
            self.presence.restore(p.user_id, p.status, p.note, p.expires_at)
        self.calls.adopt(list(state.running_calls), now)
        self._rearm_cutoffs(now)
        self._next_housekeeping = now + self.settings.housekeeping_interval

    def take_outgoing(self) -> list[Send]:
        out, self._outbox = self._outbox, []
        return out

    def routing_changed(self, user_ids: set[int], now: float) -> None:
        """The snapshot has new facts for these users (DND, devices...): tell their watchers."""
        for uid in user_ids:
            if self.presence.watchers_of(uid):
                self._presence_changed(uid, now)

    def journal_committed(self, seq: int, now: float) -> None:
        """The database has every journal write up to `seq`: send the responses that waited for it."""
        self.journal.mark_committed(seq)
        if not self._held or self._held[0][0] > seq:
            return
        ready = [r for s, r in self._held if s <= seq]
        self._held = [(s, r) for s, r in self._held if s > seq]
        for resp in ready:
            self._respond(resp, now)

    def next_timer(self) -> float | None:
        times = [t for t in (self.transactions.next_timer(), self._next_housekeeping) if t is not None]
        times += self._deadlines.values()
        return min(times, default=None)

    def receive(self, message: SipRequest | SipResponse, source: Address, now: float) -> None:
        if isinstance(message, SipRequest) and not self.flood.allow(source.host, now):
            return
        try:
            actions = self.transactions.receive(message, source, now)
        except SipParseError as e:
            log.info("dropping message from %s: %s", source, e.reason)
            return
        self._run(actions, now)

    def send_failed(self, message: SipRequest | SipResponse, now: float) -> None:
        """The transport could not deliver `message` (no connection): fail its transaction now
        instead of after Timer B/F, so forking moves on and the caller hears about it."""
        if isinstance(message, SipRequest) and message.method != "ACK":
            self._run(self.transactions.transport_error(client_key(message), now), now)

    def on_timer(self, now: float) -> None:
        self._run(self.transactions.handle_timer(now), now)
        for name, when in sorted(self._deadlines.items(), key=lambda kv: kv[1]):
            if when <= now and self._deadlines.get(name) == when:
                del self._deadlines[name]
                self._deadline(name, now)
        if self._next_housekeeping is not None and now >= self._next_housekeeping:
            self._next_housekeeping = now + self.settings.housekeeping_interval
            self._housekeeping(now)

    # ------------------------------------------------------------------ action loop
    def _run(self, actions: list[Action], now: float) -> None:
        for a in actions:
            if isinstance(a, Send):
                self._outbox.append(a)
        for a in actions:
            try:
                if isinstance(a, Deliver):
                    if isinstance(a.message, SipRequest):
                        self._on_request(a.message, a.source, a.transaction, a.cancels, now)
                    else:
                        self._on_response(a.message, a.transaction, now)
                elif isinstance(a, TransactionTimeout):
                    self._on_timeout(a, now)
                elif isinstance(a, Terminated):
                    self._on_terminated(a.transaction)
            except SipParseError as e:
                log.info("bad message: %s", e.reason)
                if isinstance(a, Deliver) and isinstance(a.message, SipRequest) and a.transaction is not None:
                    self._respond(make_response(a.message, 400, e.reason), now)

    def _respond(self, response: SipResponse, now: float) -> None:
        try:
            for a in self.transactions.send_response(response, now):
                if isinstance(a, Send):
                    self._outbox.append(a)
        except TransactionError:
            log.debug("response %d without transaction dropped", response.status)

    def _send_request(self, request: SipRequest, dest: Address, now: float) -> TransactionKey:
        key, actions = self.transactions.send_request(request, dest, now)
        for a in actions:
            if isinstance(a, Send):
                self._outbox.append(a)
        return key

    # ------------------------------------------------------------------ requests
    def _on_request(
        self,
        req: SipRequest,
        source: Address | None,
        txn: TransactionKey | None,
        cancels: TransactionKey | None,
        now: float,
    ) -> None:
        assert source is not None
        method = req.method
        if method == "ACK":
            if txn is None:
                self._stray_ack(req, source, now)
            return
        if method == "CANCEL":
            self._on_cancel(req, cancels, now)
            return
        if method == "INVITE" and txn is not None and req.to_tag is None:
            ident = (req.call_id, req.cseq[0], req.from_tag or "")
            self._invite_vias[ident] = req.headers.get("Via") or ""
            self._invite_ids[txn] = ident
        mf = req.max_forwards
        if mf is not None and mf <= 0:
            self._respond(make_response(req, 483), now)
            return
        tokens = self._own_route_tokens(req) if req.to_tag is not None else []
        self._pop_own_routes(req)
        if req.to_tag is not None:
            self._in_dialog(req, source, tokens, now)
            return
        if method == "REGISTER":
            result = self.registrar.handle(req, source, now)
            self._respond(result.response, now)
            if result.credential is not None and (result.added or result.removed):
                self._presence_changed(result.credential.user_id, now)
                if result.added:
                    self._deliver_pending(result.credential.user_id, now)
            return
        if method == "OPTIONS":
            resp = make_response(req, 200, to_tag=new_tag())
            resp.headers.add("Allow", ALLOW)
            self._respond(resp, now)
            return
        if method in AUTHENTICATED_METHODS or method == "INVITE":
            self._initial(req, source, txn, now)
            return
        self._respond(make_response(req, 405 if method == "REFER" else 501, to_tag=new_tag()), now)

    def _initial(self, req: SipRequest, source: Address, txn: TransactionKey | None, now: float) -> None:
        """INVITE/MESSAGE/SUBSCRIBE/PUBLISH outside a dialog."""
        inbound = self._inbound_hotline(req, source) if req.method == "INVITE" else None
        caller: UserRouting | None = None
        domain: str
        if inbound is not None:
            domain, hotline = inbound
            target = routing.route_inbound_hotline(hotline)
            if isinstance(target, routing.NotFound):
                self._respond(make_response(req, 404, target.reason, to_tag=new_tag()), now)
                return
            dialed = target.dialed
        else:
            realm = req.from_.uri.host.lower()
            got = authenticate(
                req,
                directory=self.directory,
                auth=self.auth,
                flood=self.flood,
                realm=realm,
                source=source,
                now=now,
                proxy=True,
            )
            if isinstance(got, SipResponse):
                self._respond(got, now)
                return
            caller = self.directory.user_routing(got.user_id)
            if caller is None:
                self._respond(make_response(req, 403, "No such user", to_tag=new_tag()), now)
                return
            if caller.monthly_minutes is not None:
                used = self.directory.seconds_used(caller.user_id, usage_period(now))
                caller = replace(caller, minutes_used=used / 60.0)
            domain = caller.domain
            dialed = req.uri.user or ""
        if req.method == "SUBSCRIBE":
            self._on_subscribe(req, domain, source, now)
            return
        if req.method == "PUBLISH":
            assert caller is not None
            self._respond(self.presence.publish(req, caller.user_id, now), now)
            kept = self.presence.published.get(caller.user_id)
            status, note, until = kept if kept is not None else (None, "", 0.0)
            self.journal.append(PresencePublished(caller.user_id, status, note, until))
            self._presence_changed(caller.user_id, now)
            return
        if req.method == "MESSAGE":
            assert caller is not None
            self._on_message(req, caller, dialed, source, now)
            return
        self._on_invite(req, source, caller, domain, dialed, inbound is not None, now)

    def _inbound_hotline(self, req: SipRequest, source: Address) -> tuple[str, Hotline] | None:
        for number in (req.uri.user, req.to.uri.user):
            if not number or normalize_number(number) is None:
                continue
            found = self.directory.hotline_by_number(number)
            if found is not None and found[1].trunk.host == source.host:
                return found
        return None

    def _facts(
        self,
        caller: UserRouting | None,
        domain: str,
        dialed: str,
        x_hotline: str | None,
        inbound: bool,
        now: float,
    ) -> routing.RouteFacts:
        callee: UserRouting | None = None
        if not routing.is_feature_number(dialed):
            uid = self.directory.user_by_extension(domain, dialed)
            if uid is not None:
                callee = self.directory.user_routing(uid)
        bindings = self.registrar.bindings_of(callee.user_id, now) if callee is not None else ()
        hotlines = tuple(self.directory.hotlines(domain))
        return routing.RouteFacts(
            caller, dialed, x_hotline, callee, bindings, hotlines, self.media_address is not None, inbound
        )

    def _on_invite(
        self,
        req: SipRequest,
        source: Address,
        caller: UserRouting | None,
        domain: str,
        dialed: str,
        inbound: bool,
        now: float,
    ) -> None:
        key = self._server_key(req)
        call = ProxyCall(key, req, source, caller_user_id=caller.user_id if caller else None)
        self._proxy_calls[key] = call
        self._early.setdefault(req.call_id, {})[key] = req.from_tag or ""
        facts = self._facts(caller, domain, dialed, req.headers.get("X-Hotline"), inbound, now)
        decision = routing.decide(facts)
        call.pending = False
        caller_text = caller.extensions[0] if caller and caller.extensions else (req.from_.uri.user or "")
        direction = "inbound" if inbound else "internal"
        hotline_number: str | None = None
        if isinstance(decision, routing.Trunk):
            direction = (
                "outbound" if caller is not None and decision.billed_user_id is not None else direction
            )
            hotline_number = decision.hotline.number
        elif isinstance(decision, routing.Media):
            direction = "feature"
        callee_uid = decision.user_id if isinstance(decision, routing.Extension | routing.Dnd) else None
        call.callee_user_id = callee_uid
        self.calls.start(
            CallRecord(
                call_id=req.call_id,
                company_id=caller.company_id if caller else None,
                domain=domain,
                caller=caller_text,
                callee=dialed,
                direction=direction,
                hotline=hotline_number,
                start=now,
                caller_user_id=call.caller_user_id,
                callee_user_id=callee_uid,
            )
        )
        if call.cancelled:
            self._final_upstream(call, make_response(req, 487, to_tag=new_tag()), now)
            return
        if isinstance(decision, routing.Dnd):
            resp = make_response(req, 486, to_tag=new_tag())
            resp.headers.add("Reason", DND_REASON)
            call.dnd_seen = True
            self._final_upstream(call, resp, now)
        elif isinstance(decision, routing.Forbidden):
            resp = make_response(req, 403, decision.reason, to_tag=new_tag())
            resp.headers.add("Reason", f'SIP;cause=403;text="{decision.reason}"')
            self._final_upstream(call, resp, now)
        elif isinstance(decision, routing.NotFound):
            self._final_upstream(call, make_response(req, 404, decision.reason, to_tag=new_tag()), now)
        elif isinstance(decision, routing.Unavailable):
            self._final_upstream(call, make_response(req, 480, decision.reason, to_tag=new_tag()), now)
        elif isinstance(decision, routing.Extension):
            if facts.callee is not None and facts.callee.auto_answer:
                # Understood by pjsip-based and most desk phones: answer without ringing.
                req.headers.set("Call-Info", f"<{self._rr_uri('udp').removesuffix(';lr')}>;answer-after=0")
            targets = []
            for b in decision.contacts:
                dest = binding_address(b) or self._resolve(parse_uri(b.contact))
                targets.append((parse_uri(b.contact), dest))
            self._fork(call, targets, now)
            self._presence_changed(decision.user_id, now)
        elif isinstance(decision, routing.Trunk):
            trunk = decision.hotline.trunk
            uri = SipUri(user=decision.number, host=trunk.host, port=trunk.port)
            dest = Address(trunk.transport, trunk.host, trunk.port)
            call.max_seconds = decision.max_seconds
            call.billed_user_id = decision.billed_user_id
            call.trunk = trunk
            call.original_from = req.headers.get("From")
            frm = req.from_
            req.headers.set(
                "From",
                str(replace(frm, uri=SipUri(user=decision.caller_id, host=trunk.host), display_name=None)),
            )
            req.headers.set("P-Asserted-Identity", f"<sip:{decision.caller_id}@{trunk.host}>")
            log.info(
                "outbound %s -> %s via hotline %s", caller_text, decision.number, decision.hotline.number
            )
            self._fork(call, [(uri, dest)], now)
        elif isinstance(decision, routing.Media):
            assert self.media_address is not None
            m = self.media_address
            self._fork(call, [(SipUri(user=decision.feature, host=m.host, port=m.port), m)], now)

    def _fork(self, call: ProxyCall, targets: list[tuple[SipUri, Address]], now: float) -> None:
        invite = call.request.method == "INVITE"
        token = route_token(self._route_key, call.request.call_id, call.request.from_tag or "", now)
        for uri, dest in targets:
            fwd = self._prepare_forward(
                call.request,
                uri,
                dest,
                record_route=invite,
                inbound=call.source.transport,
                token=token if invite else None,
            )
            key = self._send_request(fwd, dest, now)
            call.branches[key] = Branch(key, fwd, dest)
            call.live_branches += 1
            self._branch_owner[key] = call.server_key
        if call.request.method == "INVITE":
            self._deadlines[f"ring:{call.server_key.branch}:{call.server_key.sent_by}"] = (
                now + self.settings.ring_timeout
            )

    def _pop_own_routes(self, req: SipRequest) -> list[NameAddr]:
        """Remove our Route entries (one, or two when we double-record-routed); return the rest."""
        routes = req.routes
        while routes and self._is_us(routes[0].uri):
            req.headers.pop_first("Route")
            routes = routes[1:]
        return routes

    def _own_route_tokens(self, req: SipRequest) -> list[str]:
        """The dialog proofs in our Route entries on top of `req` (before they are popped)."""
        out: list[str] = []
        for route in req.routes:
            if not self._is_us(route.uri):
                break
            token = route.uri.params.get(ROUTE_TOKEN_PARAM)
            if token:
                out.append(token)
        return out

    def _prepare_forward(
        self,
        req: SipRequest,
        uri: SipUri,
        dest: Address,
        *,
        record_route: bool,
        inbound: str | None = None,
        token: str | None = None,
    ) -> SipRequest:
        fwd = req.copy()
        fwd.uri = uri
        mf = req.max_forwards
        fwd.headers.set("Max-Forwards", str((mf if mf is not None else 70) - 1))
        fwd.headers.remove("X-Hotline")
        fwd.headers.remove("Proxy-Authorization")
        if record_route:
            proof = f";{ROUTE_TOKEN_PARAM}={token}" if token else ""
            # RFC 5658 double Record-Route when the two sides use different transports: each side
            # then reaches us on its own transport.
            if inbound is not None and inbound != dest.transport and inbound in self.local:
                fwd.headers.add_first("Record-Route", f"<{self._rr_uri(inbound)}{proof}>")
            fwd.headers.add_first("Record-Route", f"<{self._rr_uri(dest.transport)}{proof}>")
        fwd.headers.add_first("Via", self._via(dest.transport))
        return fwd

    def _on_cancel(self, req: SipRequest, cancels: TransactionKey | None, now: float) -> None:
        if cancels is None:
            self._respond(make_response(req, 481), now)
            return
        self._respond(make_response(req, 200), now)
        call = self._proxy_calls.get(cancels)
        if call is None or call.final_sent:
            return
        call.cancelled = True
        self.calls.update(req.call_id, hangup_cause="caller CANCEL")
        if call.pending:
            return
        self._cancel_branches(call, now, reason=None)

    def _cancel_branches(self, call: ProxyCall, now: float, reason: str | None) -> None:
        for br in call.branches.values():
            if br.final is not None or br.cancelled:
                continue
            if not br.provisional:
                br.cancel_wanted = True  # RFC 3261 9.1: wait for a provisional before CANCEL
                continue
            self._send_cancel(br, now, reason)

    def _send_cancel(self, br: Branch, now: float, reason: str | None) -> None:
        br.cancelled = True
        r = br.request
        c = SipRequest("CANCEL", r.uri)
        c.headers.add("Via", r.headers.get("Via") or "")
        for route in r.headers.get_all("Route"):
            c.headers.add("Route", route)
        c.headers.add("Max-Forwards", "70")
        for name in ("From", "To", "Call-ID"):
            c.headers.add(name, r.headers.get(name) or "")
        c.headers.add("CSeq", f"{r.cseq[0]} CANCEL")
        if reason:
            c.headers.add("Reason", reason)
        with contextlib.suppress(TransactionError):
            self._send_request(c, br.dest, now)

    # ------------------------------------------------------------------ responses
    def _on_response(self, resp: SipResponse, txn: TransactionKey | None, now: float) -> None:
        if txn is None:
            self._forward_response_stateless(resp)
            return
        callback = self._uac_callbacks.get(txn)
        if callback is not None:
            if resp.status >= 200:
                del self._uac_callbacks[txn]
                callback(resp, now)
            return
        owner = self._branch_owner.get(txn)
        if owner is None:
            return  # our own NOTIFY/BYE/CANCEL: nothing to do with the answer
        call = self._proxy_calls.get(owner)
        if call is None:
            return
        br = call.branches.get(txn)
        if br is None:
            return
        status = resp.status
        if status < 200:
            if status == 100:
                return
            br.provisional = True
            if br.cancel_wanted and not br.cancelled:
                self._send_cancel(br, now, None)
            if not call.answered and not call.final_sent and not call.cancelled:
                if call.initial:
                    self.calls.ringing(call.request.call_id)
                self._relay_upstream(call, resp, now)
            return
        if 200 <= status < 300:
            first = not call.answered
            d = self._dialogs.get(call.request.call_id)
            if not first and d is not None and resp.to_tag and resp.to_tag != d.callee_tag:
                d.other_callee_tags.add(resp.to_tag)
            br.final = br.final or resp
            call.answered = True
            self._relay_upstream(call, resp, now)
            if first:
                call.final_sent = True
                self._drop_deadline(f"ring:{call.server_key.branch}:{call.server_key.sent_by}")
                for other in call.branches.values():
                    if other is not br and other.final is None:
                        if other.provisional:
                            self._send_cancel(other, now, 'SIP;cause=200;text="Call completed elsewhere"')
                        else:
                            other.cancel_wanted = True
                if call.initial and call.request.method == "INVITE":
                    self._answered(call, br, resp, now)
            return
        br.final = resp
        if call.answered or call.final_sent:
            return
        if call.trunk is not None and status in (401, 407) and call.cseq_offset == 0:
            again = authorize(br.request, resp, call.trunk)
            if again is not None:
                call.cseq_offset = 1
                key = self._send_request(again, br.dest, now)
                call.branches[key] = Branch(key, again, br.dest)
                call.live_branches += 1
                self._branch_owner[key] = call.server_key
                return
        if all(b.final is not None for b in call.branches.values()):
            best = _best_response([b.final for b in call.branches.values() if b.final is not None])
            if (
                call.request.method == "MESSAGE"
                and call.message is not None
                and best.status in messages.UNREACHABLE
            ):
                self._store_message(call, now)
                return
            out = best.copy()
            if best.status == 408 and call.cancelled:
                out = make_response(call.request, 487, to_tag=new_tag())
            self._final_upstream(call, out, now)

    def _relay_upstream(self, call: ProxyCall, resp: SipResponse, now: float) -> None:
        self._respond(self._upstream_copy(call, resp), now)

    @staticmethod
    def _upstream_copy(call: ProxyCall, resp: SipResponse) -> SipResponse:
        """The response as the caller must see it: the caller's own Via stack (robust against
        downstream UAs that mangle Vias, e.g. a 487 copied from our CANCEL) and its own From."""
        out = resp.copy()
        out.headers.remove("Via")
        for via in reversed(call.request.headers.get_all("Via")):
            out.headers.add_first("Via", via)
        out.headers.set("CSeq", call.request.headers.get("CSeq") or "")
        if call.original_from is not None:
            out.headers.set("From", call.original_from)
        return out

    def _final_upstream(self, call: ProxyCall, resp: SipResponse, now: float) -> None:
        """Send a final non-2xx upstream (ours, or the best branch response) and close the attempt."""
        call.final_sent = True
        self._drop_deadline(f"ring:{call.server_key.branch}:{call.server_key.sent_by}")
        self._respond(self._upstream_copy(call, resp), now)
        if call.initial and call.request.method == "INVITE":
            if call.callee_user_id is not None:
                self._presence_changed(call.callee_user_id, now)
            self.calls.failed(
                call.request.call_id,
                now,
                resp.status,
                resp.reason,
                dnd=call.dnd_seen or "Do Not Disturb" in (resp.headers.get("Reason") or ""),
            )

    def _answered(self, call: ProxyCall, br: Branch, resp: SipResponse, now: float) -> None:
        req = call.request
        callee_contacts = resp.contacts
        caller_contacts = req.contacts
        cutoff = now + call.max_seconds if call.max_seconds is not None else None
        frm, to = req.from_, resp.to
        d = Dialog(
            call_id=req.call_id,
            caller_tag=frm.tag or "",
            callee_tag=to.tag or "",
            caller_uri=str(replace(frm, params={}))
            if call.original_from is None
            else str(replace(parse_name_addr(call.original_from), params={})),
            callee_uri=str(replace(to, params={})),
            caller_target=caller_contacts[0].uri if caller_contacts else frm.uri,
            callee_target=callee_contacts[0].uri if callee_contacts else br.request.uri,
            caller_flow=call.source,
            callee_flow=br.dest,
            answered_at=now,
            caller_user_id=call.caller_user_id,
            callee_user_id=call.callee_user_id,
            billed_user_id=call.billed_user_id,
            cutoff_at=cutoff,
            caller_cseq=req.cseq[0],
            cseq_offset=call.cseq_offset,
        )
        self._dialogs[req.call_id] = d
        if cutoff is not None:
            self._deadlines[f"quota:{req.call_id}"] = cutoff
        self.calls.answered(req.call_id, now, cutoff=cutoff, dialog=_call_dialog(d))
        for uid in (d.caller_user_id, d.callee_user_id):
            if uid is not None:
                self._presence_changed(uid, now)

    def _on_timeout(self, t: TransactionTimeout, now: float) -> None:
        callback = self._uac_callbacks.pop(t.transaction, None)
        if callback is not None:
            callback(None, now)
            return
        owner = self._branch_owner.get(t.transaction)
        if owner is None:
            return
        call = self._proxy_calls.get(owner)
        if call is None:
            return
        br = call.branches.get(t.transaction)
        if br is None or br.final is not None:
            return
        fake = make_response(br.request, 408, "Request Timeout" if t.reason == "timeout" else "Unreachable")
        self._on_response(fake, t.transaction, now)

    def _on_terminated(self, key: TransactionKey) -> None:
        ident = self._invite_ids.pop(key, None)
        if ident is not None:
            self._invite_vias.pop(ident, None)
        owner = self._branch_owner.pop(key, None)
        if owner is not None:
            call = self._proxy_calls.get(owner)
            if call is not None:
                call.live_branches -= 1
                if call.live_branches <= 0 and call.server_done:
                    del self._proxy_calls[owner]
            return
        call = self._proxy_calls.get(key)
        if call is not None:
            early = self._early.get(call.request.call_id)
            if early is not None:
                early.pop(key, None)
                if not early:
                    del self._early[call.request.call_id]
            call.server_done = True
            call.final_sent = True  # late branch answers have nowhere to go
            if call.live_branches <= 0:
                del self._proxy_calls[key]

    # ------------------------------------------------------------------ in-dialog
    def _dialog_allowed(self, req: SipRequest) -> bool:
        """Only requests of dialogs we set up are relayed: no open relay towards the carrier trunks."""
        tags = {req.from_tag, req.to_tag}
        d = self._dialogs.get(req.call_id)
        if d is not None and d.caller_tag in tags and tags & ({d.callee_tag} | d.other_callee_tags):
            return True
        early = self._early.get(req.call_id)
        return early is not None and any(tag in tags for tag in early.values())

    def _vouched_caller_tag(self, req: SipRequest, tokens: list[str], now: float) -> str | None:
        """The caller's tag, if our Record-Route proof in `tokens` shows we set this dialog up."""
        if req.call_id in self._ended:
            return None
        for token in tokens:
            tag = verify_route_token(
                self._route_key,
                token,
                req.call_id,
                (req.from_tag, req.to_tag),
                now,
                self.settings.max_dialog_age,
            )
            if tag is not None:
                return tag
        return None

    def _restore_dialog(
        self, req: SipRequest, caller_tag: str, source: Address, dest: Address, now: float
    ) -> None:
        """State for a dialog set up before a restart, re-created when its first in-dialog request arrives.

        The call's CDR gives the answer time and users, so a BYE closes the record and bills the minutes.
        When the CDR carries the dialog stored at answer time (every call answered by this version), that
        is used: contacts, flows, CSeqs, the trunk's CSeq offset and the billed user come back as they
        were, the sender's flow is taken from this request (a TCP client may have reconnected), and a
        quota cut-off is re-armed.  Calls with a cut-off are normally re-armed at start-up already
        (`_rearm_cutoffs`), so this matters for the others.  Without a stored dialog (a CDR written before
        dialogs were stored, or none at all) the dialog is rebuilt from the request alone: no cut-off,
        and trunk calls whose INVITE was re-sent with credentials lose the CSeq offset (a BYE then
        reuses the INVITE's number, which RFC 3261 12.2.2 still accepts)."""
        if req.call_id in self._dialogs:
            return
        rec = self.calls.restore(req.call_id)
        from_caller = req.from_tag == caller_tag
        stored = _dialog_from_record(rec) if rec is not None else None
        d = stored if stored is not None and stored.caller_tag == caller_tag else None
        if d is not None:
            other_tag = (req.to_tag if from_caller else req.from_tag) or ""
            if other_tag != d.callee_tag:
                d.other_callee_tags.add(other_tag)
            if from_caller:
                d.caller_flow = source
            else:
                d.callee_flow = source
            if d.cutoff_at is not None:
                self._deadlines[f"quota:{d.call_id}"] = d.cutoff_at
        else:
            d = self._dialog_from_request(req, caller_tag, rec, source, dest, now)
        self._dialogs[req.call_id] = d
        log.info(
            "dialog %s restored from its Record-Route proof (%s from %s, %s)",
            req.call_id,
            req.method,
            source,
            "stored dialog" if stored is d else "from the request",
        )
        for uid in (d.caller_user_id, d.callee_user_id):
            if uid is not None:
                self._presence_changed(uid, now)

    @staticmethod
    def _dialog_from_request(
        req: SipRequest, caller_tag: str, rec: CallRecord | None, source: Address, dest: Address, now: float
    ) -> Dialog:
        from_caller = req.from_tag == caller_tag
        contacts = req.contacts
        sender_target = contacts[0].uri if contacts else req.from_.uri
        frm, to = str(replace(req.from_, params={})), str(replace(req.to, params={}))
        return Dialog(
            call_id=req.call_id,
            caller_tag=caller_tag,
            callee_tag=(req.to_tag if from_caller else req.from_tag) or "",
            caller_uri=frm if from_caller else to,
            callee_uri=to if from_caller else frm,
            caller_target=sender_target if from_caller else req.uri,
            callee_target=req.uri if from_caller else sender_target,
            caller_flow=source if from_caller else dest,
            callee_flow=dest if from_caller else source,
            answered_at=rec.answer if rec is not None and rec.answer is not None else now,
            caller_user_id=rec.caller_user_id if rec is not None else None,
            callee_user_id=rec.callee_user_id if rec is not None else None,
            billed_user_id=rec.caller_user_id if rec is not None and rec.direction == "outbound" else None,
            cutoff_at=None,
            caller_cseq=req.cseq[0] if from_caller else 0,
            callee_cseq=0 if from_caller else req.cseq[0],
        )

    def _rearm_cutoffs(self, now: float) -> None:
        """At start-up: the quota cut-off of every call answered before a restart and not ended yet.

        Its dialog comes from the CDR, so the BYEs go out at the original moment even if no in-dialog
        request ever arrives; a moment that passed while the server was down fires on the first tick."""
        for rec in self.calls.pending_cutoffs():
            if rec.call_id in self._dialogs:
                continue
            d = _dialog_from_record(rec)
            if d is None or d.cutoff_at is None:
                log.warning("quota: call %s has a cut-off but no usable stored dialog", rec.call_id)
                continue
            self._dialogs[d.call_id] = d
            self._deadlines[f"quota:{d.call_id}"] = d.cutoff_at
            log.info(
                "quota: cut-off of call %s re-armed after a restart (%+.0f s from now)",
                d.call_id,
                d.cutoff_at - now,
            )

    def _in_dialog(self, req: SipRequest, source: Address, tokens: list[str], now: float) -> None:
        routes = req.routes
        restore: str | None = None
        if (routes or not self._is_us(req.uri)) and not self._dialog_allowed(req):
            restore = self._vouched_caller_tag(req, tokens, now)
            if restore is None:
                log.info("%s for unknown dialog %s from %s refused", req.method, req.call_id, source)
                self._respond(make_response(req, 481), now)
                return
        if routes:
            dest = self._resolve(routes[0].uri)
        else:
            if self._is_us(req.uri):
                if req.method == "NOTIFY" or req.method == "SUBSCRIBE":
                    self._in_dialog_to_us(req, source, now)
                    return
                self._respond(make_response(req, 481), now)
                return
            dest = self._flow_for(req.uri) or self._resolve(req.uri)
        if restore is not None:
            self._restore_dialog(req, restore, source, dest, now)
        d = self._dialogs.get(req.call_id)
        if d is not None:
            from_tag = req.from_tag
            if from_tag == d.caller_tag:
                d.caller_cseq = max(d.caller_cseq, req.cseq[0])
            elif from_tag == d.callee_tag:
                d.callee_cseq = max(d.callee_cseq, req.cseq[0])
            if req.method == "BYE":
                self._dialog_ended(d, now, "caller BYE" if from_tag == d.caller_tag else "callee BYE")
        fwd = self._prepare_forward(req, req.uri, dest, record_route=False)
        if d is not None and d.cseq_offset and req.from_tag == d.caller_tag:
            fwd.headers.set("CSeq", f"{req.cseq[0] + d.cseq_offset} {req.method}")
        key = self._send_request(fwd, dest, now)
        relay = ProxyCall(self._server_key(req), req, source, pending=False, initial=False, live_branches=1)
        relay.branches[key] = Branch(key, fwd, dest)
        self._proxy_calls[relay.server_key] = relay
        self._branch_owner[key] = relay.server_key

    def _in_dialog_to_us(self, req: SipRequest, source: Address, now: float) -> None:
        if req.method == "SUBSCRIBE":
            user = self._user_for_entity(req)
            if user is None:
                self._respond(make_response(req, 481), now)
                return
            resp, sub = self.presence.subscribe(req, user_id=user, entity="", source=source, now=now)
            self._respond(resp, now)
            if sub is not None and resp.status < 300:
                self._notify(sub, now)
            return
        self._respond(make_response(req, 481), now)

    def _user_for_entity(self, req: SipRequest) -> int | None:
        for s in self.presence.subscriptions.values():
            if s.call_id == req.call_id and s.local_tag == req.to_tag:
                return s.user_id
        return None

    def _stray_ack(self, req: SipRequest, source: Address, now: float) -> None:
        """An ACK outside any transaction: the ACK of a 2xx (forward along the route set), or an ACK of
        our non-2xx whose branch does not match the INVITE's (re-matched by Call-ID, CSeq, From tag)."""
        routes = req.routes
        if routes and self._is_us(routes[0].uri):
            tokens = self._own_route_tokens(req)
            if self._dialog_allowed(req) or self._vouched_caller_tag(req, tokens, now) is not None:
                self._forward_stateless(req, now)
            return
        via = self._invite_vias.get((req.call_id, req.cseq[0], req.from_tag or ""))
        if via is not None and via != req.headers.get("Via"):
            fixed = req.copy()
            fixed.headers.set("Via", via)
            self._run(self.transactions.receive(fixed, source, now), now)
        # anything else has no route through us: drop it

    def _forward_stateless(self, req: SipRequest, now: float) -> None:
        routes = self._pop_own_routes(req)
        dest = self._resolve(routes[0].uri) if routes else (self._flow_for(req.uri) or self._resolve(req.uri))
        fwd = self._prepare_forward(req, req.uri, dest, record_route=False)
        d = self._dialogs.get(req.call_id)
        if d is not None and d.cseq_offset and req.from_tag == d.caller_tag:
            fwd.headers.set("CSeq", f"{req.cseq[0] + d.cseq_offset} {req.method}")
        self._outbox.append(Send(fwd, dest))

    def _forward_response_stateless(self, resp: SipResponse) -> None:
        vias = resp.vias
        if len(vias) < 2 or not self._is_us_host(vias[0].host, vias[0].port):
            return
        out = resp.copy()
        out.headers.pop_first("Via")
        nxt = vias[1]
        host = nxt.received or nxt.host
        port = nxt.rport or nxt.port or 5060
        self._outbox.append(Send(out, Address(nxt.transport.lower(), host, port)))

    def _dialog_ended(
        self,
        d: Dialog,
        now: float,
        cause: str,
        disposition: Disposition | None = None,
        *,
        ended_at: float | None = None,
    ) -> None:
        """Forget the dialog; close its CDR and bill it as ended at `ended_at` (default: now)."""
        if self._dialogs.pop(d.call_id, None) is None:
            return
        self._ended[d.call_id] = None
        if len(self._ended) > _ENDED_MEMORY:
            del self._ended[next(iter(self._ended))]
        self._drop_deadline(f"quota:{d.call_id}")
        end = now if ended_at is None else ended_at
        self.calls.ended(d.call_id, end, cause, disposition)
        if d.billed_user_id is not None:
            seconds, period = max(0.0, end - d.answered_at), usage_period(end)
            self.directory.add_usage(d.billed_user_id, seconds, period)
            self.journal.append(UsageAdded(d.billed_user_id, seconds, period))
        for uid in (d.caller_user_id, d.callee_user_id):
            if uid is not None:
                self._presence_changed(uid, now)

    def _quota_cutoff(self, call_id: str, now: float) -> None:
        d = self._dialogs.get(call_id)
        if d is None:
            return
        # Late only when the server was down at the cut-off moment: the quota never pays for that.
        ended_at = now if d.cutoff_at is None else min(now, d.cutoff_at)
        log.info(
            "quota: call %s cut off after %.0f s (%.0f s late)",
            call_id,
            ended_at - d.answered_at,
            now - ended_at,
        )
        reason = 'SIP;cause=200;text="Monthly outbound minutes used up"'
        to_caller = self._bye(
            d.caller_target,
            f"{d.callee_uri};tag={d.callee_tag}",
            f"{d.caller_uri};tag={d.caller_tag}",
            d.call_id,
            d.callee_cseq + 1000,
            reason,
        )
        to_callee = self._bye(
            d.callee_target,
            f"{d.caller_uri};tag={d.caller_tag}",
            f"{d.callee_uri};tag={d.callee_tag}",
            d.call_id,
            d.caller_cseq + 1000,
            reason,
        )
        caller_dest = self._reach(d.caller_target, d.caller_flow)
        callee_dest = self._reach(d.callee_target, d.callee_flow)
        self._send_request(self._with_via(to_caller, caller_dest), caller_dest, now)
        self._send_request(self._with_via(to_callee, callee_dest), callee_dest, now)
        self._dialog_ended(d, now, "quota", Disposition.QUOTA_EXCEEDED, ended_at=ended_at)

    @staticmethod
    def _bye(target: SipUri, from_: str, to: str, call_id: str, cseq: int, reason: str) -> SipRequest:
        r = SipRequest("BYE", target)
        r.headers.add("Max-Forwards", "70")
        r.headers.add("From", from_)
        r.headers.add("To", to)
        r.headers.add("Call-ID", call_id)
        r.headers.add("CSeq", f"{cseq} BYE")
        r.headers.add("Reason", reason)
        return r

    # ------------------------------------------------------------------ presence
    def _on_subscribe(self, req: SipRequest, domain: str, source: Address, now: float) -> None:
        event = (req.headers.get("Event") or "").split(";")[0].strip().lower()
        if event not in EVENTS:
            self._respond(make_response(req, 489, to_tag=new_tag()), now)
            return
        ext = req.uri.user or ""
        uid = self.directory.user_by_extension(domain, ext)
        if uid is None:
            self._respond(make_response(req, 404, to_tag=new_tag()), now)
            return
        entity = f"sip:{ext}@{domain}"
        resp, sub = self.presence.subscribe(
            req, user_id=uid, entity=entity, source=source, now=now, event=event
        )
        self._respond(resp, now)
        if sub is not None and resp.status < 300:
            self._notify(sub, now)

    def _dialog_states(self, user_id: int) -> tuple[DialogState, ...]:
        """The user's calls as RFC 4235 sees them: ringing (early) and connected (confirmed)."""
        out: list[DialogState] = []
        for d in self._dialogs.values():
            if user_id == d.caller_user_id:
                out.append((d.call_id, "confirmed", "initiator"))
            elif user_id == d.callee_user_id:
                out.append((d.call_id, "confirmed", "recipient"))
        for c in self._proxy_calls.values():
            if not c.initial or c.request.method != "INVITE" or c.final_sent or c.answered or c.pending:
                continue
            if user_id == c.callee_user_id:
                out.append((c.request.call_id, "early", "recipient"))
            elif user_id == c.caller_user_id:
                out.append((c.request.call_id, "early", "initiator"))
        return tuple(sorted(set(out)))

    def _state_for(self, sub: Subscription, now: float) -> object:
        if sub.event == "dialog":
            return self._dialog_states(sub.user_id)
        return self._presence_status(sub.user_id, now)

    def _presence_status(self, user_id: int, now: float) -> tuple[str, str]:
        u = self.directory.user_routing(user_id)
        on_call = any(user_id in (d.caller_user_id, d.callee_user_id) for d in self._dialogs.values())
        published, note = self.presence.published_state(user_id, now)
        facts = PresenceFacts(
            registered=self.registrar.is_registered(user_id, now),
            dnd=bool(u and u.dnd),
            on_call=on_call,
            published=published,
            note=note,
        )
        return derive_status(facts)

    def _notify(self, sub: Subscription, now: float, state: object = None) -> None:
        if state is None:
            state = self._state_for(sub, now)
        req = self.presence.notify(sub, state, now)
        self._send_request(self._with_via(req, sub.destination), sub.destination, now)

    def _presence_changed(self, user_id: int, now: float) -> None:
        for sub in self.presence.watchers_of(user_id):
            state = self._state_for(sub, now)
            if sub.last_status != state:
                self._notify(sub, now, state)

    # ------------------------------------------------------------------ MESSAGE
    def _on_message(
        self, req: SipRequest, caller: UserRouting, dialed: str, source: Address, now: float
    ) -> None:
        uid = self.directory.user_by_extension(caller.domain, dialed)
        if uid is None:
            self._respond(make_response(req, 404, to_tag=new_tag()), now)
            return
        queued = messages.queued_from_request(req, domain=caller.domain, user_id=uid, now=now)
        key = self._server_key(req)
        call = ProxyCall(key, req, source, caller_user_id=caller.user_id, callee_user_id=uid, pending=False)
        call.message = queued
        self._proxy_calls[key] = call
        bindings = self.registrar.bindings_of(uid, now)
        if not bindings:
            self._store_message(call, now)
            return
        targets = [
            (parse_uri(b.contact), binding_address(b) or self._resolve(parse_uri(b.contact)))
            for b in bindings
        ]
        self._fork(call, targets, now)

    def _store_message(self, call: ProxyCall, now: float) -> None:
        assert call.message is not None
        if not messages.worth_storing(call.message.content_type):
            call.final_sent = True
            self._respond(make_response(call.request, 480, to_tag=new_tag()), now)
            return
        self.messages.add(call.message)
        seq = self.journal.append(MessageQueued(call.message))
        log.info("message %s stored for user %d", call.message.message_id, call.message.user_id)
        call.final_sent = True
        # 202 promises the message is kept: it goes out once the database has it
        self._held.append((seq, make_response(call.request, 202, to_tag=new_tag())))

    def _deliver_pending(self, user_id: int, now: float) -> None:
        pending = self.messages.of(user_id)
        bindings = self.registrar.bindings_of(user_id, now)
        if not pending or not bindings:
            return
        b = bindings[0]
        dest = binding_address(b) or self._resolve(parse_uri(b.contact))
        for m in pending:
            if m.message_id in self._delivering:
                continue
            self._delivering.add(m.message_id)
            r = messages.delivery_request(m, parse_uri(b.contact))
            key = self._send_request(self._with_via(r, dest), dest, now)
            self._uac_callbacks[key] = self._delivery_callback(m)

    def _delivery_callback(self, m: QueuedMessage) -> Callable[[SipResponse | None, float], None]:
        def done(resp: SipResponse | None, now: float) -> None:
            self._delivering.discard(m.message_id)
            if resp is not None and resp.status < 300:
                self.messages.delivered(m)
                self.journal.append(MessageDelivered(m.message_id, now))
                log.info("message %s delivered from store", m.message_id)

        return done

    # ------------------------------------------------------------------ timers
    def _deadline(self, name: str, now: float) -> None:
        kind, _, rest = name.partition(":")
        if kind == "quota":
            self._quota_cutoff(rest, now)
        elif kind == "ring":
            for call in list(self._proxy_calls.values()):
                if f"{call.server_key.branch}:{call.server_key.sent_by}" == rest and not call.final_sent:
                    call.cancelled = True
                    self._cancel_branches(call, now, 'SIP;cause=480;text="No answer"')

    def _trunk_registrations(self, now: float) -> None:
        """Register to the carrier trunks that want it (found through the domains we serve)."""
        if now >= self._next_trunk_scan:
            self._next_trunk_scan = now + 30.0
            domains = {b.aor.rpartition("@")[2] for b in self.registrar.all_bindings()}
            wanted: dict[tuple[str, int, str], Trunk] = {}
            for domain in domains:
                for h in self.directory.hotlines(domain):
                    if h.trunk.register and h.trunk.username:
                        wanted[trunk_key(h.trunk)] = h.trunk
            for key in list(self._trunk_regs):
                if key not in wanted:
                    del self._trunk_regs[key]
            for key, trunk in wanted.items():
                if key not in self._trunk_regs or self._trunk_regs[key].trunk != trunk:
                    self._trunk_regs[key] = TrunkRegistration(trunk)
        for reg in self._trunk_regs.values():
            if not reg.in_flight and now >= reg.refresh_at:
                dest = Address(reg.trunk.transport, reg.trunk.host, reg.trunk.port)
                local = self._local_for(dest.transport)
                req = reg.register(f"sip:{reg.trunk.username}@{_hostport(local)}", dest.transport)
                self._send_trunk_register(reg, self._with_via(req, dest), dest, now)

    def _send_trunk_register(
        self, reg: TrunkRegistration, req: SipRequest, dest: Address, now: float
    ) -> None:
        def answered(resp: SipResponse | None, when: float) -> None:
            again = reg.on_response(req, resp, when)
            if again is not None:
                self._send_trunk_register(reg, again, dest, when)

        key = self._send_request(req, dest, now)
        self._uac_callbacks[key] = answered

    def _housekeeping(self, now: float) -> None:
        self._trunk_registrations(now)
        for d in [d for d in self._dialogs.values() if now - d.answered_at > self.settings.max_dialog_age]:
            self._dialog_ended(d, now, "no BYE seen")
        self.calls.forget_stale(now, self.settings.max_dialog_age)
        for uid in {b.user_id for b in self.registrar.expire(now)}:
            self._presence_changed(uid, now)
        for sub in self.presence.expire(now):
            self._notify(sub, now)

    def _drop_deadline(self, name: str) -> None:
        self._deadlines.pop(name, None)

    # ------------------------------------------------------------------ addressing
    def _local_for(self, transport: str) -> Address:
        return self.local.get(transport) or self.local.get("udp") or next(iter(self.local.values()))

    def _via(self, transport: str) -> str:
        local = self._local_for(transport)
        return f"SIP/2.0/{local.transport.upper()} {_hostport(local)};branch={new_branch()};rport"

    def _rr_uri(self, transport: str) -> str:
        local = self._local_for(transport)
        param = "" if local.transport == "udp" else f";transport={local.transport}"
        return f"sip:{_hostport(local)}{param};lr"

    def _with_via(self, req: SipRequest, dest: Address) -> SipRequest:
        req.headers.remove("Via")
        req.headers.add_first("Via", self._via(dest.transport))
        return req

    def _is_us(self, uri: SipUri) -> bool:
        return self._is_us_host(uri.host, uri.port)

    def _is_us_host(self, host: str, port: int | None) -> bool:
        return any(host == a.host and (port or 5060) == a.port for a in self.local.values())

    def _flow_for(self, uri: SipUri) -> Address | None:
        contact = str(uri)
        for b in self.registrar.all_bindings():
            if b.contact == contact:
                return binding_address(b)
        return None

    def _reach(self, target: SipUri, flow: Address) -> Address:
        """Where a request of ours to a dialog party goes.  A stream flow dies with its connection (and
        with a restart); a device that registered again since then is reached on its new flow."""
        if flow.reliable:
            return self._flow_for(target) or flow
        return flow

    @staticmethod
    def _resolve(uri: SipUri) -> Address:
        transport = uri.transport
        default = 5061 if transport == "tls" else 5060
        return Address(transport, uri.host, uri.port or default)

    @staticmethod
    def _server_key(req: SipRequest) -> TransactionKey:
        return server_key(req)


def _call_dialog(d: Dialog) -> CallDialog:
    """The dialog as stored with its CDR (`Directory.record_call`)."""
    return CallDialog(
        caller=DialogParty(
            d.caller_uri, d.caller_tag, str(d.caller_target), str(d.caller_flow), d.caller_cseq
        ),
        callee=DialogParty(
            d.callee_uri, d.callee_tag, str(d.callee_target), str(d.callee_flow), d.callee_cseq
        ),
        billed_user_id=d.billed_user_id,
        cseq_offset=d.cseq_offset,
    )


def _dialog_from_record(rec: CallRecord) -> Dialog | None:
    """The dialog stored with an answered call's CDR; None without one (or with one we cannot read)."""
    cd = rec.dialog
    if cd is None or rec.answer is None:
        return None
    try:
        caller_target, callee_target = parse_uri(cd.caller.target), parse_uri(cd.callee.target)
        caller_flow, callee_flow = parse_address(cd.caller.flow), parse_address(cd.callee.flow)
    except (SipParseError, ValueError) as e:
        log.warning("call %s: stored dialog unreadable (%s)", rec.call_id, e)
        return None
    return Dialog(
        call_id=rec.call_id,
        caller_tag=cd.caller.tag,
        callee_tag=cd.callee.tag,
        caller_uri=cd.caller.uri,
        callee_uri=cd.callee.uri,
        caller_target=caller_target,
        callee_target=callee_target,
        caller_flow=caller_flow,
        callee_flow=callee_flow,
        answered_at=rec.answer,
        caller_user_id=rec.caller_user_id,
        callee_user_id=rec.callee_user_id,
        billed_user_id=cd.billed_user_id,
        cutoff_at=rec.cutoff,
        caller_cseq=cd.caller.cseq,
        callee_cseq=cd.callee.cseq,
        cseq_offset=cd.cseq_offset,
    )


def _hostport(a: Address) -> str:
    host = f"[{a.host}]" if ":" in a.host else a.host
    return f"{host}:{a.port}"


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


def _best_response(finals: list[SipResponse]) -> SipResponse:
    return min(finals, key=lambda r: _rank(r.status))
