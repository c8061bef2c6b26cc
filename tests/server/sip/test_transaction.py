"""Transaction state machines driven with a fake clock (no sockets)."""

from __future__ import annotations

import pytest

from server.sip.address import Address
from server.sip.headers import Headers
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.transaction import (
    Deliver,
    Send,
    State,
    Terminated,
    TimerSettings,
    TransactionError,
    TransactionLayer,
    TransactionTimeout,
    build_cancel,
)
from server.sip.uri import parse_uri

pytestmark = pytest.mark.unit

UDP_PEER = Address("udp", "192.0.2.10", 5060)
TCP_PEER = Address("tcp", "192.0.2.10", 5060)


def request(method: str, branch: str | None = None, cseq: int = 1) -> SipRequest:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP 192.0.2.1:5060;branch={branch or new_branch()}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:alice@example.com>;tag={new_tag()}"),
            ("To", "<sip:bob@example.com>"),
            ("Call-ID", "call-1@example.com"),
            ("CSeq", f"{cseq} {method}"),
        ]
    )
    return SipRequest(method, parse_uri("sip:bob@example.com"), headers)


def sends(actions: list) -> list:
    return [a.message for a in actions if isinstance(a, Send)]


def run_until(layer: TransactionLayer, until: float) -> list[tuple[float, object]]:
    """Step the fake clock from timer to timer; returns (time, action) pairs."""
    out: list[tuple[float, object]] = []
    for _ in range(1000):
        when = layer.next_timer()
        if when is None or when > until:
            break
        out += [(when, a) for a in layer.handle_timer(when)]
    return out


def test_invite_client_timer_a_doubles_and_timer_b_times_out_at_32s() -> None:
    layer = TransactionLayer()
    key, actions = layer.send_request(request("INVITE"), UDP_PEER, now=0.0)
    assert len(sends(actions)) == 1
    events = run_until(layer, 100.0)
    resend_times = [t for t, a in events if isinstance(a, Send)]
    assert resend_times == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]  # intervals 0.5, 1, 2, 4, 8, 16 (no T2 cap)
    timeouts = [(t, a) for t, a in events if isinstance(a, TransactionTimeout)]
    assert [t for t, _ in timeouts] == [32.0]
    assert timeouts[0][1].transaction == key
    assert any(isinstance(a, Terminated) for _, a in events)
    assert len(layer) == 0 and layer.next_timer() is None


def test_invite_client_over_tcp_does_not_retransmit() -> None:
    layer = TransactionLayer()
    layer.send_request(request("INVITE"), TCP_PEER, now=0.0)
    events = run_until(layer, 100.0)
    assert [t for t, a in events if isinstance(a, Send)] == []
    assert [t for t, a in events if isinstance(a, TransactionTimeout)] == [32.0]


def test_non_invite_client_timer_e_capped_at_t2_and_timer_f() -> None:
    layer = TransactionLayer()
    layer.send_request(request("OPTIONS"), UDP_PEER, now=0.0)
    events = run_until(layer, 100.0)
    times = [t for t, a in events if isinstance(a, Send)]
    intervals = [round(b - a, 6) for a, b in zip([0.0, *times], times, strict=False)]
    assert intervals[:5] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert all(i == 4.0 for i in intervals[3:])
    assert [t for t, a in events if isinstance(a, TransactionTimeout)] == [32.0]


def test_non_invite_client_provisional_switches_retransmit_to_t2() -> None:
    layer = TransactionLayer()
    req = request("REGISTER")
    layer.send_request(req, UDP_PEER, now=0.0)
    layer.handle_timer(0.5)  # first retransmit at 0.5, next due at 1.5
    actions = layer.receive(make_response(req, 100), UDP_PEER, now=0.6)
    assert [type(a) for a in actions] == [Deliver]
    events = run_until(layer, 20.0)
    times = [t for t, a in events if isinstance(a, Send)]
    assert times[:3] == [1.5, 5.5, 9.5]


