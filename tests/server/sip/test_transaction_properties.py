"""Random event sequences against every transaction kind: no exception escapes, the RFC's delivery rules
hold, and every transaction ends once its timers have run."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.sip.address import Address
from server.sip.headers import Headers
from server.sip.message import SipRequest, SipResponse, make_response, new_branch
from server.sip.transaction import Action, Deliver, Send, TransactionError, TransactionLayer
from server.sip.uri import parse_uri

pytestmark = pytest.mark.unit

STATUSES = [100, 180, 183, 200, 202, 302, 404, 486, 503]


def make_request(method: str, branch: str) -> SipRequest:
    return SipRequest(
        method,
        parse_uri("sip:bob@example.com"),
        Headers(
            [
                ("Via", f"SIP/2.0/UDP 192.0.2.1:5060;branch={branch}"),
                ("Max-Forwards", "70"),
                ("From", "<sip:alice@example.com>;tag=a"),
                ("To", "<sip:bob@example.com>"),
                ("Call-ID", "prop@example.com"),
                ("CSeq", f"1 {method}"),
            ]
        ),
    )


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    client=st.booleans(),
    invite=st.booleans(),
    reliable=st.booleans(),
    steps=st.lists(
        st.tuples(
            st.floats(0, 8, allow_nan=False),
            st.sampled_from(["resp", "retrans", "ack"]),
            st.sampled_from(STATUSES),
        ),
        max_size=15,
    ),
)
def test_random_sequences(
    client: bool, invite: bool, reliable: bool, steps: list[tuple[float, str, int]]
) -> None:
    layer = TransactionLayer()
    peer = Address("tcp" if reliable else "udp", "192.0.2.1", 5060)
    method = "INVITE" if invite else "OPTIONS"
    req = make_request(method, new_branch())
    actions: list[Action] = []
    now = 0.0
    if client:
        _, actions = layer.send_request(req, peer, now)
    else:
        actions = layer.receive(req, peer, now)
    log = list(actions)
    server_key = next((a.transaction for a in actions if isinstance(a, Deliver)), None)
    for delay, op, status in steps:
        now += delay
        log += layer.handle_timer(now)
        if client:
            if op == "resp":
                log += layer.receive(
                    make_response(req, status, to_tag="t" if status > 100 else None), peer, now
                )
        elif op == "resp":
            with contextlib.suppress(TransactionError):  # the transaction may already have ended
                log += layer.send_response(make_response(req, status, to_tag="t"), now)
        elif server_key is None or layer.get(server_key) is None:
            continue  # a late copy after the transaction ended would be a new request: not this property
        elif op == "retrans":
            log += layer.receive(req, peer, now)
        else:
            ack = make_request("ACK", req.via.branch or "")
            ack.headers.set("To", "<sip:bob@example.com>;tag=t")
            log += layer.receive(ack, peer, now)
    # Without timers of their own, Proceeding states wait for the other side (client INVITE, RFC 3261 has
    # no Timer there; a proxy runs Timer C and CANCELs) or for the TU (server): finish them as those would.
    if client:
        log += layer.receive(make_response(req, 487, to_tag="t"), peer, now)
    else:
        with contextlib.suppress(TransactionError):
            log += layer.send_response(make_response(req, 500, to_tag="t"), now)
    for _ in range(200):
        when = layer.next_timer()
        if when is None:
            break
        log += layer.handle_timer(when)
    assert len(layer) == 0 and layer.next_timer() is None

    delivered_finals = [
        a.message
        for a in log
        if isinstance(a, Deliver)
        and a.transaction is not None  # stray responses after the end are the TU's business
        and isinstance(a.message, SipResponse)
        and a.message.status >= 200
    ]
    if client:
        # Only one final response reaches the TU, except 2xx retransmissions to INVITE (RFC 6026).
        non_2xx = [r for r in delivered_finals if r.status >= 300]
        assert len(non_2xx) <= 1
        if not invite or non_2xx:
            assert len(delivered_finals) <= 1
        if reliable:
            assert [a for a in log if isinstance(a, Send) and a.message is req] == [log[0]]
    else:
        sent = [a.message for a in log if isinstance(a, Send) and isinstance(a.message, SipResponse)]
        first_final = next((i for i, r in enumerate(sent) if r.status >= 200), None)
        if first_final is not None:
            assert all(r.status >= 200 for r in sent[first_final:])  # nothing provisional after a final
        requests_delivered = [a for a in log if isinstance(a, Deliver) and a.message is req]
        assert len(requests_delivered) == 1  # retransmissions are absorbed
