"""The desktop's call and chat history as the app sees it (Qt-free): entries, the two log ports, and their
SQLite (``softphone.store.HistoryStore``) and in-memory implementations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from softphone.phone_numbers import user_part

# Calls the app holds in memory (the History page): the newest ones. Older calls stay in the database; holding
# them all would grow the app by every call of the day.
HISTORY_ROWS = 200

if TYPE_CHECKING:
    from softphone.store import HistoryStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallLogEntry:
    """One finished call."""

    id: str
    account_id: str
    direction: str  # incoming | outgoing
    remote_uri: str
    remote_name: str
    start: float
    answer: float | None
    end: float
    disposition: str  # answered | missed | declined | busy | failed | cancelled
    recording_path: str = ""

    @property
    def number(self) -> str:
        return user_part(self.remote_uri)

    @property
    def duration(self) -> int:
        return int(self.end - self.answer) if self.answer else 0


@dataclass(frozen=True, slots=True)
class ChatLogEntry:
    """One chat message, either way."""

    id: str
    account_id: str
    peer_uri: str
    direction: str  # incoming | outgoing
    text: str
    date: float
    status: str  # received | sending | sent | delivered | failed

    @property
    def peer(self) -> str:
        return user_part(self.peer_uri)


class CallLog(Protocol):
    def add_call(self, entry: CallLogEntry) -> None: ...
    def list_calls(self, limit: int = HISTORY_ROWS) -> list[CallLogEntry]: ...
    def clear(self) -> None: ...


class ChatLog(Protocol):
    def add_chat(self, message: ChatLogEntry) -> None: ...
    def update_chat_status(self, message_id: str, status: str) -> None: ...
    def list_chats(self) -> list[ChatLogEntry]: ...
    def unread_counts(self) -> dict[str, int]: ...  # by peer (user part of the URI)
    def mark_read(self, peer: str) -> None: ...
    def clear(self) -> None: ...


_TO_STORE_STATUS = {
    "sending": "pending", "sent": "sent", "delivered": "delivered", "failed": "failed", "received": "received"
}
_FROM_STORE_STATUS = {store: app for app, store in _TO_STORE_STATUS.items()}
_DISPOSITIONS = {"answered", "missed", "declined", "cancelled", "no_answer", "busy", "failed"}


class StoreLog:
    """Both logs on the history database."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    # calls
    def add_call(self, entry: CallLogEntry) -> None:
        sid = self._store.add_call(
            entry.account_id, entry.direction, entry.remote_uri, entry.remote_name, start=entry.start
        )
        if entry.answer is not None:
            self._store.call_answered(sid, at=entry.answer)
        disposition = entry.disposition if entry.disposition in _DISPOSITIONS else None
        self._store.call_ended(sid, disposition, at=entry.end)
        if entry.recording_path:
            self._store.set_recording(sid, entry.recording_path)

    def list_calls(self, limit: int = HISTORY_ROWS) -> list[CallLogEntry]:
        return [
            CallLogEntry(
                id=str(r.id),
                account_id=r.account_id,
                direction=r.direction,
                remote_uri=r.remote_uri,
                remote_name=r.remote_name or "",
                start=r.start,
                answer=r.answer,
                end=r.end or r.start,
                disposition="cancelled" if r.disposition == "no_answer" else (r.disposition or "failed"),
                recording_path=r.recording_path or "",
            )
            for r in self._store.calls("all", limit=limit)
        ]

    # chats
    def add_chat(self, message: ChatLogEntry) -> None:
        self._store.add_message(
            message.account_id,
            message.peer_uri,
            message.direction,
            message.text,
            date=message.date,
            status=_TO_STORE_STATUS.get(message.status),
            message_id=message.id,
        )

    def update_chat_status(self, message_id: str, status: str) -> None:
        self._store.set_message_status(message_id, _TO_STORE_STATUS.get(status, status))

    def list_chats(self) -> list[ChatLogEntry]:
        out: list[ChatLogEntry] = []
        for conv in self._store.conversations():
            for m in self._store.messages(conv.account_id, conv.peer_uri, limit=500):
                out.append(
                    ChatLogEntry(
                        m.message_id or f"db-{m.id}",
                        m.account_id,
                        m.peer_uri,
                        m.direction,
                        m.text,
                        m.date,
                        _FROM_STORE_STATUS.get(m.status, m.status),
                    )
                )
        return out

    def unread_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for conv in self._store.conversations():
            if conv.unread:
                peer = user_part(conv.peer_uri)
                counts[peer] = counts.get(peer, 0) + conv.unread
        return counts

    def mark_read(self, peer: str) -> None:
        for conv in self._store.conversations():
            if conv.unread and user_part(conv.peer_uri) == peer:
                self._store.mark_read(conv.account_id, conv.peer_uri)

    def clear(self) -> None:
        self._store.clear_calls()
        for conv in self._store.conversations():
            self._store.delete_conversation(conv.account_id, conv.peer_uri)


class MemoryLog:
    """Both logs in memory (tests; fallback when the history database cannot be opened)."""

    def __init__(self) -> None:
        self.calls: list[CallLogEntry] = []
        self.chats: list[ChatLogEntry] = []
        self.read: set[str] = set()  # ids of incoming messages the agent has seen

    def add_call(self, entry: CallLogEntry) -> None:
        self.calls = [entry, *[c for c in self.calls if c.id != entry.id]][:HISTORY_ROWS]

    def list_calls(self, limit: int = HISTORY_ROWS) -> list[CallLogEntry]:
        return sorted(self.calls, key=lambda c: c.start, reverse=True)[:limit]

    def add_chat(self, message: ChatLogEntry) -> None:
        self.chats = [*[m for m in self.chats if m.id != message.id], message]

    def update_chat_status(self, message_id: str, status: str) -> None:
        self.chats = [replace(m, status=status) if m.id == message_id else m for m in self.chats]

    def list_chats(self) -> list[ChatLogEntry]:
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


def open_history(path: Path) -> tuple[StoreLog | MemoryLog, Callable[[], None]]:
    """The history log at ``path`` and its closer; an in-memory log if the database cannot be opened."""
    try:
        from softphone.store import HistoryStore

        path.parent.mkdir(parents=True, exist_ok=True)
        store = HistoryStore(path)
        return StoreLog(store), store.close
    except Exception as exc:
        log.error("history database unavailable (%s); history is kept for this session only", exc)
        return MemoryLog(), lambda: None
