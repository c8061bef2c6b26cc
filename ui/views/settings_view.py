"""Settings: accounts (and each account's own settings), audio, call handling, hotkeys, general, about."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.account_book import AccountRecord
from softphone.diagnostics import app_version, engine_version
from ui.viewmodels.accounts import DTMF_METHODS, SRTP_MODES, TRANSPORTS, AccountsViewModel
from ui.viewmodels.session import SessionViewModel
from ui.viewmodels.settings import RING_METHODS, ForwardingViewModel, SettingsViewModel
from ui.views.common import presence_icon, titled_page
from ui.views.forwarding_box import ForwardingBox
from ui.views.texts import registration_text, ring_method_text


def _left(widget: QWidget) -> QHBoxLayout:
    """A row holding ``widget`` at its natural width (form rows would stretch a button across the page)."""
    row = QHBoxLayout()
    row.addWidget(widget)
    row.addStretch(1)
    return row


REG_COLORS = {
    "registered": "available",
    "registering": "away",
    "failed": "dnd",
    "unregistered": "",
    "disabled": "offline",
}


def _note(text_parent: QWidget) -> QLabel:
    label = QLabel(text_parent)
    label.setObjectName("subtitle")
    label.setWordWrap(True)
    return label


class AddExtensionDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add SIP extension"))
        form = QFormLayout(self)
        self.extension = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.domain = QLineEdit(self)
        self.proxy = QLineEdit(self)
        self.proxy.setPlaceholderText(self.tr("optional, e.g. sip.example.com:5060"))
        self.transport = QComboBox(self)
        for t in TRANSPORTS:
            self.transport.addItem(t.upper(), t)
        form.addRow(self.tr("Extension"), self.extension)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Domain"), self.domain)
        form.addRow(self.tr("Proxy"), self.proxy)
        form.addRow(self.tr("Transport"), self.transport)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)


class AccountSettingsDialog(QDialog):
    """One account's settings: server fields (hand-entered accounts only), transport, SRTP, codec order,
    DTMF method, ringtone and its volume."""

    def __init__(
        self, record: AccountRecord, all_codecs: list[str], settings: SettingsViewModel,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.record = record
        self._settings = settings
        who = record.extension or record.sip_username
        self.setWindowTitle(self.tr("Account settings — %1").replace("%1", who))
        self.setMinimumWidth(480)
        self.setMinimumHeight(460)
        form = QFormLayout(self)
        manual = record.source == "manual"
        self.domain = QLineEdit(record.sip_domain, self)
        self.proxy = QLineEdit(record.proxy or "", self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("unchanged"))
        if manual:
            form.addRow(self.tr("Domain"), self.domain)
            form.addRow(self.tr("Proxy"), self.proxy)
            form.addRow(self.tr("Password"), self.password)
        else:
            for w in (self.domain, self.proxy, self.password):
                w.hide()  # the company's; not shown, not editable
            hint = _note(self)
            hint.setText(
                self.tr("Your company provisions this account: server and password come from it.")
            )
            form.addRow(hint)
        self.transport = QComboBox(self)
        offered = record.offered_transports or dict.fromkeys(TRANSPORTS, 0)
        for t in TRANSPORTS:
            if t in offered:
                self.transport.addItem(t.upper(), t)
        self.transport.setCurrentIndex(max(0, self.transport.findData(record.transport)))
        form.addRow(self.tr("Transport"), self.transport)
        self.srtp = QComboBox(self)
        srtp_names = {
            "off": self.tr("Off"),
            "optional": self.tr("When the other side can"),
            "mandatory": self.tr("Always"),
        }
        for m in SRTP_MODES:
            self.srtp.addItem(srtp_names[m], m)
        self.srtp.setCurrentIndex(max(0, self.srtp.findData(record.srtp)))
        form.addRow(self.tr("Encrypt voice (SRTP)"), self.srtp)
        # codecs: checked ones are offered, in this order
        self.codecs = QListWidget(self)
        self.codecs.setMinimumHeight(150)
        chosen = list(record.codecs)
        order = chosen + [x for x in all_codecs if x not in chosen]
        for name in order:
            it = QListWidgetItem(name)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(
                Qt.CheckState.Checked if (name in chosen or not chosen) else Qt.CheckState.Unchecked
            )
            self.codecs.addItem(it)
        up, down = QPushButton(self.tr("Up"), self), QPushButton(self.tr("Down"), self)
        up.clicked.connect(lambda: self._move(-1))
        down.clicked.connect(lambda: self._move(1))
        codec_box = QHBoxLayout()
        codec_box.addWidget(self.codecs, 1)
        arrows = QVBoxLayout()
        arrows.addWidget(up)
        arrows.addWidget(down)
        arrows.addStretch(1)
        codec_box.addLayout(arrows)
        form.addRow(self.tr("Codecs (in order)"), codec_box)
        self.dtmf = QComboBox(self)
        for m, label in zip(DTMF_METHODS, ("RFC 4733", "SIP INFO"), strict=True):
            self.dtmf.addItem(label, m)
        self.dtmf.setCurrentIndex(max(0, self.dtmf.findData(record.dtmf_method)))
        form.addRow(self.tr("DTMF"), self.dtmf)
        self.ringtone = QComboBox(self)
        self.ringtone.addItem(self.tr("Built-in ringtone"), "")
        if record.ringtone:
            self.ringtone.addItem(Path(record.ringtone).name, record.ringtone)
            self.ringtone.setCurrentIndex(1)
        choose = QPushButton(self.tr("Choose…"), self)
        choose.clicked.connect(self._choose_ringtone)
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setValue(round(record.ring_volume * 100))
        self.test = QPushButton(self.tr("Test"), self)
        self.test.clicked.connect(
            lambda: settings.test_ringtone(self.ringtone.currentData(), self.volume.value() / 100)
        )
        ring = QHBoxLayout()
        ring.addWidget(self.ringtone, 1)
        ring.addWidget(choose)
        form.addRow(self.tr("Ringtone"), ring)
        vol = QHBoxLayout()
        vol.addWidget(self.volume, 1)
        vol.addWidget(self.test)
        form.addRow(self.tr("Ringtone volume"), vol)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)

    def _move(self, step: int) -> None:
        row = self.codecs.currentRow()
        if row < 0 or not 0 <= row + step < self.codecs.count():
            return
        it = self.codecs.takeItem(row)
        self.codecs.insertItem(row + step, it)
        self.codecs.setCurrentRow(row + step)

    def _choose_ringtone(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a ringtone"), "", self.tr("Sound (*.wav)")
        )
        if path:
            self.ringtone.addItem(Path(path).name, path)
            self.ringtone.setCurrentIndex(self.ringtone.count() - 1)

    def chosen_codecs(self) -> tuple[str, ...]:
        items = [self.codecs.item(i) for i in range(self.codecs.count())]
        checked = tuple(it.text() for it in items if it.checkState() == Qt.CheckState.Checked)
        # All offered in the default order is the default: keep following the app's order.
        unchanged = len(checked) == len(items) and not self.record.codecs and self._default(items)
        return () if unchanged else checked

    def _default(self, items: list[QListWidgetItem]) -> bool:
        return [it.text() for it in items] == self._settings.codecs


class SettingsView(QWidget):
    def __init__(
        self,
        accounts: AccountsViewModel,
        settings: SettingsViewModel,
        session: SessionViewModel,
        *,
        forwarding: ForwardingViewModel,
        on_sign_in: Callable[[], None],
        on_provision_mobile: Callable[[], None],
        on_reset: Callable[[], None],
        diagnostics: Callable[[], str] = lambda: "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.vm = settings
        self.session = session
        self._on_reset = on_reset
        self._diagnostics = diagnostics
        lay, self.title = titled_page(self)
        self.tabs = QTabWidget(self)
        lay.addWidget(self.tabs, 1)

        # accounts
        acc = QWidget()
        a = QVBoxLayout(acc)
        self.account_list = QListWidget(acc)
        self.account_list.currentItemChanged.connect(lambda *_: self._sync_account_buttons())
        self.account_list.itemDoubleClicked.connect(lambda _it: self._edit_account())
        a.addWidget(self.account_list, 1)
        row = QHBoxLayout()
        self.sign_in = QPushButton(acc)
        self.sign_in.clicked.connect(on_sign_in)
        self.add_ext = QPushButton(acc)
        self.add_ext.clicked.connect(self._add_extension)
        self.edit = QPushButton(acc)
        self.edit.clicked.connect(self._edit_account)
        self.toggle = QPushButton(acc)
        self.toggle.clicked.connect(self._toggle_account)
        self.remove = QPushButton(acc)
        self.remove.clicked.connect(self._remove_account)
        self.mobile = QPushButton(acc)
        self.mobile.clicked.connect(on_provision_mobile)
        for w in (self.sign_in, self.add_ext, self.mobile):
            row.addWidget(w)
        row.addStretch(1)
        a.addLayout(row)
        row2 = QHBoxLayout()
        row2.addWidget(self.edit)
        row2.addWidget(self.toggle)
        row2.addWidget(self.remove)
        row2.addStretch(1)
        a.addLayout(row2)
        self.account_hint = _note(acc)
        a.addWidget(self.account_hint)
        self.tabs.addTab(acc, "")

        # audio
        audio = QWidget()
        f = QFormLayout(audio)
        self.input = QComboBox(audio)
        self.output = QComboBox(audio)
        self.ringer = QComboBox(audio)
        self.input.activated.connect(lambda _i: settings.set_devices(input=self.input.currentData()))
        self.output.activated.connect(lambda _i: settings.set_devices(output=self.output.currentData()))
        self.ringer.activated.connect(lambda _i: settings.set_devices(ringer=self.ringer.currentData()))
        self.level = QProgressBar(audio)
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setMaximumHeight(10)
        self.speaker_test = QPushButton(audio)
        self.speaker_test.clicked.connect(settings.test_speaker)
        self.ringer_test = QPushButton(audio)
        self.ringer_test.clicked.connect(lambda: settings.test_ringtone())
        self.echo = QCheckBox(audio)
        self.echo.toggled.connect(lambda on: settings.set_processing(echo_cancellation=on))
        self.noise = QCheckBox(audio)
        self.noise.toggled.connect(lambda on: settings.set_processing(noise_suppression=on))
        self.agc = QCheckBox(audio)
        self.agc.toggled.connect(lambda on: settings.set_processing(auto_gain=on))
        self.device_problem = QLabel(audio)
        self.device_problem.setObjectName("error")
        self.device_problem.setWordWrap(True)
        self.lbl_input, self.lbl_output, self.lbl_ringer, self.lbl_level, self.lbl_processing = (
            QLabel(audio) for _ in range(5)
        )
        f.addRow(self.lbl_input, self.input)
        f.addRow(self.lbl_level, self.level)
        f.addRow(self.lbl_output, self.output)
        f.addRow("", _left(self.speaker_test))
        f.addRow(self.lbl_ringer, self.ringer)
        f.addRow("", _left(self.ringer_test))
        f.addRow(self.lbl_processing, self.echo)
        f.addRow("", self.noise)
        f.addRow("", self.agc)
        f.addRow(self.device_problem)
        self.tabs.addTab(audio, "")
        self._audio_tab = audio
        self.tabs.currentChanged.connect(self._sync_mic_meter)

        # calls
        calls = QWidget()
        c = QVBoxLayout(calls)
        self.ring_box = QGroupBox(calls)
        rf = QFormLayout(self.ring_box)
        self.ring_method = QComboBox(self.ring_box)
        self.mobile_number = QLineEdit(self.ring_box)
        self.mobile_number.setPlaceholderText("0912 345 678")
        self.ring_save = QPushButton(self.ring_box)
        self.ring_save.clicked.connect(self._save_ring_method)
        self.ring_error = QLabel(self.ring_box)
        self.ring_error.setObjectName("error")
        self.lbl_ring, self.lbl_mobile = QLabel(self.ring_box), QLabel(self.ring_box)
        rf.addRow(self.lbl_ring, self.ring_method)
        rf.addRow(self.lbl_mobile, self.mobile_number)
        rf.addRow("", _left(self.ring_save))
        rf.addRow(self.ring_error)
        c.addWidget(self.ring_box)
        self.forwarding = ForwardingBox(forwarding, calls)
        c.addWidget(self.forwarding)
        self.auto_box = QGroupBox(calls)
        af = QHBoxLayout(self.auto_box)
        self.auto_answer = QCheckBox(self.auto_box)
        self.auto_delay = QSpinBox(self.auto_box)
        self.auto_delay.setRange(0, 60)
        self.auto_answer.toggled.connect(lambda on: settings.set_auto_answer(on, self.auto_delay.value()))
        self.auto_delay.valueChanged.connect(
            lambda v: self.auto_answer.isChecked() and settings.set_auto_answer(True, v)
        )
        af.addWidget(self.auto_answer)
        af.addWidget(self.auto_delay)
        af.addStretch(1)
        c.addWidget(self.auto_box)
        self.keys_box = QGroupBox(calls)
        kf = QFormLayout(self.keys_box)
        self.global_keys = QCheckBox(self.keys_box)
        self.global_keys.toggled.connect(lambda on: settings.set_hotkeys(global_hotkeys=on))
        self.answer_key = QKeySequenceEdit(self.keys_box)
        self.answer_key.editingFinished.connect(
            lambda: settings.set_hotkeys(answer_key=self.answer_key.keySequence().toString())
        )
        self.hangup_key = QKeySequenceEdit(self.keys_box)
        self.hangup_key.editingFinished.connect(
            lambda: settings.set_hotkeys(hangup_key=self.hangup_key.keySequence().toString())
        )
        self.media_keys = QCheckBox(self.keys_box)
        self.media_keys.toggled.connect(lambda on: settings.set_hotkeys(media_keys=on))
        self.keys_note = _note(self.keys_box)
        self.lbl_answer_key, self.lbl_hangup_key = QLabel(self.keys_box), QLabel(self.keys_box)
        kf.addRow(self.lbl_answer_key, self.answer_key)
        kf.addRow(self.lbl_hangup_key, self.hangup_key)
        kf.addRow("", self.global_keys)
        kf.addRow("", self.media_keys)
        kf.addRow(self.keys_note)
        c.addWidget(self.keys_box)
        c.addStretch(1)
        calls_page = QScrollArea()  # the Calls tab is taller than a small window
        calls_page.setWidgetResizable(True)
        calls_page.setFrameShape(QFrame.Shape.NoFrame)
        calls_page.setWidget(calls)
        self.tabs.addTab(calls_page, "")

        # general
        general = QWidget()
        g = QFormLayout(general)
        self.language = QComboBox(general)
        self.language.addItem("Tiếng Việt", "vi")
        self.language.addItem("English", "en")
        self.language.activated.connect(lambda _i: settings.set_language(self.language.currentData()))
        self.start_minimized = QCheckBox(general)
        self.start_minimized.toggled.connect(settings.set_start_minimized)
        self.start_at_login = QCheckBox(general)
        self.start_at_login.toggled.connect(settings.set_start_at_login)
        self.reset = QPushButton(general)
        self.reset.setStyleSheet("QPushButton { color: #c92a2a; }")
        self.reset.clicked.connect(self._confirm_reset)
        self.lbl_language = QLabel(general)
        g.addRow(self.lbl_language, self.language)
        g.addRow("", self.start_minimized)
        g.addRow("", self.start_at_login)
        g.addRow("", _left(self.reset))
        self.tabs.addTab(general, "")

        # about
        about = QWidget()
        ab = QFormLayout(about)
        self.version = QLabel(f"{app_version()}", about)
        self.engine = QLabel(engine_version(), about)
        self.codec_list = QLabel(about)
        self.codec_list.setWordWrap(True)
        self.copy_diag = QPushButton(about)
        self.copy_diag.clicked.connect(self._copy_diagnostics)
        self.copied = _note(about)
        self.lbl_version, self.lbl_engine, self.lbl_codecs = QLabel(about), QLabel(about), QLabel(about)
        ab.addRow(self.lbl_version, self.version)
        ab.addRow(self.lbl_engine, self.engine)
        ab.addRow(self.lbl_codecs, self.codec_list)
        ab.addRow("", _left(self.copy_diag))
        ab.addRow(self.copied)
        self.tabs.addTab(about, "")

        accounts.changed.connect(self.refresh_accounts)
        session.changed.connect(self._sync_account_buttons)
        settings.changed.connect(self.refresh)
        settings.micLevelChanged.connect(lambda v: self.level.setValue(int(v * 100)))
        self.retranslate()

    # ------------------------------------------------------------------ actions

    def _selected_account(self) -> str | None:
        it = self.account_list.currentItem()
        return it.data(Qt.ItemDataRole.UserRole) if it is not None else None

    def _add_extension(self) -> None:
        d = AddExtensionDialog(self)
        if d.exec():
            self.accounts.add_manual(
                extension=d.extension.text(),
                password=d.password.text(),
                domain=d.domain.text(),
                proxy=d.proxy.text(),
                transport=d.transport.currentData(),
            )

    def _edit_account(self) -> None:
        aid = self._selected_account()
        rec = self.accounts.record(aid) if aid else None
        if rec is None:
            return
        d = AccountSettingsDialog(rec, self.vm.codecs, self.vm, self)
        if not d.exec():
            return
        if rec.source == "manual":
            self.accounts.update_manual(
                rec.account_id,
                password=d.password.text(),
                domain=d.domain.text(),
                proxy=d.proxy.text(),
                transport=d.transport.currentData(),
            )
        self.accounts.update_settings(
            rec.account_id,
            transport=d.transport.currentData(),
            srtp=d.srtp.currentData(),
            codecs=d.chosen_codecs(),
            dtmf_method=d.dtmf.currentData(),
            ringtone=d.ringtone.currentData(),
            ring_volume=d.volume.value() / 100,
        )

    def _toggle_account(self) -> None:
        aid = self._selected_account()
        rec = self.accounts.record(aid) if aid else None
        if rec is not None:
            self.accounts.set_enabled(rec.account_id, not rec.enabled)

    def _remove_account(self) -> None:
        aid = self._selected_account()
        if (
            aid
            and QMessageBox.question(
                self, self.tr("Remove account"), self.tr("Remove this account from this computer?")
            )
            == QMessageBox.StandardButton.Yes
        ):
            self.accounts.remove(aid)

    def _save_ring_method(self) -> None:
        ok = self.vm.set_ring_method(self.ring_method.currentData(), self.mobile_number.text())
        self.ring_error.setText("" if ok else self.tr("Enter your mobile number, e.g. 0912 345 678."))

    def _confirm_reset(self) -> None:
        answer = QMessageBox.warning(
            self,
            self.tr("Reset application"),
            self.tr(
                "This removes every account, saved password, contact and the call and chat history "
                "from this computer. Continue?"
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._on_reset()

    def _copy_diagnostics(self) -> None:
        QGuiApplication.clipboard().setText(self._diagnostics())
        self._show_copied()
        QTimer.singleShot(4000, self.copied.clear)

    def _show_copied(self) -> None:
        self.copied.setText(self.tr("Copied. Paste it into your message to support."))

    # ------------------------------------------------------------------ binding

    def _sync_account_buttons(self) -> None:
        aid = self._selected_account()
        rec = self.accounts.record(aid) if aid else None
        for w in (self.toggle, self.edit, self.remove):
            w.setEnabled(rec is not None)
        self.edit.setToolTip("" if rec is not None else self.tr("Select an account first"))
        self.toggle.setText(self.tr("Disable") if rec is None or rec.enabled else self.tr("Enable"))
        self.toggle.setToolTip(
            self.tr("Stop using this account on this computer (it stays saved)")
            if rec is None or rec.enabled
            else self.tr("Use this account on this computer again")
        )
        signed_in = self.session.signed_in
        # Logging in is the first step only while nobody is: then it is a secondary action.
        self.sign_in.setObjectName("" if signed_in or self.accounts.has_accounts() else "primary")
        self.sign_in.setStyleSheet("")
        self.sign_in.setText(
            self.tr("My company accounts…") if signed_in else self.tr("Log in to my company…")
        )
        self.mobile.setEnabled(signed_in)
        self.mobile.setToolTip("" if signed_in else self.tr("Log in to your company first"))
        self.account_hint.setText(
            self.tr("Double-click an account (or Edit…) for its transport, encryption, codecs and ringtone.")
            if self.accounts.has_accounts()
            else ""
        )

    def refresh_accounts(self) -> None:
        selected = self._selected_account()
        self.account_list.clear()
        for row in self.accounts.rows():
            r = row.record
            who = f"{r.display_name} · {r.extension or r.sip_username}@{r.sip_domain}"
            if r.company_name:
                who += f" · {r.company_name}"
            it = QListWidgetItem(f"{who}\n{registration_text(row.state, row.code, row.reason)}")
            it.setIcon(presence_icon(REG_COLORS.get(row.state, "")))
            it.setData(Qt.ItemDataRole.UserRole, r.account_id)
            self.account_list.addItem(it)
            if r.account_id == selected:
                self.account_list.setCurrentItem(it)
        if self.account_list.count() == 0:
            it = QListWidgetItem(self.tr("No account yet. Log in to your company or add a SIP extension."))
            it.setFlags(Qt.ItemFlag.NoItemFlags)
            self.account_list.addItem(it)
        elif self.account_list.currentRow() < 0:
            self.account_list.setCurrentRow(0)
        self._sync_account_buttons()

    def refresh(self) -> None:
        p = self.vm.prefs
        for combo, devices, chosen in (
            (self.input, self.vm.inputs(), p.input_device),
            (self.output, self.vm.outputs(), p.output_device),
            (self.ringer, self.vm.outputs(), p.ringer_device),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self.tr("System default"), "")
            for d in devices:
                combo.addItem(d.name, d.name)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.blockSignals(False)
        self.device_problem.setText(self.vm.device_problem)
        self.speaker_test.setText(
            self.tr("Playing a test sound…") if self.vm.speaker_testing else self.tr("Test speaker")
        )
        self.speaker_test.setEnabled(not self.vm.speaker_testing)
        self.ringer_test.setText(
            self.tr("Ringing…") if self.vm.ringtone_testing else self.tr("Test ringtone")
        )
        self.ringer_test.setEnabled(not self.vm.ringtone_testing)
        self.ring_method.blockSignals(True)
        self.ring_method.clear()
        for m in RING_METHODS:
            self.ring_method.addItem(ring_method_text(m), m)
        self.ring_method.setCurrentIndex(max(0, self.ring_method.findData(p.ring_method)))
        self.ring_method.blockSignals(False)
        if not self.mobile_number.hasFocus():
            self.mobile_number.setText(p.mobile_number)
        for w, v in (
            (self.auto_answer, p.auto_answer),
            (self.start_minimized, p.start_minimized),
            (self.start_at_login, p.start_at_login),
            (self.echo, p.echo_cancellation),
            (self.noise, p.noise_suppression),
            (self.agc, p.auto_gain),
            (self.global_keys, p.global_hotkeys),
            (self.media_keys, p.media_keys),
        ):
            w.blockSignals(True)
            w.setChecked(v)
            w.blockSignals(False)
        for edit, keys in ((self.answer_key, p.answer_key), (self.hangup_key, p.hangup_key)):
            if not edit.hasFocus():
                edit.blockSignals(True)
                edit.setKeySequence(QKeySequence(keys))
                edit.blockSignals(False)
        self.auto_delay.blockSignals(True)
        self.auto_delay.setValue(p.auto_answer_delay)
        self.auto_delay.blockSignals(False)
        self.language.setCurrentIndex(max(0, self.language.findData(p.language)))
        self.codec_list.setText(", ".join(self.vm.codecs))

    def retranslate(self) -> None:
        if self.copied.text():  # still on screen: in the new language too
            self._show_copied()
        self.title.setText(self.tr("Settings"))
        for i, name in enumerate(
            (
                self.tr("Accounts"), self.tr("Audio"), self.tr("Calls"), self.tr("General"), self.tr("About"),
            )
        ):
            self.tabs.setTabText(i, name)
        self.add_ext.setText(self.tr("Add SIP extension…"))
        self.remove.setText(self.tr("Remove"))
        self.edit.setText(self.tr("Edit…"))
        self.mobile.setText(self.tr("Provision my mobile…"))
        self.lbl_input.setText(self.tr("Microphone"))
        self.lbl_level.setText(self.tr("Microphone level"))
        self.lbl_output.setText(self.tr("Speaker / headset"))
        self.lbl_ringer.setText(self.tr("Ringtone plays on"))
        self.lbl_processing.setText(self.tr("Microphone processing"))
        self.echo.setText(self.tr("Echo cancellation"))
        self.noise.setText(self.tr("Noise suppression"))
        self.agc.setText(self.tr("Automatic gain control"))
        self.ring_box.setTitle(self.tr("Where my calls ring"))
        self.lbl_ring.setText(self.tr("Ring"))
        self.lbl_mobile.setText(self.tr("My mobile number"))
        self.ring_save.setText(self.tr("Save"))
        self.auto_box.setTitle(self.tr("Auto-answer"))
        self.auto_answer.setText(self.tr("Answer incoming calls automatically after (seconds):"))
        self.keys_box.setTitle(self.tr("Keys"))
        self.lbl_answer_key.setText(self.tr("Answer"))
        self.lbl_hangup_key.setText(self.tr("Hang up"))
        self.global_keys.setText(self.tr("These keys work in every application (global hotkeys)"))
        self.media_keys.setText(self.tr("Headset and media keys answer and hang up (play/pause)"))
        self.keys_note.setText(
            self.tr("Global hotkeys need an X11 desktop on Linux; on Wayland they work inside the app only.")
        )
        self.lbl_language.setText(self.tr("Language"))
        self.start_minimized.setText(self.tr("Start minimized in the tray"))
        self.start_at_login.setText(self.tr("Start when I log in to the computer"))
        self.reset.setText(self.tr("Reset application…"))
        self.lbl_version.setText(self.tr("Version"))
        self.lbl_engine.setText(self.tr("Engine"))
        self.lbl_codecs.setText(self.tr("Codecs"))
        self.copy_diag.setText(self.tr("Copy diagnostics"))
        self.refresh_accounts()
        self.refresh()

    def _sync_mic_meter(self) -> None:
        self.vm.set_mic_meter(self.isVisible() and self.tabs.currentWidget() is self._audio_tab)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._sync_mic_meter()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._sync_mic_meter()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
