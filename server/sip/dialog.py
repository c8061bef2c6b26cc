"""Dialog state (RFC 3261 section 12), sans-IO: the route set, remote target, tags and CSeq counters needed
to originate requests inside an existing dialog.

Three ways to get one:

* ``Dialog.from_uac(invite, response)`` -- we sent the INVITE: route set = response Record-Route reversed.
* ``Dialog.from_uas(invite, local_tag)`` -- we answered it: route set is the request's Record-Route as is.
* ``proxy_legs(invite, response, is_own_route)`` -- a record-routing proxy that must speak for both parties
  (ending a call when a quota runs out): the two half-dialogs "toward the caller" and "toward the callee",
  each using only the Record-Route entries on its side of the proxy's own entry.

``route_token``/``verify_route_token`` make and check the proof a proxy puts in its Record-Route so that it
can still relay a dialog's requests after a restart (the dialog itself was only in memory).

``create_request`` applies RFC 3261 12.2.1.1 (loose routing; strict-routing next hops are handled by moving
the remote target to the end of the Route set) and ``next_hop``/``target_address`` say where to send it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from server.sip.address import Address
from server.sip.headers import Headers, NameAddr, Via
from server.sip.message import SipRequest, SipResponse, new_branch
from server.sip.uri import SipUri


class DialogError(ValueError):
    """The messages given cannot establish a dialog (missing tag, Contact, or our Record-Route)."""


def target_address(uri: SipUri) -> Address:
    """Transport address for a URI without DNS: ``maddr`` or host, port or the transport's default."""
    transport = uri.transport
    if transport not in ("udp", "tcp", "tls"):
        transport = "udp"
    host = uri.params.get("maddr") or uri.host
    port = uri.port or (5061 if transport == "tls" else 5060)
    return Address(transport, host, port)


