"""Answered calls as the PBX keeps them, and everything that happens inside them: in-dialog relay, the
dialog's restoration after a restart, the quota cut-off, an admin's hang-up, the end of the call.

Theory of operation
-------------------
Every answered call is a `ProxyDialog`: the two half-dialogs the record-routing PBX can speak on
(`dialog.proxy_legs`: toward the caller as the callee, toward the callee as the caller), the flows
each party is reached on, who pays, and when the quota cuts it off.  Requests inside a dialog the PBX set
up (or is setting up: the early dialogs of pending INVITEs) are relayed statefully along the route set;
anything else gets 481, so the carrier trunks are never an open relay.  Requests from the caller toward
a carrier carry the From the carrier saw on the INVITE (the hotline), and the carrier's requests reach
the caller with the caller's own From back.

At answer time the dialog and the quota cut-off are stored with the call's CDR (`CallDialog`,
`CallRecord.cutoff`), so a restart (even `kill -9`) loses neither:

* a starting PBX re-arms the cut-off of every answered, not ended call that has one (`rearm`); one
  that fell while the server was down fires on the first tick and bills the call up to the cut-off only;
* our Record-Route carries a MAC over the Call-ID and the caller's tag (`dialog.route_token`, keyed by
  the server's persisted secret): after a restart an in-dialog request whose route proof verifies
  re-creates any other dialog (`restore`, from the stored `CallDialog` when there is one) instead of
  getting 481, and nobody can forge one towards a trunk.

When a dialog ends (BYE, cut-off, hang-up, or nothing heard of it for `max_dialog_age`) its CDR is
closed, the billed minutes are counted and the parties' watchers hear about it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from server.sip.address import Address, parse_address
from server.sip.cdr import CallLog
from server.sip.deadlines import Deadlines
from server.sip.dialog import (
    ROUTE_TOKEN_PARAM,
    Dialog,
    DialogError,
    mirrored_legs,
    proxy_legs,
    route_token,
    verify_route_token,
)
from server.sip.directory import CallDialog, CallRecord, DialogParty, Directory, Disposition
from server.sip.element import Element, resolve
from server.sip.errors import SipParseError
from server.sip.forking import Branch, Forking, ProxyCall
from server.sip.headers import NameAddr, parse_name_addr
from server.sip.journal import Journal, UsageAdded
from server.sip.message import SipRequest, SipResponse, make_response
from server.sip.quota import usage_period
from server.sip.registrar import Registrar, binding_address
from server.sip.transaction import TransactionKey
from server.sip.uri import parse_uri

log = logging.getLogger("server.sip.dialogs")

_ENDED_MEMORY = 10_000  # Call-IDs of ended dialogs kept so their Record-Route proof cannot revive them
QUOTA_REASON = 'SIP;cause=200;text="Monthly outbound minutes used up"'
TARGET_REFRESH = frozenset({"INVITE", "UPDATE"})


class ActivityListener(Protocol):
    def activity_changed(self, user_ids: Iterable[int | None], now: float) -> None:
        """These users' calls changed (presence: on the phone or not, dialog events)."""
        ...


@dataclass(frozen=True, slots=True)
class QuotaCutoff:
    call_id: str


def _bare(na: NameAddr) -> NameAddr:
    return NameAddr(na.uri, na.display_name)


