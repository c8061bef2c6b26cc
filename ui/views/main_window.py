"""The main window: sidebar pages, status selector, registration state, in-call view."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.viewmodels.app_state import AppViewModel
from ui.viewmodels.status import STATUSES
from ui.views.call_view import CallView
from ui.views.chat_view import ChatView
from ui.views.common import STYLE_SHEET, icon, presence_icon
from ui.views.contacts_view import ContactsView
from ui.views.dialer_view import DialerView
from ui.views.history_view import HistoryView
from ui.views.mobile_dialog import MobileProvisioningDialog
from ui.views.onboarding_view import OnboardingView
from ui.views.queues_view import QueuesView
from ui.views.settings_view import AddExtensionDialog, SettingsView
from ui.views.texts import registration_text, status_text
from ui.views.voicemail_view import VoicemailView

PAGES = ("phone", "history", "contacts", "chat", "queues", "voicemail", "settings")
ICONS = {
    "phone": "phone",
    "history": "history",
    "contacts": "contacts",
    "chat": "chat",
    "queues": "queues",
    "voicemail": "voicemail",
    "settings": "settings",
}


class MainWindow(QMainWindow):
    closedToTray = Signal()

    def __init__(self, app: AppViewModel, *, keep_in_tray: bool = True) -> None:
        super().__init__()
        self.app = app
        self.keep_in_tray = keep_in_tray
        self.quitting = False
        self.setWindowIcon(icon("app"))
        self.setStyleSheet(STYLE_SHEET)
        self.resize(860, 640)
        self.setMinimumSize(QSize(860, 640))  # below this the keypad keys overlap and Vietnamese labels clip

        root = QStackedWidget(self)
        self.setCentralWidget(root)
        self.root = root
        self.onboarding = OnboardingView(
            app.session, on_manual_account=self._add_extension, on_skip=lambda: app.session.go("ready")
        )
        root.addWidget(self.onboarding)

        main = QWidget()
        h = QHBoxLayout(main)
        h.setContentsMargins(0, 0, 0, 0)
        h.setSpacing(0)
        self.sidebar = QListWidget(main)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(170)
        self.sidebar.setIconSize(QSize(20, 20))
        for name in PAGES:
            it = QListWidgetItem(icon(ICONS[name], "#cbd2d9"), "")
            it.setData(Qt.ItemDataRole.UserRole, name)
            self.sidebar.addItem(it)
        self.sidebar.currentRowChanged.connect(self._on_sidebar)
        h.addWidget(self.sidebar)

        right = QWidget(main)
        v = QVBoxLayout(right)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        top = QFrame(right)
        top.setObjectName("topBar")
        t = QHBoxLayout(top)
        t.setContentsMargins(16, 8, 16, 8)
        self.registration = QLabel(top)
        self.registration.setObjectName("subtitle")
        self.registration.setWordWrap(True)  # a failure reason is long in Vietnamese: wrap, never cut
        self.status_label = QLabel(top)
        self.status = QComboBox(top)
        for s in STATUSES:
            self.status.addItem(presence_icon(s), "", s)
        self.status.activated.connect(lambda i: app.status.set_status(self.status.itemData(i)))
        self.status.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)  # never squeezed
        t.addWidget(self.registration, 1)
        t.addWidget(self.status_label)
        t.addWidget(self.status)
        v.addWidget(top)
        self.dnd_banner = QLabel(right)
        self.dnd_banner.setObjectName("dndBanner")
        self.dnd_banner.setWordWrap(True)
        v.addWidget(self.dnd_banner)

        self.pages = QStackedWidget(right)
        self.phone = QStackedWidget()
        self.dialer = DialerView(app.dialer)
        self.call_view = CallView(app.calls, app.contacts.colleagues, queue_name=app.queues.queue_name)
        self.phone.addWidget(self.dialer)
        self.phone.addWidget(self.call_view)
        self.history = HistoryView(app.history)
        self.contacts = ContactsView(app.contacts)
        self.chat = ChatView(app.chat, app.contacts.colleagues)
        self.queues = QueuesView(app.queues)
        self.voicemail = VoicemailView(app.voicemail)
        self.settings = SettingsView(
            app.accounts,
            app.settings,
            app.session,
            forwarding=app.forwarding,
            on_sign_in=self._sign_in,
            on_provision_mobile=self._provision_mobile,
            on_reset=app.reset,
            diagnostics=app.diagnostics,
        )
        for w in (
            self.phone,
            self.history,
            self.contacts,
            self.chat,
            self.queues,
            self.voicemail,
            self.settings,
        ):
            self.pages.addWidget(w)
        v.addWidget(self.pages, 1)
        h.addWidget(right, 1)
        root.addWidget(main)
        self.main = main

        self._answer_key = QShortcut(self)
        self._answer_key.activated.connect(self.answer_ringing)
        self._hangup_key = QShortcut(self)
        self._hangup_key.activated.connect(lambda: app.calls.hangup())
        QShortcut(QKeySequence("Ctrl+Shift+D"), self, app.status.toggle_dnd)
        app.settings.hotkeysChanged.connect(self._sync_hotkeys)
        self._sync_hotkeys()

        app.session.changed.connect(self._sync_root)
        app.session.changed.connect(self._sync_badges)
        app.accounts.changed.connect(self._sync_registration)
        app.status.changed.connect(self._sync_status)
        app.calls.changed.connect(self._sync_phone)
        app.history.changed.connect(self._sync_badges)
        app.chat.changed.connect(self._sync_badges)
        app.voicemail.changed.connect(self._sync_badges)
        app.queues.changed.connect(self._sync_badges)
        app.pageRequested.connect(self.show_page)
        app.showRequested.connect(self.bring_to_front)
        self.sidebar.setCurrentRow(0)
        self.retranslate()
        self._sync_root()

    # ------------------------------------------------------------------ navigation

    def show_page(self, name: str) -> None:
        if name in PAGES:
            if self.app.session.page != "ready" and self.app.accounts.has_accounts():
                self.app.session.go("ready")
            self.sidebar.setCurrentRow(PAGES.index(name))

    def current_page(self) -> str:
        return PAGES[self.pages.currentIndex()]

    def _on_sidebar(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        if PAGES[row] == "history":
            self.app.history.mark_seen()
        self._sync_badges()

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _sync_hotkeys(self) -> None:
        prefs = self.app.settings.prefs
        self._answer_key.setKey(QKeySequence(prefs.answer_key))
        self._hangup_key.setKey(QKeySequence(prefs.hangup_key))

    def answer_ringing(self) -> None:
        ringing = self.app.calls.ringing_call()
        if ringing is not None:
            self.app.calls.answer(ringing.call_id)

    def _sign_in(self) -> None:
        self.app.session.go("login")

    def _add_extension(self) -> None:
        d = AddExtensionDialog(self)
        if (
            d.exec()
            and self.app.accounts.add_manual(
                extension=d.extension.text(),
                password=d.password.text(),
                domain=d.domain.text(),
                proxy=d.proxy.text(),
                transport=d.transport.currentData(),
            )
            is not None
        ):
            self.app.session.go("ready")

    def _provision_mobile(self) -> None:
        MobileProvisioningDialog(self.app.session, self).exec()

    # ------------------------------------------------------------------ binding

    def _sync_root(self) -> None:
        self.root.setCurrentWidget(self.onboarding if self.app.session.page != "ready" else self.main)

    def _sync_phone(self) -> None:
        self.phone.setCurrentWidget(self.call_view if self.app.calls.has_calls() else self.dialer)
        self._sync_status()

    def _sync_registration(self) -> None:
        if self.app.accounts.engine_problem:
            self.registration.setText(
                self.tr("The phone engine stopped: %1").replace("%1", self.app.accounts.engine_problem)
            )
            return
        rows = self.app.accounts.rows()
        failed = any(r.state == "failed" for r in rows)
        self.registration.setObjectName("error" if failed else "subtitle")
        self.registration.setStyleSheet("")  # re-polish after the object name changed
        if not rows:
            self.registration.setText(self.tr("No account — open Settings to add one"))
            self.registration.setToolTip("")
            return
        parts = [
            f"{r.record.extension or r.record.sip_username}: {registration_text(r.state, r.code, r.reason)}"
            for r in rows
        ]
        self.registration.setText("  ·  ".join(parts))
        self.registration.setToolTip(
            self.tr("Check the password and server in Settings › Accounts.") if failed else ""
        )

    def _sync_status(self) -> None:
        self.status.setCurrentIndex(max(0, self.status.findData(self.app.status.status)))
        dnd = self.app.status.dnd
        self.status.setToolTip(self.tr("Do not disturb rejects incoming calls (Ctrl+Shift+D)"))
        self.dnd_banner.setVisible(dnd)
        title = self.tr("Softphone")
        if dnd:
            title += " — " + status_text("dnd")
        self.setWindowTitle(title)

    def _sync_badges(self) -> None:
        missed = self.app.history.missed_badge()
        unread = self.app.chat.unread_total()
        names = self._page_names()
        for i, name in enumerate(PAGES):
            text = names[name]
            if name == "history" and missed:
                text += f"  ({missed})"
            if name == "chat" and unread:
                text += f"  ({unread})"
            if name == "voicemail" and self.app.voicemail.badge:
                text += f"  ({self.app.voicemail.badge})"
            if name == "queues" and self.app.queues.wrapup_left is not None:
                text += f"  ({self.app.queues.wrapup_left})"
            self.sidebar.item(i).setText(text)
        # the call-center pages only for someone signed in to the company server (with queues or voicemail)
        signed_in = self.app.session.signed_in
        self.sidebar.item(PAGES.index("queues")).setHidden(
            not (self.app.queues.available or (signed_in and self.app.queues.supervisor))
        )
        self.sidebar.item(PAGES.index("voicemail")).setHidden(not signed_in)

    def _page_names(self) -> dict[str, str]:
        return {
            "phone": self.tr("Phone"),
            "history": self.tr("History"),
            "contacts": self.tr("Contacts"),
            "chat": self.tr("Chat"),
            "queues": self.tr("Queues"),
            "voicemail": self.tr("Voicemail"),
            "settings": self.tr("Settings"),
        }

    def retranslate(self) -> None:
        self.status_label.setText(self.tr("My status:"))
        self.dnd_banner.setText(self.tr("Do not disturb is on: incoming calls are rejected."))
        for i, s in enumerate(STATUSES):
            self.status.setItemText(i, status_text(s))
        self._sync_badges()
        self._sync_registration()
        self._sync_status()
        self._sync_phone()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_in_tray and not self.quitting:
            event.ignore()
            self.hide()
            self.closedToTray.emit()
            return
        super().closeEvent(event)
