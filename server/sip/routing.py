"""Who gets a call: a pure decision over facts the proxy fetched from the Directory.

`decide(facts)` never touches I/O; the proxy gathers `RouteFacts` (caller, callee, its live
bindings, the company's hotlines) and turns the `RouteDecision` into SIP: fork to contacts,
486 + Reason for DND, 403 + Reason, out through a carrier trunk, or to the media engine's feature UAS.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.sip.carriers import carrier_of, normalize_number
from server.sip.directory import (
    Binding,
    DeviceKind,
    ForwardCondition,
    ForwardRule,
    ForwardTargetKind,
    Hotline,
    RingMethod,
    UserRouting,
)
from server.sip.quota import may_start_outbound, remaining_seconds

ADAPTIVE = "adaptive"
CALL_CENTER = "*cc"  # the feature number of the call-center UAS (server/media/callcenter_calls.py)
PBX_USER_HEADER = "X-PBX-User"  # set by the proxy on feature calls: the user it authenticated
VOICEMAIL_HEADER = "X-PBX-Voicemail"  # set by the proxy on a call forwarded to voicemail (`Voicemail.header`)


@dataclass(frozen=True, slots=True)
class Extension:
    """Fork to these registered contacts of the callee."""

    user_id: int
    extension: str
    contacts: tuple[Binding, ...]
    ring_seconds: float | None = None  # the callee's no-answer forwarding: ring this long, then forward


@dataclass(frozen=True, slots=True)
class Dnd:
    user_id: int


@dataclass(frozen=True, slots=True)
class Forbidden:
    reason: str


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The callee exists but nothing of theirs can ring now (480)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Trunk:
    """Out through `hotline`'s carrier trunk to `number` (84xxxxxxxxx), showing `caller_id`."""

    hotline: Hotline
    number: str
    caller_id: str
    max_seconds: float | None  # quota left for the paying user; None = unlimited
    billed_user_id: int | None


@dataclass(frozen=True, slots=True)
class Media:
    """To the media engine's feature-call UAS (echo test, hold music, rooms, the call center)."""

    feature: str


@dataclass(frozen=True, slots=True)
class MediaDown:
    """A feature number while the media engine is not running (503 + Reason)."""

    reason: str


@dataclass(frozen=True, slots=True)
class NotFound:
    reason: str


@dataclass(frozen=True, slots=True)
class Forward:
    """The callee's forwarding `rule` applies now: the call goes to its target instead."""

    user_id: int
    rule: ForwardRule


@dataclass(frozen=True, slots=True)
class Voicemail:
    """To the voicemail box of `extension` (the call-center UAS greets and records)."""

    user_id: int
    company_id: int
    extension: str
    condition: ForwardCondition  # the forwarding rule that sent the call there

    @property
    def header(self) -> str:
        """`VOICEMAIL_HEADER`'s value: "<company id>:<extension>:<condition>"."""
        return f"{self.company_id}:{self.extension}:{self.condition}"


RouteDecision = (
    Extension | Dnd | Forbidden | Unavailable | Trunk | Media | MediaDown | NotFound | Forward | Voicemail
)


@dataclass(frozen=True, slots=True, init=False)
class RouteFacts:
    caller: UserRouting | None  # None: not one of our users (e.g. a carrier trunk)
    dialed: str  # request-URI user part
    x_hotline: str | None  # the X-Hotline header the caller sent
    callee: UserRouting | None  # set when `dialed` is an extension of the caller's domain
    callee_bindings: tuple[Binding, ...]  # live bindings of the callee
    hotlines: tuple[Hotline, ...]  # of the domain
    media_available: bool  # `dialed` is a feature number the media engine's UAS answers
    inbound: bool = False  # the call came from a trunk to a hotline
    pbx_leg: bool = False  # a leg the PBX places itself (call center): may go out through `x_hotline`
    callee_on_call: bool = False  # the callee is in an answered call (busy, for their busy forwarding)
    forwarded: bool = False  # the call was forwarded once already: no forwarding rule applies again
    media_engine: bool = True  # the media engine runs (False: rtpengine missing, or --no-media)

    # Written out so that mypyc compiles it (dataclass's generated one stays interpreted): one per call.
    def __init__(
        self,
        caller: UserRouting | None,
        dialed: str,
        x_hotline: str | None,
        callee: UserRouting | None,
        callee_bindings: tuple[Binding, ...],
        hotlines: tuple[Hotline, ...],
        media_available: bool,
        inbound: bool = False,
        pbx_leg: bool = False,
        callee_on_call: bool = False,
        forwarded: bool = False,
        media_engine: bool = True,
    ) -> None:
        object.__setattr__(self, "caller", caller)
        object.__setattr__(self, "dialed", dialed)
        object.__setattr__(self, "x_hotline", x_hotline)
        object.__setattr__(self, "callee", callee)
        object.__setattr__(self, "callee_bindings", callee_bindings)
        object.__setattr__(self, "hotlines", hotlines)
        object.__setattr__(self, "media_available", media_available)
        object.__setattr__(self, "inbound", inbound)
        object.__setattr__(self, "pbx_leg", pbx_leg)
        object.__setattr__(self, "callee_on_call", callee_on_call)
        object.__setattr__(self, "forwarded", forwarded)
        object.__setattr__(self, "media_engine", media_engine)


