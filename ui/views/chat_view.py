"""Conversations on the left, the open conversation and a message box on the right."""

from __future__ import annotations

import datetime as dt
import html
import re

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.viewmodels.chat import ChatViewModel
from ui.views.call_view import ColleagueSource, TargetDialog

BUBBLE_MAX_WIDTH = 460
_DIGIT_GAP = re.compile(r"(?<=\d) (?=\d)")


class ChatView(QWidget):
    def __init__(self, vm: ChatViewModel, colleagues: ColleagueSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self._colleagues = colleagues
        self.setObjectName("page")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 16, 24, 16)
        top = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("title")
        self.new_chat = QPushButton(self)
        self.new_chat.clicked.connect(self._new)
        top.addWidget(self.title, 1)
        top.addWidget(self.new_chat)
        lay.addLayout(top)
        split = QHBoxLayout()
        self.list = QListWidget(self)
        # A fixed width: opening a conversation must not move the divider.
        self.list.setFixedWidth(240)
        self.list.itemClicked.connect(lambda it: vm.open(it.data(Qt.ItemDataRole.UserRole)))
        right = QWidget(self)
        r = QVBoxLayout(right)
        r.setContentsMargins(8, 0, 0, 0)
        self.peer = QLabel(right)
        self.peer.setStyleSheet("font-weight: 600; font-size: 12pt;")
        r.addWidget(self.peer)
        self.scroll = QScrollArea(right)
        self.scroll.setWidgetResizable(True)
        self.messages = QWidget()
        self.messages_layout = QVBoxLayout(self.messages)
        self.messages_layout.addStretch(1)
        self.scroll.setWidget(self.messages)
        r.addWidget(self.scroll, 1)
        send = QHBoxLayout()
        self.input = QLineEdit(right)
        self.input.returnPressed.connect(self._send)
        self.send = QPushButton(right)
        self.send.setObjectName("primary")
        self.send.clicked.connect(self._send)
        send.addWidget(self.input, 1)
        send.addWidget(self.send)
        r.addLayout(send)
        split.addWidget(self.list)
        split.addWidget(right, 1)
        lay.addLayout(split, 1)
        vm.changed.connect(self.refresh)
        self.retranslate()

    def _send(self) -> None:
        if self.vm.send(self.input.text()):
            self.input.clear()

    def _new(self) -> None:
        d = TargetDialog(self._colleagues, self.tr("New conversation"), [("chat", self.tr("Chat"))], self)
        if d.exec() and d.choice:
            self.vm.open(d.target)

    def showEvent(self, event) -> None:
        self.vm.set_visible(True)
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.vm.set_visible(False)
        super().hideEvent(event)

    def refresh(self) -> None:
        self.list.clear()
        for c in self.vm.conversations():
            badge = f"  ({c.unread})" if c.unread else ""
            preview = c.last_text[:40] or self.tr("New conversation")
            it = QListWidgetItem(f"{c.name}{badge}\n{preview}")
            it.setData(Qt.ItemDataRole.UserRole, c.peer)
            if c.unread:
                f = it.font()
                f.setBold(True)
                it.setFont(f)
            self.list.addItem(it)
            if c.peer == self.vm.current:
                it.setSelected(True)
        while self.messages_layout.count() > 1:
            w = self.messages_layout.takeAt(0).widget()
            if w is not None:
                w.hide()
                w.deleteLater()
        has = self.vm.current is not None
        self.peer.setText(
            self.vm.current_name() if has else self.tr("Pick a conversation or start a new one.")
        )
        self.input.setEnabled(has)
        self.send.setEnabled(has)
        for m in self.vm.messages():
            when = dt.datetime.fromtimestamp(m.date).strftime("%H:%M")
            status = {
                "sending": self.tr("sending…"),
                "sent": "✓ " + self.tr("sent"),
                "delivered": "✓✓ " + self.tr("delivered"),
                "failed": "⚠ " + self.tr("not delivered"),
            }.get(m.status, "") if m.direction == "outgoing" else ""
            # digit groups of a phone number (0912 345 678) stay on one line
            text = _DIGIT_GAP.sub("\u00a0", html.escape(m.text)).replace("\n", "<br>")
            bubble = QLabel(text + f"<br><small>{when} {status}</small>")
            bubble.setTextFormat(Qt.TextFormat.RichText)
            bubble.setWordWrap(True)
            bubble.setObjectName("bubbleOut" if m.direction == "outgoing" else "bubbleIn")
            row = QHBoxLayout()
            holder = QWidget()
            holder.setLayout(row)
            if m.direction == "outgoing":
                row.addStretch(1)
            row.addWidget(bubble)
            if m.direction != "outgoing":
                row.addStretch(1)
            self.messages_layout.insertWidget(self.messages_layout.count() - 1, holder)
            bubble.ensurePolished()  # in the window now: the style sheet's font, for measuring
            # a wrapped QLabel asks for a narrow width: let short messages stay on one line, long ones wrap
            longest = max(
                (
                    bubble.fontMetrics().horizontalAdvance(line)
                    for line in [*m.text.splitlines(), when + status]
                ),
                default=0,
            )
            bubble.setMinimumWidth(min(longest + 32, BUBBLE_MAX_WIDTH))
            bubble.setMaximumWidth(BUBBLE_MAX_WIDTH)
        bar = self.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())

    def retranslate(self) -> None:
        self.title.setText(self.tr("Chat"))
        self.new_chat.setText(self.tr("New conversation"))
        self.input.setPlaceholderText(self.tr("Type a message"))
        self.send.setText(self.tr("Send"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
