"""Parser and serializer: ordinary messages, header grammar, limits, framing, property round trips."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sip_strategies import sip_messages

from server.sip.errors import SipParseError
from server.sip.headers import Headers
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_call_id, new_tag
from server.sip.parser import MAX_HEADERS, StreamFramer, make_error_response, parse_message
from server.sip.uri import parse_uri

pytestmark = pytest.mark.unit

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
    b"Via: SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bKnashds7;received=192.0.2.7\r\n"
    b"Max-Forwards: 70\r\n"
    b'To: "Bob" <sip:bob@biloxi.example.com>\r\n'
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    b"Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)


def test_parse_ordinary_invite() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, SipRequest)
    assert msg.method == "INVITE" and msg.uri == parse_uri("sip:bob@biloxi.example.com")
    assert msg.call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert msg.cseq == (314159, "INVITE")
    assert msg.from_.display_name == "Alice" and msg.from_tag == "1928301774"
    assert msg.to.display_name == "Bob" and msg.to_tag is None
    assert [v.host for v in msg.vias] == ["pc33.atlanta.example.com", "10.0.0.1"]
    assert msg.via.rport_requested and msg.branch == "z9hG4bK776asdhds"
    assert [str(r.uri) for r in msg.record_routes] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert msg.max_forwards == 70
    assert msg.body == b"v=0\n"
    assert parse_message(msg.to_bytes()) == msg


def test_parse_response() -> None:
    raw = (
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nFrom: <sip:a@h>;tag=1\r\n"
        b"To: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    msg = parse_message(raw)
    assert isinstance(msg, SipResponse)
    assert (msg.status, msg.reason, msg.method, msg.to_tag) == (180, "Ringing", "INVITE", "2")
    assert msg.to_bytes() == raw


def test_compact_forms_map_to_canonical_names() -> None:
    raw = (
        b"MESSAGE sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
        b"f: <sip:a@h>;tag=1\r\nt: <sip:b@h>\r\n"
        b"i: cid\r\nCSeq: 2 MESSAGE\r\nm: <sip:a@h>\r\nc: text/plain\r\nk: path\r\ns: hi\r\n"
        b"o: presence\r\nu: dialog\r\nr: <sip:c@h>\r\nb: <sip:a@h>\r\nx: 1800\r\ne: gzip\r\nl: 2\r\n\r\nhi"
    )
    msg = parse_message(raw)
    names = [name for name, _ in msg.headers]
    assert names == [
        "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Type", "Supported", "Subject", "Event",
        "Allow-Events", "Refer-To", "Referred-By", "Session-Expires", "Content-Encoding", "Content-Length",
    ]  # fmt: skip
    assert msg.headers.get("call-id") == msg.headers.get("I") == "cid"
    assert msg.body == b"hi"
    assert b"\r\nCall-ID: cid\r\n" in msg.to_bytes()


def test_folded_headers_and_quoted_escapes() -> None:
    raw = INVITE.replace(
        b"Max-Forwards: 70\r\n", b"Subject: first\r\n   second\r\n\tthird\r\nMax-Forwards: 70\r\n"
    )
    raw = raw.replace(b"From: Alice", b'From: "Al \\"the\\" \\\\ Ice"')
    msg = parse_message(raw)
    assert msg.headers.get("Subject") == "first second third"
    assert msg.from_.display_name == 'Al "the" \\ Ice'
    assert parse_message(msg.to_bytes()).from_ == msg.from_


def test_comma_splitting_respects_quotes_and_angle_brackets() -> None:
    raw = INVITE.replace(
        b"Contact: <sip:alice@pc33.atlanta.example.com>",
        b'Contact: "Doe, John" <sip:j@h;x=a,b>;p="q,r", <sip:k@h>',
    )
    with pytest.raises(SipParseError):
        parse_message(raw)  # ',' is not valid in a URI param; but must be a clean 400
    raw = INVITE.replace(
        b"Contact: <sip:alice@pc33.atlanta.example.com>",
        b'Contact: "Doe, John" <sip:j@h>;p="q,r", <sip:k@h>',
    )
    contacts = parse_message(raw).contacts
    assert [c.display_name for c in contacts] == ["Doe, John", None]
    assert contacts[0].params["p"] == '"q,r"'


def test_authorization_header_is_not_comma_split() -> None:
    value = 'Digest username="a", realm="r", nonce="n", uri="sip:h", response="x", qop=auth, nc=00000001'
    raw = INVITE.replace(
        b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\nAuthorization: " + value.encode() + b"\r\n"
    )
    assert parse_message(raw).headers.get_all("Authorization") == [value]


def test_udp_content_length_rules() -> None:
    longer = INVITE + b"garbage after body"
    assert parse_message(longer).body == b"v=0\n"
    shorter = INVITE[:-2]
    with pytest.raises(SipParseError) as info:
        parse_message(shorter)
    assert info.value.status_hint == 400 and "Content-Length" in info.value.reason
    no_length = INVITE.replace(b"Content-Length: 4\r\n", b"")
    assert parse_message(no_length + b"more").body == b"v=0\nmore"


def test_size_and_header_limits() -> None:
    big = INVITE.replace(b"Content-Length: 4", b"Content-Length: 70000") + b"x" * 70000
    with pytest.raises(SipParseError) as info:
        parse_message(big)
    assert info.value.status_hint == 513
    many = INVITE.replace(b"Content-Type", b"X-H: 1\r\n" * MAX_HEADERS + b"Content-Type")
    with pytest.raises(SipParseError) as info:
        parse_message(many)
    assert info.value.reason == "Too many headers"
    response = make_error_response(info.value)
    assert response is not None and response.status == 400 and response.reason == "Too many headers"


def test_make_response_copies_dialog_headers() -> None:
    req = parse_message(INVITE)
    assert isinstance(req, SipRequest)
    resp = make_response(req, 200, to_tag="abc")
    assert resp.reason == "OK"
    assert resp.headers.get_all("Via") == req.headers.get_all("Via")
    assert resp.to_tag == "abc" and resp.from_ == req.from_
    assert resp.call_id == req.call_id and resp.cseq == req.cseq
    assert resp.headers.get_all("Record-Route") == req.headers.get_all("Record-Route")
    trying = make_response(req, 100, to_tag="abc")
    assert trying.to_tag is None and "Record-Route" not in trying.headers
    busy = make_response(req, 486, "Busy Here", to_tag="abc")
    assert "Record-Route" not in busy.headers and busy.to_tag == "abc"
    assert b"Content-Length: 0\r\n\r\n" in busy.to_bytes()


def test_to_bytes_sets_content_length_from_body() -> None:
    req = parse_message(INVITE)
    req.body = b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
    data = req.to_bytes()
    assert data.count(b"Content-Length") == 1
    assert parse_message(data).body == req.body


def test_headers_container() -> None:
    h = Headers([("v", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("X-A", "1")])
    h.add_first("Via", "SIP/2.0/UDP b;branch=z9hG4bK2")
    assert h.get_all("VIA") == ["SIP/2.0/UDP b;branch=z9hG4bK2", "SIP/2.0/UDP a;branch=z9hG4bK1"]
    assert h.pop_first("via") == "SIP/2.0/UDP b;branch=z9hG4bK2"
    h.set("x-a", "2")
    assert h.get("X-A") == "2" and "x-a" in h and "X-B" not in h
    h.remove("X-A")
    assert len(h) == 1
    h.add("Allow", "INVITE, ACK,BYE")
    assert h.get_all("allow") == ["INVITE", "ACK", "BYE"]


def test_generators_are_unique_and_well_formed() -> None:
    branches = {new_branch() for _ in range(100)}
    assert len(branches) == 100 and all(b.startswith("z9hG4bK") for b in branches)
    assert new_tag() != new_tag()
    assert new_call_id("example.com").endswith("@example.com")


def test_error_response_salvages_headers_and_reason() -> None:
    raw = INVITE.replace(b"CSeq: 314159 INVITE", b"CSeq: 314159 BYE")
    with pytest.raises(SipParseError) as info:
        parse_message(raw)
    resp = make_error_response(info.value)
    assert resp is not None and resp.status == 400
    assert resp.reason == "CSeq method does not match request method"
    assert resp.headers.get_all("Via") == parse_message(INVITE).headers.get_all("Via")
    reparsed = parse_message(resp.to_bytes())
    assert isinstance(reparsed, SipResponse) and reparsed.status == 400


def test_no_error_response_to_ack_or_response() -> None:
    raw = INVITE.replace(b"INVITE sip", b"ACK sip").replace(b"314159 INVITE", b"314159 BYE")
    with pytest.raises(SipParseError) as info:
        parse_message(raw)
    assert make_error_response(info.value) is None


# --- stream framing ---------------------------------------------------------------------------------------


def test_framer_handles_split_and_merged_writes_and_keepalives() -> None:
    stream = b"\r\n\r\n" + INVITE + b"\r\n\r\n" + INVITE + INVITE
    for chunk in (1, 2, 7, 64, len(stream)):
        framer = StreamFramer()
        out: list[bytes | SipParseError] = []
        for i in range(0, len(stream), chunk):
            out += framer.feed(stream[i : i + chunk])
        assert out == [INVITE, INVITE, INVITE]
        assert framer.pings >= 1


def test_framer_requires_content_length_and_stops_after_error() -> None:
    framer = StreamFramer()
    out = framer.feed(INVITE.replace(b"Content-Length: 4\r\n", b""))
    assert len(out) == 1 and isinstance(out[0], SipParseError)
    assert framer.feed(INVITE) == []
    answer = make_error_response(out[0])  # the header block was salvaged for the answer
    assert answer is not None and answer.status == 400 and answer.call_id == parse_message(INVITE).call_id


def test_framer_finds_content_length_anywhere_in_the_header() -> None:
    moved = INVITE.replace(b"Content-Length: 4\r\n", b"").replace(
        b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\nContent-Length:   4  \r\n"
    )
    compact = moved.replace(b"Content-Length:   4  ", b"l:4")
    lf_only = moved.replace(b"\r\n", b"\n").replace(b"v=0\n", b"v=0\n")
    for message in (moved, compact, lf_only):
        framer = StreamFramer()
        assert framer.feed(message + message) == [message, message]
        assert parse_message(message).body == b"v=0\n"


def test_framer_compact_content_length_and_size_limit() -> None:
    framer = StreamFramer()
    assert framer.feed(INVITE.replace(b"Content-Length: 4", b"l:4")) == [
        INVITE.replace(b"Content-Length: 4", b"l:4")
    ]
    framer = StreamFramer(max_size=1000)
    out = framer.feed(b"INVITE sip:a@b SIP/2.0\r\n" + b"X: y\r\n" * 400)
    assert len(out) == 1 and isinstance(out[0], SipParseError) and out[0].status_hint == 513


# --- properties -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(sip_messages())
def test_round_trip(message: SipRequest | SipResponse) -> None:
    data = message.to_bytes()
    parsed = parse_message(data)
    assert type(parsed) is type(message)
    assert parsed.to_bytes() == data
    assert parsed.body == message.body
    assert parsed.vias == message.vias
    assert parsed.from_ == message.from_ and parsed.to == message.to
    assert parsed.cseq == message.cseq and parsed.call_id == message.call_id
    assert parsed.contacts == message.contacts
    if isinstance(message, SipRequest):
        assert isinstance(parsed, SipRequest) and parsed.uri == message.uri
    else:
        assert isinstance(parsed, SipResponse)
        assert (parsed.status, parsed.reason) == (message.status, message.reason)
    framer = StreamFramer()
    assert framer.feed(data[:10]) + framer.feed(data[10:] + data) == [data, data]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_only_raise_parse_errors(data: bytes) -> None:
    try:
        parse_message(data)
    except SipParseError as exc:
        assert 400 <= exc.status_hint < 600 and exc.reason
        make_error_response(exc)
    framer = StreamFramer()
    for item in framer.feed(data):
        if isinstance(item, bytes):
            with contextlib.suppress(SipParseError):
                parse_message(item)


@settings(max_examples=800, deadline=None, derandomize=True)
@given(st.data())
def test_fuzz_mutated_messages_only_raise_parse_errors(data: st.DataObject) -> None:
    raw = bytearray(INVITE)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        pos = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[pos] = data.draw(st.sampled_from(b' \t\r\n:;,<>"@[]\\=/?\x00\xff0aZ'))
        elif op == "insert":
            raw[pos:pos] = data.draw(st.sampled_from([b"\r\n", b" ", b'"', b"<", b";x", b",", b"\r\n "]))
        elif op == "delete":
            del raw[pos : pos + data.draw(st.integers(1, 8))]
        else:
            raw[pos:pos] = raw[pos : pos + data.draw(st.integers(1, 40))]
    try:
        msg = parse_message(bytes(raw))
    except SipParseError as exc:
        assert exc.reason
        resp = make_error_response(exc)
        if resp is not None:
            parse_message(resp.to_bytes())
        return
    # Whatever parsed must serialise and parse again to the same bytes, with all accessors working.
    again = parse_message(msg.to_bytes())
    assert again.to_bytes() == msg.to_bytes()
    _ = (msg.vias, msg.from_, msg.to, msg.cseq, msg.call_id, msg.contacts, msg.routes, msg.record_routes)


_COMPACT = {
    b"Via": b"v",
    b"From": b"f",
    b"To": b"t",
    b"Call-ID": b"i",
    b"Contact": b"m",
    b"Content-Length": b"l",
}


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(sip_messages(), st.data())
def test_equivalent_wire_spellings_parse_to_the_same_message(
    message: SipRequest | SipResponse, data: st.DataObject
) -> None:
    """Header order, compact names, case, spacing, folding and chunking must not change what is parsed."""
    head, _, body = message.to_bytes().partition(b"\r\n\r\n")
    start, *lines = head.split(b"\r\n")
    order = data.draw(st.permutations(range(len(lines))))
    # Reordering different header names is allowed; same-name fields must keep their relative order.
    names = [line.split(b":", 1)[0] for line in lines]
    reordered: list[bytes] = []
    for name in dict.fromkeys(names[i] for i in order):
        reordered += [line for line in lines if line.split(b":", 1)[0] == name]
    spelled = []
    for line in reordered:
        name, _, value = line.partition(b": ")
        if name in _COMPACT and data.draw(st.booleans()):
            name = _COMPACT[name]
        elif data.draw(st.booleans()):
            name = name.lower()
        sep = data.draw(st.sampled_from([b": ", b":", b" :  ", b"\t:\t"]))
        first, _, rest = value.partition(b" ")
        # fold at a space (LWS), but not inside a quoted string: there the spaces are the content
        if b" " in value and first.count(b'"') % 2 == 0 and data.draw(st.booleans()):
            value = first + b"\r\n " + rest
        spelled.append(name + sep + value)
    wire = b"\r\n".join([start, *spelled]) + b"\r\n\r\n" + body
    parsed = parse_message(wire)
    assert parsed.to_bytes() == parse_message(message.to_bytes()).to_bytes() or (
        (parsed.vias, parsed.from_, parsed.to, parsed.cseq, parsed.call_id, parsed.contacts, parsed.body)
        == (
            message.vias,
            message.from_,
            message.to,
            message.cseq,
            message.call_id,
            message.contacts,
            message.body,
        )
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=5)))
    framer = StreamFramer()
    out: list[bytes | SipParseError] = []
    for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        out += framer.feed(wire[a:b])
    assert out == [wire]


_ENDS = st.sampled_from([b"\r\n", b"\n"])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(_ENDS, min_size=12, max_size=12), _ENDS)
def test_any_mix_of_crlf_and_bare_lf_line_ends_parses_the_same(ends: list[bytes], last: bytes) -> None:
    """The CRLF fast path for the end of the header section and the line split must agree with the
    general rule (CRLF or bare LF anywhere, RFC 3261 7.5 tolerance) for every mix of line ends."""
    head, _, body = INVITE.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    wire = b"".join(line + end for line, end in zip(lines, ends, strict=True)) + last + body
    parsed = parse_message(wire)
    assert parsed.to_bytes() == parse_message(INVITE).to_bytes()
    assert parsed.body == b"v=0\n"
