"""Dialog helper: route sets, remote target, CSeq and tags for in-dialog requests (RFC 3261 12)."""

from __future__ import annotations

import pytest

from server.sip.address import Address
from server.sip.dialog import Dialog, DialogError, proxy_legs, target_address
from server.sip.headers import Headers
from server.sip.message import SipRequest, SipResponse, make_response
from server.sip.parser import parse_message
from server.sip.transaction import Send, TransactionLayer
from server.sip.uri import parse_uri

pytestmark = pytest.mark.unit

ME = Address("udp", "10.0.0.5", 5060)


def invite(record_routes: list[str] | None = None) -> SipRequest:
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa1"),
            ("Max-Forwards", "70"),
            ("From", '"Alice" <sip:alice@example.com>;tag=caller1'),
            ("To", "<sip:bob@example.com>"),
            ("Call-ID", "dlg-1@example.com"),
            ("CSeq", "10 INVITE"),
            ("Contact", "<sip:alice@10.0.0.1:5062;transport=udp>"),
        ]
    )
    for rr in record_routes or []:
        headers.add("Record-Route", rr)
    return SipRequest("INVITE", parse_uri("sip:bob@example.com"), headers)


def answer(req: SipRequest) -> SipResponse:
    ok = make_response(req, 200, to_tag="callee9")
    ok.headers.add("Contact", "<sip:bob@10.0.0.2:5070>")
    return ok


RR = ["<sip:near-callee.example.com;lr>", "<sip:pbx.example.com;lr>", "<sip:near-caller.example.com;lr>"]


def test_uac_dialog_bye_uses_reversed_record_route_and_next_cseq() -> None:
    req = invite(RR)
    dialog = Dialog.from_uac(req, answer(req))
    assert dialog.id == ("dlg-1@example.com", "caller1", "callee9")
    assert [str(r.uri) for r in dialog.route_set] == [
        "sip:near-caller.example.com;lr", "sip:pbx.example.com;lr", "sip:near-callee.example.com;lr",
    ]  # fmt: skip
    bye = dialog.create_request("BYE", ME)
    assert bye.uri == parse_uri("sip:bob@10.0.0.2:5070")
    assert bye.cseq == (11, "BYE")
    assert (bye.from_tag, bye.to_tag) == ("caller1", "callee9")
    assert bye.from_.display_name == "Alice"
    assert dialog.next_hop(bye) == parse_uri("sip:near-caller.example.com;lr")
    assert bye.via.branch and bye.via.branch.startswith("z9hG4bK") and bye.via.rport_requested
    assert parse_message(bye.to_bytes()).to_bytes() == bye.to_bytes()
    ack = dialog.create_ack(10, ME)
    assert ack.cseq == (10, "ACK") and dialog.local_cseq == 11


def test_uas_dialog_keeps_record_route_order_and_checks_remote_cseq() -> None:
    req = invite(RR)
    dialog = Dialog.from_uas(req, local_tag="callee9")
    assert str(dialog.route_set[0].uri) == "sip:near-callee.example.com;lr"
    assert dialog.remote_target == parse_uri("sip:alice@10.0.0.1:5062;transport=udp")
    bye = dialog.create_request("BYE", ME)
    assert (bye.from_tag, bye.to_tag, bye.cseq) == ("callee9", "caller1", (1, "BYE"))
    assert dialog.matches(bye.copy()) is False  # our own request is not "from the remote party"
    reinvite = invite()
    reinvite.headers.set("To", "<sip:bob@example.com>;tag=callee9")
    reinvite.headers.set("CSeq", "11 INVITE")
    reinvite.headers.set("Contact", "<sip:alice@10.0.0.9:5062>")
    assert dialog.matches(reinvite)
    assert dialog.receive_request(reinvite)
    assert dialog.remote_target == parse_uri("sip:alice@10.0.0.9:5062")
    assert not dialog.receive_request(reinvite)  # same CSeq again: out of order -> 500


def test_strict_router_goes_into_request_uri() -> None:
    req = invite(["<sip:strict.example.com>"])
    dialog = Dialog.from_uac(req, answer(req))
    bye = dialog.create_request("BYE", ME)
    assert bye.uri == parse_uri("sip:strict.example.com")
    assert [str(r.uri) for r in bye.routes] == ["sip:bob@10.0.0.2:5070"]


def test_proxy_legs_split_route_set_around_own_entry() -> None:
    req = invite(RR)
    ok = answer(req)
    to_caller, to_callee = proxy_legs(req, ok, lambda rr: rr.uri.host == "pbx.example.com")
    bye_callee = to_callee.create_request(
        "BYE", ME, extra_headers=[("Reason", 'Q.850;cause=16;text="quota"')]
    )
    assert bye_callee.uri == parse_uri("sip:bob@10.0.0.2:5070")
    assert [r.uri.host for r in bye_callee.routes] == ["near-callee.example.com"]
    assert (bye_callee.from_tag, bye_callee.to_tag, bye_callee.cseq) == ("caller1", "callee9", (11, "BYE"))
    assert bye_callee.headers.get("Reason") == 'Q.850;cause=16;text="quota"'
    bye_caller = to_caller.create_request("BYE", ME)
    assert bye_caller.uri == parse_uri("sip:alice@10.0.0.1:5062;transport=udp")
    assert [r.uri.host for r in bye_caller.routes] == ["near-caller.example.com"]
    assert (bye_caller.from_tag, bye_caller.to_tag) == ("callee9", "caller1")
    to_callee.note_local_cseq(40)
    assert to_callee.create_request("BYE", ME).cseq == (41, "BYE")
    with pytest.raises(DialogError):
        proxy_legs(req, ok, lambda rr: False)


def test_target_address_defaults() -> None:
    assert target_address(parse_uri("sip:a@h")) == Address("udp", "h", 5060)
    assert target_address(parse_uri("sips:a@h")) == Address("tls", "h", 5061)
    assert target_address(parse_uri("sip:a@h:7000;transport=TCP")) == Address("tcp", "h", 7000)
    assert target_address(parse_uri("sip:a@h;maddr=10.1.1.1")) == Address("udp", "10.1.1.1", 5060)


def test_dialog_request_runs_through_a_client_transaction() -> None:
    req = invite(RR[:1])
    dialog = Dialog.from_uac(req, answer(req))
    bye = dialog.create_request("BYE", ME)
    dest = target_address(dialog.next_hop(bye))
    _, actions = TransactionLayer().send_request(bye, dest, now=0.0)
    assert actions == [Send(bye, Address("udp", "near-callee.example.com", 5060))]


def test_missing_tag_or_contact_is_an_error() -> None:
    req = invite()
    no_contact = make_response(req, 200, to_tag="x")
    with pytest.raises(DialogError):
        Dialog.from_uac(req, no_contact)
    with pytest.raises(DialogError):
        Dialog.from_uac(req, make_response(req, 200))
