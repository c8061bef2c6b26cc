"""The agent's own status (available / away / busy / DND), shown in the window and the tray."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ui.engine_link import EngineLink

STATUSES = ("available", "away", "busy", "dnd")


class StatusViewModel(QObject):
    changed = Signal()

    def __init__(
        self,
        link: EngineLink,
        account_ids: Callable[[], list[str]],
        *,
        initial: str = "available",
        on_dnd_changed: Callable[[bool], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._account_ids = account_ids
        self._status = initial if initial in STATUSES else "available"
        self._on_dnd_changed = on_dnd_changed

    @property
    def status(self) -> str:
        return self._status

    @property
    def dnd(self) -> bool:
        return self._status == "dnd"

    def set_status(self, status: str) -> None:
        if status not in STATUSES or status == self._status:
            return
        was_dnd = self.dnd
        self._status = status
        self.apply()
        if was_dnd != self.dnd and self._on_dnd_changed is not None:
            self._on_dnd_changed(self.dnd)
        self.changed.emit()

    def toggle_dnd(self) -> None:
        self.set_status("available" if self.dnd else "dnd")

    def apply(self) -> None:
        """Tell the engine (DND rejection) and every registered account's presence."""
        self._link.call("set_dnd", self.dnd)
        for account_id in self._account_ids():
            self._link.call("publish_presence", account_id, self._status)