# feature codes followed by a number (call forwarding, FreePBX style: *72<number>); docs/sip-contract.md
FEATURE_PREFIXES: tuple[str, ...] = ("*72", "*90", "*52")


def is_feature_number(dialed: str) -> bool:
    return dialed.startswith("*") and len(dialed) > 1


def feature_prefix(dialed: str) -> str | None:
    """The feature code of a code-plus-number (`*72103` -> `*72`); None for anything else."""
    for prefix in FEATURE_PREFIXES:
        rest = dialed[len(prefix) :]
        if dialed.startswith(prefix) and rest and rest.lstrip("+").isdigit():
            return prefix
    return None


def eligible_contacts(method: RingMethod, bindings: tuple[Binding, ...]) -> tuple[Binding, ...]:
    if method == RingMethod.APP:
        return tuple(b for b in bindings if b.device_kind == DeviceKind.APP)
    if method == RingMethod.IP_PHONE:
        return tuple(b for b in bindings if b.device_kind == DeviceKind.IP_PHONE)
    return bindings


def _same_number(a: str, b: str) -> bool:
    return (normalize_number(a) or a) == (normalize_number(b) or b)


def _default_hotline(user: UserRouting, hotlines: tuple[Hotline, ...]) -> Hotline | None:
    if user.default_hotline:
        for h in hotlines:
            if _same_number(h.number, user.default_hotline):
                return h
    return hotlines[0] if hotlines else None


def choose_hotline(
    user: UserRouting, hotlines: tuple[Hotline, ...], x_hotline: str | None, callee_number: str
) -> Hotline | Forbidden:
    """Caller ID: the X-Hotline the app asked for, adaptive (callee's carrier), or the default."""
    if not hotlines:
        return Forbidden("No hotline configured for outbound calls")
    wanted = (x_hotline or "").strip()
    if wanted.lower() == ADAPTIVE:
        carrier = carrier_of(callee_number)
        if carrier is not None:
            for h in hotlines:
                if h.carrier == carrier.value:
                    return h
    elif wanted:
        for h in hotlines:
            if _same_number(h.number, wanted):
                return h
        return Forbidden("Hotline not owned by the company")
    default = _default_hotline(user, hotlines)
    return default if default is not None else Forbidden("No hotline configured for outbound calls")


def forward_rule(user: UserRouting, condition: ForwardCondition) -> ForwardRule | None:
    """The user's enabled forwarding rule for `condition`, if any."""
    return next((r for r in user.forwarding if r.condition == condition), None)


def _early_forward(facts: RouteFacts, callee: UserRouting) -> Forward | None:
    """Forwarding decided before anything rings: always, or busy (DND or already on a call)."""
    if facts.forwarded:
        return None
    rule = forward_rule(callee, ForwardCondition.ALWAYS)
    if rule is None and (callee.dnd or facts.callee_on_call):
        rule = forward_rule(callee, ForwardCondition.BUSY)
    return Forward(callee.user_id, rule) if rule is not None else None


