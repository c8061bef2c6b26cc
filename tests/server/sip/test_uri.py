"""SIP/SIPS/tel URI, name-addr and Via parsing and printing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from sip_strategies import name_addrs, sip_uris, vias

from server.sip.errors import SipParseError
from server.sip.headers import NameAddr, parse_name_addr, parse_via
from server.sip.uri import SipUri, parse_uri

pytestmark = pytest.mark.unit


def test_full_sip_uri() -> None:
    uri = parse_uri("sips:alice:secret@Example.COM:5061;transport=tcp;lr;maddr=239.255.255.1?subject=hi&x=")
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips",
        "alice",
        "secret",
        "Example.COM",
        5061,
    )
    assert dict(uri.params) == {"transport": "tcp", "lr": None, "maddr": "239.255.255.1"}
    assert dict(uri.headers) == {"subject": "hi", "x": ""}
    assert uri.loose_route and uri.transport == "tcp"
    assert uri.aor() == "sip:alice@example.com"
    assert str(uri) == "sips:alice:secret@Example.COM:5061;transport=tcp;lr;maddr=239.255.255.1?subject=hi&x="


def test_ipv6_host_with_and_without_port() -> None:
    uri = parse_uri("sip:bob@[2001:db8::1]:5070")
    assert (uri.host, uri.port) == ("2001:db8::1", 5070)
    assert str(uri) == "sip:bob@[2001:db8::1]:5070"
    assert parse_uri("sip:[::1]").host == "::1"


def test_tel_uri() -> None:
    uri = parse_uri("tel:+84-90-123-4567;phone-context=example.com")
    assert uri.scheme == "tel" and uri.user == "+84-90-123-4567"
    assert uri.params["phone-context"] == "example.com"
    assert str(uri) == "tel:+84-90-123-4567;phone-context=example.com"


def test_user_part_may_hold_semicolons() -> None:
    uri = parse_uri("sip:+1234;phone-context=x@gw.example.com;user=phone")
    assert uri.user == "+1234;phone-context=x" and uri.host == "gw.example.com"
    assert dict(uri.params) == {"user": "phone"}


def test_scheme_and_param_names_are_case_insensitive() -> None:
    uri = parse_uri("SIP:a@h;Transport=TCP")
    assert uri.scheme == "sip" and uri.transport == "tcp"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("mailto:a@b", 416),
        ("sip:", 400),
        ("sip:a@", 400),
        ("sip:a@h:99999", 400),
        ("sip:a@[::1", 400),
        ("sip:a b@h", 400),
        ("nocolon", 400),
        ("sip:a@h;=x", 400),
        ("tel:", 400),
    ],
)
def test_invalid_uris(text: str, status: int) -> None:
    with pytest.raises(SipParseError) as info:
        parse_uri(text)
    assert info.value.status_hint == status and info.value.reason


def test_uri_helpers_are_immutable_and_hashable() -> None:
    uri = parse_uri("sip:a@h")
    lr = uri.with_param("lr")
    assert str(lr) == "sip:a@h;lr" and str(uri) == "sip:a@h"
    assert str(lr.without_param("LR")) == "sip:a@h"
    assert {uri: 1}[parse_uri("sip:a@h")] == 1
    assert SipUri(host="h", params={"x": "1"}) == parse_uri("sip:h;x=1")


def test_name_addr_forms() -> None:
    a = parse_name_addr('"Alice \\"Al\\" Smith" <sip:alice@example.com;transport=tcp>;tag=abc;x')
    assert a.display_name == 'Alice "Al" Smith'
    assert a.uri.params["transport"] == "tcp"
    assert a.tag == "abc" and dict(a.params) == {"tag": "abc", "x": None}
    b = parse_name_addr("Bob  Smith <sip:bob@h>")
    assert b.display_name == "Bob Smith"
    c = parse_name_addr("sip:carol@h;tag=9")  # addr-spec: ;tag belongs to the header
    assert c.tag == "9" and not c.uri.params
    d = parse_name_addr("<sip:d@h>")
    assert d.display_name is None
    assert str(a.with_tag("new")).endswith(";tag=new;x")
    assert str(NameAddr(parse_uri("sip:x@y"), "Xin chào")) == '"Xin chào" <sip:x@y>'


def test_via_forms() -> None:
    v = parse_via("SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK776;rport;received=192.0.2.1")
    assert (v.transport, v.host, v.port) == ("UDP", "2001:db8::1", 5070)
    assert v.branch == "z9hG4bK776" and v.rport_requested and v.rport is None
    assert v.received == "192.0.2.1"
    assert v.sent_by == "[2001:db8::1]:5070"
    filled = v.with_param("rport", "6000")
    assert filled.rport == 6000 and "rport=6000" in str(filled)
    assert parse_via("SIP / 2.0 / tls host;branch=z9hG4bKx").sent_by == "host:5061"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(sip_uris())
def test_uri_round_trip(uri: SipUri) -> None:
    assert parse_uri(str(uri)) == uri


@settings(max_examples=300, deadline=None, derandomize=True)
@given(name_addrs())
def test_name_addr_round_trip(addr: NameAddr) -> None:
    assert parse_name_addr(str(addr)) == addr


@settings(max_examples=200, deadline=None, derandomize=True)
@given(vias())
def test_via_round_trip(via) -> None:  # type: ignore[no-untyped-def]
    assert parse_via(str(via)) == via
