"""A bounded asyncio RTP caller for load tests and the benchmark: N legs send a PCMU tone at 20 ms
and record what comes back (count, sequence gaps, late packets, the received audio's dominant tone).

One paced sender task drives every leg (one timer, not N), so hundreds of legs cost little CPU on the
probe side; receiving is plain datagram callbacks.
"""

from __future__ import annotations

import asyncio
import math
import socket
import struct
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from softphone.tones import dominant_frequency

with warnings.catch_warnings():  # deprecated in 3.11, still the simplest G.711 codec here
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

PTIME = 0.02
SAMPLES = 160


def pcmu_tone(freq: float, seconds: float = 1.0, amplitude: float = 8000.0) -> list[bytes]:
    """20 ms PCMU payloads of a sine at ``freq``."""
    n = int(8000 * seconds)
    t = np.arange(n) / 8000.0
    pcm = (amplitude * np.sin(2 * math.pi * freq * t)).astype("<i2").tobytes()
    ulaw = audioop.lin2ulaw(pcm, 2)
    return [ulaw[i : i + SAMPLES] for i in range(0, len(ulaw) - SAMPLES + 1, SAMPLES)]


@dataclass
class LegStats:
    received: int = 0
    late: int = 0  # arrived more than 60 ms after the previous one (once flowing)
    gaps: int = 0  # sequence numbers skipped when a packet arrived
    reordered: int = 0  # packets that arrived after a later one (they filled a gap counted before)
    last_seq: int | None = None
    last_at: float | None = None
    audio: bytearray = field(default_factory=bytearray)
    keep_audio: int = 8000  # the last second of PCMU payload, for the content check
    ssrc: int | None = None

    def note(self, data: bytes, now: float) -> None:
        if len(data) < 12:
            return
        seq, ssrc = struct.unpack_from("!H4xI", data, 2)
        if data[1] & 0x7F >= 96:  # telephone-event etc.
            return
        self.received += 1
        if ssrc != self.ssrc:  # a new source (prompt -> echo): sequence numbers start afresh
            self.ssrc, self.last_seq = ssrc, None
        if self.last_seq is not None:
            step = (seq - self.last_seq) & 0xFFFF
            if 1 < step < 1000:
                self.gaps += step - 1
            elif step >= 0x8000:
                self.reordered += 1
                return  # keep last_seq/last_at at the newest packet
        if self.last_at is not None and now - self.last_at > 0.06:
            self.late += 1
        self.last_seq, self.last_at = seq, now
        self.audio += data[12:]
        if len(self.audio) > 2 * self.keep_audio:
            del self.audio[: -self.keep_audio]

    @property
    def lost(self) -> int:
        return max(0, self.gaps - self.reordered)

    def dominant_hz(self) -> float:
        if len(self.audio) < 1600:
            return 0.0
        tail = bytes(self.audio[-self.keep_audio :])
        pcm = np.frombuffer(audioop.ulaw2lin(tail, 2), dtype="<i2").astype(np.float64)
        return float(dominant_frequency(pcm, 8000))

    def rms(self) -> float:
        if not self.audio:
            return 0.0
        return float(audioop.rms(audioop.ulaw2lin(bytes(self.audio), 2), 2))


class _Rx(asyncio.DatagramProtocol):
    def __init__(self, stats: LegStats) -> None:
        self.stats = stats

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.stats.note(data, time.monotonic())


class ProbeLeg:
    def __init__(
        self, host: str, tone_hz: float, payloads: list[bytes], *, codec: tuple[int, str] = (0, "PCMU/8000")
    ) -> None:
        """``codec``: the one payload type offered and sent, with its rtpmap (``(9, "G722/8000")``)."""
        self.host = host
        self.codec = codec
        self.tone_hz = tone_hz
        self.payloads = payloads
        self.stats = LegStats()
        self.transport: asyncio.DatagramTransport | None = None
        self.remote: tuple[str, int] | None = None
        self.ssrc = int.from_bytes(socket.inet_aton(host), "big") ^ id(self) & 0xFFFFFFFF
        self.seq = 0
        self.sent = 0
        self.sending = True

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: _Rx(self.stats), local_addr=(self.host, 0)
        )

    def sdp(self) -> str:
        return (
            f"v=0\r\no=- 1 1 IN IP4 {self.host}\r\ns=-\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
            f"m=audio {self.port} RTP/AVP {self.codec[0]} 101\r\na=rtpmap:{self.codec[0]} {self.codec[1]}\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
        )

    def send_one(self) -> None:
        if self.transport is None or self.remote is None or not self.sending:
            return
        payload = self.payloads[self.seq % len(self.payloads)]
        header = struct.pack(
            "!BBHII", 0x80, self.codec[0], self.seq & 0xFFFF, (self.seq * SAMPLES) & 0xFFFFFFFF, self.ssrc
        )
        self.transport.sendto(header + payload, self.remote)
        self.seq += 1
        self.sent += 1

    def send_dtmf(self, digit: str) -> None:
        """One RFC 4733 event (payload type 101, 60 ms, end packet sent three times)."""
        if self.transport is None or self.remote is None:
            return
        event = "0123456789*#".index(digit)
        stamp = (self.seq * SAMPLES) & 0xFFFFFFFF
        for i, end in enumerate([0, 0, 0, 0x80, 0x80, 0x80]):
            body = struct.pack("!BBH", event, end | 10, 160 * min(i + 1, 4))
            marker = 0x80 if i == 0 else 0
            header = struct.pack("!BBHII", 0x80, 101 | marker, self.seq & 0xFFFF, stamp, self.ssrc)
            self.seq += 1
            self.transport.sendto(header + body, self.remote)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def remote_of(sdp: str) -> tuple[str, int]:
    host = port = None
    for line in sdp.splitlines():
        if line.startswith("c=IN IP4 "):
            host = line.split()[-1]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    assert host is not None and port is not None, sdp
    return host, port


