"""What the PBX needs to know about the company, and what it writes back.

The SIP layer never touches the database: it reads routing facts from one `Directory` (the
in-memory `RoutingSnapshot` the domain keeps current) and hands what it writes back to the
`Journal` (`server.sip.journal`), which the domain commits in batches.  Every value crossing that
boundary is a frozen dataclass defined here, so both sides agree on one shape.

Units: times are POSIX seconds (float, UTC); quotas are minutes (the admin's unit)
while usage is reported back in seconds (the proxy's unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class DeviceKind(StrEnum):
    """What kind of device a SIP credential belongs to; ring methods filter on it."""

    APP = "app"  # our desktop (or mobile) softphone app
    IP_PHONE = "ip_phone"  # a desk phone provisioned by the company
    OTHER = "other"  # any other SIP client (counts for ring method "all" only)


class RingMethod(StrEnum):
    """Which of an agent's devices ring for a call to their extension."""

    ALL = "all"
    APP = "app"  # only DeviceKind.APP contacts
    IP_PHONE = "ip_phone"  # only DeviceKind.IP_PHONE contacts
    MOBILE = "mobile"  # the agent's mobile number, out through the default hotline's trunk


class Disposition(StrEnum):
    """Where a call attempt is (while running) or how it ended."""

    TRYING = "trying"
    RINGING = "ringing"
    ANSWERED = "answered"  # connected; still running while `end` is None
    COMPLETED = "completed"  # answered, then hung up
    BUSY = "busy"
    DND = "dnd"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"  # the caller gave up before an answer
    REJECTED = "rejected"  # 403 and other refusals (permission, quota)
    NOT_FOUND = "not_found"
    FAILED = "failed"  # 5xx/6xx, timeouts, trunk errors
    QUOTA_EXCEEDED = "quota_exceeded"  # cut off during the call by the minute quota
    MEDIA_FAILURE = "media_failure"  # ended by the PBX: the media process carrying it died (engine, mixer)


@dataclass(frozen=True, slots=True)
class SipCredential:
    """One SIP account (device) of a user.  `password` may be None when only HA1s are stored."""

    user_id: int
    company_id: int
    domain: str
    username: str
    password: str | None
    ha1_md5: str | None  # md5(username:realm:password), realm == domain
    ha1_sha256: str | None  # sha256(username:realm:password)
    device_kind: DeviceKind = DeviceKind.APP
    enabled: bool = True


class ForwardCondition(StrEnum):
    """When a user's call forwarding rule applies (docs/pbx-internals.md, "Call forwarding")."""

    ALWAYS = "always"
    BUSY = "busy"  # DND, on a call (only when this rule is on), or every device answered 486/600
    NO_ANSWER = "no_answer"  # nobody answered within the rule's seconds
    UNREACHABLE = "unreachable"  # no registered device that may ring


class ForwardTargetKind(StrEnum):
    EXTENSION = "extension"
    VOICEMAIL = "voicemail"  # the user's own voicemail box
    EXTERNAL = "external"  # a number out through the company's trunk, paid by the forwarding user


@dataclass(frozen=True, slots=True)
class ForwardRule:
    """One enabled forwarding rule (disabled rules never reach the PBX)."""

    condition: ForwardCondition
    target_kind: ForwardTargetKind
    target: str = ""  # an extension, or a number normalised to 84xxxxxxxxx; "" for voicemail
    seconds: float = 20.0  # NO_ANSWER: ring this long first


@dataclass(frozen=True, slots=True)
class UserRouting:
    """The routing facts of one user (agent)."""

    user_id: int
    company_id: int
    domain: str
    extensions: tuple[str, ...]
    display_name: str
    dnd: bool = False
    ring_method: RingMethod = RingMethod.ALL
    mobile_number: str | None = None  # as entered; the PBX normalises to 84xxxxxxxxx
    auto_answer: bool = False
    allow_outbound: bool = True
    monthly_minutes: int | None = None  # None = unlimited
    minutes_used: float = 0.0  # in the current month (the domain resets it monthly)
    default_hotline: str | None = None  # hotline number
    forwarding: tuple[ForwardRule, ...] = ()  # enabled rules, at most one per condition


