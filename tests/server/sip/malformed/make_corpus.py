"""Regenerates the malformed/valid SIP corpus and manifest.json in this folder: run it with any working directory.

Each entry: raw bytes, then the status and a word of the reason a server must answer with (malformed), or the
method the message carries (valid but tortuous, in the style of RFC 4475)."""
# ruff: noqa: E501, RUF005

import json
import pathlib

HERE = pathlib.Path(__file__).parent


def msg(start, headers, body=b"", cl=True, eol=b"\r\n"):
    lines = [start.encode()] + [h.encode() if isinstance(h, str) else h for h in headers]
    if cl is True:
        lines.append(f"Content-Length: {len(body)}".encode())
    elif cl is not None:
        lines.append(f"Content-Length: {cl}".encode())
    return eol.join(lines) + eol + eol + body


V = "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKtorture1"
F = 'From: "Alice" <sip:alice@example.com>;tag=1928301774'
T = "To: <sip:bob@example.com>"
C = "Call-ID: a84b4c76e66710@pc33.example.com"
Q = "CSeq: 314159 OPTIONS"
M = "Max-Forwards: 70"
R = "OPTIONS sip:bob@example.com SIP/2.0"
base = [V, M, F, T, C, Q]


def without(h):
    return [x for x in base if x != h]


def replace(old, new):
    return [new if x == old else x for x in base]


