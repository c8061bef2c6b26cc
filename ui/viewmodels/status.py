"""The agent's own status (available / away / busy / do not disturb), shown in the window and the tray.

Do not disturb is one of the statuses, not a second control: choosing it makes the engine reject calls.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from softphone.commands import PublishPresence, SetDnd
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
        self._before_dnd = "available" if self._status == "dnd" else self._status
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
        if not was_dnd:
            self._before_dnd = self._status
        self._status = status
        self.apply()
        if was_dnd != self.dnd and self._on_dnd_changed is not None:
            self._on_dnd_changed(self.dnd)
        self.changed.emit()

    def toggle_dnd(self) -> None:
        """Shortcut and tray: DND on, or back to the status the agent had before it."""
        self.set_status(self._before_dnd if self.dnd else "dnd")

    def apply(self) -> None:
        """Tell the engine (DND rejection) and every registered account's presence."""
        self._link.submit(SetDnd(self.dnd))
        for account_id in self._account_ids():
            self.publish(account_id)

    def publish(self, account_id: str) -> None:
        self._link.submit(PublishPresence(account_id, self._status))
