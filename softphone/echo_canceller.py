"""Acoustic echo cancellation for the sounddevice bridge: a ctypes binding to libspeexdsp.

pjsua2's own canceller only sits on pjsua's sound-device port, which the bridge does not use (see
``softphone/audio.py``), so the bridge runs speexdsp's MDF canceller itself: for every microphone frame it
subtracts an adaptive estimate of what the loudspeaker put back into the microphone, then speexdsp's
preprocessor removes the residual echo (``SPEEX_PREPROCESS_SET_ECHO_STATE``).

The canceller needs the far-end signal that was actually played, and it must *lead* the echo in the mic by
less than the filter tail. :class:`PlaybackHistory` keeps the last second of played audio, so the bridge can
pick the reference that was played as long ago as the microphone frame was captured.

libspeexdsp is found with ``ctypes.util.find_library("speexdsp")`` (Debian/Ubuntu: ``libspeexdsp1``; macOS
and Windows builds bundle the library with PyInstaller next to the executable). When it is missing,
:func:`load_speexdsp` returns None and the bridge carries on without echo cancellation.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import sys
import threading
from array import array
from collections import deque
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

SPEEX_ECHO_SET_SAMPLING_RATE = 24
SPEEX_PREPROCESS_SET_DENOISE = 0
SPEEX_PREPROCESS_SET_AGC = 2
SPEEX_PREPROCESS_SET_DEREVERB = 8
SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22
SPEEX_PREPROCESS_SET_ECHO_STATE = 24

DEFAULT_TAIL_MS = 120
# The far end counts as silent below this peak (-50 dBFS): decoded silence and line noise, nothing whose echo
# a listener could hear. After QUIET_HOLD_MS more than the tail of such silence, no echo of it is left in the
# microphone beyond what a room's reverberation keeps (-40 dB and lower), so the microphone passes untouched.
QUIET_REFERENCE_PEAK = 104
QUIET_HOLD_MS = 200
NOISE_SUPPRESS_DB = -15
UNAVAILABLE_REASON = "echo cancellation unavailable: libspeexdsp not found"

_load_lock = threading.Lock()
_loaded: list[ctypes.CDLL | None] = []


class EchoCancellerUnavailable(RuntimeError):
    """libspeexdsp is not installed (or lacks the echo canceller)."""


def _candidates() -> list[str]:
    names = []
    found = ctypes.util.find_library("speexdsp")
    if found:
        names.append(found)
    # A frozen (PyInstaller) app carries the library next to the executable.
    bundle = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    names += [str(bundle / n) for n in ("libspeexdsp.dylib", "libspeexdsp-1.dll", "speexdsp.dll")]
    names.append("libspeexdsp.so.1")
    return names


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    p, i, i16p = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int16)
    signatures: dict[str, tuple[type | None, list[type]]] = {
        "speex_echo_state_init": (p, [i, i]),
        "speex_echo_state_destroy": (None, [p]),
        "speex_echo_state_reset": (None, [p]),
        "speex_echo_ctl": (i, [p, i, p]),
        "speex_echo_cancellation": (None, [p, i16p, i16p, i16p]),
        "speex_preprocess_state_init": (p, [i, i]),
        "speex_preprocess_state_destroy": (None, [p]),
        "speex_preprocess_ctl": (i, [p, i, p]),
        "speex_preprocess_run": (i, [p, i16p]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)  # AttributeError: not a usable libspeexdsp
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def load_speexdsp(candidates: Sequence[str] | None = None) -> ctypes.CDLL | None:
    """The bound libspeexdsp, or None when it is not installed.

    Without ``candidates`` the usual places are searched once per process; with them (file names or paths
    to try, in order) nothing is cached.
    """
    if candidates is not None:
        return _load_first(candidates)
    with _load_lock:
        if not _loaded:
            _loaded.append(_load_first(_candidates()))
        return _loaded[0]


def _load_first(candidates: Sequence[str]) -> ctypes.CDLL | None:
    for name in candidates:
        try:
            return _bind(ctypes.CDLL(name))
        except (OSError, AttributeError):
            continue
    log.warning(UNAVAILABLE_REASON)
    return None


class EchoCanceller:
    """speexdsp MDF echo canceller + residual echo suppressor for mono int16 frames of ``frame_size`` samples.

    While the far end has been silent for the whole tail and a little more, there is no echo to remove, and
    speexdsp's processing would only cost the near end quality (measured through the bench's call with a
    silent far end: PESQ-WB 3.2-3.7 processed against 4.0 untouched): the microphone then passes as captured.
    The canceller still sees every frame, so its filter and the suppressor's estimates stay current, and the
    output crossfades over one frame between the two. When noise suppression or automatic gain is on, the
    user asked for processing, and the output is always processed.

    Not thread-safe: one thread (pjmedia's clock thread in the bridge) calls :meth:`process`.
    """

    def __init__(
        self,
        frame_size: int,
        rate: int,
        tail_ms: int = DEFAULT_TAIL_MS,
        *,
        residual_suppression: bool = True,
        noise_suppression: bool = False,
        auto_gain: bool = False,
        lib: ctypes.CDLL | None = None,
    ) -> None:
        lib = lib if lib is not None else load_speexdsp()
        if lib is None:
            raise EchoCancellerUnavailable(UNAVAILABLE_REASON)
        if frame_size <= 0 or rate <= 0 or tail_ms <= 0:
            raise ValueError("frame_size, rate and tail_ms must be positive")
        self._lib = lib
        self._may_pass = True
        self.frame_size = frame_size
        self.frame_bytes = frame_size * 2
        self.rate = rate
        self.tail_ms = tail_ms
        filter_length = rate * tail_ms // 1000
        self._echo: int | None = lib.speex_echo_state_init(frame_size, filter_length)
        self._pre: int | None = None
        if not self._echo:
            raise EchoCancellerUnavailable("speex_echo_state_init failed")
        value = ctypes.c_int(rate)
        lib.speex_echo_ctl(self._echo, SPEEX_ECHO_SET_SAMPLING_RATE, ctypes.byref(value))
        if residual_suppression:
            self._pre = lib.speex_preprocess_state_init(frame_size, rate)
            if not self._pre:
                self.close()
                raise EchoCancellerUnavailable("speex_preprocess_state_init failed")
            self._pre_ctl(SPEEX_PREPROCESS_SET_DEREVERB, 0)
            # Denoise must stay on: speexdsp applies the residual-echo gain through the denoiser. Without
            # noise suppression its floor is kept at -3 dB because a steady near-end sound (hum, music, a test
            # tone) counts as noise and loses exactly that much; speech does not. Measured: -3 dB buys ~3 dB
            # more ERLE than 0 dB.
            self._pre_ctl(SPEEX_PREPROCESS_SET_DENOISE, 1)
            self.set_options(noise_suppression=noise_suppression, auto_gain=auto_gain)
            self._pre_ctl(SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, -40)
            self._pre_ctl(SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, -15)
            lib.speex_preprocess_ctl(self._pre, SPEEX_PREPROCESS_SET_ECHO_STATE, ctypes.c_void_p(self._echo))
        self._rec = (ctypes.c_int16 * frame_size)()
        self._play = (ctypes.c_int16 * frame_size)()
        self._out = (ctypes.c_int16 * frame_size)()
        self.frames = 0
        self.passed_frames = 0  # frames let through untouched (the far end silent)
        self._quiet_needed = -(-(tail_ms + QUIET_HOLD_MS) * rate // (1000 * frame_size))
        self._quiet = 0  # far-end frames in a row under QUIET_REFERENCE_PEAK
        self._passing = False  # the last frame went out untouched

    def _pre_ctl(self, request: int, value: int) -> None:
        v = ctypes.c_int(value)
        self._lib.speex_preprocess_ctl(self._pre, request, ctypes.byref(v))

    def set_options(self, *, noise_suppression: bool, auto_gain: bool) -> None:
        """Noise suppression (-15 dB floor, speexdsp's default, else -3 dB) and automatic gain control."""
        self._may_pass = not (noise_suppression or auto_gain)
        if self._pre is None:
            return
        self._pre_ctl(SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, NOISE_SUPPRESS_DB if noise_suppression else -3)
        self._pre_ctl(SPEEX_PREPROCESS_SET_AGC, 1 if auto_gain else 0)

    @property
    def closed(self) -> bool:
        return self._echo is None

    def process(self, mic: bytes | bytearray | memoryview, played: bytes | bytearray | memoryview) -> bytes:
        """Echo-free version of one ``mic`` frame, given the far-end frame ``played`` at the same time."""
        if self._echo is None:
            return bytes(mic)
        if len(mic) != self.frame_bytes or len(played) != self.frame_bytes:
            raise ValueError(f"frames must be {self.frame_bytes} bytes")
        ctypes.memmove(self._rec, bytes(mic), self.frame_bytes)
        ctypes.memmove(self._play, bytes(played), self.frame_bytes)
        self._lib.speex_echo_cancellation(self._echo, self._rec, self._play, self._out)
        if self._pre is not None:
            self._lib.speex_preprocess_run(self._pre, self._out)
        self.frames += 1
        cleaned = ctypes.string_at(self._out, self.frame_bytes)
        far = array("h", bytes(played))
        silent = max(far) < QUIET_REFERENCE_PEAK and min(far) > -QUIET_REFERENCE_PEAK
        self._quiet = self._quiet + 1 if silent else 0
        passing = self._may_pass and self._quiet >= self._quiet_needed
        was, self._passing = self._passing, passing
        if passing:
            self.passed_frames += 1
        if passing != was:
            return crossfade(cleaned, bytes(mic)) if passing else crossfade(bytes(mic), cleaned)
        return bytes(mic) if passing else cleaned

    def reset(self) -> None:
        """Forget the learnt echo path (new devices: the acoustic path changed)."""
        self._quiet = 0
        if self._echo is not None:
            self._lib.speex_echo_state_reset(self._echo)

    def close(self) -> None:
        pre, self._pre = self._pre, None
        echo, self._echo = self._echo, None
        if pre:
            self._lib.speex_preprocess_state_destroy(pre)
        if echo:
            self._lib.speex_echo_state_destroy(echo)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: the library may already be gone
            self.close()


def crossfade(a: bytes, b: bytes) -> bytes:
    """One frame of int16 PCM going linearly from ``a`` to ``b``, so a switch between them does not click."""
    x, y = array("h", a), array("h", b)
    n = len(x)
    return array("h", [x[i] + (y[i] - x[i]) * (i + 1) // n for i in range(n)]).tobytes()


class MicPreprocessor:
    """speexdsp's preprocessor alone (noise suppression, automatic gain) for when echo cancellation is off."""

    def __init__(
        self, frame_size: int, rate: int, *, noise_suppression: bool, auto_gain: bool, lib: ctypes.CDLL
    ) -> None:
        self._lib = lib
        self.frame_bytes = frame_size * 2
        self._pre: int | None = lib.speex_preprocess_state_init(frame_size, rate)
        if not self._pre:
            raise EchoCancellerUnavailable("speex_preprocess_state_init failed")
        for request, value in (
            (SPEEX_PREPROCESS_SET_DEREVERB, 0),
            (SPEEX_PREPROCESS_SET_DENOISE, 1 if noise_suppression else 0),
            (SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, NOISE_SUPPRESS_DB),
            (SPEEX_PREPROCESS_SET_AGC, 1 if auto_gain else 0),
        ):
            v = ctypes.c_int(value)
            lib.speex_preprocess_ctl(self._pre, request, ctypes.byref(v))
        self._buf = (ctypes.c_int16 * frame_size)()
        self.frames = 0

    def process(self, mic: bytes | bytearray | memoryview) -> bytes:
        if self._pre is None or len(mic) != self.frame_bytes:
            return bytes(mic)
        ctypes.memmove(self._buf, bytes(mic), self.frame_bytes)
        self._lib.speex_preprocess_run(self._pre, self._buf)
        self.frames += 1
        return ctypes.string_at(self._buf, self.frame_bytes)

    def reset(self) -> None:
        """Nothing learnt depends on the devices' acoustic path."""

    def close(self) -> None:
        pre, self._pre = self._pre, None
        if pre:
            self._lib.speex_preprocess_state_destroy(pre)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class PlaybackHistory:
    """The most recent audio handed to the loudspeaker, addressable by age (bytes before the newest byte).

    The PortAudio output callback appends what it played (a copy under a short lock); the echo canceller
    reads the frame that is as old as the microphone frame it cleans.
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._buf = bytearray(capacity)
        self._capacity = capacity
        self._written = 0  # absolute byte count
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._capacity

    def write(self, data: bytes | bytearray | memoryview) -> None:
        mv = memoryview(data).cast("B")
        total = len(mv)
        skip = max(0, total - self._capacity)
        mv = mv[skip:]
        n = len(mv)
        with self._lock:
            pos = (self._written + skip) % self._capacity
            first = min(n, self._capacity - pos)
            self._buf[pos : pos + first] = mv[:first]
            if first < n:
                self._buf[0 : n - first] = mv[first:]
            self._written += total

    @property
    def written(self) -> int:
        """Bytes written since creation (the stream position just after the newest byte)."""
        with self._lock:
            return self._written

    def read_ending(self, n: int, age: int) -> bytes:
        """``n`` bytes ending ``age`` bytes before the newest one; zeros where history is lacking."""
        with self._lock:
            return self._read_at_locked(self._written - age - n, n)

    def read_at(self, start: int, n: int) -> bytes:
        """``n`` bytes from stream position ``start``; zeros where history is lacking (too old or not yet)."""
        with self._lock:
            return self._read_at_locked(start, n)

    def _read_at_locked(self, start: int, n: int) -> bytes:
        out = bytearray(n)
        lo = max(start, self._written - self._capacity, 0)
        end = min(start + n, self._written)
        if end > lo:
            pos = lo % self._capacity
            count = end - lo
            first = min(count, self._capacity - pos)
            offset = lo - start
            out[offset : offset + first] = self._buf[pos : pos + first]
            if first < count:
                out[offset + first : offset + count] = self._buf[0 : count - first]
        return bytes(out)

    def clear(self) -> None:
        """Forget the audio (positions keep counting, so they stay comparable with other streams)."""
        with self._lock:
            self._buf[:] = bytes(self._capacity)


class EchoAlignment:
    """Which played audio cleans which microphone frame: mic stream position ``c`` is cleaned with the played
    stream from ``c - offset``.

    The bridge measures ``captured - played`` (bytes of each stream so far) each time it cleans a frame; with
    that as the offset the reference is what went to the speaker when the mic frame reached us, so it leads
    the echo by the output + acoustic + input latency (which the filter tail must cover). Callbacks come in
    bursts, so the measure jitters by a block or two: the offset is the largest over the last second (a
    smaller one would ask for audio not played yet), follows a rise at once and a fall only past
    ``jitter_ms``, and none of that makes the filter forget what it learnt (resetting it on jitter left the
    echo 10-20 dB louder in about one call in five: speexdsp re-learns slowly while the near end talks).
    The filter starts over only when the echo path itself moved: a measure ``resync_ms`` away for
    ``resync_frames`` frames in a row (new devices, a stream restarted), or an xrun (a stream skipped or
    repeated part of a block, a move no measure here can see).
    """

    def __init__(
        self,
        bytes_per_ms: int,
        window_frames: int,
        *,
        jitter_ms: int = 30,
        resync_ms: int = 60,
        resync_frames: int = 3,
    ) -> None:
        self._jitter = jitter_ms * bytes_per_ms
        self._far = resync_ms * bytes_per_ms
        self._far_needed = resync_frames
        self._measures: deque[int] = deque(maxlen=max(1, window_frames))
        self._far_frames = 0
        self._errors_seen = 0
        self.offset: int | None = None
        self.resyncs = 0  # times the filter had to start over
        self.shifts = 0  # jitter followed without starting over

    def restart(self) -> None:
        """Forget the measures (other devices: another acoustic path)."""
        self.offset = None
        self._far_frames = 0
        self._measures.clear()

    def update(self, measure: int, stream_errors: int) -> tuple[int, bool]:
        """The offset for this frame and whether the filter must forget what it learnt, given ``captured -
        played`` now and the streams' error count so far."""
        reset = self.offset is None
        moved = False
        if stream_errors != self._errors_seen:
            self._errors_seen = stream_errors
            moved = self.offset is not None
        elif self.offset is not None and abs(measure - self.offset) > self._far:
            self._far_frames += 1
            if self._far_frames < self._far_needed:
                return self.offset, False  # one late callback is not a new echo path
            moved = True
        else:
            self._far_frames = 0
        if moved:
            self.resyncs += 1
            self.restart()
            reset = True
        self._measures.append(measure)
        wanted = max(self._measures)
        wanted -= wanted % 2
        offset = self.offset
        if offset is None or wanted > offset or offset - wanted > self._jitter:
            if offset is not None:
                self.shifts += 1
            self.offset = offset = wanted
        return offset, reset
