"""`join_wavs`: a company's recordings of a sentence's parts as one WAV, kept, and rebuilt when a part is
re-recorded."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from server.media.prompts import RATE, join_wavs

pytestmark = pytest.mark.unit


def _wav(path: Path, value: int, frames: int, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.full(frames, value, dtype="<i2").tobytes())
    return path


def _samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def test_parts_are_joined_in_order_kept_and_rebuilt_after_a_re_recording(tmp_path: Path) -> None:
    a, b = _wav(tmp_path / "a.wav", 100, 480), _wav(tmp_path / "b.wav", 200, 960)
    out = tmp_path / "joined"
    first = join_wavs([a, b, a], out)
    assert list(_samples(first)) == [100] * 480 + [200] * 960 + [100] * 480
    assert join_wavs([a, b, a], out) == first  # kept: not joined again
    assert join_wavs([b, a], out) != first  # order matters
    _wav(b, 300, 960)
    os.utime(b, ns=(b.stat().st_atime_ns, b.stat().st_mtime_ns + 10**9))
    again = join_wavs([a, b, a], out)
    assert again != first and set(_samples(again)) == {100, 300}


def test_a_part_not_in_the_media_format_is_refused(tmp_path: Path) -> None:
    bad = _wav(tmp_path / "bad.wav", 1, 80, rate=8000)
    with pytest.raises(ValueError):
        join_wavs([bad], tmp_path / "joined")
    assert not list((tmp_path / "joined").glob("*.wav"))
