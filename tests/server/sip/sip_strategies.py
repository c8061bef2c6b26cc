"""Hypothesis strategies for SIP values and messages (shared by the parser and URI property tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from server.sip.headers import Headers, NameAddr, Via
from server.sip.message import SipRequest, SipResponse
from server.sip.uri import SipUri

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TOKEN_CHARS = ALNUM + "-.!%*_+`'~"

tokens = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=12)
labels = st.text(alphabet=ALNUM, min_size=1, max_size=10)
hostnames = st.lists(labels, min_size=1, max_size=4).map(".".join)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.lists(st.integers(0, 0xFFFF), min_size=8, max_size=8).map(lambda g: ":".join(f"{x:x}" for x in g))
ipv6_short = st.sampled_from(["::1", "2001:db8::1", "fe80::1:2", "2001:db8:0:0:1::5"])
hosts = st.one_of(hostnames, ipv4, ipv6, ipv6_short)
ports = st.one_of(st.none(), st.integers(1, 65535))
users = st.text(alphabet=ALNUM + "-_.!~*'()&=+$,;?/", min_size=1, max_size=16)
param_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8).filter(
    lambda s: s != "tag"
)
param_values = st.one_of(st.none(), tokens)
params = st.dictionaries(param_names, param_values, max_size=3)
display_names = st.one_of(
    st.none(), st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
)


@st.composite
def sip_uris(draw: st.DrawFn) -> SipUri:
    scheme = draw(st.sampled_from(["sip", "sips", "tel"]))
    if scheme == "tel":
        number = draw(st.text(alphabet="0123456789-", min_size=1, max_size=12))
        return SipUri(scheme="tel", user="+" + number, params=draw(params))
    user = draw(st.one_of(st.none(), users))
    password = draw(st.one_of(st.none(), st.text(alphabet=ALNUM, max_size=8))) if user else None
    headers = draw(
        st.dictionaries(
            st.text(alphabet=ALNUM, min_size=1, max_size=6),
            st.text(alphabet=ALNUM + "%", max_size=6),
            max_size=2,
        )
    )
    return SipUri(
        scheme=scheme,
        user=user,
        password=password,
        host=draw(hosts),
        port=draw(ports),
        params=draw(params),
        headers=headers,
    )


@st.composite
def name_addrs(draw: st.DrawFn, tag: bool | None = None) -> NameAddr:
    uri = draw(sip_uris())
    p = draw(params)
    with_tag = draw(st.booleans()) if tag is None else tag
    if with_tag:
        p = {**p, "tag": draw(tokens)}
    return NameAddr(uri=uri, display_name=draw(display_names), params=p)


@st.composite
def vias(draw: st.DrawFn) -> Via:
    p = {"branch": "z9hG4bK" + draw(st.text(alphabet=ALNUM, min_size=1, max_size=12))}
    if draw(st.booleans()):
        p["rport"] = draw(st.one_of(st.none(), st.integers(1, 65535).map(str)))
    p.update({k: v for k, v in draw(params).items() if k not in ("branch", "rport", "received")})
    return Via(
        transport=draw(st.sampled_from(["UDP", "TCP", "TLS", "WS"])),
        host=draw(hosts),
        port=draw(ports),
        params=p,
    )


methods = st.sampled_from(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "MESSAGE", "SUBSCRIBE"])
extra_header_names = st.sampled_from(["Subject", "User-Agent", "X-Hotline", "Allow", "Supported", "X-Custom"])
extra_header_values = (
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters=","
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def common_headers(draw: st.DrawFn, method: str, response: bool) -> Headers:
    headers = Headers()
    for via in draw(st.lists(vias(), min_size=1, max_size=3)):
        headers.add("Via", str(via))
    if not response:
        headers.add("Max-Forwards", str(draw(st.integers(0, 255))))
    headers.add("From", str(draw(name_addrs(tag=True))))
    headers.add("To", str(draw(name_addrs(tag=response or None))))
    headers.add("Call-ID", draw(st.text(alphabet=TOKEN_CHARS + "@", min_size=1, max_size=30)))
    headers.add("CSeq", f"{draw(st.integers(0, 2**31 - 1))} {method}")
    for contact in draw(st.lists(name_addrs(tag=False), max_size=2)):
        headers.add("Contact", str(contact))
    for name, value in draw(st.lists(st.tuples(extra_header_names, extra_header_values), max_size=4)):
        headers.add(name, value)
    return headers


@st.composite
def sip_messages(draw: st.DrawFn) -> SipRequest | SipResponse:
    method = draw(methods)
    is_response = draw(st.booleans())
    headers = draw(common_headers(method, is_response))
    body = draw(st.binary(max_size=200))
    if body:
        headers.add("Content-Type", "application/octet-stream")
    if is_response:
        status = draw(st.integers(100, 699))
        reason = draw(st.text(alphabet=ALNUM + " ", min_size=1, max_size=20).map(str.strip).filter(bool))
        return SipResponse(status=status, reason=reason, headers=headers, body=body)
    return SipRequest(method=method, uri=draw(sip_uris()), headers=headers, body=body)
