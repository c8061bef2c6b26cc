"""Voicemail on the media engine: the caller's audio recorded from a socket of ours, and the
message-waiting NOTIFY (RFC 3842) that tells the box owners' phones."""

from __future__ import annotations

import asyncio
import re
import struct
import warnings
from pathlib import Path

from server.media.recorder import WavRecorder
from server.sip.headers import Headers
from server.sip.message import SipRequest, new_branch, new_tag
from server.sip.uri import parse_uri

with warnings.catch_warnings():  # deprecated in 3.11, still the simplest G.711 decoder here
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


class _Rtp(asyncio.DatagramProtocol):
    def __init__(self, owner: VoicemailRecording) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.owner.packet(data)


_G711 = ("0", "8")


def g711_offer(sdp: str) -> str:
    """The caller's SDP offer with only G.711 (and telephone-event) left on its audio line, so the call is
    negotiated in a codec the recorder takes; unchanged when the offer has no G.711 at all."""
    m = re.search(r"^m=audio (\d+) ([A-Z/]+) ([\d ]+?)\r?$", sdp, re.M)
    if m is None or not set(m.group(3).split()) & set(_G711):
        return sdp
    events = set(re.findall(r"^a=rtpmap:(\d+) telephone-event/8000", sdp, re.M))  # 8 kHz, as G.711
    keep = [pt for pt in m.group(3).split() if pt in _G711 or pt in events]
    dropped = set(m.group(3).split()) - set(keep)
    lines = []
    for line in sdp.splitlines():
        attr = re.match(r"a=(?:rtpmap|fmtp|rtcp-fb):(\d+)", line)
        if attr is not None and attr.group(1) in dropped:
            continue
        if line == m.group(0).rstrip("\r"):
            line = f"m=audio {m.group(1)} {m.group(2)} {' '.join(keep)}"
        lines.append(line)
    return "\r\n".join(lines) + ("\r\n" if sdp.endswith("\n") else "")


class VoicemailRecording:
    """A UDP socket rtpengine forwards the caller's G.711 to, written as 8 kHz 16-bit WAV."""

    def __init__(self, path: Path, host: str) -> None:
        self.path = path
        self.host = host
        self.recorder = WavRecorder(path)
        self.closed = False
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: _Rtp(self), local_addr=(self.host, 0))
        self.port = int(self.transport.get_extra_info("sockname")[1])

    def answer_sdp(self, offer: str) -> str:
        m = re.search(r"^m=audio \d+ RTP/AVP ([\d ]+)", offer, re.M)
        offered = m.group(1).split() if m else ["0"]
        codec = next((pt for pt in offered if pt in ("0", "8")), "0")
        name = "PCMU" if codec == "0" else "PCMA"
        return (
            f"v=0\r\no=- 1 1 IN IP4 {self.host}\r\ns=voicemail\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
            f"m=audio {self.port} RTP/AVP {codec}\r\na=rtpmap:{codec} {name}/8000\r\na=sendrecv\r\n"
        )

    def packet(self, data: bytes) -> None:
        if len(data) < 12 or self.closed:
            return
        pt = data[1] & 0x7F
        csrc = data[0] & 0x0F
        offset = 12 + 4 * csrc
        if data[0] & 0x10 and len(data) >= offset + 4:  # header extension
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        payload = data[offset:]
        if pt == 0:
            self.recorder.write(audioop.ulaw2lin(payload, 2))
        elif pt == 8:
            self.recorder.write(audioop.alaw2lin(payload, 2))

    def close(self) -> float:
        """Stop; the recording's length in seconds."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.recorder.close(self.path.parent / "index.jsonl")
        return self.recorder.data_bytes / 16000.0


def message_summary(
    contact: str, *, extension: str, domain: str, messages: int, via: tuple[str, int]
) -> SipRequest:
    """An unsolicited NOTIFY ``message-summary`` to one registered device of ``extension``."""
    host, port = via
    body = (
        f"Messages-Waiting: {'yes' if messages else 'no'}\r\nMessage-Account: sip:{extension}@{domain}\r\n"
        f"Voice-Message: {messages}/0 (0/0)\r\n"
    ).encode()
    headers = Headers()
    headers.add("Via", f"SIP/2.0/UDP {host}:{port};branch={new_branch()};rport")
    headers.add("Max-Forwards", "70")
    headers.add("From", f"<sip:voicemail@{domain}>;tag={new_tag()}")
    headers.add("To", f"<sip:{extension}@{domain}>")
    headers.add("Call-ID", f"mwi-{new_tag()}")
    headers.add("CSeq", "1 NOTIFY")
    headers.add("Event", "message-summary")
    headers.add("Subscription-State", "active")
    headers.add("Contact", f"<sip:voicemail@{host}:{port}>")
    headers.add("Content-Type", "application/simple-message-summary")
    return SipRequest("NOTIFY", parse_uri(contact), headers, body)