def _to_callee(facts: RouteFacts, callee: UserRouting) -> RouteDecision:
    early = _early_forward(facts, callee)
    if early is not None:
        return early
    if callee.dnd:
        return Dnd(callee.user_id)
    if callee.ring_method == RingMethod.MOBILE:
        mobile = normalize_number(callee.mobile_number or "")
        hotline = _default_hotline(callee, facts.hotlines)
        if mobile and hotline is not None:
            # The company pays for forwarding to the agent's own mobile: no user quota applies.
            return Trunk(hotline, mobile, hotline.number, None, None)
        method = RingMethod.ALL  # no mobile or no trunk: ring what is registered rather than nothing
    else:
        method = callee.ring_method
    contacts = eligible_contacts(method, facts.callee_bindings)
    if not contacts:
        unreachable = None if facts.forwarded else forward_rule(callee, ForwardCondition.UNREACHABLE)
        if unreachable is not None:
            return Forward(callee.user_id, unreachable)
        return Unavailable("No registered device")
    no_answer = None if facts.forwarded else forward_rule(callee, ForwardCondition.NO_ANSWER)
    return Extension(callee.user_id, facts.dialed, contacts, no_answer.seconds if no_answer else None)


def forward_path(extension: str, rule: ForwardRule) -> str:
    """How the call record's path shows a forward: "extension 101 > forward busy > extension 102"."""
    return f"extension {extension} > forward {rule.condition} > {rule.target_kind} {rule.target or extension}"


def outbound(
    user: UserRouting, number: str, hotlines: tuple[Hotline, ...], x_hotline: str | None = None
) -> Trunk | Forbidden:
    """`user`'s call to `number` out through a hotline's trunk: their permission and quota apply."""
    if not user.allow_outbound:
        return Forbidden("Outbound calls not permitted")
    if not may_start_outbound(user):
        return Forbidden("Monthly outbound minutes used up")
    hotline = choose_hotline(user, hotlines, x_hotline, number)
    if isinstance(hotline, Forbidden):
        return hotline
    return Trunk(hotline, number, hotline.number, remaining_seconds(user), user.user_id)


def forward_target(user: UserRouting, rule: ForwardRule, hotlines: tuple[Hotline, ...]) -> RouteDecision:
    """Where `user`'s forwarding `rule` sends a call, for voicemail and external targets (an extension
    target is decided again as a call to that extension, with `RouteFacts.forwarded` set)."""
    if rule.target_kind == ForwardTargetKind.VOICEMAIL:
        if not user.extensions:
            return Unavailable("No voicemail box")
        return Voicemail(user.user_id, user.company_id, user.extensions[0], rule.condition)
    if rule.target_kind == ForwardTargetKind.EXTERNAL:
        number = normalize_number(rule.target)
        if number is None:
            return NotFound("Forwarding number not valid")
        return outbound(user, number, hotlines)
    return NotFound("No such extension")


def decide(facts: RouteFacts) -> RouteDecision:
    if facts.dialed == CALL_CENTER and not facts.inbound:
        return NotFound("No such extension")  # only hotline calls reach the call center this way
    if is_feature_number(facts.dialed):
        if facts.media_available:
            return Media(facts.dialed)
        if facts.media_engine:
            return NotFound("No such feature")
        return MediaDown("Media engine unavailable")
    if facts.callee is not None:
        return _to_callee(facts, facts.callee)
    number = normalize_number(facts.dialed)
    if number is None or len(number) < 3:
        return NotFound("No such extension or number")
    caller = facts.caller
    if caller is None and facts.pbx_leg and not facts.inbound:
        # the call center forwarding a caller to an external number: the company pays, no user quota
        for h in facts.hotlines:
            if _same_number(h.number, facts.x_hotline or ""):
                return Trunk(h, number, h.number, None, None)
        return Forbidden("Hotline not owned by the company")
    if caller is None or facts.inbound:
        return NotFound("No such extension")  # never relay strangers out through our trunks
    return outbound(caller, number, facts.hotlines, facts.x_hotline)


@dataclass(frozen=True, slots=True)
class InboundTarget:
    """Route an inbound hotline call as if `dialed` had been dialed inside the company."""

    dialed: str


def route_inbound_hotline(hotline: Hotline, routed: frozenset[str] = frozenset()) -> InboundTarget | NotFound:
    """The one hook for calls arriving on a hotline number.

    A hotline with a call-center inbound route (its normalised number in ``routed``) goes to the
    call-center UAS, which runs schedule -> IVR -> queue itself; otherwise the hotline's inbound extension.
    """
    if (normalize_number(hotline.number) or hotline.number) in routed:
        return InboundTarget(CALL_CENTER)
    if hotline.inbound_extension:
        return InboundTarget(hotline.inbound_extension)
    return NotFound("Hotline has no inbound destination")
