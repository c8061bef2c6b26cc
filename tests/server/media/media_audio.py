"""Tone analysis for media tests: Goertzel levels over short windows of a WAV."""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from softphone.tones import goertzel

WINDOW_S = 0.05
BEEP_HZ = 1000


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, dtype=np.int16).astype(np.float64), wav.getframerate()


def amplitude(samples: np.ndarray, rate: int, freq: float) -> float:
    """Amplitude of ``freq`` in ``samples`` (a full-scale sine of amplitude A gives ~A)."""
    # tones.goertzel is |X(freq)|²/N², so a sine of amplitude A gives A²/4.
    return 2.0 * math.sqrt(goertzel(samples, rate, freq))


@dataclass(frozen=True)
class Window:
    start_s: float
    rms: float
    levels: dict[int, float]

    def share(self, freq: int) -> float:
        """How much of the window's energy is ``freq`` (1.0 for a pure tone, ~0 for others)."""
        peak = self.rms * math.sqrt(2.0)
        return self.levels[freq] / peak if peak > 0 else 0.0

    def dominated_by(self, freq: int, min_rms: float = 300.0) -> bool:
        return self.rms >= min_rms and self.share(freq) >= 0.7


def windows(path: Path, freqs: tuple[int, ...]) -> list[Window]:
    samples, rate = read_wav(path)
    size = int(WINDOW_S * rate)
    out: list[Window] = []
    for start in range(0, len(samples) - size + 1, size):
        chunk = samples[start : start + size]
        rms = float(np.sqrt(np.mean(chunk**2)))
        out.append(Window(start / rate, rms, {f: amplitude(chunk, rate, f) for f in freqs}))
    return out


@dataclass(frozen=True)
class EchoAnalysis:
    beep_start_s: float | None
    beep_length_s: float
    after_beep: list[Window]

    def profile(self, freqs: tuple[int, ...]) -> str:
        """One character per window after the beep: index of the dominating tone, '.' quiet, '?' mixed."""
        marks = []
        for w in self.after_beep:
            hits = [str(i) for i, f in enumerate(freqs) if w.dominated_by(f)]
            marks.append(hits[0] if hits else ("." if w.rms < 300 else "?"))
        return "".join(marks)

    def share_of_windows(self, freq: int) -> float:
        if not self.after_beep:
            return 0.0
        return sum(w.dominated_by(freq) for w in self.after_beep) / len(self.after_beep)


def analyse_echo(path: Path, beep_hz: int, tone_hz: int, other_hz: tuple[int, ...] = ()) -> EchoAnalysis:
    """Find the beep (windows dominated by ``beep_hz`` within 1 s of the first) and what follows."""
    ws = windows(path, (beep_hz, tone_hz, *other_hz))
    first = next((i for i, w in enumerate(ws) if w.dominated_by(beep_hz)), None)
    if first is None:
        return EchoAnalysis(None, 0.0, [])
    span = ws[first : first + int(1.0 / WINDOW_S)]
    # A dropped frame inside the beep must not split it in two.
    end = first + max(i for i, w in enumerate(span) if w.dominated_by(beep_hz)) + 1
    settle = int(0.2 / WINDOW_S)  # jitter buffer and codec settle after the switch
    return EchoAnalysis(ws[first].start_s, (end - first) * WINDOW_S, ws[end + settle :])


def assert_echo(path: Path, tone_hz: int, other_hz: tuple[int, ...] = ()) -> None:
    """The recording holds the ~0.3 s beep, then only the caller's own ``tone_hz``."""
    result = analyse_echo(path, BEEP_HZ, tone_hz, other_hz)
    assert result.beep_start_s is not None, "no 1 kHz beep in the recording"
    assert result.beep_start_s < 1.0, f"beep only at {result.beep_start_s:.2f} s"
    assert 0.15 <= result.beep_length_s <= 0.6, f"beep lasted {result.beep_length_s:.2f} s"
    # Counts stay modest: under heavy CPU load the media clock can skip whole stretches.
    assert len(result.after_beep) >= 6, f"too little audio after the beep ({len(result.after_beep)} windows)"
    # Most, not all, windows: a starved media clock under CPU load can drop a few frames.
    freqs = (tone_hz, BEEP_HZ, *other_hz)
    profile = f"after the beep at {result.beep_start_s:.2f} s, 0={tone_hz} Hz: {result.profile(freqs)}"
    assert result.share_of_windows(tone_hz) >= 0.7, f"caller's {tone_hz} Hz not echoed; {profile}"
    for freq in (BEEP_HZ, *other_hz):
        assert result.share_of_windows(freq) == 0.0, f"{freq} Hz heard after the beep; {profile}"