@dataclass(frozen=True, slots=True)
class Trunk:
    """A carrier SIP gateway.  With `register` the PBX registers to it with username/password."""

    host: str
    port: int = 5060
    transport: str = "udp"  # "udp" | "tcp" | "tls"
    username: str | None = None
    password: str | None = None
    register: bool = False


@dataclass(frozen=True, slots=True)
class Hotline:
    """A company phone number (caller ID) on one carrier, reached through one trunk."""

    number: str  # as the carrier knows it, e.g. "02873001234" or "84961234567"
    carrier: str  # carrier id as in server.sip.carriers (e.g. "viettel"), or "" if fixed line
    trunk: Trunk
    inbound_extension: str | None = None  # where calls to this number go (None: nowhere yet)


@dataclass(frozen=True, slots=True, init=False)
class DialogParty:
    """One side of an answered call, as the proxy reaches it with a request of its own (a BYE)."""

    uri: str  # its From (caller) or To (callee) name-addr, without tag
    tag: str
    target: str  # its remote target: the Contact URI of its INVITE or 2xx
    flow: str  # "transport:host:port" its requests go to (as `Address.__str__` prints it)
    cseq: int  # the highest CSeq it had sent in the dialog
    route_set: tuple[str, ...] = ()  # Record-Route entries between the PBX and this party, PBX side first

    # Written out so that mypyc compiles it (dataclass's generated one stays interpreted): two per
    # answered call.
    def __init__(
        self,
        uri: str,
        tag: str,
        target: str,
        flow: str,
        cseq: int,
        route_set: tuple[str, ...] = (),
    ) -> None:
        object.__setattr__(self, "uri", uri)
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "flow", flow)
        object.__setattr__(self, "cseq", cseq)
        object.__setattr__(self, "route_set", route_set)


@dataclass(frozen=True, slots=True)
class CallDialog:
    """What the proxy keeps of an answered call's dialog, stored with its record at answer time so a
    restarted proxy can still end the call itself (the quota cut-off) and relay along it."""

    caller: DialogParty
    callee: DialogParty
    billed_user_id: int | None = None  # whose outbound minutes the call uses
    cseq_offset: int = 0  # added to caller -> callee CSeqs (the INVITE was re-sent with trunk credentials)
    carrier_from: str | None = None  # the From a carrier saw (the hotline), without tag: trunk calls only


