"""The desktop app's view-models wired together (no widgets here).

Cross-cutting flows live in this one place: a contact or history entry asks for a call, the dialer places it
and the window shows the phone page; a finished call goes to history; settings changes go to the engine
and the server; reset wipes every store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from softphone.events import RegistrationChanged
from ui.account_book import AccountBook, SecretStorePort
from ui.contact_import import ContactBook
from ui.engine_link import EngineLink
from ui.preferences import PreferencesFile
from ui.viewmodels.accounts import AccountsViewModel
from ui.viewmodels.calls import CallsViewModel
from ui.viewmodels.chat import ChatLog, ChatViewModel
from ui.viewmodels.contacts import ContactsViewModel
from ui.viewmodels.dialer import DialerViewModel
from ui.viewmodels.history import CallLog, HistoryViewModel
from ui.viewmodels.session import SessionViewModel
from ui.viewmodels.settings import SettingsViewModel
from ui.viewmodels.status import StatusViewModel


@dataclass(frozen=True, slots=True)
class Profile:
    """Where this user's data lives (platformdirs locations by default, a temp dir in tests)."""

    config_dir: Path
    data_dir: Path

    @property
    def preferences(self) -> Path:
        return self.config_dir / "preferences.json"

    @property
    def accounts(self) -> Path:
        return self.config_dir / "accounts.json"

    @property
    def contacts(self) -> Path:
        return self.data_dir / "contacts.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def recordings(self) -> Path:
        return self.data_dir / "recordings"


class AppViewModel(QObject):
    pageRequested = Signal(str)  # phone | history | contacts | chat | settings
    showRequested = Signal()
    resetDone = Signal()

    def __init__(
        self,
        link: EngineLink,
        *,
        profile: Profile,
        secrets: SecretStorePort,
        call_log: CallLog,
        chat_log: ChatLog,
        client_factory: Callable[[str], Any],
        speaker_test: Callable[[int | None], None] | None = None,
        server_url: str | None = None,
        refresh_interval_ms: int = 300_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.profile = profile
        self.settings = SettingsViewModel(
            link, PreferencesFile(profile.preferences), speaker_test=speaker_test, parent=self
        )
        prefs = self.settings.prefs
        self.accounts = AccountsViewModel(link, AccountBook(profile.accounts, secrets), parent=self)
        self.contacts = ContactsViewModel(link, ContactBook(profile.contacts), parent=self)
        self.calls = CallsViewModel(
            link, resolve_name=self.contacts.resolve_name, recordings_dir=profile.recordings, parent=self
        )
        self.calls.set_auto_answer(prefs.auto_answer_delay if prefs.auto_answer else None)
        self.dialer = DialerViewModel(self.accounts, self.calls, parent=self)
        self.history = HistoryViewModel(
            call_log,
            seen_until=prefs.missed_seen_at,
            on_seen=lambda at: self.settings.remember(missed_seen_at=at),
            parent=self,
        )
        self.chat = ChatViewModel(
            link,
            chat_log,
            account_id=self._chat_account,
            resolve_name=self.contacts.resolve_name,
            parent=self,
        )
        self.session = SessionViewModel(
            client_factory,
            self.accounts,
            self.contacts,
            server_url=server_url or prefs.server_url,
            refresh_interval_ms=refresh_interval_ms,
            parent=self,
        )
        self.status = StatusViewModel(
            link,
            self.accounts.registered_ids,
            initial=prefs.status,
            on_dnd_changed=lambda on: self.session.push_settings(dnd=on),
            parent=self,
        )

        self.contacts.callRequested.connect(self.call_number)
        self.history.callBackRequested.connect(self.call_number)
        self.contacts.chatRequested.connect(self._open_chat)
        self.calls.callEnded.connect(self.history.record)
        self.calls.incomingCall.connect(lambda _cid: self.pageRequested.emit("phone"))
        self.settings.autoAnswerChanged.connect(self.calls.set_auto_answer)
        self.settings.serverSettingsChanged.connect(lambda fields: self.session.push_settings(**fields))
        self.status.changed.connect(lambda: self.settings.remember(status=self.status.status))
        self.session.activated.connect(lambda _aid: self.pageRequested.emit("phone"))
        # the server that provisioned us is the one to refresh from on the next start
        self.session.activated.connect(
            lambda _aid: self.settings.remember(server_url=self.session.server_url)
        )
        self.session.provisioned.connect(self._apply_server_settings)
        link.eventReceived.connect(self._on_event)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """After the engine runs: register saved accounts, announce status, list audio devices."""
        self.accounts.register_all()
        self.status.apply()
        self.settings.refresh_devices()
        if self.accounts.has_accounts():
            self.session.resume()

    def shutdown(self) -> None:
        self.session.shutdown()

    # ------------------------------------------------------------------ flows

    def call_number(self, number: str) -> None:
        if self.dialer.call(number):
            self.pageRequested.emit("phone")

    def handle_link(self, message: str) -> None:
        """A request forwarded by a second launch: ``show`` or ``call <target>``."""
        self.showRequested.emit()
        if message.startswith("call "):
            self.call_number(message[5:].strip())

    def _apply_server_settings(self, doc: Any) -> None:
        """Settings an admin may set for the agent (auto-answer, ring method, DND) follow the server."""
        auto = getattr(doc, "auto_answer", None)
        if auto is not None:
            delay = int(getattr(auto, "delay", 3))
            self.settings.remember(auto_answer=bool(auto.enabled), auto_answer_delay=delay)
            self.calls.set_auto_answer(delay if auto.enabled else None)
        ring = getattr(doc, "ring_method", None)
        if ring:
            self.settings.remember(ring_method=ring, mobile_number=getattr(doc, "mobile_number", None) or "")
        if bool(getattr(doc, "dnd", False)) != self.status.dnd:
            self.status.set_status("dnd" if getattr(doc, "dnd", False) else "available")

    def _open_chat(self, uri: str, _name: str) -> None:
        self.chat.open(uri)
        self.pageRequested.emit("chat")

    def _chat_account(self) -> str | None:
        record = self.accounts.calling_account()
        return record.account_id if record else None

    def _on_event(self, event: object) -> None:
        if isinstance(event, RegistrationChanged) and event.state == "registered":
            self.link.call("publish_presence", event.account_id, self.status.status)
            self.link.call("set_dnd", self.status.dnd)
            self.contacts.subscribe_all(event.account_id)

    def reset(self) -> None:
        """Wipe accounts (engine, keyring, disk), history, chats, contacts and preferences."""
        for c in self.calls.calls():
            self.calls.hangup(c.call_id)
        self.session.logout()
        self.accounts.wipe()
        self.history.wipe()
        self.chat.wipe()
        self.contacts.wipe()
        self.settings.reset()
        self.session.go("welcome")
        self.resetDone.emit()
