"""Which calls are recorded: company policy, user override, the server's list (sans-IO rules)."""

from __future__ import annotations

import pytest

from server.media.recording_rules import Party, RecordingRules, decide
from server.sip.directory import CallRecord, UserRouting
from server.sip.message import SipRequest
from server.sip.parser import parse_message
from server.sip.snapshot import CompanyFacts, RoutingSnapshot, UserFacts

pytestmark = pytest.mark.unit

OFF, ALL, IN, OUT = (
    Party(policy="off"),
    Party(policy="all"),
    Party(policy="inbound"),
    Party(policy="outbound"),
)


@pytest.mark.parametrize(
    ("caller", "callee", "direction", "server", "recorded"),
    [
        (OFF, OFF, "internal", False, False),
        (OFF, OFF, "internal", True, True),  # the server's list, as before policies
        (ALL, ALL, "internal", False, True),
        (Party("never", "all"), ALL, "internal", True, False),  # "never" wins over everything
        (ALL, Party("never", "off"), "internal", False, False),
        (Party("always", "off"), OFF, "internal", False, True),
        (OFF, Party("always", "off"), "internal", False, True),
        (None, IN, "inbound", False, True),  # a carrier's call to a user of an "inbound" company
        (IN, IN, "internal", False, False),
        (OUT, None, "outbound", False, True),
        (None, OUT, "inbound", False, False),
        (IN, None, "outbound", False, False),
        (None, None, "inbound", False, False),
    ],
)
def test_decide(caller, callee, direction, server, recorded) -> None:
    assert decide(caller, callee, direction=direction, server_default=server) is recorded


def _invite(call_id: str, caller: str = "101", callee: str = "102") -> SipRequest:
    raw = (
        f"INVITE sip:{callee}@demo.local SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
        f"From: <sip:{caller}@demo.local>;tag=a\r\nTo: <sip:{callee}@demo.local>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    message = parse_message(raw)
    assert isinstance(message, SipRequest)
    return message


def _snapshot(policy: str, overrides: dict[int, str]) -> RoutingSnapshot:
    snap = RoutingSnapshot()
    users = [
        UserFacts(UserRouting(uid, 1, "demo.local", (ext,), ext), recording=overrides.get(uid, "inherit"))
        for uid, ext in ((1, "101"), (2, "102"))
    ]
    snap.replace_company(CompanyFacts(1, "demo.local", recording=policy), users)
    return snap


def test_rules_read_the_running_call_and_the_snapshot() -> None:
    calls = {"c1": CallRecord("c1", 1, "demo.local", "101", "102", "internal", None, 0.0, caller_user_id=1,
                              callee_user_id=2)}  # fmt: skip
    rules = RecordingRules(["102"])
    assert rules.records(_invite("c1"))  # not attached yet: the server's list alone
    rules.attach(_snapshot("off", {1: "never"}), calls.get)
    assert not rules.records(_invite("c1"))  # 101 never, though the server lists 102
    rules.attach(_snapshot("all", {}), calls.get)
    assert rules.records(_invite("c1"))
    rules = RecordingRules()
    rules.attach(_snapshot("off", {2: "always"}), calls.get)
    assert rules.records(_invite("c1"))
    assert not rules.records(_invite("unknown", "103", "104"))  # no call record, no server list


def test_snapshot_keeps_overrides_per_user_and_drops_them_with_the_user() -> None:
    snap = _snapshot("inbound", {1: "always"})
    assert snap.user_recording(1) == "always" and snap.user_recording(2) == "inherit"
    assert snap.company(1) is not None and snap.company(1).recording == "inbound"
    snap.replace_users(1, [1], [])
    assert snap.user_recording(1) == "inherit"


def test_a_call_center_call_follows_the_agent_who_answered() -> None:
    # a carrier's call to the hotline: no user on the caller's side, the agent is the callee
    calls = {"h1": CallRecord("h1", 1, "demo.local", "0903000111", "02873001234", "inbound", None, 0.0)}
    rules = RecordingRules(["*"])  # the server's list is for relayed INVITEs, not the call center's bridges
    rules.attach(_snapshot("off", {1: "always"}), calls.get)
    assert rules.records_answer("h1", 1)  # agent 101 always
    assert not rules.records_answer("h1", 2)  # agent 102 inherits "off"
    assert not rules.records_answer("h1", None)  # forwarded out: the company's policy, off
    rules.attach(_snapshot("inbound", {2: "never"}), calls.get)
    assert rules.records_answer("h1", 1) and not rules.records_answer("h1", 2)
    assert rules.records_answer("h1", None)  # forwarded out of an "inbound" company: recorded
    assert not rules.records_answer("gone", 1)  # no running call record
