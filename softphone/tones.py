"""Tone generation (ringback, ringtone, test tones) and tone detection (Goertzel) on int16 PCM.

The detection helpers are what every audio test in the project uses to verify content: a known tone goes in
one end, ``goertzel``/``dominant_frequency`` check the other end.

The tones the app plays (ringback, ringtone, chime) and the Goertzel detector are plain Python over
``array('h')``: the desktop app never imports numpy (about 15 MB resident, bench/bench_app_memory.py). The
test-signal and analysis helpers (``sine``, ``dominant_frequency``, ``rms``, WAV reading for analysis) import
numpy when called.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Int16Array = npt.NDArray[np.int16]
    FloatArray = npt.NDArray[np.float64]

Pcm = array  # int16 samples (``array('h')``, native byte order)
Samples = Sequence[float] | bytes | bytearray | memoryview | Any  # bytes are int16 PCM; numpy arrays welcome

FULL_SCALE = 32767.0


@dataclass(frozen=True, slots=True)
class Cadence:
    """A tone pattern: ``frequencies`` summed while on, silence while off; repeats."""

    frequencies: tuple[float, ...]
    on_ms: int
    off_ms: int


# Vietnamese ringback (what the caller hears while the far end rings): 425 Hz, 1 s on, 4 s off.
VN_RINGBACK = Cadence(frequencies=(425.0,), on_ms=1000, off_ms=4000)
# Vietnamese busy tone: 425 Hz, 0.5 s on, 0.5 s off.
VN_BUSY = Cadence(frequencies=(425.0,), on_ms=500, off_ms=500)
# Our generated ringtone (local alerting when no WAV is configured): a two-tone trill, 2 s on, 2 s off.
DEFAULT_RINGTONE = Cadence(frequencies=(440.0, 480.0), on_ms=2000, off_ms=2000)


def sine(rate: int, freq: float, seconds: float, amplitude: float = 0.5) -> Int16Array:
    """A pure tone as int16 samples (a numpy array, for tests); ``amplitude`` is a fraction of full scale."""
    import numpy as np

    n = round(rate * seconds)
    t = np.arange(n, dtype=np.float64) / rate
    return np.asarray(np.round(amplitude * FULL_SCALE * np.sin(2 * np.pi * freq * t)), dtype=np.int16)


def _tone(rate: int, frequencies: Sequence[float], n: int, amplitude: float, ramp: int = 0) -> list[float]:
    """``n`` samples of the summed sines, scaled to ``amplitude`` (fraction of full scale), ramped in/out."""
    w = [2 * math.pi * f / rate for f in frequencies]
    gain = amplitude * FULL_SCALE / max(1, len(w))
    out = [gain * sum(math.sin(k * i) for k in w) for i in range(n)]
    for i in range(min(ramp, n // 2)):
        fade = i / max(1, ramp - 1)
        out[i] *= fade
        out[n - 1 - i] *= fade
    return out


@lru_cache(maxsize=8)
def cadence_samples(cadence: Cadence, rate: int, amplitude: float = 0.3, ramp_ms: float = 5.0) -> Pcm:
    """One period (on + off) of a cadence, with short ramps so the bursts do not click (shared: read only)."""
    on_n = rate * cadence.on_ms // 1000
    off_n = rate * cadence.off_ms // 1000
    burst = _tone(rate, cadence.frequencies, on_n, amplitude, round(rate * ramp_ms / 1000))
    out = array("h", (round(x) for x in burst))
    out.extend(array("h", bytes(2 * off_n)))
    return out


def ringback(rate: int) -> Pcm:
    """One period of the Vietnamese ringback tone (loop it)."""
    return cadence_samples(VN_RINGBACK, rate)


@lru_cache(maxsize=4)
def chime(rate: int) -> Pcm:
    """0.4 s of 440 Hz then 0.4 s of 660 Hz: the "test speaker" sound."""
    n = round(rate * 0.4)
    return array("h", (round(x) for x in _tone(rate, (440.0,), n, 0.3) + _tone(rate, (660.0,), n, 0.3)))


def busy_tone(rate: int) -> Pcm:
    return cadence_samples(VN_BUSY, rate)


def ringtone(rate: int, wav_path: Path | None = None) -> Pcm:
    """The ringtone to loop: ``wav_path`` (16-bit, mixed to mono, resampled to ``rate``) or the generated
    trill."""
    if wav_path is not None and wav_path.is_file():
        samples, wav_rate = read_wav_pcm(wav_path)
        return resample(samples, wav_rate, rate)
    return cadence_samples(DEFAULT_RINGTONE, rate)


def read_wav_pcm(path: Path) -> tuple[Pcm, int]:
    """Read a 16-bit PCM WAV as ``array('h')``; channels are averaged to mono. Returns (samples, rate)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        channels = w.getnchannels()
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
    data = _pcm(raw)
    if channels > 1:
        frames = [data[c::channels] for c in range(channels)]
        n = min(len(f) for f in frames)
        data = array("h", (sum(v) // channels for v in zip(*(f[:n] for f in frames), strict=True)))
    return data, rate


def _pcm(raw: bytes | bytearray | memoryview) -> Pcm:
    """Little-endian int16 bytes as ``array('h')``."""
    data = array("h")
    data.frombytes(bytes(raw)[: len(raw) // 2 * 2])
    if sys.byteorder == "big":
        data.byteswap()
    return data


def read_wav_mono(path: Path) -> tuple[Int16Array, int]:
    """Read a 16-bit PCM WAV as a numpy array (analysis); stereo averaged to mono. Returns (samples, rate)."""
    import numpy as np

    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        channels = w.getnchannels()
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
    data = np.frombuffer(raw, dtype="<i2")
    if channels > 1:
        data = data[: len(data) // channels * channels].reshape(-1, channels).mean(axis=1)
    return np.asarray(data, dtype=np.int16), rate


def write_wav_mono(path: Path, samples: Int16Array | Pcm, rate: int) -> None:
    import numpy as np

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def resample(samples: Sequence[int], from_rate: int, to_rate: int) -> Pcm:
    """Linear-interpolation resampling; good enough for alert tones, not for the call path."""
    if from_rate == to_rate or len(samples) == 0:
        return array("h", (int(v) for v in samples))
    n_out = max(1, round(len(samples) * to_rate / from_rate))
    step = from_rate / to_rate
    s = [int(v) for v in samples]
    s.append(s[-1])
    last = len(s) - 2
    out = array("h")
    for i in range(n_out):
        pos = i * step
        j = min(int(pos), last)
        a = s[j]
        out.append(round(a + (s[j + 1] - a) * (pos - j)))
    return out


def _as_float(samples: Samples) -> FloatArray:
    import numpy as np

    if isinstance(samples, bytes | bytearray | memoryview):
        return np.frombuffer(samples, dtype="<i2").astype(np.float64)
    return np.asarray(samples, dtype=np.float64)


def _values(samples: Samples) -> Sequence[float]:
    if isinstance(samples, bytes | bytearray | memoryview):
        return _pcm(samples)
    if hasattr(samples, "tolist"):  # numpy: plain floats are much faster to loop over
        values: list[float] = samples.tolist()
        return values
    return samples  # type: ignore[no-any-return]


def goertzel(samples: Samples, rate: int, freq: float) -> float:
    """Power of ``freq`` in ``samples`` (int16 bytes or a sequence), normalised to the signal's length.

    For a full-scale-relative comparison use :func:`tone_ratio`; the absolute value is the squared magnitude
    of the DFT bin at ``freq`` divided by N², so a sine of amplitude A gives about A²/4. Plain Python (the
    Goertzel recurrence), so the app can check a tone without numpy.
    """
    x = _values(samples)
    n = len(x)
    if n == 0:
        return 0.0
    w = 2 * math.pi * freq / rate
    coeff = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return power / (n * n)


def tone_ratio(samples: Samples, rate: int, freq: float) -> float:
    """Fraction (0..1) of the signal's energy that sits at ``freq`` (1.0 for a pure tone)."""
    x = _values(samples)
    if len(x) == 0:
        return 0.0
    total = math.fsum(v * v for v in x) / len(x)
    if total <= 0.0:
        return 0.0
    return min(1.0, 2.0 * goertzel(x, rate, freq) / total)


def tone_share(samples: Samples, rate: int, freq: float, block_ms: int = 50) -> float:
    """Fraction (0..1) of the energy at ``freq``, measured in blocks (a bin ``1000/block_ms`` Hz wide).

    One Goertzel over a whole recording is a bin a fraction of a hertz wide: a phase jump (packet loss
    concealment, a jitter-buffer adjustment) moves much of a received tone's energy out of it. Short blocks
    keep the tone's energy in the bin across such jumps, as a listener hears it.
    """
    x = _values(samples)
    n = max(1, rate * block_ms // 1000)
    tone = total = 0.0
    for start in range(0, len(x) - n + 1, n):
        block = x[start : start + n]
        tone += 2.0 * goertzel(block, rate, freq)
        total += math.fsum(v * v for v in block) / n
    return min(1.0, tone / total) if total > 0 else 0.0


def dominant_frequency(samples: Samples, rate: int) -> float:
    """The frequency (Hz) of the strongest FFT bin, refined by parabolic interpolation; 0.0 for silence."""
    import numpy as np

    x = _as_float(samples)
    if len(x) < 4 or not np.any(x):
        return 0.0
    x = (x - x.mean()) * np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x))
    spectrum[0] = 0.0
    k = int(np.argmax(spectrum))
    if 0 < k < len(spectrum) - 1:
        a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom != 0 else 0.0
    else:
        offset = 0.0
    return float((k + offset) * rate / len(x))


def rms(samples: Samples) -> float:
    """Root-mean-square as a fraction of int16 full scale (0..~1)."""
    import numpy as np

    x = _as_float(samples)
    if len(x) == 0:
        return 0.0
    return float(np.sqrt(np.mean(x * x)) / FULL_SCALE)
