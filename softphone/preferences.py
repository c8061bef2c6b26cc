"""User preferences of the desktop app, kept as JSON in the profile directory (Qt-free)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Preferences:
    language: str = "vi"
    start_minimized: bool = False
    start_at_login: bool = False
    auto_answer: bool = False
    auto_answer_delay: int = 3
    ring_method: str = "all"
    mobile_number: str = ""
    input_device: str = ""
    output_device: str = ""
    ringer_device: str = ""
    server_url: str = "http://127.0.0.1:8080"
    status: str = "available"
    last_hotline: str = ""
    welcomed: bool = False
    missed_seen_at: float = 0.0  # missed calls after this time count in the history badge
    # Microphone processing in the sound bridge.
    echo_cancellation: bool = True
    noise_suppression: bool = False
    auto_gain: bool = False
    # Answer / hang up from anywhere on the desktop (X11 global hotkeys) and from headset / media keys.
    global_hotkeys: bool = True
    answer_key: str = "Ctrl+Shift+A"
    hangup_key: str = "Ctrl+Shift+H"
    media_keys: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def with_(self, **changes: object) -> Preferences:
        return replace(self, **changes)  # type: ignore[arg-type]


class PreferencesFile:
    """Loads and atomically saves :class:`Preferences`; unknown keys are ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Preferences:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Preferences()
        known = {f.name for f in fields(Preferences)}
        return Preferences(**{k: v for k, v in raw.items() if k in known})

    def save(self, prefs: Preferences) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(prefs), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
