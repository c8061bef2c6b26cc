"""Call history list with filters, search, call back and recording playback."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from softphone.history import CallLogEntry
from softphone.phone_numbers import format_vn_number
from ui.viewmodels.history import FILTERS, HistoryViewModel
from ui.views.common import titled_page
from ui.views.texts import disposition_text, duration_text, feature_label, when_text


class HistoryView(QWidget):
    def __init__(self, vm: HistoryViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        lay, self.title = titled_page(self)
        bar = QHBoxLayout()
        self.filter_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        for f in FILTERS:
            b = QPushButton(self)
            b.setCheckable(True)
            b.clicked.connect(lambda _c=False, name=f: vm.set_filter(name))
            group.addButton(b)
            self.filter_buttons[f] = b
            bar.addWidget(b)
        bar.addStretch(1)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.search.textChanged.connect(vm.set_search)
        bar.addWidget(self.search)
        lay.addLayout(bar)
        self.tree = QTreeWidget(self)
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnCount(5)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemDoubleClicked.connect(lambda it, _col: self._call_back(it))
        lay.addWidget(self.tree, 1)
        actions = QHBoxLayout()
        self.call_back = QPushButton(self)
        self.call_back.setObjectName("primary")
        self.call_back.clicked.connect(lambda: self._call_back(self.tree.currentItem()))
        self.play = QPushButton(self)
        self.play.clicked.connect(self._play)
        self.empty = QLabel(self)
        self.empty.setObjectName("subtitle")
        actions.addWidget(self.empty)
        actions.addStretch(1)
        actions.addWidget(self.play)
        actions.addWidget(self.call_back)
        lay.addLayout(actions)
        self.tree.currentItemChanged.connect(lambda *_: self._sync_buttons())
        vm.changed.connect(self.refresh)
        self.retranslate()

    def _entry(self, item: QTreeWidgetItem | None) -> CallLogEntry | None:
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _call_back(self, item: QTreeWidgetItem | None) -> None:
        e = self._entry(item)
        if e is not None:
            self.vm.call_back(e)

    def _play(self) -> None:
        e = self._entry(self.tree.currentItem())
        if e is not None:
            self.vm.play(e)

    def _sync_buttons(self) -> None:
        e = self._entry(self.tree.currentItem())
        self.call_back.setEnabled(e is not None)
        self.play.setEnabled(e is not None and bool(e.recording_path))

    def refresh(self) -> None:
        for f, b in self.filter_buttons.items():
            b.setChecked(f == self.vm.filter)
        self.tree.clear()
        entries = self.vm.entries()
        for e in entries:
            arrow = "↙" if e.direction == "incoming" else "↗"
            when = when_text(e.start)
            # Name column: a person or what a feature code does; the number always in its own column.
            who = e.remote_name or feature_label(e.number)
            detail = disposition_text(e.disposition)
            if e.duration:
                detail += f" · {duration_text(e.duration)}"
            if e.recording_path:
                detail += " · " + self.tr("recorded")
            it = QTreeWidgetItem([arrow, who, format_vn_number(e.number), when, detail])
            it.setData(0, Qt.ItemDataRole.UserRole, e)
            if e.disposition == "missed":
                for col in range(5):
                    it.setForeground(col, Qt.GlobalColor.darkRed)
            self.tree.addTopLevelItem(it)
        for col in range(4):
            self.tree.resizeColumnToContents(col)
        self.empty.setText("" if entries else self.tr("No calls yet."))
        self._sync_buttons()

    def retranslate(self) -> None:
        self.title.setText(self.tr("History"))
        names = {
            "all": self.tr("All"),
            "missed": self.tr("Missed"),
            "incoming": self.tr("Incoming"),
            "outgoing": self.tr("Outgoing"),
        }
        for f, b in self.filter_buttons.items():
            b.setText(names[f])
        self.search.setPlaceholderText(self.tr("Search name or number"))
        self.tree.setHeaderLabels(
            ["", self.tr("Name"), self.tr("Number"), self.tr("Time"), self.tr("Result")]
        )
        self.call_back.setText(self.tr("Call back"))
        self.play.setText(self.tr("Play recording"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
