"""Audio content checks on recorded WAVs (tone frequency by Goertzel, per short window)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from softphone.tones import read_wav_mono, rms, tone_ratio


def window_ratios(path: Path, freq: float, window_s: float = 0.1) -> list[float]:
    """Share of each window's energy at ``freq`` (0 for silent windows), in time order."""
    samples, rate = read_wav_mono(path)
    n = max(1, int(rate * window_s))
    out = []
    for i in range(0, len(samples) - n + 1, n):
        chunk = samples[i : i + n]
        out.append(tone_ratio(chunk, rate, freq) if rms(chunk) > 0.005 else 0.0)
    return out


def seconds_of_tone(path: Path, freq: float, min_ratio: float = 0.6, window_s: float = 0.1) -> float:
    """How many seconds of the WAV are dominated by ``freq``."""
    return sum(window_s for r in window_ratios(path, freq, window_s) if r >= min_ratio)


def first_window_with(path: Path, freq: float, min_ratio: float = 0.6, window_s: float = 0.1) -> int | None:
    for i, r in enumerate(window_ratios(path, freq, window_s)):
        if r >= min_ratio:
            return i
    return None


def describe(path: Path, freqs: tuple[float, ...], window_s: float = 0.1) -> str:
    """A compact per-window picture for assertion messages: the best of ``freqs`` or '.' for silence/noise."""
    columns = [window_ratios(path, f, window_s) for f in freqs]
    marks = []
    for values in zip(*columns, strict=True):
        k = int(np.argmax(values))
        marks.append(str(k) if values[k] >= 0.6 else ".")
    legend = " ".join(f"{i}={f:g}Hz" for i, f in enumerate(freqs))
    return f"{legend}: {''.join(marks)}"
