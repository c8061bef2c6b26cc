"""Tone generation (ringback, ringtone, test tones) and tone detection (Goertzel) on int16 PCM with numpy.

The detection helpers are what every audio test in the project uses to verify content: a known tone goes in
one end, ``goertzel``/``dominant_frequency`` check the other end.
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]

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
    """A pure tone as int16 samples; ``amplitude`` is a fraction of full scale."""
    n = round(rate * seconds)
    t = np.arange(n, dtype=np.float64) / rate
    return np.asarray(np.round(amplitude * FULL_SCALE * np.sin(2 * np.pi * freq * t)), dtype=np.int16)


def cadence_samples(cadence: Cadence, rate: int, amplitude: float = 0.3, ramp_ms: float = 5.0) -> Int16Array:
    """One full period (on + off) of a cadence, with short ramps so the bursts do not click."""
    on_n = rate * cadence.on_ms // 1000
    off_n = rate * cadence.off_ms // 1000
    t = np.arange(on_n, dtype=np.float64) / rate
    burst = np.zeros(on_n, dtype=np.float64)
    for f in cadence.frequencies:
        burst += np.sin(2 * np.pi * f * t)
    burst *= amplitude / max(1, len(cadence.frequencies))
    ramp = min(on_n // 2, round(rate * ramp_ms / 1000))
    if ramp > 0:
        window = np.linspace(0.0, 1.0, ramp)
        burst[:ramp] *= window
        burst[-ramp:] *= window[::-1]
    period = np.concatenate([burst, np.zeros(off_n)])
    return np.asarray(np.round(period * FULL_SCALE), dtype=np.int16)


def ringback(rate: int) -> Int16Array:
    """One period of the Vietnamese ringback tone (loop it)."""
    return cadence_samples(VN_RINGBACK, rate)


def chime(rate: int) -> Int16Array:
    """0.4 s of 440 Hz then 0.4 s of 660 Hz: the "test speaker" sound."""
    return np.concatenate([sine(rate, 440.0, 0.4, 0.3), sine(rate, 660.0, 0.4, 0.3)])


def busy_tone(rate: int) -> Int16Array:
    return cadence_samples(VN_BUSY, rate)


def ringtone(rate: int, wav_path: Path | None = None) -> Int16Array:
    """The ringtone to loop: ``wav_path`` (16-bit, resampled to ``rate``) or the generated trill."""
    if wav_path is not None and wav_path.is_file():
        samples, wav_rate = read_wav_mono(wav_path)
        return resample(samples, wav_rate, rate)
    return cadence_samples(DEFAULT_RINGTONE, rate)


def read_wav_mono(path: Path) -> tuple[Int16Array, int]:
    """Read a 16-bit PCM WAV; stereo is averaged to mono. Returns (samples, rate)."""
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


def write_wav_mono(path: Path, samples: Int16Array, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def resample(samples: Int16Array, from_rate: int, to_rate: int) -> Int16Array:
    """Linear-interpolation resampling; good enough for alert tones, not for the call path."""
    if from_rate == to_rate or len(samples) == 0:
        return np.asarray(samples, dtype=np.int16)
    n_out = max(1, round(len(samples) * to_rate / from_rate))
    x_out = np.arange(n_out, dtype=np.float64) * (from_rate / to_rate)
    out = np.interp(x_out, np.arange(len(samples), dtype=np.float64), samples.astype(np.float64))
    return np.asarray(np.round(out), dtype=np.int16)


def _as_float(samples: Sequence[float] | npt.NDArray[np.generic] | bytes) -> FloatArray:
    if isinstance(samples, bytes | bytearray | memoryview):
        return np.frombuffer(samples, dtype="<i2").astype(np.float64)
    return np.asarray(samples, dtype=np.float64)


def goertzel(samples: Sequence[float] | npt.NDArray[np.generic] | bytes, rate: int, freq: float) -> float:
    """Power of ``freq`` in ``samples`` (int16 bytes or an array), normalised to the signal's length.

    For a full-scale-relative comparison use :func:`tone_ratio`; the absolute value is the squared magnitude
    of the DFT bin at ``freq`` divided by N², so a sine of amplitude A gives about A²/4.
    """
    x = _as_float(samples)
    n = len(x)
    if n == 0:
        return 0.0
    # Same result as the Goertzel recurrence (|X(freq)|²), computed as one vectorised dot product.
    phase = np.exp(-2j * np.pi * freq / rate * np.arange(n))
    power = abs(complex(np.dot(x, phase))) ** 2
    return float(power / (n * n))


def tone_ratio(samples: Sequence[float] | npt.NDArray[np.generic] | bytes, rate: int, freq: float) -> float:
    """Fraction (0..1) of the signal's energy that sits at ``freq`` (1.0 for a pure tone)."""
    x = _as_float(samples)
    if len(x) == 0:
        return 0.0
    total = float(np.mean(x * x))
    if total <= 0.0:
        return 0.0
    return min(1.0, 2.0 * goertzel(x, rate, freq) / total)


def dominant_frequency(samples: Sequence[float] | npt.NDArray[np.generic] | bytes, rate: int) -> float:
    """The frequency (Hz) of the strongest FFT bin, refined by parabolic interpolation; 0.0 for silence."""
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


def rms(samples: Sequence[float] | npt.NDArray[np.generic] | bytes) -> float:
    """Root-mean-square as a fraction of int16 full scale (0..~1)."""
    x = _as_float(samples)
    if len(x) == 0:
        return 0.0
    return float(np.sqrt(np.mean(x * x)) / FULL_SCALE)
