"""Settings: accounts, audio devices, call handling, language and start-up, reset."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.viewmodels.accounts import AccountsViewModel
from ui.viewmodels.settings import RING_METHODS, SettingsViewModel
from ui.views.common import presence_icon, titled_page
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
        for t in ("udp", "tcp", "tls"):
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


class SettingsView(QWidget):
    def __init__(
        self,
        accounts: AccountsViewModel,
        settings: SettingsViewModel,
        *,
        on_sign_in: Callable[[], None],
        on_provision_mobile: Callable[[], None],
        on_reset: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.vm = settings
        self._on_reset = on_reset
        lay, self.title = titled_page(self)
        self.tabs = QTabWidget(self)
        lay.addWidget(self.tabs, 1)

        # accounts
        acc = QWidget()
        a = QVBoxLayout(acc)
        self.account_list = QListWidget(acc)
        self.account_list.currentItemChanged.connect(lambda *_: self._sync_account_buttons())
        a.addWidget(self.account_list, 1)
        row = QHBoxLayout()
        self.sign_in = QPushButton(acc)
        self.sign_in.setObjectName("primary")
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
        self.device_problem = QLabel(audio)
        self.device_problem.setObjectName("error")
        self.lbl_input, self.lbl_output, self.lbl_ringer, self.lbl_level = (QLabel(audio) for _ in range(4))
        f.addRow(self.lbl_input, self.input)
        f.addRow(self.lbl_level, self.level)
        f.addRow(self.lbl_output, self.output)
        f.addRow("", _left(self.speaker_test))
        f.addRow(self.lbl_ringer, self.ringer)
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
        self.mobile_number.setPlaceholderText("84912345678")
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
        c.addStretch(1)
        self.tabs.addTab(calls, "")

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

        accounts.changed.connect(self.refresh_accounts)
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
        if rec is None or rec.source != "manual":
            return
        d = AddExtensionDialog(self)
        d.setWindowTitle(self.tr("Edit SIP extension"))
        d.extension.setText(rec.sip_username)
        d.extension.setEnabled(False)
        d.password.setPlaceholderText(self.tr("unchanged"))
        d.domain.setText(rec.sip_domain)
        d.proxy.setText(rec.proxy or "")
        d.transport.setCurrentIndex(max(0, d.transport.findData(rec.transport)))
        if d.exec():
            self.accounts.update_manual(
                rec.account_id,
                password=d.password.text(),
                domain=d.domain.text(),
                proxy=d.proxy.text(),
                transport=d.transport.currentData(),
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
        self.ring_error.setText("" if ok else self.tr("Enter your mobile number as 84xxxxxxxxx."))

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

    # ------------------------------------------------------------------ binding

    def _sync_account_buttons(self) -> None:
        aid = self._selected_account()
        rec = self.accounts.record(aid) if aid else None
        self.toggle.setEnabled(rec is not None)
        self.edit.setEnabled(rec is not None and rec.source == "manual")
        self.remove.setEnabled(rec is not None)
        self.toggle.setText(self.tr("Deactivate") if rec is None or rec.enabled else self.tr("Activate"))

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
        ):
            w.blockSignals(True)
            w.setChecked(v)
            w.blockSignals(False)
        self.auto_delay.blockSignals(True)
        self.auto_delay.setValue(p.auto_answer_delay)
        self.auto_delay.blockSignals(False)
        self.language.setCurrentIndex(max(0, self.language.findData(p.language)))

    def retranslate(self) -> None:
        self.title.setText(self.tr("Settings"))
        for i, name in enumerate(
            (self.tr("Accounts"), self.tr("Audio"), self.tr("Calls"), self.tr("General"))
        ):
            self.tabs.setTabText(i, name)
        self.sign_in.setText(self.tr("Log in to my company…"))
        self.add_ext.setText(self.tr("Add SIP extension…"))
        self.remove.setText(self.tr("Remove"))
        self.edit.setText(self.tr("Edit…"))
        self.mobile.setText(self.tr("Provision my mobile…"))
        self.lbl_input.setText(self.tr("Microphone"))
        self.lbl_level.setText(self.tr("Microphone level"))
        self.lbl_output.setText(self.tr("Speaker / headset"))
        self.lbl_ringer.setText(self.tr("Ringtone plays on"))
        self.speaker_test.setText(self.tr("Test speaker"))
        self.ring_box.setTitle(self.tr("Where my calls ring"))
        self.lbl_ring.setText(self.tr("Ring"))
        self.lbl_mobile.setText(self.tr("My mobile number"))
        self.ring_save.setText(self.tr("Save"))
        self.auto_box.setTitle(self.tr("Auto-answer"))
        self.auto_answer.setText(self.tr("Answer incoming calls automatically after (seconds):"))
        self.lbl_language.setText(self.tr("Language"))
        self.start_minimized.setText(self.tr("Start minimized in the tray"))
        self.start_at_login.setText(self.tr("Start when I log in to the computer"))
        self.reset.setText(self.tr("Reset application…"))
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