async def pace(legs: list[ProbeLeg], seconds: float) -> None:
    """Send one packet per leg every 20 ms for ``seconds`` (absolute schedule: no drift under load)."""
    start = time.monotonic()
    ticks = int(seconds / PTIME)
    for tick in range(ticks):
        for leg in legs:
            leg.send_one()
        delay = start + (tick + 1) * PTIME - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class _SipRx(asyncio.DatagramProtocol):
    def __init__(self, owner: SipProbe) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.owner._received(data)


@dataclass
class ProbeCall:
    call_id: str
    leg: ProbeLeg
    status: int = 0
    reason_header: str = ""
    to_header: str = ""
    answer_sdp: str = ""
    target: str = ""  # the 200's Contact: in-dialog requests go there (through `routes`)
    routes: tuple[str, ...] = ()  # the 200's Record-Route, reversed: the route set through a proxy
    got_bye: bool = False
    final: asyncio.Event = field(default_factory=asyncio.Event)
    caller: str = "probe"


class SipProbe:
    """Many bare-bones UAC calls over one UDP socket (no auth, no retransmissions: loopback only)."""

    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.target = target
        self.host = host
        self.calls: dict[str, ProbeCall] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0
        self._n = 0

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: _SipRx(self), local_addr=(self.host, 0)
        )
        self.port = int(self.transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _headers(self, call_id: str, method: str, cseq: int, to: str) -> str:
        self._n += 1
        caller = self.calls[call_id].caller if call_id in self.calls else "probe"
        return (
            f"Via: SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{call_id}{self._n};rport\r\n"
            f"From: <sip:{caller}@{self.host}>;tag=f{call_id}\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
            f"CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContact: <sip:probe@{self.host}:{self.port}>\r\n"
        )

    async def invite(
        self, number: str, leg: ProbeLeg, timeout: float = 5.0, caller: str = "probe"
    ) -> ProbeCall:
        """INVITE `number` from `caller` (the From user: a carrier's caller ID)."""
        call_id = f"p{id(leg):x}{self._n}"
        call = ProbeCall(call_id, leg, caller=caller)
        self.calls[call_id] = call
        body = leg.sdp()
        uri = f"sip:{number}@{self.target[0]}:{self.target[1]}"
        msg = (
            f"INVITE {uri} SIP/2.0\r\n"
            + self._headers(call_id, "INVITE", 1, f"<{uri}>")
            + f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        )
        assert self.transport is not None
        self.transport.sendto(msg.encode(), self.target)
        await asyncio.wait_for(call.final.wait(), timeout)
        if call.status == 200:
            ack = (
                f"ACK {call.target or uri} SIP/2.0\r\n"
                + self._headers(call_id, "ACK", 1, call.to_header)
                + self._routes(call)
                + "Content-Length: 0\r\n\r\n"
            )
            self.transport.sendto(ack.encode(), self.target)
            leg.remote = remote_of(call.answer_sdp)
        return call

    @staticmethod
    def _routes(call: ProbeCall) -> str:
        return "".join(f"Route: {r}\r\n" for r in call.routes)

    def _in_dialog_uri(self, call: ProbeCall) -> str:
        return call.target or f"sip:x@{self.target[0]}:{self.target[1]}"

    def info(self, call: ProbeCall, digit: str, cseq: int) -> None:
        body = f"Signal={digit}\r\nDuration=160\r\n"
        msg = (
            f"INFO {self._in_dialog_uri(call)} SIP/2.0\r\n"
            + self._headers(call.call_id, "INFO", cseq, call.to_header)
            + self._routes(call)
            + f"Content-Type: application/dtmf-relay\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        )
        assert self.transport is not None
        self.transport.sendto(msg.encode(), self.target)

    def bye(self, call: ProbeCall) -> None:
        msg = (
            f"BYE {self._in_dialog_uri(call)} SIP/2.0\r\n"
            + self._headers(call.call_id, "BYE", 9, call.to_header)
            + self._routes(call)
            + "Content-Length: 0\r\n\r\n"
        )
        assert self.transport is not None
        self.transport.sendto(msg.encode(), self.target)

    def _received(self, data: bytes) -> None:
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        fields: dict[str, str] = {}
        record_routes: list[str] = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), value.strip())
            if name.strip().lower() == "record-route":
                record_routes += [v.strip() for v in value.split(",") if v.strip()]
        call = self.calls.get(fields.get("call-id", ""))
        if call is None:
            return
        if lines[0].startswith("SIP/2.0 "):
            status = int(lines[0].split()[1])
            if status >= 200 and not call.final.is_set() and fields.get("cseq", "").endswith("INVITE"):
                call.status = status
                call.reason_header = fields.get("reason", "")
                call.to_header = fields.get("to", "")
                call.answer_sdp = body.decode(errors="replace")
                contact = fields.get("contact", "")
                if "<" in contact:
                    contact = contact[contact.find("<") + 1 : contact.find(">")]
                call.target = contact
                call.routes = tuple(reversed(record_routes))
                call.final.set()
        elif lines[0].startswith("BYE "):
            call.got_bye = True
            call.reason_header = fields.get("reason", call.reason_header)
            resp = (
                "SIP/2.0 200 OK\r\n"
                + "".join(
                    f"{n}: {fields[n.lower()]}\r\n"
                    for n in ("Via", "From", "To", "Call-ID", "CSeq")
                    if n.lower() in fields
                )
                + "Content-Length: 0\r\n\r\n"
            )
            assert self.transport is not None
            self.transport.sendto(resp.encode(), self.target)
