"""Default prompts and hold music as WAV files (48 kHz 16-bit mono), generated with numpy when missing.

48 kHz on purpose: rtpengine 10.5's player paces 8 kHz WAVs unevenly (bursts of 10 ms gaps, then stalls of
60-250 ms, measured at the caller), while 48 kHz files come out at an even 20 ms.  Use 48 kHz for your own.

No audio is shipped: ``ensure_prompts(dir)`` writes a gentle two-tone hold melody (``moh.wav``), a short
prompt chime (``prompt.wav``), a beep (``beep.wav``), the conference PIN prompts (``pin.wav``,
``pin_wrong.wav``) and the call center's built-in prompts (``greeting``, ``closed``, ``voicemail``,
``invalid_option``: one tone each) the first time the media plane starts.
Replace the files in the directory to change them.
"""

from __future__ import annotations

import hashlib
import math
import os
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 48000
MOH_NOTES_HZ = (523.25, 659.25, 783.99, 659.25)  # a C-major arpeggio, 0.5 s a note, 4 rounds a file
PROMPT_HZ = 880.0
BEEP_HZ = 1000.0
# the call center's built-in prompts, one tone each until real recordings replace the files
GREETING_HZ = 600.0
CLOSED_HZ = 440.0
VOICEMAIL_HZ = 750.0
INVALID_HZ = 350.0
PIN_HZ = (587.33, 783.99)  # "enter the room's PIN": two notes, twice
PIN_WRONG_HZ = 330.0  # a low buzz: wrong PIN, try again


def _tone(freq: float, seconds: float, amplitude: float = 6000.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)
    return amplitude * fade * np.sin(2 * math.pi * freq * t)


def _write(path: Path, samples: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.astype("<i2").tobytes())
    tmp.replace(path)


def ensure_prompts(directory: Path) -> dict[str, Path]:
    """The prompt name -> WAV path table, writing any default file that is missing."""
    directory.mkdir(parents=True, exist_ok=True)
    builders: dict[str, Callable[[], np.ndarray]] = {
        "moh": lambda: np.concatenate([_tone(f, 0.5) for f in MOH_NOTES_HZ * 4]),
        "prompt": lambda: _tone(PROMPT_HZ, 1.0),
        # silence first: a caller's first packets after the 200 OK are often lost while its audio starts
        "beep": lambda: np.concatenate([np.zeros(int(RATE * 0.25)), _tone(BEEP_HZ, 0.3)]),
        "greeting": lambda: np.concatenate([np.zeros(int(RATE * 0.25)), _tone(GREETING_HZ, 1.5)]),
        "closed": lambda: np.concatenate([np.zeros(int(RATE * 0.25)), _tone(CLOSED_HZ, 1.5)]),
        "voicemail": lambda: _tone(VOICEMAIL_HZ, 1.0),
        "invalid_option": lambda: _tone(INVALID_HZ, 0.6),
        "pin": lambda: np.concatenate([np.zeros(int(RATE * 0.25)), *[_tone(f, 0.3) for f in PIN_HZ * 2]]),
        "pin_wrong": lambda: _tone(PIN_WRONG_HZ, 0.6),
    }
    table: dict[str, Path] = {}
    for name, build in builders.items():
        path = directory / f"{name}.wav"
        if not path.exists():
            _write(path, build())
        table[name] = path
    return table


def join_wavs(paths: list[Path], directory: Path) -> Path:
    """`paths` (media-plane WAVs) played one after the other, as one WAV under `directory`, kept: the
    name hashes the parts' paths, sizes and change times, so a re-recorded part makes a new file.
    Blocking; ValueError for a part that is not 48 kHz 16-bit mono."""
    key = hashlib.sha256()
    for path in paths:
        info = path.stat()
        key.update(f"{path}\n{info.st_size}\n{info.st_mtime_ns}\n".encode())
    target = directory / f"{key.hexdigest()[:24]}.wav"
    if target.is_file():
        return target
    frames: list[bytes] = []
    for path in paths:
        with wave.open(str(path), "rb") as wav:
            if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, RATE):
                raise ValueError(f"{path.name} is not a 48 kHz 16-bit mono WAV")
            frames.append(wav.readframes(wav.getnframes()))
    directory.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(frames))
    tmp.replace(target)
    return target
