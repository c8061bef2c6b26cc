"""Chat: conversations per colleague, unread badges, delivery status and notifications.

A message goes sending -> sent (the PBX stored it for a colleague who is offline: 202) or delivered (the
colleague's app took it: 200), or failed (any error answer, or none).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from softphone.commands import SendMessage
from softphone.events import MessageReceived, MessageStatus
from softphone.history import ChatLog, ChatLogEntry
from softphone.phone_numbers import user_part
from ui.engine_link import EngineLink


def delivery_status(code: int) -> str:
    """What a MESSAGE answer means for the sender."""
    if code == 202:
        return "sent"
    if 200 <= code < 300:
        return "delivered"
    return "failed" if code >= 300 else "sending"


@dataclass(frozen=True, slots=True)
class Conversation:
    peer: str
    peer_uri: str
    name: str
    last_text: str
    last_date: float
    unread: int


class ChatViewModel(QObject):
    changed = Signal()
    notify = Signal(str, str)  # title, text: a message arrived while not looking at it

    def __init__(
        self,
        link: EngineLink,
        log: ChatLog,
        *,
        account_id: Callable[[], str | None],
        resolve_name: Callable[[str], str | None] = lambda _n: None,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._log = log
        self._account_id = account_id
        self._resolve = resolve_name
        self._clock = clock
        self._messages: list[ChatLogEntry] = log.list_chats()
        self._unread: dict[str, int] = {p: n for p, n in log.unread_counts().items() if n > 0}
        self._current: str | None = None
        self._visible = False
        self._pending = 0
        link.eventReceived.connect(self.handle)

    # ------------------------------------------------------------------ state

    def set_name_resolver(self, resolve: Callable[[str], str | None]) -> None:
        self._resolve = resolve

    def conversations(self) -> list[Conversation]:
        latest: dict[str, ChatLogEntry] = {}
        for m in self._messages:
            if m.peer not in latest or m.date >= latest[m.peer].date:
                latest[m.peer] = m
        convs = [
            Conversation(p, m.peer_uri, self._resolve(p) or p, m.text, m.date, self._unread.get(p, 0))
            for p, m in latest.items()
        ]
        if self._current is not None and self._current not in latest:
            # A conversation just started: listed (on top) before its first message.
            name = self.current_name()
            convs.append(Conversation(self._current, self._current, name, "", self._clock(), 0))
        return sorted(convs, key=lambda c: c.last_date, reverse=True)

    @property
    def current(self) -> str | None:
        return self._current

    def current_name(self) -> str:
        return (self._resolve(self._current) or self._current) if self._current else ""

    def messages(self) -> list[ChatLogEntry]:
        if self._current is None:
            return []
        return sorted((m for m in self._messages if m.peer == self._current), key=lambda m: m.date)

    def unread_total(self) -> int:
        return sum(self._unread.values())

    # ------------------------------------------------------------------ commands

    def open(self, peer: str) -> None:
        self._current = user_part(peer)
        self._read(self._current)
        self.changed.emit()

    def set_visible(self, visible: bool) -> None:
        """Whether the chat page is on screen (messages to the open conversation are then read)."""
        self._visible = visible
        if visible and self._current:
            self._read(self._current)
            self.changed.emit()

    def _read(self, peer: str) -> None:
        if self._unread.pop(peer, 0):
            self._log.mark_read(peer)

    def send(self, text: str) -> bool:
        text = text.strip()
        account = self._account_id()
        if not text or self._current is None or account is None:
            return False
        self._pending += 1
        local_id = f"local-{self._pending}-{int(self._clock() * 1000)}"
        peer_uri = self._current
        msg = ChatLogEntry(local_id, account, peer_uri, "outgoing", text, self._clock(), "sending")
        self._messages.append(msg)
        self.changed.emit()

        def sent(message_id: str) -> None:
            self._replace(local_id, id=str(message_id))
            self._log.add_chat(self._find(str(message_id)) or msg)

        def failed(_why: str) -> None:
            self._replace(local_id, status="failed")
            self._log.add_chat(self._find(local_id) or msg)

        self._link.submit(SendMessage(account, peer_uri, text), on_done=sent, on_error=failed)
        return True

    def wipe(self) -> None:
        self._log.clear()
        self._messages = []
        self._unread.clear()
        self._current = None
        self.changed.emit()

    # ------------------------------------------------------------------ events

    def handle(self, event: object) -> None:
        if isinstance(event, MessageReceived):
            if not event.content_type.startswith("text/"):
                return
            n = len(self._messages)
            msg = ChatLogEntry(
                f"in-{n}-{int(event.date * 1000)}",
                event.account_id,
                event.from_uri,
                "incoming",
                event.text,
                event.date,
                "received",
            )
            self._messages.append(msg)
            self._log.add_chat(msg)
            if self._visible and self._current == msg.peer:
                self._log.mark_read(msg.peer)
            else:
                self._unread[msg.peer] = self._unread.get(msg.peer, 0) + 1
                self.notify.emit(self._resolve(msg.peer) or msg.peer, event.text)
            self.changed.emit()
        elif isinstance(event, MessageStatus):
            status = delivery_status(event.code)
            if self._replace(event.message_id, status=status):
                self._log.update_chat_status(event.message_id, status)

    def _find(self, message_id: str) -> ChatLogEntry | None:
        return next((m for m in self._messages if m.id == message_id), None)

    def _replace(self, message_id: str, **changes: str) -> bool:
        for i, m in enumerate(self._messages):
            if m.id == message_id:
                self._messages[i] = replace(m, **changes)
                self.changed.emit()
                return True
        return False
