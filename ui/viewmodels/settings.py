"""Settings page state: audio devices and mic level, call handling, language, start-up behaviour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from softphone.events import AudioDeviceProblem, AudioDevicesChanged, MicLevel
from ui.engine_link import EngineLink
from ui.phone_numbers import to_e164_digits
from ui.preferences import Preferences, PreferencesFile

RING_METHODS = ("all", "app", "ip_phone", "mobile")


class SettingsViewModel(QObject):
    changed = Signal()
    languageChanged = Signal(str)
    micLevelChanged = Signal(float)
    autoAnswerChanged = Signal(object)  # delay in seconds or None
    serverSettingsChanged = Signal(dict)  # fields for PATCH /me/settings
    startAtLoginChanged = Signal(bool)
    ringerDeviceChanged = Signal(object)  # device index or None (system default)

    def __init__(
        self,
        link: EngineLink,
        prefs_file: PreferencesFile,
        *,
        speaker_test: Callable[[int | None], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._file = prefs_file
        self.prefs: Preferences = prefs_file.load()
        self._speaker_test = speaker_test
        self.devices: list[Any] = []
        self.mic_level = 0.0
        self._meter_on = False
        self.device_problem = ""
        link.eventReceived.connect(self.handle)

    # ------------------------------------------------------------------ devices

    def refresh_devices(self) -> None:
        self._link.call("list_audio_devices", on_done=self._set_devices)

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
        self._link.call(
            "set_audio_devices",
            self._index(self.prefs.input_device),
            self._index(self.prefs.output_device),
            self._index(self.prefs.ringer_device),
        )
        self.ringerDeviceChanged.emit(self._index(self.prefs.ringer_device))

    def set_mic_meter(self, visible: bool) -> None:
        """Outside calls the engine measures the microphone only while the level meter is on screen."""
        if visible != self._meter_on:
            self._meter_on = visible
            self._link.call("set_mic_meter", visible)

    def test_speaker(self) -> None:
        if self._speaker_test is not None:
            self._speaker_test(self._index(self.prefs.output_device))

    def _index(self, name: str) -> int | None:
        return next((d.index for d in self.devices if d.name == name), None) if name else None

    def _set_devices(self, devices: list[Any]) -> None:
        self.devices = list(devices)
        self.changed.emit()

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

    def set_auto_answer(self, on: bool, delay: int | None = None) -> None:
        delay = self.prefs.auto_answer_delay if delay is None else max(0, min(60, delay))
        self._save(auto_answer=on, auto_answer_delay=delay)
        self.autoAnswerChanged.emit(delay if on else None)
        self.serverSettingsChanged.emit({"auto_answer": on, "auto_answer_delay": delay})

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
        self.changed.emit()

    # ------------------------------------------------------------------ events

    def handle(self, event: object) -> None:
        if isinstance(event, MicLevel):
            self.mic_level = event.level
            self.micLevelChanged.emit(event.level)
        elif isinstance(event, AudioDevicesChanged):
            self._set_devices(list(event.devices))
            self.apply_devices()
        elif isinstance(event, AudioDeviceProblem):
            self.device_problem = event.reason
            self.changed.emit()
