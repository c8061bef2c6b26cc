"""Voicemail: my messages (my extensions' and my queues' boxes), play, mark heard, delete."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from softphone.callcenter_api import VoicemailMessage
from softphone.phone_numbers import format_vn_number
from ui.viewmodels.voicemail import VoicemailViewModel
from ui.views.common import titled_page
from ui.views.texts import duration_text, error_text, when_text


class VoicemailView(QWidget):
    def __init__(self, vm: VoicemailViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        lay, self.title = titled_page(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("subtitle")
        lay.addWidget(self.summary)
        self.tree = QTreeWidget(self)
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnCount(5)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemDoubleClicked.connect(lambda it, _c: self._play())
        lay.addWidget(self.tree, 1)
        actions = QHBoxLayout()
        self.error = QLabel(self)
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.play = QPushButton(self)
        self.play.setObjectName("primary")
        self.play.clicked.connect(self._play)
        self.heard = QPushButton(self)
        self.heard.clicked.connect(self._heard)
        self.delete = QPushButton(self)
        self.delete.clicked.connect(self._delete)
        actions.addWidget(self.error, 1)
        for b in (self.heard, self.delete, self.play):
            actions.addWidget(b)
        lay.addLayout(actions)
        self.tree.currentItemChanged.connect(lambda *_: self._sync_buttons())
        vm.changed.connect(self.refresh)
        self.retranslate()

    def _selected(self) -> VoicemailMessage | None:
        it = self.tree.currentItem()
        return it.data(0, Qt.ItemDataRole.UserRole) if it is not None else None

    def _play(self) -> None:
        m = self._selected()
        if m is None:
            return
        if self.vm.playing == m.id:
            self.vm.stop_playing()
        else:
            self.vm.play(m.id)

    def _heard(self) -> None:
        m = self._selected()
        if m is not None:
            self.vm.mark_heard(m.id)

    def _delete(self) -> None:
        m = self._selected()
        if m is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Delete voicemail"),
            self.tr("Delete the message from %1? Everyone who shares this mailbox loses it too.").replace(
                "%1", format_vn_number(m.caller) or m.caller
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.vm.delete(m.id)

    def _sync_buttons(self) -> None:
        m = self._selected()
        for b in (self.play, self.heard, self.delete):
            b.setEnabled(m is not None)
        self.heard.setEnabled(m is not None and not m.heard)
        self.play.setText(self.tr("Stop") if m is not None and self.vm.playing == m.id else self.tr("Play"))

    def refresh(self) -> None:
        selected = self._selected()
        self.tree.clear()
        for m in self.vm.messages:
            mark = "▶" if self.vm.playing == m.id else ("●" if not m.heard else "")
            it = QTreeWidgetItem(
                [
                    mark,
                    format_vn_number(m.caller) or m.caller,
                    m.box_name,
                    when_text(m.at),
                    duration_text(int(m.duration)),
                ]
            )
            it.setData(0, Qt.ItemDataRole.UserRole, m)
            if not m.heard:
                font = it.font(1)
                font.setBold(True)
                for col in range(5):
                    it.setFont(col, font)
            self.tree.addTopLevelItem(it)
            if selected is not None and selected.id == m.id:
                self.tree.setCurrentItem(it)
        for col in range(4):
            self.tree.resizeColumnToContents(col)
        total = len(self.vm.messages)
        self.summary.setText(
            self.tr("No voicemail.")
            if not total
            else self.tr("New: %n", "", self.vm.badge) + " · " + self.tr("In all: %n", "", total)
        )
        self.error.setText(error_text(self.vm.error, self.vm.error_detail) if self.vm.error else "")
        self._sync_buttons()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Voicemail"))
        self.heard.setText(self.tr("Mark as heard"))
        self.delete.setText(self.tr("Delete"))
        self.tree.setHeaderLabels(
            ["", self.tr("From"), self.tr("Mailbox"), self.tr("Time"), self.tr("Length")]
        )
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
