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
    gaps: int = 0  # packets missing by sequence number
    last_seq: int | None = None
    last_at: float | None = None
    audio: bytearray = field(default_factory=bytearray)
    keep_audio: int = 8000  # bytes of payload kept for the content check (1 s of PCMU)

    def note(self, data: bytes, now: float) -> None:
        if len(data) < 12:
            return
        seq = struct.unpack_from("!H", data, 2)[0]
        if data[1] & 0x7F >= 96:  # telephone-event etc.
            return
        self.received += 1
        if self.last_seq is not None:
            step = (seq - self.last_seq) & 0xFFFF
            if 1 < step < 1000:
                self.gaps += step - 1
        if self.last_at is not None and now - self.last_at > 0.06:
            self.late += 1
        self.last_seq, self.last_at = seq, now
        if len(self.audio) < self.keep_audio:
            self.audio += data[12:]

    def dominant_hz(self) -> float:
        if len(self.audio) < 1600:
            return 0.0
        pcm = np.frombuffer(audioop.ulaw2lin(bytes(self.audio[800:]), 2), dtype="<i2").astype(np.float64)
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
    def __init__(self, host: str, tone_hz: float, payloads: list[bytes]) -> None:
        self.host = host
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
            f"m=audio {self.port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
        )

    def send_one(self) -> None:
        if self.transport is None or self.remote is None or not self.sending:
            return
        payload = self.payloads[self.seq % len(self.payloads)]
        header = struct.pack(
            "!BBHII", 0x80, 0, self.seq & 0xFFFF, (self.seq * SAMPLES) & 0xFFFFFFFF, self.ssrc
        )
        self.transport.sendto(header + payload, self.remote)
        self.seq += 1
        self.sent += 1

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