def test_non_invite_client_completed_absorbs_retransmits_then_timer_k() -> None:
    layer = TransactionLayer()
    req = request("OPTIONS")
    key, _ = layer.send_request(req, UDP_PEER, now=0.0)
    ok = make_response(req, 200, to_tag="x")
    assert [type(a) for a in layer.receive(ok, UDP_PEER, now=0.1)] == [Deliver]
    assert layer.receive(ok, UDP_PEER, now=0.2) == []
    assert layer.next_timer() == pytest.approx(5.1)  # Timer K = T4
    assert layer.handle_timer(5.1) == [Terminated(key)]


def test_invite_client_non_2xx_generates_ack_and_resends_it_on_retransmission() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    req.headers.add("Route", "<sip:proxy.example.com;lr>")
    key, _ = layer.send_request(req, UDP_PEER, now=0.0)
    assert [type(a) for a in layer.receive(make_response(req, 180, to_tag="t1"), UDP_PEER, 0.2)] == [Deliver]
    busy = make_response(req, 486, to_tag="t1")
    actions = layer.receive(busy, UDP_PEER, now=1.0)
    acks = sends(actions)
    assert len(acks) == 1 and [type(a) for a in actions] == [Send, Deliver]
    ack = acks[0]
    assert ack.method == "ACK"
    assert ack.cseq == (1, "ACK")
    assert ack.uri == req.uri
    assert ack.via.branch == req.via.branch
    assert ack.to_tag == "t1"
    assert ack.from_tag == req.from_tag
    assert [str(r) for r in ack.routes] == ["<sip:proxy.example.com;lr>"]
    again = layer.receive(busy, UDP_PEER, now=2.0)
    assert [type(a) for a in again] == [Send] and sends(again)[0] is ack
    assert layer.get(key).state is State.COMPLETED
    assert layer.next_timer() == pytest.approx(33.0)  # Timer D = 32 s after the first final
    assert layer.handle_timer(33.0) == [Terminated(key)]


def test_invite_client_2xx_goes_to_accepted_and_delivers_retransmissions() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    key, _ = layer.send_request(req, UDP_PEER, now=0.0)
    ok = make_response(req, 200, to_tag="t")
    assert [type(a) for a in layer.receive(ok, UDP_PEER, 0.3)] == [Deliver]
    assert layer.get(key).state is State.ACCEPTED
    assert [type(a) for a in layer.receive(ok, UDP_PEER, 1.0)] == [Deliver]  # TU re-sends its ACK
    assert layer.next_timer() == pytest.approx(0.3 + 32)  # Timer M = 64*T1
    assert run_until(layer, 40) == [(pytest.approx(32.3), Terminated(key))]


def test_invite_server_sends_100_after_200ms_of_tu_silence() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    actions = layer.receive(req, UDP_PEER, now=0.0)
    assert [type(a) for a in actions] == [Deliver]
    assert layer.next_timer() == pytest.approx(0.2)
    trying = sends(layer.handle_timer(0.2))
    assert [r.status for r in trying] == [100]
    assert sends(layer.receive(req, UDP_PEER, 0.6)) == trying  # a retransmission gets the last provisional


def test_invite_server_skips_100_when_tu_answers_fast_or_client_retransmits_first() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    layer.receive(req, UDP_PEER, now=0.0)
    challenge = make_response(req, 407, to_tag="s")
    assert sends(layer.send_response(challenge, 0.01)) == [challenge]  # no 100 ever
    assert all(r.status != 100 for _, a in run_until(layer, 40) if isinstance(a, Send) for r in [a.message])

    req2 = request("INVITE")
    layer.receive(req2, UDP_PEER, now=0.0)
    ringing = make_response(req2, 180, to_tag="s")
    assert sends(layer.send_response(ringing, 0.05)) == [ringing]
    assert sends(layer.handle_timer(0.25)) == []  # the pending 100 was dropped: 180 already went out

    req3 = request("INVITE")
    layer.receive(req3, UDP_PEER, now=0.0)
    assert [r.status for r in sends(layer.receive(req3, UDP_PEER, 0.1))] == [100]  # retransmitted early
    assert sends(layer.handle_timer(0.25)) == []


