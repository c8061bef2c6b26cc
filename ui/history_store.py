"""Adapts ``softphone.store.HistoryStore`` (SQLite) to the view-models' CallLog and ChatLog ports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui.phone_numbers import user_part
from ui.viewmodels.chat import ChatMessage
from ui.viewmodels.history import CallEntry

log = logging.getLogger(__name__)

_TO_STORE_STATUS = {"sending": "pending", "sent": "sent", "failed": "failed", "received": "received"}
_FROM_STORE_STATUS = {
    "pending": "sending",
    "sent": "sent",
    "delivered": "sent",
    "failed": "failed",
    "received": "received",
}
_DISPOSITIONS = {"answered", "missed", "declined", "cancelled", "no_answer", "busy", "failed"}


class StoreLog:
    def __init__(self, store: Any) -> None:
        self._store = store

    # calls
    def add_call(self, entry: CallEntry) -> None:
        sid = self._store.add_call(
            entry.account_id, entry.direction, entry.remote_uri, entry.remote_name, start=entry.start
        )
        if entry.answer is not None:
            self._store.call_answered(sid, at=entry.answer)
        disposition = entry.disposition if entry.disposition in _DISPOSITIONS else None
        self._store.call_ended(sid, disposition, at=entry.end)
        if entry.recording_path:
            self._store.set_recording(sid, entry.recording_path)

    def list_calls(self, limit: int = 500) -> list[CallEntry]:
        return [
            CallEntry(
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
    def add_chat(self, message: ChatMessage) -> None:
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

    def list_chats(self) -> list[ChatMessage]:
        out: list[ChatMessage] = []
        for conv in self._store.conversations():
            for m in self._store.messages(conv.account_id, conv.peer_uri, limit=500):
                out.append(
                    ChatMessage(
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


def open_history(path: Path) -> tuple[Any, Callable[[], None]]:
    """The history log at ``path`` and its closer; an in-memory log if the database cannot be opened."""
    try:
        from softphone.store import HistoryStore

        path.parent.mkdir(parents=True, exist_ok=True)
        store = HistoryStore(path)
        return StoreLog(store), store.close
    except Exception as exc:
        from ui.app_services import MemoryLog

        log.error("history database unavailable (%s); history is kept for this session only", exc)
        return MemoryLog(), lambda: None
