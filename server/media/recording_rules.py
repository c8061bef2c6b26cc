"""Which two-party calls are recorded: the company's policy, each user's override and the server's own list,
decided per call from facts the PBX holds in memory (no database, nothing awaited).

The facts are the PBX's running call record (its direction and the users on either end, as the core
classified them when it routed the INVITE) and the routing snapshot (each company's policy and each user's
override, refreshed from the domain's change events).  The rules, in order:

1. a party whose override is ``never`` is never recorded: the call is not recorded at all (one recording
   holds both parties, so the stricter wish wins);
2. a party whose override is ``always`` is recorded;
3. a party who inherits follows their company's policy: ``all`` records every call of theirs, ``inbound``
   the calls from outside that reach them, ``outbound`` the calls they place to outside numbers;
4. otherwise the server's ``media_record_calls`` list (user names/extensions, ``*`` = everyone) decides,
   as before policies existed.

``media_call_recording = false`` (the master switch) keeps every call unanchored: this module is not asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from server.media.call_recording import recording_policy
from server.sip.directory import CallRecord
from server.sip.message import SipRequest
from server.sip.snapshot import RoutingSnapshot

INHERIT, ALWAYS, NEVER = "inherit", "always", "never"
POLICY_ALL, POLICY_INBOUND, POLICY_OUTBOUND = "all", "inbound", "outbound"


@dataclass(frozen=True, slots=True)
class Party:
    """One end of a call as the rules see it."""

    override: str = INHERIT
    policy: str = "off"  # of the party's company


def party_wants(party: Party, *, calling: bool, direction: str) -> bool:
    """Whether this party's own rule (override, else company policy) records the call."""
    if party.override == ALWAYS:
        return True
    if party.override == NEVER:
        return False
    if party.policy == POLICY_ALL:
        return True
    if party.policy == POLICY_INBOUND:
        return not calling and direction == "inbound"
    if party.policy == POLICY_OUTBOUND:
        return calling and direction == "outbound"
    return False


def decide(caller: Party | None, callee: Party | None, *, direction: str, server_default: bool) -> bool:
    """The call's decision; ``None`` parties are not users of ours (a carrier, an outside number)."""
    parties = [(p, calling) for p, calling in ((caller, True), (callee, False)) if p is not None]
    if any(p.override == NEVER for p, _ in parties):
        return False
    if any(party_wants(p, calling=calling, direction=direction) for p, calling in parties):
        return True
    return server_default


class RecordingRules:
    """``records(invite)`` for the media hook (`CallAnchor`); call facts and the snapshot are attached once
    the SIP service runs (before that only the server's list applies)."""

    def __init__(self, server_users: Iterable[str] = ()) -> None:
        self.server_default = recording_policy(server_users)
        self.snapshot: RoutingSnapshot | None = None
        self.running_call: Callable[[str], CallRecord | None] = lambda call_id: None

    def attach(self, snapshot: RoutingSnapshot, running_call: Callable[[str], CallRecord | None]) -> None:
        self.snapshot = snapshot
        self.running_call = running_call

    def _party(self, user_id: int | None) -> Party | None:
        if user_id is None or self.snapshot is None:
            return None
        user = self.snapshot.user_routing(user_id)
        if user is None:
            return None
        company = self.snapshot.company(user.company_id)
        return Party(self.snapshot.user_recording(user_id), company.recording if company else "off")

    def records(self, invite: SipRequest) -> bool:
        call = self.running_call(invite.call_id)
        if call is None:
            return self.server_default(invite)
        return decide(
            self._party(call.caller_user_id),
            self._party(call.callee_user_id),
            direction=call.direction,
            server_default=self.server_default(invite),
        )

    def records_answer(self, call_id: str, agent_user_id: int | None) -> bool:
        """A call the call center bridged to an agent (hotline -> IVR -> queue or ring group): the rules
        with the agent who answered as the callee (an outside number the call was forwarded to: the
        company's policy).  The server's list applies to INVITEs the PBX relays,
        not to these (no INVITE of the caller's reached the agent)."""
        call = self.running_call(call_id)
        if call is None:
            return False
        answered = self._party(agent_user_id)
        if answered is None and self.snapshot is not None and call.company_id is not None:
            # forwarded out (an outside number answered): the hotline company's policy stands for it
            company = self.snapshot.company(call.company_id)
            answered = Party(policy=company.recording) if company is not None else None
        return decide(
            self._party(call.caller_user_id), answered, direction=call.direction, server_default=False
        )
