"""The calls in progress: who, how long, quality, and the in-call actions."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.phone_numbers import format_vn_number, normalize_dial_string
from ui.viewmodels.calls import CallItem, CallsViewModel
from ui.viewmodels.contacts import ContactRow
from ui.views.common import action_button, presence_icon, resources_dir, round_button
from ui.views.dialer_view import Keypad
from ui.views.texts import (
    QUALITY_COLORS,
    call_path_text,
    call_state_text,
    duration_text,
    party_title,
    quality_details,
    quality_level,
    quality_text,
    queue_call_text,
    security_text,
    status_text,
)

ColleagueSource = Callable[[], list[ContactRow]]


class TargetDialog(QDialog):
    """Type a number or pick a colleague; used for transfer, consult and add-call."""

    def __init__(
        self,
        colleagues: ColleagueSource,
        title: str,
        actions: list[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(360)
        self.choice: str | None = None
        self.target = ""
        lay = QVBoxLayout(self)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(self.tr("Number or extension"))
        lay.addWidget(self.edit)
        self.list = QListWidget(self)
        for row in colleagues():
            item = QListWidgetItem(
                f"{row.name}  ·  {row.number}  ·  {status_text(row.presence or 'offline')}"
            )
            item.setData(Qt.ItemDataRole.UserRole, row.number)
            item.setIcon(presence_icon(row.presence))
            self.list.addItem(item)
        self.list.currentItemChanged.connect(
            lambda cur, _prev: cur is not None and self.edit.setText(cur.data(Qt.ItemDataRole.UserRole))
        )
        lay.addWidget(self.list)
        box = QDialogButtonBox(self)
        for key, text in actions:
            b = box.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
            b.clicked.connect(lambda _c=False, k=key: self._done(k))
        box.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        lay.addWidget(box)

    def _done(self, key: str) -> None:
        self.target = normalize_dial_string(self.edit.text())
        if self.target:
            self.choice = key
            self.accept()


class CallView(QWidget):
    def __init__(
        self,
        vm: CallsViewModel,
        colleagues: ColleagueSource,
        parent: QWidget | None = None,
        *,
        queue_name: Callable[[int], str | None] = lambda _q: None,
    ) -> None:
        super().__init__(parent)
        self.vm = vm
        self.queue_name = queue_name
        # Transfer / add-call targets: never the people already in a call (nor ourselves: the source
        # leaves out this desktop's own extensions).
        self._colleagues = lambda: [r for r in colleagues() if r.number not in vm.parties()]
        self._shown_call: str | None = None
        self.setObjectName("page")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.setSpacing(10)

        self.calls_title = QLabel(self)
        self.calls_title.setObjectName("subtitle")
        outer.addWidget(self.calls_title)
        self.call_list = QListWidget(self)
        self.call_list.itemClicked.connect(lambda it: vm.switch_to(it.data(Qt.ItemDataRole.UserRole)))
        outer.addWidget(self.call_list)

        card = QFrame(self)
        card.setObjectName("card")
        c = QVBoxLayout(card)
        c.setContentsMargins(18, 18, 18, 18)
        self.name = QLabel(card)
        self.name.setObjectName("title")
        self.name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number = QLabel(card)
        self.number.setObjectName("subtitle")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state = QLabel(card)
        self.state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state.setStyleSheet("font-size: 14pt;")
        self.queue = QLabel(card)  # a call-center call: queue, the caller's wait, the way it came
        self.queue.setObjectName("queueCall")
        self.queue.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.queue.setWordWrap(True)
        info = QHBoxLayout()
        self.quality = QLabel(card)
        self.quality.setObjectName("subtitle")
        self.quality.setTextFormat(Qt.TextFormat.RichText)
        self.recording = QLabel(card)
        self.recording.setObjectName("recordingBadge")
        self.security = QLabel(card)
        self.security.setObjectName("subtitle")
        self.security.setTextFormat(Qt.TextFormat.RichText)
        info.addStretch(1)
        info.addWidget(self.quality)
        info.addSpacing(12)
        info.addWidget(self.security)
        info.addWidget(self.recording)
        info.addStretch(1)
        # The line fills in once the first statistics arrive (~1 s into the call): keep its height from the
        # start so the buttons below do not move when it does.
        for label, text in ((self.quality, quality_html(4.4)), (self.security, security_html(False, "X"))):
            label.setText(text)
            label.ensurePolished()  # the stylesheet's font, not the default one
            # 2 px to spare: measured before the card is shown, the line came out a pixel short.
            label.setMinimumHeight(label.sizeHint().height() + 2)
            label.setText("")
        for w in (self.name, self.number, self.state, self.queue):
            c.addWidget(w)
        c.addLayout(info)
        outer.addWidget(card)

        self.banner = QFrame(self)
        self.banner.setObjectName("banner")
        b = QHBoxLayout(self.banner)
        self.banner_text = QLabel(self.banner)
        self.banner_text.setWordWrap(True)
        self.complete = QPushButton(self.banner)
        self.complete.setObjectName("primary")
        self.complete.clicked.connect(lambda: vm.complete_transfer())
        self.cancel = QPushButton(self.banner)
        self.cancel.clicked.connect(lambda: vm.cancel_consult())
        b.addWidget(self.banner_text, 1)
        b.addWidget(self.complete)
        b.addWidget(self.cancel)
        outer.addWidget(self.banner)

        grid = QGridLayout()
        grid.setSpacing(8)
        self.mute = action_button("mic-off", self, checkable=True)
        self.mute.clicked.connect(lambda: vm.toggle_mute())
        self.hold = action_button("hold", self, checkable=True)
        self.hold.clicked.connect(lambda: vm.toggle_hold())
        self.keypad_button = action_button("keypad", self, checkable=True)
        self.keypad_button.toggled.connect(self._show_keypad)
        self.transfer = action_button("transfer", self)
        self.transfer.clicked.connect(self._on_transfer)
        self.add = action_button("add", self)
        self.add.clicked.connect(self._on_add)
        self.merge = action_button("merge", self)
        self.merge.clicked.connect(vm.merge_all)
        self.record = action_button("record", self, checkable=True)
        self.record.clicked.connect(lambda: vm.toggle_recording())
        self.hide_keypad = action_button("keypad", self)
        self.hide_keypad.clicked.connect(lambda: self.keypad_button.setChecked(False))
        first = (self.mute, self.hold, self.keypad_button, self.record, self.transfer, self.add)
        for i, w in enumerate(first):
            grid.addWidget(w, i // 3, i % 3)
        grid.addWidget(self.merge, 2, 1)
        # The keypad takes the place of the action buttons (a page has no room for both: keys overlapped).
        self.actions = QStackedWidget(self)
        buttons = QWidget()
        buttons.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
        self.keypad = Keypad(lambda k: vm.send_dtmf(k), self)
        pad = QWidget()
        pl = QVBoxLayout(pad)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.keypad, 0, Qt.AlignmentFlag.AlignHCenter)
        pl.addWidget(self.hide_keypad, 0, Qt.AlignmentFlag.AlignHCenter)
        self.actions.addWidget(buttons)
        self.actions.addWidget(pad)
        centered = QHBoxLayout()
        centered.addStretch(1)
        centered.addWidget(self.actions)
        centered.addStretch(1)
        outer.addLayout(centered)

        self.dtmf_sent = QLabel(self)
        self.dtmf_sent.setObjectName("subtitle")
        self.dtmf_sent.setAlignment(Qt.AlignmentFlag.AlignCenter)

        end = QHBoxLayout()
        end.setSpacing(24)  # between answer and hang-up only while both show: hang-up alone is centred
        self.hangup = round_button("hangup", "#e03131", self, 64)
        self.hangup.clicked.connect(lambda: vm.hangup())
        self.answer = round_button("call", "#2b8a3e", self, 64)
        self.answer.clicked.connect(self._on_answer)
        end.addStretch(1)
        end.addWidget(self.answer)
        end.addWidget(self.hangup)
        end.addStretch(1)
        outer.addLayout(end)
        outer.addStretch(1)

        vm.changed.connect(self.refresh)
        self.retranslate()

    # ------------------------------------------------------------------ actions

    def _show_keypad(self, on: bool) -> None:
        self.actions.setCurrentIndex(1 if on else 0)

    def _on_answer(self) -> None:
        c = self.vm.active_call()
        if c is not None and c.is_ringing_in:
            self.vm.answer(c.call_id)

    def _on_transfer(self) -> None:
        d = TargetDialog(
            self._colleagues,
            self.tr("Transfer call"),
            [("blind", self.tr("Transfer now")), ("consult", self.tr("Talk first"))],
            self,
        )
        if d.exec() and d.choice:
            if d.choice == "blind":
                self.vm.blind_transfer(d.target)
            else:
                self.vm.start_consult(d.target)

    def _on_add(self) -> None:
        d = TargetDialog(self._colleagues, self.tr("Add a call"), [("call", self.tr("Call"))], self)
        if d.exec() and d.choice:
            self.vm.add_call(d.target)

    def keyPressEvent(self, event) -> None:
        text = event.text()
        if text and text in "0123456789*#":
            self.vm.send_dtmf(text)
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ binding

    def _call_line(self, c: CallItem) -> str:
        timer = (
            duration_text(self.vm.elapsed(c.call_id))
            if c.is_connected
            else call_state_text(c.state, c.direction)
        )
        extra = self.tr(" (on hold)") if c.held_local else ""
        conf = self.tr(" · conference") if c.in_conference else ""
        return f"{party_title(c.name, c.number)} · {timer}{extra}{conf}"

    def refresh(self) -> None:
        calls = self.vm.calls()
        active = self.vm.active_call()
        self.call_list.clear()
        for c in calls:
            it = QListWidgetItem(self._call_line(c))
            it.setData(Qt.ItemDataRole.UserRole, c.call_id)
            self.call_list.addItem(it)
            if active is not None and c.call_id == active.call_id:
                it.setSelected(True)
        several = len(calls) > 1
        rows = max(1, min(len(calls), 4))
        self.call_list.setFixedHeight(rows * max(self.call_list.sizeHintForRow(0), 18) + 6)
        self.call_list.setVisible(several)
        self.calls_title.setVisible(several)
        if active is None:
            self._shown_call = None
            return
        if active.call_id != self._shown_call:
            self._shown_call = active.call_id
            self.keypad_button.setChecked(False)  # a new call starts with its buttons, not last call's keypad
        title = party_title(active.name, active.number)
        self.name.setText(title)
        grouped = format_vn_number(active.number)
        self.number.setText(grouped if title != grouped else "")
        if active.is_connected:
            state = duration_text(self.vm.elapsed(active.call_id))
            if active.held_local:
                state += self.tr(" · on hold")
            elif active.held_remote:
                state += self.tr(" · held by the other side")
        else:
            state = call_state_text(active.state, active.direction)
            if active.auto_answer_in is not None and active.is_ringing_in:
                state += " · " + self.tr("auto-answer in %n s", "", active.auto_answer_in)
        if active.transfer_status == "pending":
            state += " · " + self.tr("transferring…")
        elif active.transfer_status == "failed":
            state += " · " + self.tr("transfer failed")
        self.state.setText(state)
        q = active.queue_call
        if q is not None:
            line = queue_call_text(q, self.queue_name, active.caller_wait(self.vm.now()))
            path = call_path_text(q, self.queue_name)
            self.queue.setText("\n".join(x for x in (line, path) if x))
        self.queue.setVisible(q is not None)
        held = active.held_local or active.held_remote
        # On hold no audio flows: the last figures say nothing about the line.
        self.quality.setText("" if held else quality_html(active.mos))
        self.quality.setToolTip("" if held else quality_details(active.stats))
        stats = active.stats if active.is_connected else None
        lock, why = security_text(stats)
        secure = stats is not None and stats.srtp_active
        self.security.setText(security_html(secure, lock) if lock else "")
        self.security.setToolTip(why)
        self.recording.setVisible(active.recording)
        consult = active if active.consult_for else None
        if consult is not None:
            original = self.vm.call(consult.consult_for or "")
            self.banner_text.setText(
                self.tr("Talking to %1 before transferring %2.")
                .replace("%1", party_title(consult.name, consult.number))
                .replace("%2", party_title(original.name, original.number) if original else "")
            )
        self.banner.setVisible(consult is not None)
        ringing = active.is_ringing_in
        connected = active.is_connected
        self.answer.setVisible(ringing)
        for w in (self.mute, self.hold, self.keypad_button, self.transfer, self.add, self.record):
            w.setEnabled(connected)
        self.merge.setEnabled(self.vm.can_merge())
        self.mute.setChecked(active.muted)
        self.hold.setChecked(active.held_local)
        self.record.setChecked(active.recording)

    def retranslate(self) -> None:
        self.calls_title.setText(self.tr("Calls"))
        self.mute.setText(self.tr("Mute"))
        self.hold.setText(self.tr("Hold"))
        self.keypad_button.setText(self.tr("Keypad"))
        self.hide_keypad.setText(self.tr("Hide keypad"))
        self.transfer.setText(self.tr("Transfer"))
        self.add.setText(self.tr("Add call"))
        self.merge.setText(self.tr("Conference"))
        self.record.setText(self.tr("Record"))
        self.recording.setText(self.tr("● REC"))
        self.complete.setText(self.tr("Complete transfer"))
        self.cancel.setText(self.tr("Cancel"))
        self.hangup.setToolTip(self.tr("Hang up (Ctrl+Shift+H)"))
        self.answer.setToolTip(self.tr("Answer (Ctrl+Shift+A)"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def security_html(secure: bool, label: str) -> str:
    """A lock icon, closed or open (emoji fonts are missing on many Linux desktops), and the words."""
    img = resources_dir() / "icons" / ("lock.svg" if secure else "lock-open.svg")
    return f'<img src="{img}" width="14" height="14">&nbsp;{html.escape(label)}'


def quality_html(mos: float | None) -> str:
    """Signal bars in the level's colour (grey for the missing ones) and the level in words."""
    level = quality_level(mos)
    if level == 0:
        return ""
    bars = "▂▄▆█"
    lit = f'<span style="color:{QUALITY_COLORS[level]}">{bars[:level]}</span>'
    dim = f'<span style="color:#c7ccd1">{bars[level:]}</span>'
    return f"{lit}{dim}&nbsp;{html.escape(quality_text(mos))}"
