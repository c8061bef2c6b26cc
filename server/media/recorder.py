"""Crash-safe WAV recording: the header's sizes are rewritten every second, so after a crash (even
``kill -9``) the file is a valid WAV holding all but the last second; :meth:`close` makes it exact.

Recordings are listed in ``index.jsonl`` next to them, one JSON line per finished recording (what a call
record links by Call-ID)."""

from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

RATE = 8000
_HEADER = 44


def _header(data_bytes: int) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class WavRecorder:
    def __init__(self, path: Path, *, sync_every: int = 50) -> None:
        self.path = path
        self.started = time.time()
        self.data_bytes = 0
        self._frames = 0
        self._sync_every = sync_every
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "wb")  # noqa: SIM115  (kept open for the recording's life)
        self._file.write(_header(0))

    def write(self, pcm16: bytes) -> None:
        self._file.write(pcm16)
        self.data_bytes += len(pcm16)
        self._frames += 1
        if self._frames % self._sync_every == 0:
            self._sync_header()

    def _sync_header(self) -> None:
        self._file.seek(0)
        self._file.write(_header(self.data_bytes))
        self._file.seek(0, os.SEEK_END)
        self._file.flush()

    def close(self, index: Path | None = None, **facts: object) -> None:
        if self._file.closed:
            return
        self._sync_header()
        self._file.close()
        if index is not None:
            line = {"path": self.path.name, "start": self.started, "end": time.time(), **facts}
            with open(index, "a") as out:
                out.write(json.dumps(line) + "\n")