@dataclass(slots=True)
class ProxyDialog:
    call_id: str
    toward_caller: Dialog  # the PBX speaking to the caller, as the callee
    toward_callee: Dialog  # ... and to the callee, as the caller
    caller_flow: Address
    callee_flow: Address
    answered_at: float
    caller_user_id: int | None
    callee_user_id: int | None
    billed_user_id: int | None
    cutoff_at: float | None
    cseq_offset: int = 0  # added to caller -> callee CSeqs (the INVITE was re-sent with trunk credentials)
    carrier_from: str | None = None  # the From a carrier saw (the hotline), without tag
    other_callee_tags: set[str] = field(default_factory=set)  # 2xx from a second forked branch

    @property
    def caller_tag(self) -> str:
        return self.toward_callee.local_tag

    @property
    def callee_tag(self) -> str:
        return self.toward_caller.local_tag

    @property
    def caller_uri(self) -> str:
        return str(self.toward_caller.remote_uri)

    def note_request(self, req: SipRequest) -> None:
        """An in-dialog request passing through: CSeq counters, and the remote target of a refresh."""
        contacts = req.contacts if req.method in TARGET_REFRESH else []
        if req.from_tag == self.caller_tag:
            self.toward_callee.note_local_cseq(req.cseq[0] + self.cseq_offset)
            if contacts:
                self.toward_caller.remote_target = contacts[0].uri
        elif req.from_tag in {self.callee_tag} | self.other_callee_tags:
            self.toward_caller.note_local_cseq(req.cseq[0])
            if contacts:
                self.toward_callee.remote_target = contacts[0].uri

    def stored(self) -> CallDialog:
        """The dialog as stored with its CDR."""
        to_caller, to_callee = self.toward_caller, self.toward_callee
        return CallDialog(
            caller=DialogParty(
                str(_bare(to_caller.remote_uri)),
                self.caller_tag,
                str(to_caller.remote_target),
                str(self.caller_flow),
                to_callee.local_cseq - self.cseq_offset,
                tuple(str(r) for r in to_caller.route_set),
            ),
            callee=DialogParty(
                str(_bare(to_callee.remote_uri)),
                self.callee_tag,
                str(to_callee.remote_target),
                str(self.callee_flow),
                to_caller.local_cseq,
                tuple(str(r) for r in to_callee.route_set),
            ),
            billed_user_id=self.billed_user_id,
            cseq_offset=self.cseq_offset,
            carrier_from=self.carrier_from,
        )

    @classmethod
    def from_record(cls, rec: CallRecord) -> ProxyDialog | None:
        """The dialog stored with an answered call's CDR; None without one (or one we cannot read)."""
        cd = rec.dialog
        if cd is None or rec.answer is None:
            return None
        caller, callee = cd.caller, cd.callee
        try:
            toward_callee = Dialog(
                call_id=rec.call_id,
                local_tag=caller.tag,
                remote_tag=callee.tag,
                local_uri=parse_name_addr(cd.carrier_from or caller.uri),
                remote_uri=parse_name_addr(callee.uri),
                remote_target=parse_uri(callee.target),
                route_set=[parse_name_addr(r) for r in callee.route_set],
                local_cseq=caller.cseq + cd.cseq_offset,
            )
            toward_caller = Dialog(
                call_id=rec.call_id,
                local_tag=callee.tag,
                remote_tag=caller.tag,
                local_uri=parse_name_addr(callee.uri),
                remote_uri=parse_name_addr(caller.uri),
                remote_target=parse_uri(caller.target),
                route_set=[parse_name_addr(r) for r in caller.route_set],
                local_cseq=callee.cseq,
            )
            caller_flow, callee_flow = parse_address(caller.flow), parse_address(callee.flow)
        except (SipParseError, ValueError) as e:
            log.warning("call %s: stored dialog unreadable (%s)", rec.call_id, e)
            return None
        return cls(
            call_id=rec.call_id,
            toward_caller=toward_caller,
            toward_callee=toward_callee,
            caller_flow=caller_flow,
            callee_flow=callee_flow,
            answered_at=rec.answer,
            caller_user_id=rec.caller_user_id,
            callee_user_id=rec.callee_user_id,
            billed_user_id=cd.billed_user_id,
            cutoff_at=rec.cutoff,
            cseq_offset=cd.cseq_offset,
            carrier_from=cd.carrier_from,
        )

    @classmethod
    def from_request(
        cls,
        req: SipRequest,
        caller_tag: str,
        rec: CallRecord | None,
        source: Address,
        dest: Address,
        now: float,
    ) -> ProxyDialog:
        """A dialog rebuilt from one in-dialog request alone (no stored dialog): no cut-off, and a trunk call
        whose INVITE was re-sent with credentials loses the CSeq offset (RFC 3261 12.2.2 still accepts a
        BYE reusing the INVITE's number)."""
        from_caller = req.from_tag == caller_tag
        contacts = req.contacts
        sender_target = contacts[0].uri if contacts else req.from_.uri
        sender, receiver = _bare(req.from_), _bare(req.to)
        caller_uri, callee_uri = (sender, receiver) if from_caller else (receiver, sender)
        callee_tag = (req.to_tag if from_caller else req.from_tag) or ""
        toward_callee = Dialog(
            call_id=req.call_id,
            local_tag=caller_tag,
            remote_tag=callee_tag,
            local_uri=caller_uri,
            remote_uri=callee_uri,
            remote_target=req.uri if from_caller else sender_target,
            local_cseq=req.cseq[0] if from_caller else 0,
        )
        toward_caller = Dialog(
            call_id=req.call_id,
            local_tag=callee_tag,
            remote_tag=caller_tag,
            local_uri=callee_uri,
            remote_uri=caller_uri,
            remote_target=sender_target if from_caller else req.uri,
            local_cseq=0 if from_caller else req.cseq[0],
        )
        outbound = rec is not None and rec.direction == "outbound"
        return cls(
            call_id=req.call_id,
            toward_caller=toward_caller,
            toward_callee=toward_callee,
            caller_flow=source if from_caller else dest,
            callee_flow=dest if from_caller else source,
            answered_at=rec.answer if rec is not None and rec.answer is not None else now,
            caller_user_id=rec.caller_user_id if rec is not None else None,
            callee_user_id=rec.callee_user_id if rec is not None else None,
            billed_user_id=rec.caller_user_id if rec is not None and outbound else None,
            cutoff_at=None,
        )


