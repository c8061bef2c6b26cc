"""Prompt files: what an upload must be, and the 48 kHz mono form they are stored in."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from server.domain.errors import InvalidInput
from server.domain.prompts import check_name, to_media_wav


def _wav(rate: int, channels: int = 1, width: int = 2, seconds: float = 0.5) -> bytes:
    n = int(rate * seconds)
    tone = np.sin(2 * np.pi * 440 * np.arange(n) / rate)
    samples = (tone * 8000).astype("<i2") if width == 2 else (tone * 100 + 128).astype(np.uint8)
    if channels == 2:
        samples = np.repeat(samples, 2)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


@pytest.mark.parametrize(
    ("rate", "channels", "width"), [(8000, 1, 2), (22050, 2, 2), (48000, 1, 2), (16000, 1, 1)]
)
def test_accepted_files_become_48k_mono_with_the_same_tone(rate: int, channels: int, width: int) -> None:
    stored = to_media_wav(_wav(rate, channels, width))
    with wave.open(io.BytesIO(stored), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (48000, 1, 2)
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
    assert abs(len(samples) - 24000) <= 2
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * 48000 / len(samples) - 440) < 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"hello, not audio at all", "Not a WAV file."),
        (
            b"RIFF\x10\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x03\x00",
            "Only uncompressed PCM WAV files can be used.",
        ),
        (_wav(8000, seconds=0.05), "The recording is shorter than 0.1 s."),
    ],
)
def test_bad_files_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        to_media_wav(data)
    assert refused.value.fields == {"file": message}


def test_prompt_names() -> None:
    assert check_name(" Greeting_VI ") == "greeting_vi"
    for bad in ("", "../etc", "a b", "x" * 61, "-lead"):
        with pytest.raises(InvalidInput):
            check_name(bad)