def test_invite_server_absorbs_retransmit_and_retransmits_final_with_timer_g() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    actions = layer.receive(req, UDP_PEER, now=0.0)
    key = actions[0].transaction
    assert [sends(layer.receive(req, UDP_PEER, 0.1))[0].status] == [100]  # retransmission -> 100 at once
    ringing = make_response(req, 180, to_tag="s")
    assert sends(layer.send_response(ringing, 0.2)) == [ringing]
    assert sends(layer.receive(req, UDP_PEER, 0.3)) == [ringing]
    busy = make_response(req, 486, to_tag="s")
    assert sends(layer.send_response(busy, 1.0)) == [busy]
    events = run_until(layer, 40)
    resend_times = [t for t, a in events if isinstance(a, Send)]
    # Timer G: 0.5, 1, 2, 4, 4, ... (capped at T2) until Timer H at 64*T1.
    assert resend_times[:6] == [1.5, 2.5, 4.5, 8.5, 12.5, 16.5]
    timeout = [t for t, a in events if isinstance(a, TransactionTimeout)]
    assert timeout == [33.0]
    assert events[-1][1] == Terminated(key)


def test_invite_server_ack_confirms_then_timer_i() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    key = layer.receive(req, UDP_PEER, now=0.0)[0].transaction
    busy = make_response(req, 486, to_tag="s")
    layer.send_response(busy, 0.1)
    ack = request("ACK", branch=req.via.branch)
    ack.headers.set("To", busy.headers.get("To") or "")
    ack.headers.set("From", req.headers.get("From") or "")
    assert layer.receive(ack, UDP_PEER, 0.2) == []  # absorbed
    assert layer.get(key).state is State.CONFIRMED
    assert layer.receive(ack, UDP_PEER, 0.3) == []
    assert layer.next_timer() == pytest.approx(5.2)  # Timer I = T4
    assert layer.handle_timer(5.2) == [Terminated(key)]


def test_invite_server_2xx_is_accepted_and_ack_for_2xx_reaches_tu() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    key = layer.receive(req, UDP_PEER, now=0.0)[0].transaction
    ok = make_response(req, 200, to_tag="s")
    assert sends(layer.send_response(ok, 0.1)) == [ok]
    assert layer.get(key).state is State.ACCEPTED
    assert layer.receive(req, UDP_PEER, 0.2) == []  # retransmitted INVITE absorbed (RFC 6026)
    assert sends(layer.send_response(ok, 0.6)) == [ok]  # TU retransmits its 2xx
    ack = request("ACK")  # ACK for 2xx carries a new branch -> outside any transaction
    delivered = layer.receive(ack, UDP_PEER, 0.7)
    assert delivered == [Deliver(ack, UDP_PEER, None)]
    assert layer.handle_timer(0.1 + 32) == [Terminated(key)]  # Timer L


def test_non_invite_server_timer_j_and_reliable_terminates_at_once() -> None:
    layer = TransactionLayer()
    req = request("OPTIONS")
    key = layer.receive(req, UDP_PEER, 0.0)[0].transaction
    ok = make_response(req, 200, to_tag="s")
    assert sends(layer.send_response(ok, 1.0)) == [ok]
    assert sends(layer.receive(req, UDP_PEER, 2.0)) == [ok]
    assert layer.next_timer() == pytest.approx(33.0)
    assert layer.handle_timer(33.0) == [Terminated(key)]

    req2 = request("OPTIONS")
    key2 = layer.receive(req2, TCP_PEER, 0.0)[0].transaction
    actions = layer.send_response(make_response(req2, 200), 0.0)
    assert actions[-1] == Terminated(key2) and len(layer) == 0


def test_cancel_matches_invite_server_transaction() -> None:
    layer = TransactionLayer()
    invite = request("INVITE")
    invite_key = layer.receive(invite, UDP_PEER, 0.0)[0].transaction
    cancel = request("CANCEL", branch=invite.via.branch)
    cancel.headers.set("From", invite.headers.get("From") or "")
    actions = layer.receive(cancel, UDP_PEER, 0.5)
    delivered = [a for a in actions if isinstance(a, Deliver)]
    assert delivered[0].cancels == invite_key
    assert delivered[0].transaction != invite_key
    stray = request("CANCEL")
    assert next(a for a in layer.receive(stray, UDP_PEER, 0.6) if isinstance(a, Deliver)).cancels is None


