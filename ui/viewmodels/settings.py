"""Settings page state: audio devices, microphone processing, mic level, ringtone and speaker tests, call
handling, hotkeys, language and start-up behaviour. Per-account settings live in AccountsViewModel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from softphone import commands as cmd
from softphone.events import AudioDeviceProblem, AudioDevicesChanged, MicLevel
from softphone.phone_numbers import to_e164_digits
from softphone.preferences import Preferences, PreferencesFile
from softphone.provisioning import FORWARD_CONDITIONS, ApiError, ForwardingRule, ProvisioningClient
from softphone.tasks import TaskRunner
from ui.engine_link import EngineLink

RING_METHODS = ("all", "app", "ip_phone", "mobile")
SPEAKER_TEST_MS = 900  # the chime's length: the button shows it is playing meanwhile
RINGTONE_TEST_S = 3.0


class SettingsViewModel(QObject):
    changed = Signal()
    languageChanged = Signal(str)
    micLevelChanged = Signal(float)
    serverSettingsChanged = Signal(dict)  # fields for PATCH /me/settings
    startAtLoginChanged = Signal(bool)
    hotkeysChanged = Signal()

    def __init__(self, link: EngineLink, prefs_file: PreferencesFile, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._link = link
        self._file = prefs_file
        self.prefs: Preferences = prefs_file.load()
        self.devices: list[Any] = []
        self.codecs: list[str] = []  # every codec the engine has, its default order
        self.mic_level = 0.0
        self._meter_on = False
        self.device_problem = ""
        self.speaker_testing = False
        self.ringtone_testing = False
        link.eventReceived.connect(self.handle)

    def apply_to_engine(self) -> None:
        """At start-up: devices, microphone processing and auto-answer as the preferences say."""
        self._link.submit(cmd.ListAudioDevices(), on_done=self._set_devices)
        self._link.submit(cmd.GetCodecs(), on_done=self._set_codecs)
        self._apply_processing()
        self._apply_auto_answer()

    # ------------------------------------------------------------------ devices

    def inputs(self) -> list[Any]:
        return [d for d in self.devices if getattr(d, "inputs", 0) > 0]

    def outputs(self) -> list[Any]:
        return [d for d in self.devices if getattr(d, "outputs", 0) > 0]

    def set_devices(
        self, *, input: str | None = None, output: str | None = None, ringer: str | None = None
    ) -> None:
        changes = {
            k: v
            for k, v in (("input_device", input), ("output_device", output), ("ringer_device", ringer))
            if v is not None
        }
        self._save(**changes)
        self.apply_devices()

    def apply_devices(self) -> None:
        if not self.devices:
            return
        self._link.submit(
            cmd.SetAudioDevices(
                self._index(self.prefs.input_device),
                self._index(self.prefs.output_device),
                self._index(self.prefs.ringer_device),
            )
        )

    def set_mic_meter(self, visible: bool) -> None:
        """Outside calls the engine measures the microphone only while the level meter is on screen."""
        if visible != self._meter_on:
            self._meter_on = visible
            self._link.submit(cmd.SetMicMeter(visible))

    def test_speaker(self) -> None:
        """A chime on the call speaker; ``speaker_testing`` is True while it plays (the button says so)."""
        if self.speaker_testing:
            return
        if self._link.submit(cmd.TestSpeaker()):
            self._set_testing("speaker_testing", SPEAKER_TEST_MS)

    def test_ringtone(self, wav_path: str = "", volume: float = 1.0) -> None:
        if self.ringtone_testing:
            return
        if self._link.submit(cmd.TestRingtone(wav_path, volume, RINGTONE_TEST_S)):
            self._set_testing("ringtone_testing", int(RINGTONE_TEST_S * 1000))

    def _set_testing(self, attr: str, ms: int) -> None:
        setattr(self, attr, True)
        self.changed.emit()

        def done() -> None:
            setattr(self, attr, False)
            self.changed.emit()

        QTimer.singleShot(ms, self, done)

    def _index(self, name: str) -> int | None:
        return next((d.index for d in self.devices if d.name == name), None) if name else None

    def _set_devices(self, devices: list[Any]) -> None:
        self.devices = list(devices)
        self.changed.emit()
        self.apply_devices()

    def _set_codecs(self, codecs: list[str]) -> None:
        self.codecs = list(codecs)
        self.changed.emit()

    # ------------------------------------------------------------------ microphone processing

    def set_processing(
        self, *, echo_cancellation: bool | None = None, noise_suppression: bool | None = None,
        auto_gain: bool | None = None,
    ) -> None:
        changes = {
            k: v
            for k, v in (
                ("echo_cancellation", echo_cancellation),
                ("noise_suppression", noise_suppression),
                ("auto_gain", auto_gain),
            )
            if v is not None
        }
        self._save(**changes)
        self._apply_processing()

    def _apply_processing(self) -> None:
        p = self.prefs
        self._link.submit(cmd.SetAudioProcessing(p.echo_cancellation, p.noise_suppression, p.auto_gain))

    # ------------------------------------------------------------------ preferences

    def set_language(self, language: str) -> None:
        if language != self.prefs.language:
            self._save(language=language)
            self.languageChanged.emit(language)

    def set_start_minimized(self, on: bool) -> None:
        self._save(start_minimized=on)

    def set_start_at_login(self, on: bool) -> None:
        self._save(start_at_login=on)
        self.startAtLoginChanged.emit(on)

    def set_auto_answer(self, on: bool, delay: int | None = None, *, from_server: bool = False) -> None:
        """The engine answers by itself (it owns the countdown); an admin may set it on the server too."""
        delay = self.prefs.auto_answer_delay if delay is None else max(0, min(60, delay))
        self._save(auto_answer=on, auto_answer_delay=delay)
        self._apply_auto_answer()
        if not from_server:
            self.serverSettingsChanged.emit({"auto_answer": on, "auto_answer_delay": delay})

    def _apply_auto_answer(self) -> None:
        self._link.submit(cmd.SetAutoAnswer(self.prefs.auto_answer, float(self.prefs.auto_answer_delay)))

    def set_ring_method(self, method: str, mobile_number: str = "") -> bool:
        if method not in RING_METHODS:
            return False
        mobile = to_e164_digits(mobile_number) if mobile_number.strip() else ""
        if method == "mobile" and not (mobile.isdigit() and mobile.startswith("84") and len(mobile) >= 11):
            return False
        self._save(ring_method=method, mobile_number=mobile)
        fields: dict[str, Any] = {"ring_method": method}
        if mobile:
            fields["mobile_number"] = mobile
        self.serverSettingsChanged.emit(fields)
        return True

    def set_hotkeys(
        self, *, global_hotkeys: bool | None = None, answer_key: str | None = None,
        hangup_key: str | None = None, media_keys: bool | None = None,
    ) -> None:
        changes = {
            k: v
            for k, v in (
                ("global_hotkeys", global_hotkeys),
                ("answer_key", answer_key),
                ("hangup_key", hangup_key),
                ("media_keys", media_keys),
            )
            if v is not None
        }
        self._save(**changes)
        self.hotkeysChanged.emit()

    def remember(self, **changes: Any) -> None:
        self._save(**changes)

    def _save(self, **changes: Any) -> None:
        self.prefs = self.prefs.with_(**changes)
        self._file.save(self.prefs)
        self.changed.emit()

    def reset(self) -> None:
        self._file.delete()
        language = self.prefs.language
        self.prefs = Preferences(language=language)
        self._apply_processing()
        self._apply_auto_answer()
        self.changed.emit()

    # ------------------------------------------------------------------ events

    def handle(self, event: object) -> None:
        if isinstance(event, MicLevel):
            self.mic_level = event.level
            self.micLevelChanged.emit(event.level)
        elif isinstance(event, AudioDevicesChanged):
            self._set_devices(list(event.devices))
        elif isinstance(event, AudioDeviceProblem):
            self.device_problem = event.reason
            self.changed.emit()


class SignedInSession(Protocol):
    """What the forwarding view-model needs of the session (`SessionViewModel`)."""

    @property
    def signed_in(self) -> bool: ...

    @property
    def client(self) -> ProvisioningClient: ...


class ForwardingViewModel(QObject):
    """My call forwarding as the server keeps it (`/me/forwarding`): loaded when the page shows, saved whole.

    ``state``: "" (nothing yet), "loading", "saving", "saved", "invalid" (``errors`` names the fields,
    e.g. "busy.target", with the server's text), "failed" (``detail`` says why), "signed_out"."""

    changed = Signal()

    def __init__(self, session: SignedInSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = TaskRunner()
        self.rules: dict[str, ForwardingRule] = {c: ForwardingRule() for c in FORWARD_CONDITIONS}
        self.errors: dict[str, str] = {}
        self.state = ""
        self.detail = ""

    @property
    def available(self) -> bool:
        return self._session.signed_in

    def load(self) -> None:
        self._runner.spawn(self.load_async())

    def save(self, rules: Mapping[str, ForwardingRule]) -> None:
        self._runner.spawn(self.save_async(rules))

    async def load_async(self) -> None:
        if not self._session.signed_in:
            self._set("signed_out")
            return
        self._set("loading")
        try:
            rules = await self._session.client.forwarding()
        except ApiError as exc:
            self._set("failed", detail=exc.message)
            return
        self.rules = {c: rules.get(c, ForwardingRule()) for c in FORWARD_CONDITIONS}
        self._set("")

    async def save_async(self, rules: Mapping[str, ForwardingRule]) -> bool:
        if not self._session.signed_in:
            self._set("signed_out")
            return False
        self._set("saving")
        try:
            stored = await self._session.client.update_forwarding(rules)
        except ApiError as exc:
            if exc.status == 422 and exc.fields:
                self._set("invalid", errors=exc.fields)
            else:
                self._set("failed", detail=exc.message)
            return False
        self.rules = {c: stored.get(c, ForwardingRule()) for c in FORWARD_CONDITIONS}
        self._set("saved")
        return True

    def _set(self, state: str, *, errors: Mapping[str, str] | None = None, detail: str = "") -> None:
        self.state, self.errors, self.detail = state, dict(errors or {}), detail
        self.changed.emit()

    def shutdown(self) -> None:
        self._runner.cancel_all()