@dataclass
class Dialog:
    """One side's view of a dialog. ``local_*`` is the party we speak as, ``remote_*`` the one we send to."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: NameAddr
    remote_uri: NameAddr
    remote_target: SipUri
    route_set: list[NameAddr] = field(default_factory=list)
    local_cseq: int = 0
    remote_cseq: int | None = None

    @property
    def id(self) -> tuple[str, str, str]:
        return self.call_id, self.local_tag, self.remote_tag

    @classmethod
    def from_uac(cls, invite: SipRequest, response: SipResponse) -> Dialog:
        """Dialog of the UAC that sent ``invite`` and got ``response`` (2xx, or 1xx with a To tag)."""
        remote_tag = response.to_tag
        local_tag = invite.from_tag
        if not remote_tag or not local_tag:
            raise DialogError("dialog needs From and To tags")
        contacts = response.contacts
        if not contacts:
            raise DialogError("response has no Contact")
        return cls(
            call_id=invite.call_id,
            local_tag=local_tag,
            remote_tag=remote_tag,
            local_uri=invite.from_,
            remote_uri=response.to,
            remote_target=contacts[0].uri,
            route_set=list(reversed(response.record_routes)),
            local_cseq=invite.cseq[0],
        )

    @classmethod
    def from_uas(cls, invite: SipRequest, local_tag: str) -> Dialog:
        """Dialog of the UAS that answers ``invite`` with To tag ``local_tag``."""
        remote_tag = invite.from_tag
        if not remote_tag:
            raise DialogError("request has no From tag")
        contacts = invite.contacts
        if not contacts:
            raise DialogError("request has no Contact")
        return cls(
            call_id=invite.call_id,
            local_tag=local_tag,
            remote_tag=remote_tag,
            local_uri=invite.to.with_tag(local_tag),
            remote_uri=invite.from_,
            remote_target=contacts[0].uri,
            route_set=invite.record_routes,
            local_cseq=0,
            remote_cseq=invite.cseq[0],
        )

    def matches(self, message: SipRequest | SipResponse) -> bool:
        """True if ``message`` belongs to this dialog as seen from our side."""
        if message.call_id != self.call_id:
            return False
        if isinstance(message, SipRequest):
            return message.from_tag == self.remote_tag and message.to_tag == self.local_tag
        return message.from_tag == self.local_tag and message.to_tag == self.remote_tag

    def receive_request(self, request: SipRequest) -> bool:
        """Account for an in-dialog request from the remote party (12.2.2). False means out of order (500).

        A target-refresh request (re-INVITE, UPDATE) with a Contact updates the remote target.
        """
        number = request.cseq[0]
        if request.method not in ("ACK", "CANCEL"):
            if self.remote_cseq is not None and number <= self.remote_cseq:
                return False
            self.remote_cseq = number
        if request.method in ("INVITE", "UPDATE"):
            contacts = request.contacts
            if contacts:
                self.remote_target = contacts[0].uri
        return True

    def note_local_cseq(self, number: int) -> None:
        """Tell a proxy-held leg about a CSeq the party we speak for has used, so ours stays above it."""
        self.local_cseq = max(self.local_cseq, number)

    def create_request(
        self,
        method: str,
        local: Address,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        contact: SipUri | None = None,
        extra_headers: Sequence[tuple[str, str]] = (),
        cseq: int | None = None,
    ) -> SipRequest:
        """A new in-dialog request sent from ``local`` (used for the Via). CSeq advances except for ACK
        (pass the INVITE's number in ``cseq``) and CANCEL."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        request_uri = self.remote_target
        routes = list(self.route_set)
        if routes and not routes[0].uri.loose_route:
            # Strict router next (RFC 3261 12.2.1.1): it goes in the Request-URI, the target at the end.
            request_uri = routes[0].uri.without_headers()
            routes = [*routes[1:], NameAddr(self.remote_target)]
        headers = Headers()
        via = Via(local.transport.upper(), local.host, local.port, {"branch": new_branch(), "rport": None})
        headers.add("Via", str(via))
        headers.add("Max-Forwards", "70")
        for route in routes:
            headers.add("Route", str(route))
        headers.add("From", str(self.local_uri.with_tag(self.local_tag)))
        headers.add("To", str(self.remote_uri.with_tag(self.remote_tag)))
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        if contact is not None:
            headers.add("Contact", str(NameAddr(contact)))
        for name, value in extra_headers:
            headers.add(name, value)
        if body:
            headers.add("Content-Type", content_type or "application/octet-stream")
        return SipRequest(method=method, uri=request_uri, headers=headers, body=body)

    def create_ack(self, invite_cseq: int, local: Address) -> SipRequest:
        """ACK for a 2xx to the INVITE with CSeq ``invite_cseq`` (a new transaction, 13.2.2.4)."""
        return self.create_request("ACK", local, cseq=invite_cseq)

    def next_hop(self, request: SipRequest) -> SipUri:
        """Where ``request`` goes first: its top Route if any, else its Request-URI."""
        routes = request.routes
        return routes[0].uri if routes else request.uri


def proxy_legs(
    invite: SipRequest, response: SipResponse, is_own_route: Callable[[NameAddr], bool]
) -> tuple[Dialog, Dialog]:
    """The dialog as a record-routing proxy sees it, split in two: ``(toward_caller, toward_callee)``.

    ``toward_callee`` speaks as the caller (From = caller, To = callee), ``toward_caller`` as the callee.
    Record-Route entries above ours (nearer the callee) form the callee leg's route set; those below ours
    (nearer the caller) the caller leg's. Our own entries (one, or two when we double-record-routed) are
    found with ``is_own_route``.
    """
    record_routes = response.record_routes or invite.record_routes
    own = [i for i, rr in enumerate(record_routes) if is_own_route(rr)]
    if not own:
        raise DialogError("the proxy did not record-route this dialog")
    first, last = own[0], own[-1]  # two entries when the proxy double-record-routed (RFC 5658)
    callee_contacts, caller_contacts = response.contacts, invite.contacts
    if not callee_contacts or not caller_contacts or not invite.from_tag or not response.to_tag:
        raise DialogError("dialog needs both Contacts and both tags")
    return mirrored_legs(
        invite,
        response,
        caller_target=caller_contacts[0].uri,
        callee_target=callee_contacts[0].uri,
        caller_routes=list(record_routes[last + 1 :]),
        callee_routes=list(reversed(record_routes[:first])),
    )


def mirrored_legs(
    invite: SipRequest,
    response: SipResponse,
    *,
    caller_target: SipUri,
    callee_target: SipUri,
    caller_routes: list[NameAddr] | None = None,
    callee_routes: list[NameAddr] | None = None,
) -> tuple[Dialog, Dialog]:
    """``(toward_caller, toward_callee)`` for an INVITE and its 2xx, given each side's target and routes."""
    caller_tag, callee_tag = invite.from_tag or "", response.to_tag or ""
    toward_callee = Dialog(
        call_id=invite.call_id,
        local_tag=caller_tag,
        remote_tag=callee_tag,
        local_uri=invite.from_,
        remote_uri=response.to,
        remote_target=callee_target,
        route_set=callee_routes or [],
        local_cseq=invite.cseq[0],
    )
    toward_caller = Dialog(
        call_id=invite.call_id,
        local_tag=callee_tag,
        remote_tag=caller_tag,
        local_uri=response.to,
        remote_uri=invite.from_,
        remote_target=caller_target,
        route_set=caller_routes or [],
        local_cseq=0,
    )
    return toward_caller, toward_callee


# --------------------------------------------------------------------------- stateless dialog proof
# A record-routing proxy that restarts loses its dialogs.  So that it can still relay their in-dialog
# requests without becoming an open relay, it puts a MAC in its own Record-Route URI: the route set of
# every dialog it set up then carries a proof, bound to the Call-ID and the caller's From tag (the only
# tag known when the INVITE is forwarded), that it set that dialog up.  The issue time bounds replay.

ROUTE_TOKEN_PARAM = "dlg"
_MAC_BYTES = 10


def route_token_key(secret: bytes) -> bytes:
    """The MAC key, separated from other uses of the server's persisted secret."""
    return hmac.new(secret, b"softphone-server sip record-route v1", hashlib.sha256).digest()


def _mac(key: bytes, call_id: str, tag: str, issued: int) -> str:
    msg = b"\0".join((call_id.encode(), tag.encode(), str(issued).encode()))
    digest = hmac.new(key, msg, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def route_token(key: bytes, call_id: str, caller_tag: str, now: float) -> str:
    """Our Record-Route's ``dlg`` value for the dialog of ``call_id`` started by ``caller_tag``."""
    issued = int(now)
    return f"{issued:x}-{_mac(key, call_id, caller_tag, issued)}"


def verify_route_token(
    key: bytes, token: str, call_id: str, tags: Sequence[str | None], now: float, max_age: float
) -> str | None:
    """The tag among ``tags`` (From and To of a request) that ``token`` vouches for as the caller's, if any.

    None when the token is malformed, older than ``max_age`` or issued for another Call-ID or caller."""
    issued_hex, dash, mac = token.lower().partition("-")
    if not dash:
        return None
    try:
        issued = int(issued_hex, 16)
    except ValueError:
        return None
    if not -60 <= now - issued <= max_age + 60:  # a minute of slack for clock steps
        return None
    for tag in tags:
        if tag and hmac.compare_digest(mac, _mac(key, call_id, tag, issued)):
            return tag
    return None