class _InDialogRelay:
    """The owner of in-dialog relays: their answers only travel back (forking relays them)."""

    def __init__(self, forking: Forking) -> None:
        self.forking = forking

    def ringing(self, call: ProxyCall, now: float) -> None:
        pass

    def answered(self, call: ProxyCall, branch: Branch, response: SipResponse, now: float) -> None:
        pass

    def failed(self, call: ProxyCall, best: SipResponse, now: float) -> None:
        self.forking.send_final(call, best, now)

    def retry(
        self, call: ProxyCall, branch: Branch, response: SipResponse
    ) -> tuple[SipRequest, Address] | None:
        return None


class DialogTable:
    """The answered calls (by Call-ID) and the early ones; relays what happens inside them."""

    def __init__(
        self,
        *,
        element: Element,
        forking: Forking,
        calls: CallLog,
        journal: Journal,
        directory: Directory,
        registrar: Registrar,
        route_key: bytes,
        max_dialog_age: float,
    ) -> None:
        self.element = element
        self.forking = forking
        self.calls = calls
        self.journal = journal
        self.directory = directory
        self.registrar = registrar
        self.route_key = route_key
        self.max_dialog_age = max_dialog_age
        self.listener: ActivityListener | None = None
        self.dialogs: dict[str, ProxyDialog] = {}
        self._by_user: dict[int, set[str]] = {}
        # Call-ID -> {INVITE server transaction: caller's From tag} while an initial INVITE is pending;
        # with `dialogs` this decides which in-dialog requests we relay (never strangers' "dialogs").
        self.early: dict[str, dict[TransactionKey, str]] = {}
        self._ended: dict[str, None] = {}  # Call-IDs of dialogs ended here: their proof must not revive them
        self._cutoffs: Deadlines[QuotaCutoff] = Deadlines()
        self._relays = _InDialogRelay(forking)

    # ------------------------------------------------------------------ the table
    def _add(self, d: ProxyDialog) -> None:
        self.dialogs[d.call_id] = d
        for uid in (d.caller_user_id, d.callee_user_id):
            if uid is not None:
                self._by_user.setdefault(uid, set()).add(d.call_id)
        if d.cutoff_at is not None:
            self._cutoffs.set(QuotaCutoff(d.call_id), d.cutoff_at)

    def _remove(self, d: ProxyDialog) -> bool:
        if self.dialogs.pop(d.call_id, None) is None:
            return False
        for uid in (d.caller_user_id, d.callee_user_id):
            if uid is not None:
                ids = self._by_user.get(uid)
                if ids is not None:
                    ids.discard(d.call_id)
                    if not ids:
                        del self._by_user[uid]
        self._cutoffs.cancel(QuotaCutoff(d.call_id))
        self._ended[d.call_id] = None
        if len(self._ended) > _ENDED_MEMORY:
            del self._ended[next(iter(self._ended))]
        return True

    def of_user(self, user_id: int) -> list[ProxyDialog]:
        return [self.dialogs[c] for c in sorted(self._by_user.get(user_id, ()))]

    def on_call(self, user_id: int) -> bool:
        return user_id in self._by_user

    def _changed(self, d: ProxyDialog, now: float) -> None:
        if self.listener is not None:
            self.listener.activity_changed((d.caller_user_id, d.callee_user_id), now)

    # ------------------------------------------------------------------ setting up
    def route_proof(self, call: ProxyCall, now: float) -> str:
        """The proof for our Record-Route on an initial INVITE."""
        return route_token(self.route_key, call.request.call_id, call.request.from_tag or "", now)

    def note_early(self, call: ProxyCall) -> None:
        self.early.setdefault(call.request.call_id, {})[call.server_key] = call.request.from_tag or ""

    def end_early(self, call: ProxyCall) -> None:
        early = self.early.get(call.request.call_id)
        if early is not None:
            early.pop(call.server_key, None)
            if not early:
                del self.early[call.request.call_id]

    def answered(self, call: ProxyCall, branch: Branch, resp: SipResponse, now: float) -> None:
        """The first 2xx of an initial INVITE: the dialog, its cut-off, the CDR's answer."""
        req = call.request
        try:
            toward_caller, toward_callee = proxy_legs(
                branch.request, resp, lambda rr: self.element.is_us(rr.uri)
            )
        except DialogError as e:
            log.info("call %s: %s; dialog kept without route sets", req.call_id, e)
            invite = branch.request
            callee_contacts, caller_contacts = resp.contacts, invite.contacts
            toward_caller, toward_callee = mirrored_legs(
                invite,
                resp,
                caller_target=caller_contacts[0].uri if caller_contacts else invite.from_.uri,
                callee_target=callee_contacts[0].uri if callee_contacts else invite.uri,
            )
        original = parse_name_addr(call.original_from) if call.original_from is not None else req.from_
        toward_caller.remote_uri = _bare(original)
        toward_callee.local_uri = _bare(toward_callee.local_uri)
        toward_callee.remote_uri = _bare(toward_callee.remote_uri)
        toward_caller.local_uri = _bare(toward_caller.local_uri)
        cutoff = now + call.max_seconds if call.max_seconds is not None else None
        d = ProxyDialog(
            call_id=req.call_id,
            toward_caller=toward_caller,
            toward_callee=toward_callee,
            caller_flow=call.source,
            callee_flow=branch.dest,
            answered_at=now,
            caller_user_id=call.caller_user_id,
            callee_user_id=call.callee_user_id,
            billed_user_id=call.billed_user_id,
            cutoff_at=cutoff,
            cseq_offset=call.cseq_offset,
            carrier_from=call.trunk_from,
        )
        self._add(d)
        self.calls.answered(req.call_id, now, cutoff=cutoff, dialog=d.stored())
        self._changed(d, now)

    def another_2xx(self, call: ProxyCall, resp: SipResponse) -> None:
        """A second forked branch answered too: its tag belongs to the dialog (the caller BYEs it)."""
        d = self.dialogs.get(call.request.call_id)
        if d is not None and resp.to_tag and resp.to_tag != d.callee_tag:
            d.other_callee_tags.add(resp.to_tag)

    def rearm(self, now: float) -> None:
        """At start-up: the quota cut-off of every call answered before a restart and not ended yet.

        Its dialog comes from the CDR, so the BYEs go out at the original moment even if no in-dialog
        request ever arrives; a moment that passed while the server was down fires on the first tick."""
        for rec in self.calls.pending_cutoffs():
            if rec.call_id in self.dialogs:
                continue
            d = ProxyDialog.from_record(rec)
            if d is None or d.cutoff_at is None:
                log.warning("quota: call %s has a cut-off but no usable stored dialog", rec.call_id)
                continue
            self._add(d)
            log.info(
                "quota: cut-off of call %s re-armed after a restart (%+.0f s from now)",
                d.call_id,
                d.cutoff_at - now,
            )

    # ------------------------------------------------------------------ inside a dialog
    def allowed(self, req: SipRequest) -> bool:
        """Only requests of dialogs we set up are relayed: no open relay towards the carrier trunks."""
        tags = {req.from_tag, req.to_tag}
        d = self.dialogs.get(req.call_id)
        if d is not None and d.caller_tag in tags and tags & ({d.callee_tag} | d.other_callee_tags):
            return True
        early = self.early.get(req.call_id)
        return early is not None and any(tag in tags for tag in early.values())

    def own_route_tokens(self, req: SipRequest) -> list[str]:
        """The dialog proofs in our Route entries on top of `req` (before they are popped)."""
        out: list[str] = []
        for route in req.routes:
            if not self.element.is_us(route.uri):
                break
            token = route.uri.params.get(ROUTE_TOKEN_PARAM)
            if token:
                out.append(token)
        return out

    def vouched_caller_tag(self, req: SipRequest, tokens: list[str], now: float) -> str | None:
        """The caller's tag, if our Record-Route proof in `tokens` shows we set this dialog up."""
        if req.call_id in self._ended:
            return None
        for token in tokens:
            tag = verify_route_token(
                self.route_key, token, req.call_id, (req.from_tag, req.to_tag), now, self.max_dialog_age
            )
            if tag is not None:
                return tag
        return None

    def relay(self, req: SipRequest, source: Address, tokens: list[str], now: float) -> bool:
        """Relay a request with a To tag along its dialog (our Route entries already popped).  False when
        it is addressed to the PBX itself (a NOTIFY or SUBSCRIBE of presence): not ours to answer."""
        routes = req.routes
        element = self.element
        if not routes and element.is_us(req.uri):
            return False
        restore: str | None = None
        if not self.allowed(req):
            restore = self.vouched_caller_tag(req, tokens, now)
            if restore is None:
                log.info("%s for unknown dialog %s from %s refused", req.method, req.call_id, source)
                element.respond(make_response(req, 481), now)
                return True
        dest = resolve(routes[0].uri) if routes else (self._flow_for(str(req.uri)) or resolve(req.uri))
        if restore is not None:
            self.restore(req, restore, source, dest, now)
        d = self.dialogs.get(req.call_id)
        fwd = self.forking.prepare_forward(req, req.uri, dest, record_route=False)
        call = self.forking.open(req, source, self._relays)
        if d is not None:
            d.note_request(req)
            self._rewrite_for_other_side(d, req, fwd, call)
            if req.method == "BYE":
                who = "caller BYE" if req.from_tag == d.caller_tag else "callee BYE"
                self.end(d, now, _with_reason_text(who, req.headers.get("Reason")))
        self.forking.add_branch(call, fwd, dest, now)
        return True

    @staticmethod
    def _rewrite_for_other_side(d: ProxyDialog, req: SipRequest, fwd: SipRequest, call: ProxyCall) -> None:
        """The CSeq offset toward a carrier that challenged the INVITE, and the From (hotline) it saw."""
        if req.from_tag == d.caller_tag:
            if d.cseq_offset:
                fwd.headers.set("CSeq", f"{req.cseq[0] + d.cseq_offset} {req.method}")
            if d.carrier_from is not None:
                call.original_from = req.headers.get("From")
                fwd.headers.set("From", f"{d.carrier_from};tag={d.caller_tag}")
        elif d.carrier_from is not None and req.to_tag == d.caller_tag:
            call.original_to = str(_bare(req.to))
            fwd.headers.set("To", f"{d.caller_uri};tag={d.caller_tag}")

    def stray_ack(self, req: SipRequest, now: float) -> bool:
        """The ACK of a 2xx: forwarded statelessly along the route set of a dialog we set up."""
        routes = req.routes
        if not routes or not self.element.is_us(routes[0].uri):
            return False
        tokens = self.own_route_tokens(req)
        if not (self.allowed(req) or self.vouched_caller_tag(req, tokens, now) is not None):
            return True
        while routes and self.element.is_us(routes[0].uri):
            req.headers.pop_first("Route")
            routes = routes[1:]
        dest = resolve(routes[0].uri) if routes else (self._flow_for(str(req.uri)) or resolve(req.uri))
        fwd = self.forking.prepare_forward(req, req.uri, dest, record_route=False)
        d = self.dialogs.get(req.call_id)
        if d is not None:
            d.note_request(req)
            if req.from_tag == d.caller_tag:
                if d.cseq_offset:
                    fwd.headers.set("CSeq", f"{req.cseq[0] + d.cseq_offset} {req.method}")
                if d.carrier_from is not None:
                    fwd.headers.set("From", f"{d.carrier_from};tag={d.caller_tag}")
        self.element.send_stateless(fwd, dest)
        return True

    def restore(self, req: SipRequest, caller_tag: str, source: Address, dest: Address, now: float) -> None:
        """State for a dialog set up before a restart, re-created when its first in-dialog request arrives.

        The call's CDR gives the answer time and users, so a BYE closes the record and bills the minutes.
        When the CDR carries the dialog stored at answer time (every call answered by this version), that
        is used: legs, flows, CSeqs, the trunk's CSeq offset and From and the billed user come back as they
        were, the sender's flow is taken from this request (a TCP client may have reconnected), and a quota
        cut-off is re-armed."""
        if req.call_id in self.dialogs:
            return
        rec = self.calls.restore(req.call_id)
        from_caller = req.from_tag == caller_tag
        stored = ProxyDialog.from_record(rec) if rec is not None else None
        d = stored if stored is not None and stored.caller_tag == caller_tag else None
        if d is not None:
            other_tag = (req.to_tag if from_caller else req.from_tag) or ""
            if other_tag != d.callee_tag:
                d.other_callee_tags.add(other_tag)
            if from_caller:
                d.caller_flow = source
            else:
                d.callee_flow = source
        else:
            d = ProxyDialog.from_request(req, caller_tag, rec, source, dest, now)
        self._add(d)
        log.info(
            "dialog %s restored from its Record-Route proof (%s from %s, %s)",
            req.call_id,
            req.method,
            source,
            "stored dialog" if stored is d else "from the request",
        )
        self._changed(d, now)

    # ------------------------------------------------------------------ ending
    def end(
        self,
        d: ProxyDialog,
        now: float,
        cause: str,
        disposition: Disposition | None = None,
        *,
        ended_at: float | None = None,
    ) -> None:
        """Forget the dialog; close its CDR and bill it as ended at `ended_at` (default: now)."""
        if not self._remove(d):
            return
        end = now if ended_at is None else ended_at
        self.calls.ended(d.call_id, end, cause, disposition)
        if d.billed_user_id is not None:
            seconds, period = max(0.0, end - d.answered_at), usage_period(end)
            self.directory.add_usage(d.billed_user_id, seconds, period)
            self.journal.append(UsageAdded(d.billed_user_id, seconds, period))
        self._changed(d, now)

    def hang_up(
        self,
        call_id: str,
        now: float,
        *,
        reason: str,
        cause: str,
        disposition: Disposition | None = None,
        ended_at: float | None = None,
    ) -> bool:
        """End an answered call from the PBX's side: BYE to both parties (quota cut-off, an admin)."""
        d = self.dialogs.get(call_id)
        if d is None:
            return False
        for leg, flow in ((d.toward_caller, d.caller_flow), (d.toward_callee, d.callee_flow)):
            dest = self._reach(leg, flow)
            local = self.element.local_for(dest.transport)
            # well above any CSeq the party used since the last one we saw (a restart forgets some)
            bye = leg.create_request(
                "BYE", local, extra_headers=[("Reason", reason)], cseq=leg.local_cseq + 1000
            )
            self.element.send_request(self.element.with_via(bye, dest), dest, now)
        self.end(d, now, cause, disposition, ended_at=ended_at)
        return True

    def _cutoff(self, call_id: str, now: float) -> None:
        d = self.dialogs.get(call_id)
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
        self.hang_up(
            call_id,
            now,
            reason=QUOTA_REASON,
            cause="quota",
            disposition=Disposition.QUOTA_EXCEEDED,
            ended_at=ended_at,
        )

    def _reach(self, leg: Dialog, flow: Address) -> Address:
        """Where a request of ours to a dialog party goes: its route set's first hop; else its flow, where a
        stream flow dies with its connection (and with a restart): a device that registered again since
        then is reached on its new flow."""
        if leg.route_set:
            return resolve(leg.route_set[0].uri)
        if flow.reliable:
            return self._flow_for(str(leg.remote_target)) or flow
        return flow

    def _flow_for(self, contact: str) -> Address | None:
        b = self.registrar.binding_for_contact(contact)
        return binding_address(b) if b is not None else None

    # ------------------------------------------------------------------ time
    def next_timer(self) -> float | None:
        return self._cutoffs.next()

    def on_timer(self, now: float) -> None:
        for due in self._cutoffs.due(now):
            self._cutoff(due.call_id, now)

    def housekeeping(self, now: float) -> None:
        for d in [d for d in self.dialogs.values() if now - d.answered_at > self.max_dialog_age]:
            self.end(d, now, "no BYE seen")
        self.calls.forget_stale(now, self.max_dialog_age)


def _with_reason_text(cause: str, reason: str | None) -> str:
    """'callee BYE (Media engine restarted)' for a BYE with ``Reason: SIP;cause=503;text="..."``."""
    if reason is None or 'text="' not in reason:
        return cause
    text = reason.split('text="', 1)[1].split('"', 1)[0]
    return f"{cause} ({text})" if text else cause
