"""Tray icon: show the window, DND, status, quit."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.viewmodels.status import STATUSES, StatusViewModel
from ui.views.common import icon
from ui.views.texts import status_text


class Tray(QObject):
    def __init__(
        self,
        status: StatusViewModel,
        *,
        on_show: Callable[[], None],
        on_quit: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.status = status
        self.icon = QSystemTrayIcon(icon("app"), self)
        self.menu = QMenu()
        self.show_action = QAction(self.menu)
        self.show_action.triggered.connect(on_show)
        self.dnd_action = QAction(self.menu)
        self.dnd_action.setCheckable(True)
        self.dnd_action.triggered.connect(lambda _c: status.toggle_dnd())
        self.status_menu = QMenu(self.menu)
        group = QActionGroup(self.status_menu)
        self.status_actions: dict[str, QAction] = {}
        for s in STATUSES:
            a = QAction(self.status_menu)
            a.setCheckable(True)
            a.triggered.connect(lambda _c=False, st=s: status.set_status(st))
            group.addAction(a)
            self.status_menu.addAction(a)
            self.status_actions[s] = a
        self.quit_action = QAction(self.menu)
        self.quit_action.triggered.connect(on_quit)
        self.menu.addAction(self.show_action)
        self.menu.addSeparator()
        self.menu.addAction(self.dnd_action)
        self.menu.addMenu(self.status_menu)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(
            lambda reason: reason == QSystemTrayIcon.ActivationReason.Trigger and on_show()
        )
        status.changed.connect(self.refresh)
        self.retranslate()
        self.icon.show()

    def notify(self, title: str, text: str) -> None:
        if QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 5000)

    def refresh(self) -> None:
        self.dnd_action.setChecked(self.status.dnd)
        for s, a in self.status_actions.items():
            a.setChecked(s == self.status.status)
        self.icon.setIcon(icon("app-dnd" if self.status.dnd else "app"))
        self.icon.setToolTip(self.tr("Softphone — %1").replace("%1", status_text(self.status.status)))

    def retranslate(self) -> None:
        self.show_action.setText(self.tr("Show Softphone"))
        self.dnd_action.setText(self.tr("Do not disturb"))
        self.status_menu.setTitle(self.tr("Status"))
        for s, a in self.status_actions.items():
            a.setText(status_text(s))
        self.quit_action.setText(self.tr("Quit"))
        self.refresh()

    def hide(self) -> None:
        self.icon.hide()
