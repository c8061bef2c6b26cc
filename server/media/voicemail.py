"""Voicemail on the media engine: the caller's audio recorded from a socket of ours, and the
message-waiting NOTIFY (RFC 3842) that tells the box owners' phones."""

from __future__ import annotations

import asyncio
import re
import struct
import warnings
from pathlib import Path

from server.media.recorder import WavRecorder
from server.media.voicemail_store import INDEX
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

    def close(self, caller: str = "") -> float:
        """Stop and list the message (with who left it) in the box's index; its length in seconds."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.recorder.close(self.path.parent / INDEX, caller=caller)
        return self.recorder.data_bytes / 16000.0


def message_summary(
    contact: str, *, extension: str, domain: str, new: int, old: int, via: tuple[str, int]
) -> SipRequest:
    """An unsolicited NOTIFY ``message-summary`` to one registered device of ``extension`` (``new`` messages
    not heard yet, ``old`` heard ones)."""
    host, port = via
    body = (
        f"Messages-Waiting: {'yes' if new else 'no'}\r\nMessage-Account: sip:{extension}@{domain}\r\n"
        f"Voice-Message: {new}/{old} (0/0)\r\n"
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
