"""Which calls the media service records, and where their WAV files go.

Recording is opt-in per feature number prefix (``*8`` records every conference room).
File names carry the UTC start time, the dialled number and the SIP Call-ID, so a CDR
(keyed by Call-ID at the proxy, which keeps it end to end) finds its recording.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")

WallClock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def safe_name(text: str, limit: int = 64) -> str:
    """``text`` reduced to characters safe in a file name on every platform."""
    return _UNSAFE.sub("_", text.replace("*", "star")).strip("._")[:limit] or "unknown"


@dataclass(frozen=True)
class RecordingPolicy:
    directory: Path | None = None
    prefixes: tuple[str, ...] = ()
    now: WallClock = _utc_now

    def records(self, dialled: str | None) -> bool:
        return (
            self.directory is not None
            and dialled is not None
            and any(dialled.startswith(prefix) for prefix in self.prefixes)
        )

    def path_for(self, dialled: str | None, sip_call_id: str) -> Path | None:
        if not self.records(dialled) or self.directory is None or dialled is None:
            return None
        stamp = self.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return self.directory / f"{stamp}_{safe_name(dialled)}_{safe_name(sip_call_id)}.wav"
