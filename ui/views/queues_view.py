"""The queue panel: my queues (log in/out each or all, pause with a reason, unpause), the wrap-up countdown
with "Ready now"; and, for supervisors, the live queue board."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from softphone.callcenter_api import PAUSE_REASONS, MyQueue
from ui.viewmodels.queues import QueuesViewModel
from ui.views.common import titled_page
from ui.views.texts import agent_state_text, duration_text, error_text, pause_reason_text

STATE_COLORS = {
    "available": "#2e9e5b",
    "on_call": "#e8590c",
    "wrapup": "#e0a106",
    "paused": "#9aa0a6",
    "logged_out": "#9aa0a6",
}


class QueuesView(QWidget):
    def __init__(self, vm: QueuesViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        lay, self.title = titled_page(self)

        self.wrapup = QFrame(self)  # shown while my wrap-up runs
        self.wrapup.setObjectName("card")
        w = QHBoxLayout(self.wrapup)
        self.wrapup_text = QLabel(self.wrapup)
        self.wrapup_text.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.ready = QPushButton(self.wrapup)
        self.ready.setObjectName("primary")
        self.ready.clicked.connect(vm.ready_now)
        w.addWidget(self.wrapup_text, 1)
        w.addWidget(self.ready)
        lay.addWidget(self.wrapup)

        bar = QHBoxLayout()
        self.summary = QLabel(self)
        self.summary.setObjectName("subtitle")
        self.log_in_all = QPushButton(self)
        self.log_in_all.clicked.connect(lambda: vm.log_in())
        self.log_out_all = QPushButton(self)
        self.log_out_all.clicked.connect(lambda: vm.log_out())
        self.reason = QComboBox(self)
        for r in PAUSE_REASONS:
            self.reason.addItem("", r)
        self.pause = QPushButton(self)
        self.pause.clicked.connect(lambda: vm.pause(self.reason.currentData()))
        self.unpause = QPushButton(self)
        self.unpause.setObjectName("primary")
        self.unpause.clicked.connect(lambda: vm.unpause())
        bar.addWidget(self.summary, 1)
        for b in (self.log_in_all, self.log_out_all, self.reason, self.pause, self.unpause):
            bar.addWidget(b)
        lay.addLayout(bar)

        self.tree = QTreeWidget(self)
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnCount(3)
        self.tree.setMaximumHeight(170)
        lay.addWidget(self.tree)
        row = QHBoxLayout()
        self.error = QLabel(self)
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.toggle = QPushButton(self)  # log in to / out of the selected queue
        self.toggle.clicked.connect(self._toggle_selected)
        row.addWidget(self.error, 1)
        row.addWidget(self.toggle)
        lay.addLayout(row)

        self.board_title = QLabel(self)
        self.board_title.setObjectName("subtitle")
        self.board_title.setStyleSheet("font-weight: 600;")
        lay.addWidget(self.board_title)
        self.board = QTreeWidget(self)
        self.board.setColumnCount(4)
        lay.addWidget(self.board, 1)
        self.empty = QLabel(self)
        self.empty.setObjectName("subtitle")
        self.empty.setWordWrap(True)
        lay.addWidget(self.empty)
        lay.addStretch(0)

        self.tree.currentItemChanged.connect(lambda *_: self._sync_toggle())
        vm.changed.connect(self.refresh)
        vm.boardChanged.connect(self.refresh_board)
        self.retranslate()

    # ------------------------------------------------------------------ binding

    def _selected(self) -> MyQueue | None:
        it = self.tree.currentItem()
        return it.data(0, Qt.ItemDataRole.UserRole) if it is not None else None

    def _toggle_selected(self) -> None:
        q = self._selected()
        if q is not None:
            (self.vm.log_out if q.logged_in else self.vm.log_in)(q.queue_id)

    def _sync_toggle(self) -> None:
        q = self._selected()
        self.toggle.setEnabled(q is not None)
        self.toggle.setText(
            self.tr("Log out of this queue")
            if q is not None and q.logged_in
            else self.tr("Log in to this queue")
        )

    def _state(self, q: MyQueue) -> str:
        if not q.logged_in:
            return self.tr("Logged out")
        if q.paused:
            return self.tr("Paused: %1").replace("%1", pause_reason_text(q.pause_reason))
        return self.tr("Ready")

    def refresh(self) -> None:
        vm = self.vm
        selected = self._selected()
        self.tree.clear()
        for q in vm.queues:
            it = QTreeWidgetItem(["●", q.name, self._state(q)])
            color = "#2e9e5b" if q.logged_in and not q.paused else "#9aa0a6"
            it.setForeground(0, QBrush(QColor(color)))
            it.setData(0, Qt.ItemDataRole.UserRole, q)
            self.tree.addTopLevelItem(it)
            if selected is not None and selected.queue_id == q.queue_id:
                self.tree.setCurrentItem(it)
        self.tree.resizeColumnToContents(0)
        self.tree.resizeColumnToContents(1)
        logged = [q for q in vm.queues if q.logged_in]
        if not vm.queues:
            self.summary.setText("")
        elif not logged:
            self.summary.setText(self.tr("Logged out of all my queues"))
        elif vm.paused:
            self.summary.setText(self.tr("Paused: %1").replace("%1", pause_reason_text(vm.pause_reason)))
        else:
            self.summary.setText(self.tr("Ready · queues: %n", "", len(logged)))
        has = bool(vm.queues)
        for w in (self.log_in_all, self.log_out_all, self.tree, self.toggle):
            w.setVisible(has)
        self.log_in_all.setEnabled(has and not vm.all_logged_in)
        self.log_out_all.setEnabled(bool(logged))
        paused = any(q.paused for q in logged)
        # one of the two at a time: Pause (with its reason) while ready, Unpause while paused
        self.pause.setVisible(has and not paused)
        self.reason.setVisible(has and not paused)
        self.unpause.setVisible(has and paused)
        self.pause.setEnabled(bool(logged))
        self.reason.setEnabled(bool(logged))
        left = vm.wrapup_left
        self.wrapup.setVisible(left is not None)
        if left is not None:
            self.wrapup_text.setText(self.tr("Wrap-up: %1 left").replace("%1", duration_text(left)))
        self.error.setText(error_text(vm.error, vm.error_detail) if vm.error else "")
        self._sync_toggle()
        self._sync_empty()

    def refresh_board(self) -> None:
        self.board.clear()
        for q in self.vm.board:
            level = "—" if q.service_level is None else f"{q.service_level * 100:.0f} %"
            head = QTreeWidgetItem(
                [
                    q.name,
                    self.tr("Waiting: %n", "", len(q.waiting)),
                    self.tr("Longest wait %1").replace(
                        "%1", duration_text(int(max((w.wait for w in q.waiting), default=0)))
                    ),
                    self.tr("Service level today: %1").replace("%1", level),
                ]
            )
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            for w in q.waiting:
                head.addChild(
                    QTreeWidgetItem(
                        [
                            "",
                            self.tr("Caller %1").replace("%1", str(w.position)),
                            duration_text(int(w.wait)),
                            "",
                        ]
                    )
                )
            for a in q.agents:
                state = agent_state_text(a.state)
                if a.reason:
                    state += f" ({pause_reason_text(a.reason)})"
                child = QTreeWidgetItem(["", a.full_name, state, ""])
                child.setForeground(2, QBrush(QColor(STATE_COLORS.get(a.state, "#9aa0a6"))))
                head.addChild(child)
            self.board.addTopLevelItem(head)
            head.setExpanded(True)
        for col in range(3):
            self.board.resizeColumnToContents(col)

    def _sync_empty(self) -> None:
        supervisor = self.vm.supervisor
        self.board_title.setVisible(supervisor)
        self.board.setVisible(supervisor)
        self.empty.setText(
            ""
            if self.vm.queues or supervisor
            else self.tr("You serve no queue. An administrator adds you to queues in the console.")
        )

    def retranslate(self) -> None:
        self.title.setText(self.tr("Queues"))
        self.ready.setText(self.tr("Ready now"))
        self.log_in_all.setText(self.tr("Log in to all"))
        self.log_out_all.setText(self.tr("Log out of all"))
        self.pause.setText(self.tr("Pause"))
        self.unpause.setText(self.tr("Unpause"))
        for i, r in enumerate(PAUSE_REASONS):
            self.reason.setItemText(i, pause_reason_text(r))
        self.reason.setToolTip(self.tr("Pause reason"))
        self.tree.setHeaderLabels(["", self.tr("Queue"), self.tr("My state")])
        self.board_title.setText(self.tr("Live queue board"))
        self.board.setHeaderLabels([self.tr("Queue"), self.tr("Who"), self.tr("State / wait"), ""])
        self.refresh()
        self.refresh_board()

    def showEvent(self, event: QShowEvent) -> None:
        self.vm.show_board(True)
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.vm.show_board(False)
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
