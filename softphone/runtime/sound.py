"""The local sound: microphone and speaker media (the sounddevice bridge, or pjsua2's null device), device
choice and hot-plug, the mic level meter, and the tones the user hears locally (ringtone, ringback)."""

from __future__ import annotations

import contextlib
import logging
import wave
from typing import Any

import pjsua2 as pj

from softphone.events import AudioDeviceProblem, AudioDevicesChanged, MessagePlayback, MicLevel
from softphone.runtime.context import CLOCK_RATE, EngineContext
from softphone.runtime.errors import EngineError
from softphone.runtime.timers import guard

log = logging.getLogger("softphone.engine")


def wav_seconds(path: str) -> float:
    try:
        with wave.open(path) as w:
            return float(w.getnframes()) / float(w.getframerate() or 1)
    except (OSError, wave.Error, EOFError) as exc:
        raise EngineError(f"not a WAV file: {path} ({exc})") from None


class Sound:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.mic: pj.AudioMedia | None = None
        self.speaker: pj.AudioMedia | None = None
        self.bridge: Any = None  # softphone.audio.SoundDeviceBridge when real devices are used
        self.mic_meter_wanted = False  # a settings page shows the mic meter outside calls
        self.calls_with_media = False  # set by the calls component: the meter runs during calls
        self._device_fingerprint: tuple[str, ...] = ()
        self._last_audio_problem: Any = None
        self._last_mic_level = -1.0
        self._next_audio_poll = 0.0
        self._next_mic_poll = 0.0
        self._ringing: tuple[str, float] | None = None  # (ringtone WAV or "", volume) while ringing
        self._ringback = False
        self._ringtone_test_until = 0.0
        self._message: tuple[pj.AudioMediaPlayer, str] | None = None  # a voicemail playing to the speaker
        cfg = ctx.config
        self._processing = (cfg.echo_cancel, cfg.noise_suppression, cfg.auto_gain)

    def open(self, ep: pj.Endpoint) -> None:
        cfg = self.ctx.config
        adm = ep.audDevManager()
        adm.setNullDev()  # its clock thread drives the conference bridge
        if not cfg.null_audio:
            try:
                from softphone import audio as audio_mod  # the sounddevice bridge (softphone/audio.py)

                self.bridge = audio_mod.SoundDeviceBridge.create(
                    True,
                    clock_rate=CLOCK_RATE,
                    frame_ms=cfg.frame_ms,
                    block_ms=cfg.audio_block_ms,
                    jitter_ms=cfg.audio_jitter_ms,
                    echo_cancellation=self._processing[0],
                    noise_suppression=self._processing[1],
                    auto_gain=self._processing[2],
                )
                self.bridge.set_ringer(cfg.audio_ringer)
                problem = self.bridge.open(cfg.audio_input, cfg.audio_output)
                if problem is not None:
                    self.ctx.emit(problem)
                self.mic = self.speaker = self.bridge.media
                self._device_fingerprint = audio_mod.device_fingerprint()
                return
            except Exception as exc:  # no PortAudio at all: calls still connect on the null device
                log.warning("sound device bridge unavailable: %s", exc)
                self.bridge = None
                self.ctx.emit(AudioDeviceProblem(f"no audio device: {exc}"))
        self.mic = adm.getCaptureDevMedia()
        self.speaker = adm.getPlaybackDevMedia()

    def _require_bridge(self) -> Any:
        if self.bridge is None:
            raise EngineError("no sound device bridge (the engine runs with null audio)")
        return self.bridge

    def set_devices(
        self, input_dev: int | str | None, output: int | str | None, ringer: int | str | None
    ) -> None:
        bridge = self._require_bridge()
        bridge.set_ringer(ringer)
        problem = bridge.open(input_dev, output)
        if problem is not None:
            self.ctx.emit(problem)

    def list_devices(self) -> list[Any]:
        if self.bridge is not None:
            return list(self.bridge.list_devices())
        if self.ctx.config.null_audio:
            return []  # nothing can be opened: do not load PortAudio (and the ALSA plugins it scans)
        try:
            from softphone import audio as audio_mod
        except ImportError:
            return []
        return list(audio_mod.list_devices())

    def set_processing(self, echo_cancellation: bool, noise_suppression: bool, auto_gain: bool) -> None:
        """Kept for the next bridge too; with null audio there is no microphone to process."""
        self._processing = (echo_cancellation, noise_suppression, auto_gain)
        if self.bridge is not None:
            self.bridge.set_processing(
                echo_cancellation=echo_cancellation, noise_suppression=noise_suppression, auto_gain=auto_gain
            )

    def test_speaker(self) -> None:
        self._require_bridge().play_chime()

    def test_ringtone(self, wav_path: str, volume: float, seconds: float) -> None:
        bridge = self._require_bridge()
        if self._ringing is not None:
            return  # a real call rings: the test would stop its ringtone
        problem = bridge.start_ringing(wav_path or None, volume)
        if problem is not None:
            self.ctx.emit(problem)
            return
        until = self.ctx.clock() + seconds
        self._ringtone_test_until = until

        def stop() -> None:
            if self._ringing is None and self._ringtone_test_until == until:
                bridge.stop_ringing()

        self.ctx.timers.schedule(seconds, stop)

    # ------------------------------------------------------------------ a message to the speaker

    def play_message(self, path: str) -> float:
        """Play a WAV (a voicemail) to the speaker, the way call audio goes; its length in seconds.  One at a
        time: a new one replaces the last.  MessagePlayback reports the start and the end."""
        self.stop_message()
        if self.speaker is None:
            raise EngineError("no speaker")
        player = pj.AudioMediaPlayer()
        try:
            player.createPlayer(path, pj.PJMEDIA_FILE_NO_LOOP)
            seconds = wav_seconds(path)
            player.startTransmit(self.speaker)
        except pj.Error as exc:
            raise EngineError(f"cannot play {path}: {exc.info()}") from None
        self._message = (player, path)
        self.ctx.emit(MessagePlayback(path, True, seconds))
        self.ctx.timers.schedule(seconds + 0.1, lambda: self._message_over(player))
        return seconds

    def _message_over(self, player: pj.AudioMediaPlayer) -> None:
        if self._message is not None and self._message[0] is player:
            self.stop_message()

    def stop_message(self) -> None:
        if self._message is None:
            return
        player, path = self._message
        self._message = None
        with contextlib.suppress(pj.Error):
            if self.speaker is not None:
                player.stopTransmit(self.speaker)
        self.ctx.emit(MessagePlayback(path, False, 0.0))

    # ------------------------------------------------------------------ tones

    def update_tones(self, ringing_in: tuple[str, float] | None, ringing_out: bool) -> None:
        """Ringtone (``(wav, volume)`` of the ringing call's account) while a call rings in; ringback while
        ours rings out. The engine plays both itself (``EngineConfig.ring_tones``); the app only shows."""
        bridge = self.bridge
        if bridge is None or not self.ctx.config.ring_tones:
            return
        if ringing_in != self._ringing:
            if self._ringing is not None or self._ringtone_test_until:
                bridge.stop_ringing()
                self._ringtone_test_until = 0.0
            if ringing_in is not None:
                problem = bridge.start_ringing(ringing_in[0] or None, ringing_in[1])
                if problem is not None:
                    self.ctx.emit(problem)
            self._ringing = ringing_in
        if ringing_out != self._ringback:
            if ringing_out:
                bridge.start_ringback()
            else:
                bridge.stop_ringback()
            self._ringback = ringing_out

    # ------------------------------------------------------------------ polling (engine thread pump)

    def poll(self, now: float) -> None:
        if self.bridge is None:
            return
        if now >= self._next_mic_poll:
            self._next_mic_poll = now + 0.1
            guard(self._poll_mic_level)
        if now >= self._next_audio_poll:
            self._next_audio_poll = now + 0.2
            guard(self._poll_devices)

    def _poll_mic_level(self) -> None:
        """MicLevel (changes only) while a microphone is open and a call or the settings meter wants it."""
        bridge = self.bridge
        wanted = bridge is not None and bridge.input_open and (self.mic_meter_wanted or self.calls_with_media)
        if not wanted:
            if self._last_mic_level > 0:
                self.ctx.emit(MicLevel(0.0))  # the meter drops to rest instead of freezing at its last value
            self._last_mic_level = -1.0
            return
        level = round(float(bridge.mic_level), 2)
        if level != self._last_mic_level:
            self._last_mic_level = level
            self.ctx.emit(MicLevel(level))

    def _poll_devices(self) -> None:
        """Stream health and hot-plug (a few times a second)."""
        bridge = self.bridge
        if bridge is None:
            return
        from softphone import audio as audio_mod

        problem = bridge.health()
        if problem is not None and problem != self._last_audio_problem:
            self.ctx.emit(problem)
        self._last_audio_problem = problem
        fingerprint = audio_mod.device_fingerprint()
        if fingerprint != self._device_fingerprint:
            self._device_fingerprint = fingerprint
            devices, problem = bridge.refresh_devices()
            self.ctx.emit(AudioDevicesChanged(tuple(devices)))
            if problem is not None:
                self.ctx.emit(problem)

    def close(self) -> None:
        self.stop_message()
        self.mic = self.speaker = None
        if self.bridge is not None:
            try:
                self.bridge.close()
                self.bridge.destroy()
            except Exception:
                log.exception("closing the sound device bridge")
            self.bridge = None
