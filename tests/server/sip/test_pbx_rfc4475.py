"""RFC 4475 torture messages against the real server (`softphone-server run`), over UDP and TCP:

* dblreq (3.1.1.8): a REGISTER with ``Content-Length: 0`` followed by what looks like an INVITE.  In one UDP
  datagram the extra octets are noise: the REGISTER is answered, nothing else.  On a TCP stream they are
  the next message: both are answered, and the connection stays open.
* badaspec (3.1.2.9): a To header with spaces inside its angle brackets: 400 with the reason, both ways.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_process import Server

from softphone.testing import free_port

pytestmark = [pytest.mark.integration]

SDP = (
    "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.15\r\ns=-\r\nc=IN IP4 192.0.2.15\r\nt=0 0\r\n"
    "m=audio 49217 RTP/AVP 0 12\r\nm =video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n"
)


def dblreq(transport: str) -> bytes:
    register = (
        "REGISTER sip:example.com SIP/2.0\r\n"
        "To: sip:j.user@example.com\r\n"
        "From: sip:j.user@example.com;tag=43251j3j324\r\n"
        "Max-Forwards: 8\r\n"
        "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\r\n"
        "Contact: sip:j.user@host.example.com\r\n"
        "CSeq: 8 REGISTER\r\n"
        f"Via: SIP/2.0/{transport} 192.0.2.125;branch=z9hG4bKkdjuw23492\r\n"
        "Content-Length: 0\r\n\r\n\r\n"
    )
    invite = (
        "INVITE sip:joe@example.com SIP/2.0\r\n"
        "t: sip:joe@example.com\r\n"
        "From: sip:caller@example.net;tag=141334\r\n"
        "Max-Forwards: 8\r\n"
        "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\r\n"
        "CSeq: 8 INVITE\r\n"
        f"Via: SIP/2.0/{transport} 192.0.2.15;branch=z9hG4bKkdjuw380234\r\n"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(SDP)}\r\n\r\n{SDP}"
    )
    return (register + invite).encode()


def badaspec(transport: str) -> bytes:
    return (
        "OPTIONS sip:user@example.org SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} host4.example.com:5060;branch=z9hG4bKkdju43234\r\n"
        "Max-Forwards: 70\r\n"
        'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423\r\n'
        'To: "Watson, Thomas" < sip:t.watson@example.org >\r\n'
        "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\r\n"
        "Accept: application/sdp\r\n"
        "CSeq: 3923239 OPTIONS\r\n"
        "l: 0\r\n\r\n"
    ).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("rfc4475")) / "data", free_port(), free_port())
    s.start()
    yield s
    s.kill9()


def status_lines(data: bytes) -> list[tuple[str, str]]:
    """(status line, CSeq) of every response in `data`."""
    out = []
    for part in data.split(b"SIP/2.0 ")[1:]:
        text = part.decode(errors="replace")
        cseq = next(line for line in text.split("\r\n") if line.lower().startswith("cseq:"))
        out.append((text.split("\r\n")[0], cseq.split(":", 1)[1].strip()))
    return out


def udp_exchange(server: Server, payload: bytes, wait: float = 1.5) -> list[tuple[str, str]]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(payload, ("127.0.0.1", server.sip_port))
        got = b""
        end = time.monotonic() + wait
        while time.monotonic() < end:
            try:
                got += s.recv(65535)
            except TimeoutError:
                continue
        return status_lines(got)


def tcp_exchange(server: Server, payload: bytes, expect: int) -> tuple[list[tuple[str, str]], bool]:
    """Responses to one segment, and whether the connection is still open afterwards."""
    with socket.create_connection(("127.0.0.1", server.sip_port), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(payload)
        got = b""
        end = time.monotonic() + 10
        while len(status_lines(got)) < expect and time.monotonic() < end:
            chunk = s.recv(65535)
            if not chunk:
                return status_lines(got), False
            got += chunk
        s.sendall(b"\r\n\r\n")  # a keep-alive ping: answered with CRLF while the connection lives
        s.settimeout(2)
        try:
            alive = bool(s.recv(10))
        except TimeoutError:
            alive = True
        return status_lines(got), alive


def test_dblreq_over_udp_answers_the_register_and_ignores_the_rest(server: Server) -> None:
    responses = udp_exchange(server, dblreq("UDP"))
    assert [cseq for _, cseq in responses] == ["8 REGISTER"], responses
    assert responses[0][0].startswith("401")


def test_dblreq_over_tcp_answers_both_requests_on_the_same_connection(server: Server) -> None:
    responses, alive = tcp_exchange(server, dblreq("TCP"), expect=2)
    assert sorted(cseq for _, cseq in responses) == ["8 INVITE", "8 REGISTER"], responses
    by_method = {cseq.split()[1]: line for line, cseq in responses}
    assert by_method["REGISTER"].startswith("401") and by_method["INVITE"].startswith("407"), responses
    assert alive


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_badaspec_gets_400_with_the_reason(server: Server, transport: str) -> None:
    if transport == "UDP":
        responses = udp_exchange(server, badaspec("UDP"))
    else:
        responses, _ = tcp_exchange(server, badaspec("TCP"), expect=1)
    assert responses == [("400 Whitespace inside <> in address", "3923239 OPTIONS")], responses
