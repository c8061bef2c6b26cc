"""The desktop app's view-models wired together (no widgets here).

Cross-cutting flows live in this one place: a contact or history entry asks for a call, the dialer places it
and the window shows the phone page; a finished call goes to history; settings changes go to the engine
and the server; reset wipes every store.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from softphone.account_book import AccountBook
from softphone.contact_import import ContactBook
from softphone.diagnostics import RecentLog, diagnostics_text
from softphone.events import RegistrationChanged
from softphone.history import CallLog, ChatLog
from softphone.preferences import PreferencesFile
from softphone.provisioning import ProvisioningClient, ProvisioningDocument
from softphone.secrets import Secrets
from softphone.services import Profile
from ui.engine_link import EngineLink
from ui.viewmodels.accounts import AccountsViewModel
from ui.viewmodels.calls import CallItem, CallsViewModel
from ui.viewmodels.chat import ChatViewModel
from ui.viewmodels.contacts import ContactsViewModel
from ui.viewmodels.dialer import DialerViewModel
from ui.viewmodels.history import HistoryViewModel
from ui.viewmodels.queues import QueuesViewModel
from ui.viewmodels.session import SessionViewModel
from ui.viewmodels.settings import ForwardingViewModel, SettingsViewModel
from ui.viewmodels.status import StatusViewModel
from ui.viewmodels.voicemail import VoicemailViewModel

WRAPUP_SHOWN_AFTER_MS = 700  # the PBX logs the wrap-up right after the call's BYE, behind its write queue


class AppViewModel(QObject):
    pageRequested = Signal(str)  # phone | history | contacts | chat | queues | voicemail | settings
    showRequested = Signal()
    resetDone = Signal()

    def __init__(
        self,
        link: EngineLink,
        *,
        profile: Profile,
        secrets: Secrets,
        call_log: CallLog,
        chat_log: ChatLog,
        client_factory: Callable[[str], ProvisioningClient],
        server_url: str | None = None,
        refresh_interval_ms: int = 300_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.profile = profile
        self._recent_log = RecentLog.install()
        self.settings = SettingsViewModel(link, PreferencesFile(profile.preferences), parent=self)
        prefs = self.settings.prefs
        self.accounts = AccountsViewModel(link, AccountBook(profile.accounts, secrets), parent=self)
        self.contacts = ContactsViewModel(
            link, ContactBook(profile.contacts), own_numbers=self.accounts.own_extensions, parent=self
        )
        self.calls = CallsViewModel(
            link,
            resolve_name=self.contacts.resolve_name,
            recordings_dir=profile.recordings,
            dtmf_method_of=self._dtmf_method,
            parent=self,
        )
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
        self.forwarding = ForwardingViewModel(self.session, parent=self)
        self.queues = QueuesViewModel(self._signed_in_client, is_supervisor=self._supervisor, parent=self)
        self.voicemail = VoicemailViewModel(
            link, self._signed_in_client, cache_dir=profile.voicemail, parent=self
        )
        self._agent_side = False  # the queue panel and voicemail follow the server sign-in
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
        self.calls.callEnded.connect(self._after_call)
        self.calls.incomingCall.connect(lambda _cid: self.pageRequested.emit("phone"))
        self.settings.serverSettingsChanged.connect(lambda fields: self.session.push_settings(**fields))
        self.status.changed.connect(lambda: self.settings.remember(status=self.status.status))
        self.session.activated.connect(lambda _aid: self.pageRequested.emit("phone"))
        # the server that provisioned us is the one to refresh from on the next start
        self.session.activated.connect(
            lambda _aid: self.settings.remember(server_url=self.session.server_url)
        )
        self.session.provisioned.connect(self._apply_server_settings)
        self.session.changed.connect(self._sync_agent_side)
        link.eventReceived.connect(self._on_event)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """After the engine runs: register saved accounts, announce status, list audio devices."""
        self.accounts.register_all()
        self.status.apply()
        self.settings.apply_to_engine()
        if self.accounts.has_accounts():
            self.session.resume()

    def shutdown(self) -> None:
        self.forwarding.shutdown()
        self.queues.stop()
        self.voicemail.stop()
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

    def _apply_server_settings(self, doc: ProvisioningDocument) -> None:
        """Settings an admin may set for the agent (auto-answer, ring method, DND) follow the server."""
        self.settings.set_auto_answer(doc.auto_answer.enabled, doc.auto_answer.delay, from_server=True)
        self.settings.remember(ring_method=doc.ring_method, mobile_number=doc.mobile_number or "")
        if doc.dnd != self.status.dnd:
            self.status.toggle_dnd()

    def _after_call(self, item: CallItem) -> None:
        """A queue call ended: the wrap-up starts on the server; show it without waiting for the next poll."""
        if item.queue_call is not None and item.connected_at is not None:
            QTimer.singleShot(WRAPUP_SHOWN_AFTER_MS, self.queues.refresh)

    def _signed_in_client(self) -> ProvisioningClient | None:
        return self.session.client if self.session.signed_in else None

    def _supervisor(self) -> bool:
        user = self.session.user
        return user is not None and user.role in ("supervisor", "admin")

    def _sync_agent_side(self) -> None:
        """Signed in to the company server: the queue panel and voicemail start; signed out: they stop."""
        signed_in = self.session.signed_in
        if signed_in == self._agent_side:
            return
        self._agent_side = signed_in
        if signed_in:
            self.queues.start()
            self.voicemail.start()
        else:
            self.queues.stop()
            self.voicemail.stop()

    def _dtmf_method(self, account_id: str) -> str:
        record = self.accounts.record(account_id)
        return record.dtmf_method if record is not None else "rfc4733"

    def _open_chat(self, uri: str, _name: str) -> None:
        self.chat.open(uri)
        self.pageRequested.emit("chat")

    def _chat_account(self) -> str | None:
        record = self.accounts.calling_account()
        return record.account_id if record else None

    def _on_event(self, event: object) -> None:
        if isinstance(event, RegistrationChanged) and event.state == "registered":
            self.status.publish(event.account_id)
            self.contacts.subscribe_all(event.account_id)

    def diagnostics(self) -> str:
        """Plain text for support ("Copy diagnostics"): no password, no token, no message text."""
        accounts = [
            f"{r.record.account_id} via {r.record.transport.upper()} srtp={r.record.srtp} "
            f"registrar={r.record.registrar or r.record.sip_domain}: {r.state} {r.code} {r.reason}".rstrip()
            for r in self.accounts.rows()
        ]
        s = self.settings
        p = s.prefs
        audio = [
            f"input={p.input_device or 'default'} output={p.output_device or 'default'} "
            f"ringer={p.ringer_device or 'default'}",
            f"echo cancellation={p.echo_cancellation} noise suppression={p.noise_suppression} "
            f"auto gain={p.auto_gain}",
            *(f"device {d.index}: {d.name} in={d.inputs} out={d.outputs}" for d in s.devices),
        ]
        if s.device_problem:
            audio.append(f"problem: {s.device_problem}")
        calls = [
            f"{c.call_id} {c.direction} {c.state} codec={c.stats.codec if c.stats else '?'} "
            f"mos={c.mos} srtp={c.stats.srtp_suite if c.stats else ''}"
            for c in self.calls.calls()
        ]
        sections = {
            "server": [self.session.server_url, f"signed in: {self.session.signed_in}"],
            "accounts": accounts,
            "status": [f"{self.status.status}; auto-answer={p.auto_answer} after {p.auto_answer_delay} s"],
            "audio": audio,
            "codecs": [", ".join(s.codecs)],
            "calls": calls,
        }
        return diagnostics_text(sections, self._recent_log)

    def reset(self) -> None:
        """Wipe accounts (engine, keyring, disk), history, chats, contacts and preferences."""
        for c in self.calls.calls():
            self.calls.hangup(c.call_id)
        self.session.logout()
        self.accounts.wipe()
        self.history.wipe()
        self.chat.wipe()
        self.contacts.wipe()
        self.voicemail.wipe()
        self.settings.reset()
        self.session.go("welcome")
        self.resetDone.emit()
