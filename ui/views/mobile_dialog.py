"""Shows the server's one-time QR code that provisions the agent's mobile softphone."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from softphone.tasks import TaskRunner
from ui.viewmodels.session import SessionViewModel
from ui.views.texts import error_text


class MobileProvisioningDialog(QDialog):
    def __init__(self, session: SessionViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(self.tr("Provision my mobile"))
        lay = QVBoxLayout(self)
        self.explain = QLabel(
            self.tr(
                "Open the softphone app on your mobile and scan this code. "
                "The code works once and expires soon."
            ),
            self,
        )
        self.explain.setWordWrap(True)
        lay.addWidget(self.explain)
        self.qr = QLabel(self.tr("Loading…"), self)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumSize(280, 280)
        lay.addWidget(self.qr)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self._runner = TaskRunner()
        self._runner.spawn(self._load())

    async def _load(self) -> None:
        png = await self.session.mobile_qr_async()
        if not png:
            self.qr.setText(error_text(self.session.error, self.session.error_detail))
            return
        pm = QPixmap()
        pm.loadFromData(png)
        self.qr.setPixmap(
            pm.scaled(280, 280, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
        )
