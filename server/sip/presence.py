"""Presence for the `presence` event package (RFC 3856) with PIDF bodies (RFC 3863) and RPID activities.

The PBX is the presence agent for every user: a user's status is derived from what the PBX knows
(registered devices, DND, a call in progress) and what the user's app PUBLISHes (away, busy, a
note).  Precedence: offline (nothing registered) > DND > on the phone > published > available.

`PresenceAgent` is sans-IO: it keeps subscriptions, answers SUBSCRIBE/PUBLISH with responses, and
builds the NOTIFY requests to send; the proxy sends them and feeds responses back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast
from xml.sax.saxutils import escape, unescape

from server.sip.address import Address
from server.sip.entropy import random_hex
from server.sip.headers import NameAddr
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.uri import SipUri

PIDF = "application/pidf+xml"
DIALOG_INFO = "application/dialog-info+xml"
EVENTS = ("presence", "dialog")

# (dialog id, "early" | "confirmed", "initiator" | "recipient")
DialogState = tuple[str, str, str]

# status -> (basic, rpid activity or None, default note)
_STATUS: dict[str, tuple[str, str | None, str]] = {
    "available": ("open", None, "Available"),
    "away": ("open", "away", "Away"),
    "busy": ("open", "busy", "Busy"),
    "dnd": ("open", "busy", "Do Not Disturb"),
    "on_the_phone": ("open", "on-the-phone", "On the phone"),
    "offline": ("closed", None, "Offline"),
}


@dataclass(frozen=True, slots=True)
class PresenceFacts:
    registered: bool
    dnd: bool
    on_call: bool
    published: str | None = None  # status a client PUBLISHed (available/away/busy/dnd/...)
    note: str = ""


def derive_status(f: PresenceFacts) -> tuple[str, str]:
    """(status, note) shown to watchers."""
    if not f.registered:
        return "offline", ""
    if f.dnd:
        return "dnd", ""
    if f.on_call:
        return "on_the_phone", ""
    if f.published and f.published in _STATUS and f.published != "offline":
        return f.published, f.note
    return "available", f.note


def pidf_document(entity: str, status: str, note: str = "") -> bytes:
    basic, activity, default_note = _STATUS.get(status, _STATUS["available"])
    note_text = escape(note or default_note)
    rpid = ""
    if activity:
        rpid = (
            f'<dm:person id="p1"><rpid:activities><rpid:{activity}/></rpid:activities>'
            f"<dm:note>{note_text}</dm:note></dm:person>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
        'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
        f'entity="{escape(entity)}">'
        f'<tuple id="t1"><status><basic>{basic}</basic></status><note>{note_text}</note></tuple>'
        f"{rpid}</presence>"
    ).encode()


def dialog_info_document(entity: str, version: int, dialogs: tuple[DialogState, ...]) -> bytes:
    """RFC 4235 full state: no <dialog> element means the line is idle."""
    items = "".join(
        f'<dialog id="{escape(did)}" direction="{direction}"><state>{state}</state></dialog>'
        for did, state, direction in dialogs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="{version}" state="full" '
        f'entity="{escape(entity)}">{items}</dialog-info>'
    ).encode()


_BASIC = re.compile(rb"<(?:\w+:)?basic>\s*(open|closed)\s*</(?:\w+:)?basic>", re.I)
_ACTIVITY = re.compile(rb"<(?:\w+:)?activities>(.*?)</(?:\w+:)?activities>", re.I | re.S)
_NOTE = re.compile(rb"<(?:\w+:)?note[^>]*>(.*?)</(?:\w+:)?note>", re.I | re.S)
_ACTIVITY_STATUS = {
    b"away": "away",
    b"busy": "busy",
    b"on-the-phone": "busy",
    b"appointment": "busy",
    b"meeting": "busy",
    b"vacation": "away",
    b"dnd": "dnd",
    b"do-not-disturb": "dnd",
}


def status_from_pidf(body: bytes) -> tuple[str, str]:
    """What a client PUBLISHed: (status, note).  Unknown content reads as available."""
    basic = _BASIC.search(body)
    note_m = _NOTE.search(body)
    note = unescape(note_m.group(1).decode("utf-8", "replace").strip()) if note_m else ""
    if basic and basic.group(1).lower() == b"closed":
        return "offline", note
    acts = _ACTIVITY.search(body)
    if acts:
        for name, status in _ACTIVITY_STATUS.items():
            if re.search(rb"<(?:\w+:)?" + re.escape(name) + rb"\s*/?>", acts.group(1), re.I):
                return status, note
    if note.lower() in ("away", "busy", "do not disturb"):
        return {"do not disturb": "dnd"}.get(note.lower(), note.lower()), note
    return "available", note


@dataclass(slots=True)
class Subscription:
    id: str
    user_id: int  # whose presence
    entity: str  # sip:ext@domain of the presentity
    call_id: str
    local_tag: str  # ours (To tag of the SUBSCRIBE)
    remote_tag: str  # the watcher's (From tag)
    local_uri: str  # the To header value of the SUBSCRIBE, without tag
    remote_uri: str  # the From header value, without tag
    remote_target: SipUri  # watcher's Contact
    route_set: tuple[str, ...]  # from the SUBSCRIBE's Record-Route (in order)
    destination: Address  # where the watcher's SUBSCRIBE came from
    expires_at: float
    cseq: int = 0
    last_status: Any = None  # what the last NOTIFY said (compared to skip identical NOTIFYs)
    event: str = "presence"  # or "dialog" (RFC 4235, busy lamp fields)
    version: int = 0


@dataclass(slots=True)
class PresenceAgent:
    """Subscriptions and published states; builds NOTIFYs.  `local_contact` is our Contact URI."""

    local_contact: str
    max_expires: int = 3600
    min_expires: int = 60
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # by id
    _by_dialog: dict[tuple[str, str, str], str] = field(default_factory=dict)
    published: dict[int, tuple[str, str, float]] = field(
        default_factory=dict
    )  # user -> (status, note, until)

    def published_state(self, user_id: int, now: float) -> tuple[str | None, str]:
        p = self.published.get(user_id)
        if p is None or p[2] <= now:
            return None, ""
        return p[0], p[1]

    def restore(self, user_id: int, status: str, note: str, expires_at: float) -> None:
        """A published state loaded back after a restart."""
        self.published[user_id] = (status, note, expires_at)

    def publish(self, request: SipRequest, user_id: int, now: float) -> SipResponse:
        """Store what the user's client PUBLISHed (RFC 3903, simplified: one state per user)."""
        expires = request.expires if request.expires is not None else 3600
        if expires == 0 or not request.body:
            old = self.published.get(user_id)
            if expires == 0:
                self.published.pop(user_id, None)
            elif old is not None:  # a refresh (SIP-If-Match, no body) keeps the state alive
                self.published[user_id] = (old[0], old[1], now + min(expires, self.max_expires))
            resp = make_response(request, 200, to_tag=new_tag())
        else:
            status, note = status_from_pidf(request.body)
            self.published[user_id] = (status, note, now + min(expires, self.max_expires))
            resp = make_response(request, 200, to_tag=new_tag())
        resp.headers.add("SIP-ETag", random_hex(6))
        resp.headers.add("Expires", str(min(expires, self.max_expires)))
        return resp

    def subscribe(
        self,
        request: SipRequest,
        *,
        user_id: int,
        entity: str,
        source: Address,
        now: float,
        event: str = "presence",
    ) -> tuple[SipResponse, Subscription | None]:
        """Create, refresh or end a subscription.  The caller sends a NOTIFY right after a 2xx."""
        requested = request.expires if request.expires is not None else 3600
        if 0 < requested < self.min_expires:
            resp = make_response(request, 423, to_tag=new_tag())
            resp.headers.add("Min-Expires", str(self.min_expires))
            return resp, None
        expires = min(requested, self.max_expires)
        remote_tag = request.from_tag or ""
        key_tag = request.to_tag
        sub: Subscription | None = None
        if key_tag:
            sid = self._by_dialog.get((request.call_id, key_tag, remote_tag))
            sub = self.subscriptions.get(sid) if sid else None
            if sub is None:
                return make_response(request, 481), None
            sub.expires_at = now + expires
        else:
            contacts = request.contacts
            if not contacts:
                return make_response(request, 400, "SUBSCRIBE without Contact"), None
            local_tag = new_tag()
            to_value = request.to
            sub = Subscription(
                id=random_hex(8),
                user_id=user_id,
                entity=entity,
                call_id=request.call_id,
                local_tag=local_tag,
                remote_tag=remote_tag,
                local_uri=str(NameAddr(to_value.uri, to_value.display_name)),
                remote_uri=str(NameAddr(request.from_.uri, request.from_.display_name)),
                remote_target=contacts[0].uri,
                route_set=tuple(request.headers.get_all("Record-Route")),
                destination=source,
                expires_at=now + expires,
                event=event,
            )
            if expires > 0:
                self.subscriptions[sub.id] = sub
                self._by_dialog[(sub.call_id, local_tag, remote_tag)] = sub.id
        resp = make_response(request, 200 if key_tag else 202, to_tag=sub.local_tag)
        resp.headers.add("Expires", str(expires))
        resp.headers.add("Contact", f"<{self.local_contact}>")
        if expires == 0:
            self._drop(sub)
        return resp, sub

    def notify(self, sub: Subscription, state: object, now: float) -> SipRequest:
        """The NOTIFY for `sub` carrying `state` ((status, note) for presence, DialogStates for dialog);
        terminated when the subscription is over."""
        sub.cseq += 1
        sub.last_status = state
        left = int(sub.expires_at - now)
        req = SipRequest("NOTIFY", sub.remote_target)
        h = req.headers
        h.add("Via", f"SIP/2.0/{sub.destination.transport.upper()} PLACEHOLDER;branch={new_branch()}")
        for r in sub.route_set:
            h.add("Route", r)
        h.add("Max-Forwards", "70")
        h.add("From", f"{sub.local_uri};tag={sub.local_tag}")
        h.add("To", f"{sub.remote_uri};tag={sub.remote_tag}")
        h.add("Call-ID", sub.call_id)
        h.add("CSeq", f"{sub.cseq} NOTIFY")
        h.add("Contact", f"<{self.local_contact}>")
        h.add("Event", sub.event)
        if left > 0 and sub.id in self.subscriptions:
            h.add("Subscription-State", f"active;expires={left}")
        else:
            h.add("Subscription-State", "terminated;reason=timeout")
        if sub.event == "dialog":
            h.add("Content-Type", DIALOG_INFO)
            req.body = dialog_info_document(sub.entity, sub.version, state)  # type: ignore[arg-type]
            sub.version += 1
        else:
            status, note = cast(tuple[str, str], state)
            h.add("Content-Type", PIDF)
            req.body = pidf_document(sub.entity, status, note)
        return req

    def watchers_of(self, user_id: int) -> list[Subscription]:
        return [s for s in self.subscriptions.values() if s.user_id == user_id]

    def expire(self, now: float) -> list[Subscription]:
        gone = [s for s in self.subscriptions.values() if s.expires_at <= now]
        for s in gone:
            self._drop(s)
        return gone

    def drop(self, sub: Subscription) -> None:
        self._drop(sub)

    def _drop(self, sub: Subscription) -> None:
        self.subscriptions.pop(sub.id, None)
        self._by_dialog.pop((sub.call_id, sub.local_tag, sub.remote_tag), None)