bad = {
    "missing_call_id": (msg(R, without(C)), 400, "Call-ID"),
    "missing_cseq": (msg(R, without(Q)), 400, "CSeq"),
    "missing_from": (msg(R, without(F)), 400, "From"),
    "missing_to": (msg(R, without(T)), 400, "To"),
    "missing_via": (msg(R, without(V)), 400, "Via"),
    "cseq_method_mismatch": (msg(R, replace(Q, "CSeq: 314159 INVITE")), 400, "CSeq"),
    "cseq_not_numeric": (msg(R, replace(Q, "CSeq: abc OPTIONS")), 400, "CSeq"),
    "cseq_overflow": (msg(R, replace(Q, "CSeq: 4294967296 OPTIONS")), 400, "CSeq"),
    "content_length_larger_than_body": (
        msg(R, base + ["Content-Type: text/plain"], b"hello", cl=50),
        400,
        "Content-Length",
    ),
    "content_length_negative": (msg(R, base, b"", cl=-5), 400, "Content-Length"),
    "content_length_not_numeric": (msg(R, base, b"", cl="ten"), 400, "Content-Length"),
    "content_length_conflicting": (
        msg(R, base + ["Content-Type: text/plain", "l: 3"], b"hello", cl=5),
        400,
        "Content-Length",
    ),
    "duplicate_call_id": (msg(R, base + ["i: other@example.com"]), 400, "Duplicate Call-ID"),
    "duplicate_to": (msg(R, base + ["To: <sip:carol@example.com>"]), 400, "Duplicate To"),
    "version_7": (msg("OPTIONS sip:bob@example.com SIP/7.0", base), 505, "Version"),
    "unknown_scheme_request_uri": (msg("OPTIONS nobarrier:bob@example.com SIP/2.0", base), 416, "scheme"),
    "lws_in_request_uri": (msg("OPTIONS sip:bob@example.com;x=a b SIP/2.0", base), 400, "request line"),
    "extra_space_in_request_line": (msg("OPTIONS  sip:bob@example.com SIP/2.0", base), 400, "request line"),
    "invalid_method_chars": (
        msg("OPT@ONS sip:bob@example.com SIP/2.0", replace(Q, "CSeq: 1 OPT@ONS")),
        400,
        "method",
    ),
    "response_bad_status_code": (msg("SIP/2.0 4294967301 Bad", base), 400, "status"),
    "response_status_out_of_range": (msg("SIP/2.0 099 Odd", base), 400, "status"),
    "unterminated_display_name": (
        msg(R, replace(F, 'From: "Alice <sip:alice@example.com>;tag=1')),
        400,
        "quoted",
    ),
    "missing_closing_angle": (msg(R, replace(T, "To: <sip:bob@example.com")), 400, ">"),
    # RFC 4475 3.1.2.9 (badaspec): no whitespace is allowed inside the angle brackets
    "whitespace_inside_angle_brackets": (
        msg(R, replace(T, 'To: "Watson, Thomas" < sip:t.watson@example.org >')),
        400,
        "Whitespace inside",
    ),
    "garbage_after_addr": (msg(R, replace(T, "To: <sip:bob@example.com> junk")), 400, "Garbage"),
    "addr_spec_with_uri_headers": (msg(R, replace(T, "To: sip:bob@example.com?Subject=hi")), 400, "headers"),
    "max_forwards_too_big": (msg(R, replace(M, "Max-Forwards: 300")), 400, "Max-Forwards"),
    "max_forwards_not_numeric": (msg(R, replace(M, "Max-Forwards: seventy")), 400, "Max-Forwards"),
    "via_port_out_of_range": (msg(R, [V.replace("5060", "99999")] + base[1:]), 400, "port"),
    "via_ipv6_unterminated": (
        msg(R, ["Via: SIP/2.0/UDP [2001:db8::9;branch=z9hG4bKx"] + base[1:]),
        400,
        "IPv6",
    ),
    "via_bad_protocol": (msg(R, ["Via: SIP/3.0/UDP 192.0.2.1;branch=z9hG4bKx"] + base[1:]), 400, "Via"),
    "via_empty_branch": (msg(R, ["Via: SIP/2.0/UDP 192.0.2.1;branch="] + base[1:]), 400, "parameter"),
    "via_without_host": (msg(R, ["Via: SIP/2.0/UDP"] + base[1:]), 400, "Via"),
    "header_without_colon": (msg(R, base + ["This is not a header"]), 400, "header"),
    "continuation_before_first_header": (msg(R, ["  folded-first"] + base), 400, "Continuation"),
    "no_blank_line": (("\r\n".join([R] + base)).encode(), 400, "empty line"),
    "non_utf8_header": (msg(R, base + [b"Subject: caf\xe9 \xff"]), 400, "UTF-8"),
    "body_without_content_type": (msg(R, base, b"v=0\r\n"), 400, "Content-Type"),
    "expires_not_numeric": (
        msg("REGISTER sip:example.com SIP/2.0", replace(Q, "CSeq: 1 REGISTER") + ["Expires: thirty"]),
        400,
        "Expires",
    ),
    "contact_bad_uri_port": (
        msg(
            "REGISTER sip:example.com SIP/2.0",
            replace(Q, "CSeq: 1 REGISTER") + ["Contact: <sip:alice@h:70000>"],
        ),
        400,
        "port",
    ),
    "to_ipv6_bad_chars": (msg(R, replace(T, "To: <sip:bob@[2001:db8::zz]>")), 400, "IPv6"),
    "param_with_bad_char": (msg(R, replace(F, "From: <sip:alice@example.com>;tag=a{b}")), 400, "parameter"),
    "empty_call_id": (msg(R, replace(C, "Call-ID:")), 400, "Call-ID"),
    "call_id_with_space": (msg(R, replace(C, "Call-ID: a b")), 400, "Call-ID"),
    "empty_message": (b"\r\n\r\n", 400, "Empty"),
    "binary_garbage": (bytes(range(256)), 400, ""),
    "request_line_only": (b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n", 400, "Missing"),
    "unterminated_quoted_param": (msg(R, replace(T, 'To: <sip:bob@example.com>;x="abc')), 400, "quoted"),
    "uri_without_host": (msg("OPTIONS sip:bob@ SIP/2.0", base), 400, "Request-URI"),
    "tel_uri_bad_number": (msg("OPTIONS tel:abc-xyz SIP/2.0", base), 400, "tel"),
    "header_name_with_space": (msg(R, base + ["Bad Header: x"]), 400, "header"),
    # RFC 4475 3.1.2.x / 3.3.x shapes
    "unquoted_display_name_with_comma": (
        msg(R, replace(F, "From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43")),
        400,
        "display name",
    ),
    "register_contact_headers_without_angle": (
        msg(
            "REGISTER sip:example.com SIP/2.0",
            replace(Q, "CSeq: 1 REGISTER") + ["Contact: sip:user@example.com?Route=%3Csip:example.com%3E"],
        ),
        400,
        "URI headers",
    ),
    "request_uri_in_angle_brackets": (msg("OPTIONS <sip:bob@example.com> SIP/2.0", base), 400, "Request-URI"),
    "trailing_space_in_request_line": (
        msg("OPTIONS sip:bob@example.com SIP/2.0 ", base),
        400,
        "request line",
    ),
    "novel_scheme_request_uri": (msg("OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0", base), 416, "scheme"),
    "request_uri_with_escaped_space": (
        msg('OPTIONS sip:bob@example.com;x="a b" SIP/2.0', base),
        400,
        "request line",
    ),
}

good = {
    # RFC 4475 3.1.1.1-style "short tortuous": compact forms, folding, odd spacing, escaped quotes, unknown headers.
    "tortuous_valid": (
        msg(
            "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
            [
                "TO :",
                " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
                'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
                "  ;",
                "  tag = 98asjd8",
                "MaX-fOrWaRdS: 0068",
                "Call-ID: wsinv.ndaksdj@192.0.2.1",
                "s :  ",
                "cseq: 0009",
                "  INVITE",
                "Via  : SIP  /   2.0",
                " /UDP",
                "    192.0.2.2;branch=390skdjuw",
                "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
                "  branch  =   z9hG4bK9ikj8  ,",
                " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
                " z9hG4bK30239",
                'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
                "      newvalue ;",
                "  secondparam ; q = 0.33",
                "NewFangledHeader:   newfangled value",
                " continued newfangled value",
                "UnknownHeaderWithUnusualValue: ;;,,;;,;",
                "Content-Type: application/sdp",
            ],
            b"v=0\r\n",
            cl=True,
        ),
        "INVITE",
    ),
    "leading_crlfs": (b"\r\n\r\n" + msg(R, base), "OPTIONS"),
    "lf_only_line_endings": (msg(R, base, eol=b"\n"), "OPTIONS"),
    "no_content_length_datagram": (msg(R, base + ["Content-Type: text/plain"], b"body", cl=None), "OPTIONS"),
    "extra_body_truncated": (msg(R, base + ["Content-Type: text/plain"], b"hello world", cl=5), "OPTIONS"),
    "ipv6_everywhere": (
        msg(
            "OPTIONS sip:[2001:db8::10]:5070;transport=udp SIP/2.0",
            [
                "Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;rport",
                M,
                "From: <sip:alice@[2001:db8::9:1]>;tag=1",
                "To: <sip:bob@[2001:db8::10]>",
                C,
                Q,
            ],
        ),
        "OPTIONS",
    ),
    "tel_and_user_with_semicolons": (
        msg(
            "OPTIONS sip:+1-972-555-2222;phone-context=name%40domain@gw1.example.net;user=phone SIP/2.0",
            base + ["Contact: <tel:+1-972-555-2222;phone-context=example.com>"],
        ),
        "OPTIONS",
    ),
    "unknown_method": (
        msg("NEWMETHOD sip:bob@example.com SIP/2.0", replace(Q, "CSeq: 8 NEWMETHOD")),
        "NEWMETHOD",
    ),
    "quoted_param_with_comma_and_angle": (
        msg(
            "REGISTER sip:example.com SIP/2.0",
            replace(Q, "CSeq: 1 REGISTER")
            + [
                'Contact: <sip:a@192.0.2.4>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";x="a,b", <sip:a@192.0.2.5>;expires=30'
            ],
        ),
        "REGISTER",
    ),
    "wildcard_contact": (
        msg(
            "REGISTER sip:example.com SIP/2.0", replace(Q, "CSeq: 1 REGISTER") + ["Contact: *", "Expires: 0"]
        ),
        "REGISTER",
    ),
    "escaped_user_and_uri_headers": (
        msg(
            "OPTIONS sip:sips%3Auser%40example.com@example.net SIP/2.0",
            base + ["Refer-To: <sip:carol@example.com?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>"],
        ),
        "OPTIONS",
    ),
    "response_empty_reason": (msg("SIP/2.0 200 ", base), None),
    "response_reason_with_utf8": (msg("SIP/2.0 486 Máy bận", base), None),
    "two_requests_in_one_datagram": (msg(R, base, b"", cl=0) + msg(R, base), "OPTIONS"),
    "unknown_scheme_in_to": (msg(R, replace(T, "To: <isbn:2983792873>")), "OPTIONS"),
    "display_name_without_space_before_angle": (
        msg(R, replace(F, 'From: "caller"<sip:caller@example.com>;tag=323')),
        "OPTIONS",
    ),
    "interesting_method_token": (
        msg(
            "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
            replace(Q, "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~"),
        ),
        "!interesting-Method0123456789_*+`.%indeed'~",
    ),
    "zero_max_forwards": (msg(R, replace(M, "Max-Forwards: 0")), "OPTIONS"),
    "rfc2543_without_branch_or_max_forwards": (
        msg(
            "INVITE sip:UserB@example.com SIP/2.0",
            [
                "Via: SIP/2.0/UDP 192.0.2.15",
                "From: <sip:UserA@example.com>;tag=1",
                "To: <sip:UserB@example.com>",
                C,
                "CSeq: 1 INVITE",
            ],
        ),
        "INVITE",
    ),
    "escaped_null_in_user": (msg("OPTIONS sip:null-%00-null@example.com SIP/2.0", base), "OPTIONS"),
    "unknown_via_transports": (
        msg(
            R,
            [
                "Via: SIP/2.0/SCTP t1.example.com;branch=z9hG4bKkdjuw, SIP/2.0/TLS t2.example.com;branch=z9hG4bKkdjuw2, SIP/2.0/UNKNOWN t3.example.com;branch=z9hG4bKkdjuw3"
            ]
            + base[1:],
        ),
        "OPTIONS",
    ),
    "same_content_length_twice": (
        msg(R, base + ["Content-Type: text/plain", "l: 5"], b"hello", cl=5),
        "OPTIONS",
    ),
}

manifest = {}
for name, (data, status, reason) in bad.items():
    (HERE / f"{name}.sip").write_bytes(data)
    manifest[name] = {"status": status, "reason_contains": reason}
for name, (data, method) in good.items():
    (HERE / f"{name}.sip").write_bytes(data)
    manifest[name] = {"valid": True, "method": method}
(HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
print(len(manifest))
