"""Settings > Calls > "Call forwarding": my four rules (always, busy, no answer after N s, unreachable),
each to an extension, my voicemail or a phone number; the server checks them and its errors show under
the rule they concern."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from softphone.provisioning import FORWARD_CONDITIONS, FORWARD_TARGET_KINDS, ForwardingRule
from ui.viewmodels.settings import ForwardingViewModel
from ui.views.texts import forwarding_error_text


@dataclass
class _RuleRow:
    enabled: QCheckBox
    kind: QComboBox
    target: QLineEdit
    seconds: QSpinBox | None
    error: QLabel


class ForwardingBox(QGroupBox):
    def __init__(self, vm: ForwardingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        grid = QGridLayout(self)
        self.rows: dict[str, _RuleRow] = {}
        for i, condition in enumerate(FORWARD_CONDITIONS):
            enabled = QCheckBox(self)
            kind = QComboBox(self)
            target = QLineEdit(self)
            target.setMaximumWidth(170)
            kind.currentIndexChanged.connect(lambda _i, c=condition: self._sync_row(c))
            seconds = None
            if condition == "no_answer":
                seconds = QSpinBox(self)
                seconds.setRange(5, 120)
                seconds.setSuffix(" s")
            error = QLabel(self)
            error.setObjectName("error")
            error.setWordWrap(True)
            line = QHBoxLayout()
            line.addWidget(kind)
            line.addWidget(target)
            if seconds is not None:
                line.addWidget(seconds)
            line.addStretch(1)
            grid.addWidget(enabled, 2 * i, 0)
            grid.addLayout(line, 2 * i, 1)
            grid.addWidget(error, 2 * i + 1, 1)
            self.rows[condition] = _RuleRow(enabled, kind, target, seconds, error)
        self.save = QPushButton(self)
        self.save.clicked.connect(self._save)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.save)
        bottom.addWidget(self.status, 1)
        grid.addLayout(bottom, 2 * len(FORWARD_CONDITIONS), 0, 1, 2)
        grid.setColumnStretch(1, 1)
        vm.changed.connect(self.refresh)
        self.retranslate()

    def rules(self) -> dict[str, ForwardingRule]:
        """The rules as the widgets show them now."""
        return {
            c: ForwardingRule(
                enabled=r.enabled.isChecked(),
                target_kind=str(r.kind.currentData()),
                target="" if r.kind.currentData() == "voicemail" else r.target.text().strip(),
                seconds=r.seconds.value() if r.seconds is not None else 20,
            )
            for c, r in self.rows.items()
        }

    def _save(self) -> None:
        self.vm.save(self.rules())

    def _sync_row(self, condition: str) -> None:
        row = self.rows[condition]
        kind = row.kind.currentData()
        row.target.setVisible(kind != "voicemail")
        row.target.setPlaceholderText("0912 345 678" if kind == "external" else "102")

    def refresh(self) -> None:
        vm = self.vm
        if vm.state in ("", "saved"):  # what the server holds now
            for condition, rule in vm.rules.items():
                row = self.rows[condition]
                row.enabled.setChecked(rule.enabled)
                row.kind.setCurrentIndex(max(0, row.kind.findData(rule.target_kind)))
                row.target.setText(rule.target)
                if row.seconds is not None:
                    row.seconds.setValue(rule.seconds)
        for condition, row in self.rows.items():
            texts = [
                forwarding_error_text(text)
                for field, text in vm.errors.items()
                if field == condition or field.startswith(f"{condition}.")
            ]
            rule = vm.rules.get(condition)
            if not texts and vm.state in ("", "saved") and rule is not None and rule.target_missing:
                gone = self.tr("Extension %1 no longer exists: this rule is ignored until you change it.")
                texts = [gone.replace("%1", rule.target)]
            row.error.setText(" ".join(texts))
            row.error.setVisible(bool(texts))
            self._sync_row(condition)
        busy = vm.state in ("loading", "saving")
        self.save.setEnabled(vm.available and not busy)
        self.status.setObjectName("error" if vm.state in ("invalid", "failed") else "subtitle")
        self.status.setStyleSheet("")
        self.status.setText(
            {
                "loading": self.tr("Loading…"),
                "saving": self.tr("Saving…"),
                "saved": self.tr("Saved. Calls follow these rules now."),
                "invalid": self.tr("Please correct the rules marked above."),
                "failed": self.tr("Could not reach the server: %1").replace("%1", vm.detail),
                "signed_out": self.tr("Log in to your company to set call forwarding."),
            }.get(vm.state, "")
        )

    def retranslate(self) -> None:
        self.setTitle(self.tr("Call forwarding"))
        labels = {
            "always": self.tr("Always"),
            "busy": self.tr("When I am busy"),
            "no_answer": self.tr("When I do not answer within"),
            "unreachable": self.tr("When my phones are offline"),
        }
        kinds = {
            "extension": self.tr("To extension"),
            "voicemail": self.tr("To my voicemail"),
            "external": self.tr("To phone number"),
        }
        for condition, row in self.rows.items():
            row.enabled.setText(labels[condition])
            current = row.kind.currentData()
            row.kind.blockSignals(True)
            row.kind.clear()
            for kind in FORWARD_TARGET_KINDS:
                row.kind.addItem(kinds[kind], kind)
            row.kind.setCurrentIndex(max(0, row.kind.findData(current)))
            row.kind.blockSignals(False)
        self.save.setText(self.tr("Save forwarding"))
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.vm.state in ("", "signed_out", "failed"):
            self.vm.load()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
