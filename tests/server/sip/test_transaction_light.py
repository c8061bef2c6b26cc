"""Light server transactions (REGISTER over UDP at the proxy): the NIST's behaviour on the wire, without
Transaction objects; other methods and reliable transports keep the full state machine."""

from __future__ import annotations

import pytest
from test_transaction import TCP_PEER, UDP_PEER, request, sends

from server.sip.message import make_response
from server.sip.transaction import Deliver, Send, Terminated, TransactionLayer, server_key

pytestmark = pytest.mark.unit

LIGHT = frozenset({"REGISTER"})


def test_register_over_udp_absorbs_and_repeats_like_a_nist() -> None:
    layer = TransactionLayer(light_methods=LIGHT)
    req = request("REGISTER")
    key = server_key(req)
    first = layer.receive(req, UDP_PEER, 0.0)
    assert first == [Deliver(req, UDP_PEER, key)] and layer.get(key) is None and len(layer) == 1
    assert layer.receive(req, UDP_PEER, 0.5) == []  # Trying: the retransmission is absorbed
    trying = make_response(req, 100)
    assert sends(layer.send_response(trying, 0.6)) == [trying]
    assert sends(layer.receive(req, UDP_PEER, 1.0)) == [trying]  # Proceeding: the provisional again
    ok = make_response(req, 200, to_tag="t")
    assert layer.send_response(ok, 1.0) == [Send(ok, UDP_PEER)]
    assert layer.receive(req, UDP_PEER, 5.0) == [Send(ok, UDP_PEER)]  # Completed: the final again
    assert layer.next_timer() == pytest.approx(33.0)  # Timer J = 64*T1
    assert layer.handle_timer(32.9) == []
    assert layer.handle_timer(33.0) == [Terminated(key)]
    assert len(layer) == 0 and layer.next_timer() is None
    assert layer.receive(req, UDP_PEER, 40.0) == [Deliver(req, UDP_PEER, key)]  # a new request now


def test_light_and_full_timers_share_next_timer() -> None:
    layer = TransactionLayer(light_methods=LIGHT)
    options = request("OPTIONS")
    layer.receive(options, UDP_PEER, 0.0)
    layer.send_response(make_response(options, 200, to_tag="o"), 0.0)  # full NIST: Timer J at 32
    reg = request("REGISTER")
    layer.receive(reg, UDP_PEER, 10.0)
    layer.send_response(make_response(reg, 401, to_tag="r"), 10.0)  # light: expires at 42
    assert layer.get(server_key(options)) is not None and len(layer) == 2
    assert layer.next_timer() == pytest.approx(32.0)
    assert layer.handle_timer(32.0) == [Terminated(server_key(options))]
    assert layer.next_timer() == pytest.approx(42.0)
    assert layer.handle_timer(42.0) == [Terminated(server_key(reg))]


def test_register_over_tcp_and_without_the_option_use_the_full_state_machine() -> None:
    tcp_layer = TransactionLayer(light_methods=LIGHT)
    req = request("REGISTER")
    tcp_layer.receive(req, TCP_PEER, 0.0)
    assert tcp_layer.get(server_key(req)) is not None
    actions = tcp_layer.send_response(make_response(req, 200, to_tag="t"), 0.0)
    assert [type(a) for a in actions] == [Send, Terminated]  # Timer J is zero on a reliable transport
    plain = TransactionLayer()
    plain.receive(req, UDP_PEER, 0.0)
    assert plain.get(server_key(req)) is not None
