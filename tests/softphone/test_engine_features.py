"""DND (486 + Reason, checked on the wire), auto-answer after N seconds, MESSAGE and presence."""

from __future__ import annotations

import email.utils
import socket
import time
import uuid

import pytest

from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration]


def raw_invite(port: int, timeout: float = 10.0) -> list[str]:
    """Send a bare INVITE over UDP and return every response received until a final one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        lport = s.getsockname()[1]
        sdp = (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        msg = (
            f"INVITE sip:bob@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:raw@127.0.0.1:{lport}>;tag=raw1\r\n"
            f"To: <sip:bob@127.0.0.1:{port}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}@127.0.0.1\r\n"
            "CSeq: 1 INVITE\r\n"
            f"Contact: <sip:raw@127.0.0.1:{lport}>\r\n"
            "Content-Type: application/sdp\r\n"
            f"Content-Length: {len(sdp)}\r\n\r\n{sdp}"
        )
        s.sendto(msg.encode(), ("127.0.0.1", port))
        responses = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data, _ = s.recvfrom(65535)
            text = data.decode(errors="replace")
            responses.append(text)
            code = int(text.split(" ", 2)[1])
            if code >= 200:
                break
        return responses


def raw_message(port: int, text: str, date: str | None, timeout: float = 10.0) -> str:
    """Send a bare SIP MESSAGE over UDP (with ``Date: date`` if given) and return the final response."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        lport = s.getsockname()[1]
        body = text.encode()
        msg = (
            f"MESSAGE sip:bob@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:raw@127.0.0.1:{lport}>;tag=raw2\r\n"
            f"To: <sip:bob@127.0.0.1:{port}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}@127.0.0.1\r\n"
            "CSeq: 1 MESSAGE\r\n"
            + (f"Date: {date}\r\n" if date is not None else "")
            + "Content-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        s.sendto(msg, ("127.0.0.1", port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text_in = s.recvfrom(65535)[0].decode(errors="replace")
            if int(text_in.split(" ", 2)[1]) >= 200:
                return text_in
        raise TimeoutError("no final response to MESSAGE")


def test_received_message_carries_the_senders_date(peers) -> None:
    b = peers("bob")
    # Stored by the PBX and delivered a day later: the sender's Date, not the delivery time, is the date.
    sent = "Sat, 21 Nov 2026 02:30:15 GMT"
    assert raw_message(b.port, "written yesterday", sent).startswith("SIP/2.0 200")
    got = b.wait_for(lambda e: e["event"] == "MessageReceived" and e["text"] == "written yesterday")
    assert got["date"] == email.utils.parsedate_to_datetime(sent).timestamp() == 1795228215.0

    before = time.time()
    assert raw_message(b.port, "no date", None).startswith("SIP/2.0 200")
    got = b.wait_for(lambda e: e["event"] == "MessageReceived" and e["text"] == "no date")
    assert before - 1 <= got["date"] <= time.time() + 1


def test_dnd_rejects_with_486_and_reason(peers) -> None:
    b = peers("bob", "--dnd")
    final = raw_invite(b.port)[-1]
    assert final.startswith("SIP/2.0 486")
    headers = {line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip()
               for line in final.split("\r\n\r\n")[0].split("\r\n")[1:] if ":" in line}
    assert headers["reason"] == 'SIP;cause=486;text="Do Not Disturb"'

    a = peers("alice")
    call = a.command("make_call", account_id="local", target=b.uri)
    assert a.wait_state("disconnected", call)["code"] == 486
    assert b.find(lambda e: e["event"] == "IncomingCall") is None

    b.command("set_dnd", enabled=False)
    b.command("set_auto_answer", enabled=True, delay_s=0)
    call2 = a.command("make_call", account_id="local", target=b.uri)
    a.wait_state("confirmed", call2)


def test_auto_answer_after_delay(peers) -> None:
    b = peers("bob", "--auto-answer=1.5")
    a = peers("alice")
    call = a.command("make_call", account_id="local", target=b.uri)
    ringing = a.wait_state("ringing", call)
    t_ring = time.monotonic()
    a.wait_state("confirmed", call, start=a.events.index(ringing))
    waited = time.monotonic() - t_ring
    assert 1.2 < waited < 6.0, waited


def test_message_delivered_and_failure_reported(peers) -> None:
    a = peers("alice")
    b = peers("bob")
    mid = a.command("send_message", account_id="local", to_uri=b.uri, text="hello bob ✓")
    st = a.wait_for(lambda e: e["event"] == "MessageStatus" and e["message_id"] == mid)
    assert st["code"] == 200
    got = b.wait_for(lambda e: e["event"] == "MessageReceived")
    assert got["text"] == "hello bob ✓" and got["content_type"] == "text/plain"
    assert "alice" in got["from_uri"]

    # nobody listens on this TCP port any more: the transport error is reported as a failed delivery
    dead: CliPeer = peers("carol")
    dead_uri = dead.uri.replace("carol", "nobody") + ";transport=tcp"
    dead.quit()
    mid2 = a.command("send_message", account_id="local", to_uri=dead_uri, text="anyone?")
    st2 = a.wait_for(lambda e: e["event"] == "MessageStatus" and e["message_id"] == mid2, timeout=20)
    assert st2["code"] >= 400


def test_presence_subscribe_and_publish(peers) -> None:
    a = peers("alice")
    b = peers("bob")
    a.command("subscribe_presence", account_id="local", uri=b.uri)
    for status in ("away", "dnd", "on_the_phone", "busy", "available"):
        mark = a.mark()
        b.command("publish_presence", account_id="local", status=status, note="")
        ev = a.wait_for(lambda e, s=status: e["event"] == "PresenceChanged" and e["status"] == s, start=mark)
        assert ev["uri"] == b.uri
    mark = a.mark()
    b.command("publish_presence", account_id="local", status="away", note="lunch")
    ev = a.wait_for(lambda e: e["event"] == "PresenceChanged" and e["status"] == "away", start=mark)
    assert ev["note"] == "lunch"


def test_dtmf_falls_back_to_sip_info_without_telephone_event(peers) -> None:
    """A raw SIP peer offers only PCMU (no telephone-event): RFC 4733 DTMF must go out as SIP INFO."""
    b = peers("bob", "--auto-answer")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        lport = s.getsockname()[1]
        sdp = (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        call_id = f"{uuid.uuid4().hex}@127.0.0.1"
        head = (
            f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
            f"From: <sip:raw@127.0.0.1:{lport}>;tag=raw2\r\n"
            f"To: <sip:bob@127.0.0.1:{b.port}>\r\nCall-ID: {call_id}\r\n"
        )
        s.sendto(
            (
                f"INVITE sip:bob@127.0.0.1:{b.port} SIP/2.0\r\n{head}CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
                f"Contact: <sip:raw@127.0.0.1:{lport}>\r\nContent-Type: application/sdp\r\n"
                f"Content-Length: {len(sdp)}\r\n\r\n{sdp}"
            ).encode(),
            ("127.0.0.1", b.port),
        )
        to = ""
        while True:
            text = s.recvfrom(65535)[0].decode()
            if text.startswith("SIP/2.0 200"):
                to = next(line for line in text.split("\r\n") if line.lower().startswith("to:"))
                break
        ack_head = head.replace(f"To: <sip:bob@127.0.0.1:{b.port}>\r\n", to + "\r\n")
        ack = f"ACK sip:bob@127.0.0.1:{b.port} SIP/2.0\r\n{ack_head}CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
        s.sendto(ack.encode(), ("127.0.0.1", b.port))
        call = b.wait_state("confirmed")["call_id"]
        b.command("send_dtmf", call_id=call, digits="7", method="rfc4733")
        deadline = time.monotonic() + 10
        info = ""
        while time.monotonic() < deadline and not info:
            text = s.recvfrom(65535)[0].decode()
            if text.startswith("INFO "):
                info = text
        assert "application/dtmf-relay" in info.lower() and "Signal=7" in info
        b.command("hangup", call_id=call)