def test_stray_response_and_unknown_response_target() -> None:
    layer = TransactionLayer()
    req = request("OPTIONS")
    resp = make_response(req, 200)
    assert layer.receive(resp, UDP_PEER, 0.0) == [Deliver(resp, UDP_PEER, None)]
    with pytest.raises(TransactionError):
        layer.send_response(resp, 0.0)


def test_transport_error_times_out_client_transaction() -> None:
    layer = TransactionLayer()
    key, _ = layer.send_request(request("OPTIONS"), TCP_PEER, 0.0)
    actions = layer.transport_error(key, 0.1)
    assert [type(a) for a in actions] == [TransactionTimeout, Terminated]
    assert actions[0].reason == "transport"


def test_custom_timer_settings() -> None:
    layer = TransactionLayer(TimerSettings(t1=0.1, t2=0.4, t4=0.5))
    layer.send_request(request("OPTIONS"), UDP_PEER, 0.0)
    events = run_until(layer, 10)
    assert [t for t, a in events if isinstance(a, TransactionTimeout)] == [pytest.approx(6.4)]


def test_response_matching_uses_cseq_method() -> None:
    layer = TransactionLayer()
    invite = request("INVITE")
    layer.send_request(invite, UDP_PEER, 0.0)
    resp = make_response(invite, 200)
    resp.headers.set("CSeq", "1 CANCEL")  # same branch, other method -> not this transaction
    assert layer.receive(resp, UDP_PEER, 0.1) == [Deliver(resp, UDP_PEER, None)]


def test_rfc2543_request_without_magic_cookie_still_matches_retransmission() -> None:
    layer = TransactionLayer()
    req = request("OPTIONS", branch="oldstyle1")
    assert len(layer.receive(req, UDP_PEER, 0.0)) == 1
    ok = make_response(req, 200, to_tag="z")
    assert sends(layer.send_response(ok, 0.1)) == [ok]
    assert sends(layer.receive(req, UDP_PEER, 0.2)) == [ok]


def test_2xx_response_objects_are_not_mutated() -> None:
    layer = TransactionLayer()
    req = request("INVITE")
    layer.receive(req, UDP_PEER, 0.0)
    resp = SipResponse(200, "OK", make_response(req, 200).headers)
    before = resp.to_bytes()
    layer.send_response(resp, 0.0)
    assert resp.to_bytes() == before


def test_build_cancel_matches_the_invite_and_runs_its_own_transaction() -> None:
    layer = TransactionLayer()
    invite = request("INVITE")
    invite.headers.add("Route", "<sip:proxy.example.com;lr>")
    invite_key, _ = layer.send_request(invite, UDP_PEER, 0.0)
    layer.receive(make_response(invite, 180, to_tag="r"), UDP_PEER, 0.1)
    cancel = build_cancel(invite, 'SIP;cause=200;text="Call completed elsewhere"')
    assert cancel.uri == invite.uri and cancel.cseq == (1, "CANCEL")
    assert cancel.via == invite.via and cancel.call_id == invite.call_id
    assert cancel.from_ == invite.from_ and cancel.to == invite.to and cancel.to_tag is None
    assert [str(r) for r in cancel.routes] == ["<sip:proxy.example.com;lr>"]
    assert cancel.headers.get("Reason") == 'SIP;cause=200;text="Call completed elsewhere"'
    cancel_key, actions = layer.send_request(cancel, UDP_PEER, 0.2)
    assert cancel_key != invite_key and sends(actions) == [cancel]
    # The server side sees the CANCEL matching its INVITE transaction (RFC 3261 9.2).
    server = TransactionLayer()
    server_invite_key = server.receive(invite, UDP_PEER, 0.0)[0].transaction
    delivered = [a for a in server.receive(cancel, UDP_PEER, 0.3) if isinstance(a, Deliver)]
    assert delivered[0].cancels == server_invite_key
