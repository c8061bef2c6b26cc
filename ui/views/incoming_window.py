"""Frameless always-on-top notification for a ringing call; visible even when the main window is hidden."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from softphone.phone_numbers import format_vn_number
from ui.viewmodels.calls import CallsViewModel
from ui.views.common import STYLE_SHEET, round_button
from ui.views.texts import call_path_text, party_title, queue_call_text


class IncomingCallWindow(QWidget):
    def __init__(self, vm: CallsViewModel, queue_name: Callable[[int], str | None] = lambda _q: None) -> None:
        super().__init__(
            None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
        )
        self.vm = vm
        self.queue_name = queue_name
        self.call_id: str | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setFixedSize(340, 210)
        self.setStyleSheet(STYLE_SHEET)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        frame = QFrame(self)
        frame.setObjectName("incoming")
        outer.addWidget(frame)
        lay = QVBoxLayout(frame)
        lay.setContentsMargins(18, 14, 18, 14)
        self.heading = QLabel(frame)
        self.heading.setStyleSheet("color: #9fb3c8;")
        self.name = QLabel(frame)
        self.name.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.number = QLabel(frame)
        self.countdown = QLabel(frame)
        self.countdown.setStyleSheet("color: #ffd43b;")
        self.queue = QLabel(frame)  # a call-center call: the queue and the caller's wait
        self.queue.setStyleSheet("color: #ffd43b; font-weight: 600;")
        self.path = QLabel(frame)  # the way it came (hours, IVR menus, queue)
        self.path.setStyleSheet("color: #9fb3c8;")
        self.path.setWordWrap(True)
        for w in (self.heading, self.name, self.number, self.queue, self.path, self.countdown):
            lay.addWidget(w)
        buttons = QHBoxLayout()
        self.decline = round_button("hangup", "#e03131", frame, 48)
        self.decline.clicked.connect(self._decline)
        self.answer = round_button("call", "#2b8a3e", frame, 48)
        self.answer.clicked.connect(self._answer)
        buttons.addStretch(1)
        buttons.addWidget(self.decline)
        buttons.addSpacing(40)
        buttons.addWidget(self.answer)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+Shift+A"), self, self._answer)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._decline)

        vm.incomingCall.connect(self.show_call)
        vm.incomingGone.connect(self._gone)
        vm.changed.connect(self.refresh)
        self.retranslate()

    def show_call(self, call_id: str) -> None:
        self.call_id = call_id
        self.refresh()
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(area.right() - self.width() - 16, area.bottom() - self.height() - 16)
        self.show()
        self.raise_()

    def _gone(self, call_id: str) -> None:
        if call_id == self.call_id:
            self.hide()
            self.call_id = None
            nxt = self.vm.ringing_call()
            if nxt is not None:
                self.show_call(nxt.call_id)

    def _answer(self) -> None:
        if self.call_id:
            self.vm.answer(self.call_id)

    def _decline(self) -> None:
        if self.call_id:
            self.vm.decline(self.call_id)

    def refresh(self) -> None:
        c = self.vm.call(self.call_id) if self.call_id else None
        if c is None:
            if self.isVisible() and self.call_id:
                self._gone(self.call_id)
            return
        title = party_title(c.name, c.number)
        grouped = format_vn_number(c.number)
        self.name.setText(title)
        self.number.setText(grouped if title != grouped else "")
        q = c.queue_call
        self.queue.setText(queue_call_text(q, self.queue_name, c.caller_wait(self.vm.now())) if q else "")
        self.path.setText(call_path_text(q, self.queue_name) if q else "")
        self.queue.setVisible(q is not None)
        self.path.setVisible(q is not None and bool(q.path))
        if c.auto_answer_in is not None:
            self.countdown.setText(self.tr("Answering automatically in %n s", "", c.auto_answer_in))
        else:
            self.countdown.setText("")

    def retranslate(self) -> None:
        self.heading.setText(self.tr("Incoming call"))
        self.answer.setToolTip(self.tr("Answer (Ctrl+Shift+A)"))
        self.decline.setToolTip(self.tr("Decline (Esc)"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
