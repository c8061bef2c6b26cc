"""A voicemail box's messages on disk: ``<voicemail_dir>/<box id>/<name>.wav`` and one ``index.jsonl`` line
per finished message (``{path, start, end, caller, heard?}``, written by the recorder).

The index is the list of messages: a WAV without a line (a recording cut short by a crash) is not one.
Marking heard and deleting rewrite the index with an atomic replace; both run on the server's event loop
without awaiting, so they never interleave with the recorder appending a line.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INDEX = "index.jsonl"
WAV_HEADER = 44
BYTES_PER_SECOND = 16000  # 8 kHz, 16-bit mono
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,120}$")


@dataclass(frozen=True, slots=True)
class VoicemailMessage:
    box_id: int
    name: str  # the WAV's file name without ".wav"
    caller: str
    start: float  # UNIX time the recording began
    duration: float  # seconds
    heard: bool

    @property
    def id(self) -> str:
        return f"{self.box_id}-{self.name}"


def parse_message_id(message_id: str) -> tuple[int, str] | None:
    """``"<box id>-<name>"`` -> (box id, name); None for anything else (no path can be smuggled in)."""
    box, sep, name = message_id.partition("-")
    if not sep or not box.isdigit() or not _NAME.match(name) or name.startswith("."):
        return None
    return int(box), name


def _lines(folder: Path) -> list[dict[str, Any]]:
    try:
        text = (folder / INDEX).read_text()
    except OSError:
        return []
    out = []
    for raw in text.splitlines():
        with contextlib.suppress(ValueError):
            line = json.loads(raw)
            if isinstance(line, dict) and isinstance(line.get("path"), str):
                out.append(line)
    return out


def _write(folder: Path, lines: list[dict[str, Any]]) -> None:
    tmp = folder / f".{INDEX}.tmp"
    tmp.write_text("".join(json.dumps(line) + "\n" for line in lines))
    os.replace(tmp, folder / INDEX)


def messages(folder: Path, box_id: int) -> list[VoicemailMessage]:
    """The box's messages, newest first."""
    out = []
    for line in _lines(folder):
        wav = folder / line["path"]
        try:
            size = wav.stat().st_size
        except OSError:
            continue
        out.append(
            VoicemailMessage(
                box_id=box_id,
                name=wav.stem,
                caller=str(line.get("caller", "")),
                start=float(line.get("start", 0.0)),
                duration=round(max(0, size - WAV_HEADER) / BYTES_PER_SECOND, 1),
                heard=bool(line.get("heard", False)),
            )
        )
    return sorted(out, key=lambda m: m.start, reverse=True)


def summary(folder: Path) -> tuple[int, int]:
    """(new, heard) message counts: the numbers of a message-summary NOTIFY's ``Voice-Message``."""
    found = messages(folder, 0)
    new = sum(1 for m in found if not m.heard)
    return new, len(found) - new


def audio(folder: Path, name: str) -> Path | None:
    wav = folder / f"{name}.wav"
    listed = any(line["path"] == wav.name for line in _lines(folder))
    return wav if listed and wav.is_file() else None


def mark_heard(folder: Path, name: str) -> bool:
    lines = _lines(folder)
    found = False
    for line in lines:
        if line["path"] == f"{name}.wav":
            line["heard"], found = True, True
    if found:
        _write(folder, lines)
    return found


def delete(folder: Path, name: str) -> bool:
    """Remove the message's index line, then its WAV."""
    lines = _lines(folder)
    kept = [line for line in lines if line["path"] != f"{name}.wav"]
    if len(kept) == len(lines):
        return False
    _write(folder, kept)
    with contextlib.suppress(FileNotFoundError):
        (folder / f"{name}.wav").unlink()
    return True
