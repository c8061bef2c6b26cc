"""The non-Qt services the desktop app is built on, constructed once in ``ui.app.main``.

Adapters here map the Qt-free ``softphone`` modules (engine, store, secrets, provisioning client, audio)
onto the small ports the view-models use, so view-model tests can pass in-memory stand-ins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from softphone.config import EngineConfig
from ui.account_book import SecretStorePort
from ui.viewmodels.app_state import Profile
from ui.viewmodels.chat import ChatLog, ChatMessage
from ui.viewmodels.history import CallEntry, CallLog

log = logging.getLogger(__name__)


class MemorySecrets:
    """Session-only secrets, used when the OS has no keyring: nothing is written to disk in clear."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def set(self, key: str, value: str) -> None:
        self._values[key] = value

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def delete(self, key: str) -> None:
        self._values.pop(key, None)


class MemoryLog:
    """In-memory call and chat log (tests; fallback when the history database cannot be opened)."""

    def __init__(self) -> None:
        self.calls: list[CallEntry] = []
        self.chats: list[ChatMessage] = []
        self.read: set[str] = set()  # ids of incoming messages the agent has seen

    def add_call(self, entry: CallEntry) -> None:
        self.calls = [entry, *[c for c in self.calls if c.id != entry.id]]

    def list_calls(self, limit: int = 500) -> list[CallEntry]:
        return sorted(self.calls, key=lambda c: c.start, reverse=True)[:limit]

    def add_chat(self, message: ChatMessage) -> None:
        self.chats = [*[m for m in self.chats if m.id != message.id], message]

    def update_chat_status(self, message_id: str, status: str) -> None:
        from dataclasses import replace

        self.chats = [replace(m, status=status) if m.id == message_id else m for m in self.chats]

    def list_chats(self) -> list[ChatMessage]:
        return list(self.chats)

    def unread_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.chats:
            if m.direction == "incoming" and m.id not in self.read:
                counts[m.peer] = counts.get(m.peer, 0) + 1
        return counts

    def mark_read(self, peer: str) -> None:
        self.read |= {m.id for m in self.chats if m.peer == peer}

    def clear(self) -> None:
        self.calls.clear()
        self.chats.clear()
        self.read.clear()


@dataclass
class Services:
    engine_factory: Callable[[Callable[[object], None]], Any]
    secrets: SecretStorePort
    call_log: CallLog
    chat_log: ChatLog
    client_factory: Callable[[str], Any]
    ringer: Any = None
    speaker_test: Callable[[int | None], None] | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for c in self.closers:
            try:
                c()
            except Exception as exc:
                log.warning("close: %s", exc)


def make_secrets() -> SecretStorePort:
    try:
        from softphone.secrets import SecretStore

        store = SecretStore(service="softphone")
        store.get("probe")  # raises NoKeyringError when no real backend
        return store
    except Exception as exc:
        log.warning("keyring unavailable (%s): secrets kept in memory for this session", exc)
        return MemorySecrets()


def make_services(profile: Profile, *, null_audio: bool = False) -> Services:
    from softphone.engine import Engine
    from ui.history_store import open_history
    from ui.server_client import client_factory

    secrets = make_secrets()
    log_store, close_log = open_history(profile.history_db)
    config = EngineConfig(user_agent="Softphone-Desktop/0.1", null_audio=null_audio)
    services = Services(
        engine_factory=lambda on_event: Engine(config, on_event),
        secrets=secrets,
        call_log=log_store,
        chat_log=log_store,
        client_factory=client_factory(secrets),
    )
    services.closers.append(close_log)
    if not null_audio:
        try:
            from softphone.audio import Ringer
            from ui.views.common import resources_dir

            wav = resources_dir() / "sounds" / "ringtone.wav"
            services.ringer = Ringer(wav_path=wav if wav.exists() else None)
            services.speaker_test = speaker_test
        except Exception as exc:
            log.warning("no ringer: %s", exc)
    return services


def speaker_test(device: int | None) -> None:
    """Play a short 440 Hz + 660 Hz chime on ``device`` (non-blocking)."""
    try:
        import numpy as np
        import sounddevice as sd

        rate = 48000
        t = np.arange(int(rate * 0.8)) / rate
        tone = 0.2 * (np.sin(2 * np.pi * 440 * t) * (t < 0.4) + np.sin(2 * np.pi * 660 * t) * (t >= 0.4))
        sd.play(tone.astype("float32"), rate, device=device)
    except Exception as exc:
        log.warning("speaker test: %s", exc)
