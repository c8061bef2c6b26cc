"""Recording file names: the parts a WAV's name is built from, safe on every platform.

File names carry the UTC start time, the dialled number and the SIP Call-ID, so a CDR
(keyed by Call-ID at the proxy, which keeps it end to end) finds its recording.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")


def safe_name(text: str, limit: int = 64) -> str:
    """``text`` reduced to characters safe in a file name on every platform."""
    return _UNSAFE.sub("_", text.replace("*", "star")).strip("._")[:limit] or "unknown"
