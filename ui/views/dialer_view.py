"""Keypad, number field, hotline picker, call mode, call and test-call buttons."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from softphone.phone_numbers import format_vn_number
from ui.viewmodels.dialer import ADAPTIVE, DialerViewModel
from ui.views.common import icon, round_button, titled_page
from ui.views.texts import error_text

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")


class NumberEdit(QLineEdit):
    """Accepts typing; a paste goes through the view-model's normalisation."""

    def __init__(self, vm: DialerViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            from PySide6.QtWidgets import QApplication

            self._vm.paste(QApplication.clipboard().text())
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source) -> None:
        self._vm.paste(source.text())


class Keypad(QWidget):
    def __init__(self, on_key, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        # Keys keep their size: squeezed by a busy page they would overlap and clip the "* 0 #" row.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        for i, k in enumerate(KEYS):
            b = QPushButton(k, self)
            b.setObjectName("key")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _c=False, key=k: on_key(key))
            grid.addWidget(b, i // 3, i % 3)


class DialerView(QWidget):
    def __init__(self, vm: DialerViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        outer, self.title = titled_page(self, spacing=10)

        row = QHBoxLayout()
        self.number = NumberEdit(vm, self)
        self.number.setObjectName("numberEdit")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.textEdited.connect(self._on_edited)
        self.number.returnPressed.connect(self.vm.call)
        self.back = QToolButton(self)
        self.back.setIcon(icon("backspace"))
        self.back.setAutoRaise(True)
        self.back.clicked.connect(vm.backspace)
        row.addWidget(self.number, 1)
        row.addWidget(self.back)
        outer.addLayout(row)

        acc = QHBoxLayout()
        self.account_label = QLabel(self)
        self.account = QComboBox(self)
        self.account.activated.connect(lambda i: vm.set_account(self.account.itemData(i)))
        acc.addStretch(1)
        acc.addWidget(self.account_label)
        acc.addWidget(self.account)
        acc.addStretch(1)
        outer.addLayout(acc)

        self.formatted = QLabel(self)
        self.formatted.setObjectName("subtitle")
        self.formatted.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.formatted)

        self.keypad = Keypad(vm.press, self)
        outer.addWidget(self.keypad, 0, Qt.AlignmentFlag.AlignHCenter)

        mode = QHBoxLayout()
        self.mode_out = QRadioButton(self)
        self.mode_internal = QRadioButton(self)
        self._mode_group = QButtonGroup(self)
        self._mode_group.addButton(self.mode_out)
        self._mode_group.addButton(self.mode_internal)
        self.mode_out.toggled.connect(lambda on: on and vm.set_internal(False))
        self.mode_internal.toggled.connect(lambda on: on and vm.set_internal(True))
        mode.addStretch(1)
        mode.addWidget(self.mode_out)
        mode.addWidget(self.mode_internal)
        mode.addStretch(1)
        outer.addLayout(mode)

        hot = QHBoxLayout()
        self.hotline_label = QLabel(self)
        self.hotline = QComboBox(self)
        self.hotline.setMinimumWidth(220)
        self.hotline.activated.connect(lambda i: vm.set_hotline(self.hotline.itemData(i)))
        hot.addStretch(1)
        hot.addWidget(self.hotline_label)
        hot.addWidget(self.hotline)
        hot.addStretch(1)
        outer.addLayout(hot)
        for w in (self.hotline, self.hotline_label):
            # Hidden for internal calls, but keeping its room: the call button must not jump.
            policy = w.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            w.setSizePolicy(policy)

        buttons = QHBoxLayout()
        self.test_call = QPushButton(self)
        self.test_call.setObjectName("link")
        self.test_call.clicked.connect(vm.test_call)
        self.call_button = round_button("call", "#2b8a3e", self, 64)
        self.call_button.clicked.connect(lambda: vm.call())
        buttons.addStretch(1)
        buttons.addWidget(self.call_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        t = QHBoxLayout()
        t.addStretch(1)
        t.addWidget(self.test_call)
        t.addStretch(1)
        outer.addLayout(t)

        self.error = QLabel(self)
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.error)
        outer.addStretch(1)

        vm.changed.connect(self.refresh)
        vm.error.connect(lambda code: self.error.setText(error_text(code)))
        self.retranslate()
        self.refresh()

    def _on_edited(self, text: str) -> None:
        self.error.clear()
        self.vm.set_number(text)

    def keyPressEvent(self, event) -> None:
        text = event.text()
        if text and text in "0123456789*#+":
            self.vm.press(text)
            self.number.setFocus()
            return
        if event.key() == Qt.Key.Key_Backspace:
            self.vm.backspace()
            return
        super().keyPressEvent(event)

    def refresh(self) -> None:
        if self.number.text() != self.vm.number:
            self.number.setText(self.vm.number)
        formatted = self.vm.display_number
        self.formatted.setText(formatted if formatted != self.vm.number else "")
        self.mode_out.blockSignals(True)
        self.mode_internal.blockSignals(True)
        self.mode_out.setChecked(not self.vm.internal)
        self.mode_internal.setChecked(self.vm.internal)
        self.mode_out.blockSignals(False)
        self.mode_internal.blockSignals(False)
        choices = self.vm.account_choices()
        self.account.blockSignals(True)
        self.account.clear()
        for account_id, label in choices:
            self.account.addItem(label, account_id)
        self.account.setCurrentIndex(max(0, self.account.findData(self.vm.account_id)))
        self.account.blockSignals(False)
        self.account.setVisible(len(choices) > 1)
        self.account_label.setVisible(len(choices) > 1)
        options = self.vm.hotline_options()
        self.hotline.blockSignals(True)
        self.hotline.clear()
        for o in options:
            label = (
                self.tr("Adaptive number (matches the callee's carrier)")
                if o.value == ADAPTIVE
                else (
                    f"{o.label} · {format_vn_number(o.number)}"
                    if o.label and o.label != o.number
                    else o.number
                )
            )
            self.hotline.addItem(label, o.value)
        idx = self.hotline.findData(self.vm.hotline)
        self.hotline.setCurrentIndex(max(0, idx))
        self.hotline.blockSignals(False)
        show_hotline = bool(options) and not self.vm.internal
        self.hotline.setVisible(show_hotline)
        self.hotline_label.setVisible(show_hotline)
        self.call_button.setEnabled(self.vm.can_call())

    def retranslate(self) -> None:
        self.title.setText(self.tr("Dial"))
        self.number.setPlaceholderText(self.tr("Number or extension"))
        self.back.setToolTip(self.tr("Delete last digit"))
        self.mode_out.setText(self.tr("Call out"))
        self.mode_internal.setText(self.tr("Internal call"))
        self.hotline_label.setText(self.tr("Show caller ID:"))
        self.account_label.setText(self.tr("Call from:"))
        self.call_button.setToolTip(self.tr("Call (Enter)"))
        self.test_call.setText(self.tr("Test call (echo test *43)"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
