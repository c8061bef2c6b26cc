"""Call recording that survives a killed process.

pjsua2's ``AudioMediaRecorder`` writes the WAV sizes only when it is closed, so a crash leaves a file most
players refuse. Instead a tiny ``AudioMediaPort`` (the *tap*) receives the mixed frames from the conference
bridge on the clock thread and only appends them to a deque; the engine thread drains the deque into a
:class:`CrashSafeWavWriter`, which rewrites the RIFF and data sizes after every flush (twice a second).
After ``kill -9`` the file is a valid WAV holding everything up to the last flush.

Taps are reused, never destroyed while the endpoint runs (:class:`TapPool`): pjsua2's ``AudioMediaPort``
destructor asks the conference bridge to remove the port, which pjmedia 2.15 does on its clock thread a tick
later, and frees the port at once; the clock thread then called a freed tap now and then (an AttributeError
on a half-deleted tap, or a segfault, after tens of recorded calls in bench_app_memory.py). A stopped
recording's tap is disconnected, ignores frames and waits for the next recording.
"""

from __future__ import annotations

import collections
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pjsua2 as pj

_HEADER_BYTES = 44


def wav_header(sample_rate: int, channels: int, data_bytes: int) -> bytes:
    block_align = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block_align, block_align, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class CrashSafeWavWriter:
    """16-bit PCM WAV whose header always describes the data flushed so far."""

    def __init__(self, path: str | Path, sample_rate: int, channels: int = 1) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.channels = channels
        self._file: BinaryIO = open(self.path, "wb+")  # noqa: SIM115 - lives as long as the recording
        self._data_bytes = 0
        self._file.write(wav_header(sample_rate, channels, 0))
        self._file.flush()

    @property
    def data_bytes(self) -> int:
        return self._data_bytes

    @property
    def closed(self) -> bool:
        return self._file.closed

    def write(self, pcm: bytes) -> None:
        whole = len(pcm) - len(pcm) % (2 * self.channels)
        if whole:
            self._file.write(pcm[:whole])
            self._data_bytes += whole

    def flush(self) -> None:
        """Push the data to the OS, then make the header describe it."""
        f = self._file
        f.flush()
        f.seek(4)
        f.write(struct.pack("<I", 36 + self._data_bytes))
        f.seek(40)
        f.write(struct.pack("<I", self._data_bytes))
        f.seek(0, 2)
        f.flush()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


class FrameTap(pj.AudioMediaPort):
    """Conference-bridge sink collecting PCM frames; ``onFrameReceived`` runs on the clock thread.

    A tick without audio (nobody talking, a jitter buffer with nothing to play) is kept as silence: dropping
    it made recordings shorter than the call and shifted everything after the gap. Only an ``active`` tap (one
    a recording uses) keeps frames.
    """

    def __init__(self, frame_bytes: int, max_frames: int = 3000) -> None:
        super().__init__()
        self._silence = bytes(frame_bytes)
        # deque.append/popleft are atomic, so the clock thread and the engine thread need no lock.
        self.frames: collections.deque[bytes] = collections.deque(maxlen=max_frames)
        self.active = True

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        if not self.active:
            return
        if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size:
            self.frames.append(bytes(frame.buf))
        else:
            self.frames.append(self._silence)


def create_tap(name: str, clock_rate: int, ptime_ms: int = 20) -> FrameTap:
    tap = FrameTap(clock_rate * ptime_ms // 1000 * 2)
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, clock_rate, 1, ptime_ms * 1000, 16)
    tap.createPort(name, fmt)
    return tap


class TapPool:
    """Recording taps kept for the endpoint's lifetime and reused (see the module docstring)."""

    def __init__(self, clock_rate: int) -> None:
        self._clock_rate = clock_rate
        self._idle: list[FrameTap] = []
        self._all: list[FrameTap] = []

    def take(self) -> FrameTap:
        """An active, empty tap: an idle one, or a new one when all are recording."""
        if self._idle:
            tap = self._idle.pop()
        else:
            tap = create_tap(f"rec:{len(self._all)}", self._clock_rate)
            self._all.append(tap)
        tap.frames.clear()
        tap.active = True
        return tap

    def give(self, tap: FrameTap) -> None:
        """Back to the pool; the caller has disconnected it from every call."""
        tap.active = False
        tap.frames.clear()
        self._idle.append(tap)

    def clear(self) -> None:
        """Drop every tap: only at shutdown, once every link is gone and just before ``libDestroy``."""
        self._idle.clear()
        self._all.clear()

    def __len__(self) -> int:
        return len(self._all)


class Recording:
    """One WAV being recorded from a tap; ``pump`` is called regularly on the engine thread."""

    def __init__(
        self,
        path: str | Path,
        clock_rate: int,
        clock: Callable[[], float],
        flush_interval_s: float = 0.5,
        *,
        tap: FrameTap | None = None,
    ) -> None:
        self.tap = tap if tap is not None else create_tap(f"rec:{Path(path).name}"[:30], clock_rate)
        self.writer = CrashSafeWavWriter(path, clock_rate)
        self._clock = clock
        self._flush_interval_s = flush_interval_s
        self._next_flush = clock() + flush_interval_s

    @property
    def path(self) -> Path:
        return self.writer.path

    def pump(self) -> None:
        frames = self.tap.frames
        while frames:
            self.writer.write(frames.popleft())
        now = self._clock()
        if now >= self._next_flush:
            self.writer.flush()
            self._next_flush = now + self._flush_interval_s

    def close(self) -> None:
        self.pump()
        self.writer.close()