@dataclass(frozen=True, slots=True, init=False)
class CallRecord:
    """One call attempt; upserted by `call_id` at each state change so a crash loses none."""

    call_id: str  # the proxy's id for the attempt (the caller's Call-ID)
    company_id: int | None
    domain: str
    caller: str  # extension, number or URI of the caller
    callee: str  # what was dialed (normalised number or extension)
    direction: str  # "internal" | "outbound" | "inbound" | "feature"
    hotline: str | None
    start: float
    answer: float | None = None
    end: float | None = None
    disposition: Disposition = Disposition.TRYING
    hangup_cause: str | None = None  # e.g. "caller BYE", "486 Busy Here", "quota"
    caller_user_id: int | None = None
    callee_user_id: int | None = None
    cutoff: float | None = None  # when the proxy ends the answered call for the monthly quota (None: never)
    dialog: CallDialog | None = None  # set on answer
    path: str | None = None  # a call-center call's way: "schedule 1 open > ivr 1 > queue 1 > agent 101"

    # Written out so that mypyc compiles it (dataclass's generated one stays interpreted): one is made at
    # every state change of a call.
    def __init__(
        self,
        call_id: str,
        company_id: int | None,
        domain: str,
        caller: str,
        callee: str,
        direction: str,
        hotline: str | None,
        start: float,
        answer: float | None = None,
        end: float | None = None,
        disposition: Disposition = Disposition.TRYING,
        hangup_cause: str | None = None,
        caller_user_id: int | None = None,
        callee_user_id: int | None = None,
        cutoff: float | None = None,
        dialog: CallDialog | None = None,
        path: str | None = None,
    ) -> None:
        object.__setattr__(self, "call_id", call_id)
        object.__setattr__(self, "company_id", company_id)
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "caller", caller)
        object.__setattr__(self, "callee", callee)
        object.__setattr__(self, "direction", direction)
        object.__setattr__(self, "hotline", hotline)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "answer", answer)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "disposition", disposition)
        object.__setattr__(self, "hangup_cause", hangup_cause)
        object.__setattr__(self, "caller_user_id", caller_user_id)
        object.__setattr__(self, "callee_user_id", callee_user_id)
        object.__setattr__(self, "cutoff", cutoff)
        object.__setattr__(self, "dialog", dialog)
        object.__setattr__(self, "path", path)


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A SIP MESSAGE waiting for a recipient with no registered device."""

    message_id: str
    domain: str
    user_id: int  # recipient
    from_uri: str
    to_uri: str
    content_type: str
    body: bytes
    date: str  # the original Date header value (RFC 1123), kept on delivery


@dataclass(frozen=True, slots=True, init=False)
class Binding:
    """One registered contact of an address-of-record (`sip:user@domain`)."""

    aor: str
    contact: str  # the Contact URI as registered (without angle brackets)
    expires_at: float
    user_id: int
    username: str
    device_kind: DeviceKind
    call_id: str
    cseq: int
    source: str = ""  # "transport:host:port" the REGISTER came from (NAT: reach it there)
    instance_id: str | None = None  # +sip.instance, when the client sent one
    user_agent: str = ""

    # Written out so that mypyc compiles it (dataclass's generated one stays interpreted): one per REGISTER.
    def __init__(
        self,
        aor: str,
        contact: str,
        expires_at: float,
        user_id: int,
        username: str,
        device_kind: DeviceKind,
        call_id: str,
        cseq: int,
        source: str = "",
        instance_id: str | None = None,
        user_agent: str = "",
    ) -> None:
        object.__setattr__(self, "aor", aor)
        object.__setattr__(self, "contact", contact)
        object.__setattr__(self, "expires_at", expires_at)
        object.__setattr__(self, "user_id", user_id)
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "device_kind", device_kind)
        object.__setattr__(self, "call_id", call_id)
        object.__setattr__(self, "cseq", cseq)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "instance_id", instance_id)
        object.__setattr__(self, "user_agent", user_agent)


class Directory(Protocol):
    """The routing facts the PBX reads, answered from memory (never awaits): the in-memory
    `server.sip.snapshot.RoutingSnapshot`, refreshed from the domain's change events."""

    def sip_credential(self, domain: str, username: str) -> SipCredential | None: ...

    def user_routing(self, user_id: int) -> UserRouting | None: ...

    def user_by_extension(self, domain: str, extension: str) -> int | None: ...

    def hotlines(self, domain: str) -> tuple[Hotline, ...]: ...

    def hotline_by_number(self, number: str) -> tuple[str, Hotline] | None:
        """(domain, hotline) for an inbound call's dialed number; numbers compared normalised."""
        ...

    def all_hotlines(self) -> tuple[Hotline, ...]:
        """Every company's hotlines (the trunks the PBX registers to, the gateways it resolves)."""
        ...

    def seconds_used(self, user_id: int, period: str) -> float:
        """Outbound seconds the user used in month `period` ("YYYY-MM")."""
        ...

    def add_usage(self, user_id: int, seconds: float, period: str) -> None:
        """Count outbound seconds of an ended call (the journal takes them to the database)."""
        ...
