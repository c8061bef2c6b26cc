"""Call history: filters, search, call back, recordings, and the missed-calls badge."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from softphone.history import HISTORY_ROWS, CallLog, CallLogEntry
from ui.viewmodels.calls import CallItem

FILTERS = ("all", "missed", "incoming", "outgoing")


def disposition_of(call: CallItem) -> str:
    if call.answered is not None:
        return "answered"
    if call.direction == "incoming":
        return "missed"
    if call.code == 486:
        return "busy"
    return "failed" if call.code >= 400 and call.code != 487 else "cancelled"


class HistoryViewModel(QObject):
    changed = Signal()
    callBackRequested = Signal(str)
    playRequested = Signal(str)  # path of a recording

    def __init__(
        self,
        log: CallLog,
        *,
        seen_until: float = 0.0,
        on_seen: Callable[[float], None] = lambda _t: None,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        """``seen_until``: when the agent last looked at history (kept across restarts by ``on_seen``)."""
        super().__init__(parent)
        self._log = log
        self._clock = clock
        self._filter = "all"
        self._search = ""
        self._entries = log.list_calls()
        self._seen_until = seen_until
        self._on_seen = on_seen

    @property
    def filter(self) -> str:
        return self._filter

    def set_filter(self, name: str) -> None:
        if name in FILTERS and name != self._filter:
            self._filter = name
            self.changed.emit()

    def set_search(self, text: str) -> None:
        if text != self._search:
            self._search = text
            self.changed.emit()

    def entries(self) -> list[CallLogEntry]:
        out = []
        needle = self._search.strip().lower().replace(" ", "")
        for e in self._entries:
            if self._filter == "missed" and e.disposition != "missed":
                continue
            if self._filter in ("incoming", "outgoing") and e.direction != self._filter:
                continue
            if (
                needle
                and needle not in e.number.lower()
                and needle not in e.remote_name.lower().replace(" ", "")
            ):
                continue
            out.append(e)
        return out

    def missed_badge(self) -> int:
        return sum(1 for e in self._entries if e.disposition == "missed" and e.start > self._seen_until)

    def mark_seen(self) -> None:
        self._seen_until = self._clock()
        self._on_seen(self._seen_until)
        self.changed.emit()

    def record(self, call: CallItem) -> None:
        """Called with the final state of each call (CallsViewModel.callEnded)."""
        entry = CallLogEntry(
            id=call.call_id,
            account_id=call.account_id,
            direction=call.direction,
            remote_uri=call.remote_uri,
            remote_name=call.name,
            start=call.started or self._clock(),
            answer=call.answered,
            end=self._clock(),
            disposition=disposition_of(call),
            recording_path=call.recording_path,
        )
        self._log.add_call(entry)
        self._entries = [entry, *[e for e in self._entries if e.id != entry.id]][:HISTORY_ROWS]
        self.changed.emit()

    def call_back(self, entry: CallLogEntry) -> None:
        self.callBackRequested.emit(entry.number)

    def play(self, entry: CallLogEntry) -> None:
        if entry.recording_path:
            self.playRequested.emit(entry.recording_path)

    def reload(self) -> None:
        self._entries = self._log.list_calls()
        self.changed.emit()

    def wipe(self) -> None:
        self._log.clear()
        self.reload()
