"""Conference mixing, sans-IO: G.711 µ-law frames in, one "everyone but you" frame per member out.

rtpengine has no mixer; each member's leg is relayed by rtpengine to a socket of ours
(:mod:`server.media.mixer`), which feeds :class:`RoomMix` and sends what :meth:`RoomMix.mix` returns.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FRAME = 160  # 20 ms at 8 kHz
MAX_QUEUE = 3  # frames kept per member: a late burst is played, an old backlog is dropped
_BIAS = 0x84
RATE = 8000
JOIN_TONE_HZ = (660.0, 990.0)  # rising: someone joined
LEAVE_TONE_HZ = (990.0, 660.0)  # falling: someone left
TONE_NOTE_S = 0.12


def _decode_table() -> npt.NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    x = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(u & 0x80, -x, x).astype(np.int16)


def _encode_table() -> npt.NDArray[np.uint8]:
    # the 14-bit G.711 reference algorithm (as audioop and pjmedia): >> 2, then sign, bias, segment
    v = np.arange(-32768, 32768, dtype=np.int32) >> 2
    mask = np.where(v < 0, 0x7F, 0xFF)
    v = np.minimum(np.abs(v), 8159) + 0x21
    seg = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), v)
    uval = np.where(seg >= 8, 0x7F, (seg << 4) | ((v >> (seg + 1)) & 0x0F))
    return ((uval ^ mask) & 0xFF).astype(np.uint8)


ULAW_DECODE = _decode_table()
ULAW_ENCODE = _encode_table()  # indexed by sample + 32768


def decode(payload: bytes) -> npt.NDArray[np.int32]:
    return ULAW_DECODE[np.frombuffer(payload, dtype=np.uint8)].astype(np.int32)


def encode(samples: npt.NDArray[np.int32]) -> bytes:
    clipped = np.clip(samples, -32768, 32767) + 32768
    return bytes(ULAW_ENCODE[clipped].tobytes())


def tone_frames(
    notes_hz: tuple[float, ...], note_s: float = TONE_NOTE_S, level: float = 5000.0
) -> list[npt.NDArray[np.int32]]:
    """A short signal (one note after the other, 5 ms fades) as 20 ms frames of linear samples."""
    n = int(RATE * note_s)
    t = np.arange(n) / RATE
    fade = np.minimum(1.0, np.minimum(t, note_s - t) / 0.005)
    signal = np.concatenate([level * fade * np.sin(2 * np.pi * f * t) for f in notes_hz])
    signal = np.concatenate([signal, np.zeros((-len(signal)) % FRAME)])
    return [chunk.astype(np.int32) for chunk in signal.reshape(-1, FRAME)]


JOIN_TONE = tone_frames(JOIN_TONE_HZ)
LEAVE_TONE = tone_frames(LEAVE_TONE_HZ)


class RoomMix:
    """The members of one room, their queued frames and the signal tones each one still has to hear."""

    def __init__(self) -> None:
        self.queues: dict[str, list[npt.NDArray[np.int32]]] = {}
        self.tones: dict[str, list[npt.NDArray[np.int32]]] = {}
        self.last_mix: npt.NDArray[np.int32] = np.zeros(FRAME, dtype=np.int32)  # everyone, for recording

    def join(self, member: str) -> None:
        self.queues.setdefault(member, [])

    def leave(self, member: str) -> None:
        self.queues.pop(member, None)
        self.tones.pop(member, None)

    def announce(self, frames: list[npt.NDArray[np.int32]], *, exclude: str | None = None) -> None:
        """Every member but ``exclude`` hears ``frames`` over the room's audio (join and leave tones)."""
        for member in self.queues:
            if member != exclude:
                self.tones[member] = list(frames)

    def __len__(self) -> int:
        return len(self.queues)

    def push(self, member: str, payload: bytes) -> None:
        queue = self.queues.get(member)
        if queue is None or len(payload) != FRAME:
            return
        queue.append(decode(payload))
        if len(queue) > MAX_QUEUE:
            del queue[0]

    def take(self) -> dict[str, npt.NDArray[np.int32]]:
        """One tick's frames (each member's next, if any); ``last_mix`` is their sum (for recorders)."""
        frames = {m: q.pop(0) for m, q in self.queues.items() if q}
        total = np.zeros(FRAME, dtype=np.int32)
        for frame in frames.values():
            total += frame
        self.last_mix = total
        return frames

    def last_pcm16(self) -> bytes:
        """``last_mix`` as little-endian 16-bit PCM, clipped (what a WAV recorder writes)."""
        return bytes(np.clip(self.last_mix, -32768, 32767).astype("<i2").tobytes())

    def mix(self) -> dict[str, bytes]:
        """One tick: each member gets the sum of everyone else's next frame (silence if nobody spoke)."""
        frames = self.take()
        total = self.last_mix
        out: dict[str, bytes] = {}
        for member in self.queues:
            own = frames.get(member)
            heard = total - own if own is not None else total
            tones = self.tones.get(member)
            if tones:
                heard = heard + tones.pop(0)
                if not tones:
                    del self.tones[member]
            out[member] = encode(heard)
        return out
