"""Audio routing on pjsua2's conference bridge: which port hears which.

Declarative: ``reroute`` computes the full set of links that the current calls, mute/hold flags, conference
membership, injected sources and recordings call for, and applies the difference. Nothing else calls
``startTransmit``/``stopTransmit``. This component owns everything it routes that is not a call: the
conference membership, sources played into calls (tones, WAVs, the headless "microphone"), recordings.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pjsua2 as pj

from softphone.events import RecordingChanged
from softphone.recording import Recording, TapPool
from softphone.runtime.context import CLOCK_RATE, EngineContext
from softphone.runtime.errors import EngineError
from softphone.runtime.sound import Sound

log = logging.getLogger("softphone.engine")


@dataclass(frozen=True, slots=True)
class CallPort:
    """A call's audio as routing sees it."""

    key: str
    media: pj.AudioMedia
    held_local: bool
    muted: bool


class AudioRouting:
    def __init__(
        self, ctx: EngineContext, sound: Sound, call_ports: Callable[[], Iterable[CallPort]]
    ) -> None:
        self.ctx = ctx
        self.sound = sound
        self._call_ports = call_ports
        self.conference: set[str] = set()
        self.local_sources: list[Any] = []
        self.sources: dict[str, list[Any]] = {}  # ToneGenerator / AudioMediaPlayer into one call
        self.recordings: dict[str, Recording] = {}
        self.monitor: Recording | None = None
        self.taps = TapPool(CLOCK_RATE)  # recording taps live as long as the endpoint (see recording.py)
        self._links: dict[tuple[int, int], tuple[Any, Any]] = {}

    # ------------------------------------------------------------------ sources

    def _tone(self, freq_hz: float) -> pj.ToneGenerator:
        tg = pj.ToneGenerator()
        tg.createToneGenerator(CLOCK_RATE, 1)
        tones = pj.ToneDescVector()
        d = pj.ToneDesc()
        d.freq1 = int(freq_hz)
        d.freq2 = 0
        d.on_msec = 30000
        d.off_msec = 0
        d.volume = 0
        tones.append(d)
        tg.play(tones, True)
        return tg

    def _player(self, path: str, loop: bool) -> pj.AudioMediaPlayer:
        player = pj.AudioMediaPlayer()
        player.createPlayer(path, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        return player

    def play_tone(self, key: str, freq_hz: float) -> None:
        self.sources.setdefault(key, []).append(self._tone(freq_hz))
        self.reroute()

    def play_wav(self, key: str, path: str, loop: bool) -> None:
        self.sources.setdefault(key, []).append(self._player(path, loop))
        self.reroute()

    def stop_sources(self, key: str) -> None:
        old = self.sources.pop(key, [])
        self.reroute()
        self.ctx.graveyard.extend(old)

    def set_local_source(self, tone_hz: float | None, wav_path: str | None, loop: bool) -> None:
        """Feed a tone or WAV into every call in place of the microphone (headless use)."""
        old, self.local_sources = self.local_sources, []
        if tone_hz:
            self.local_sources.append(self._tone(tone_hz))
        if wav_path:
            self.local_sources.append(self._player(wav_path, loop))
        self.reroute()
        self.ctx.graveyard.extend(old)

    # ------------------------------------------------------------------ recordings

    def start_recording(self, key: str, path: str) -> None:
        if key in self.recordings:
            raise EngineError(f"call {key} is already being recorded")
        self.recordings[key] = Recording(path, CLOCK_RATE, self.ctx.clock, tap=self.taps.take())
        self.reroute()
        self.ctx.emit(RecordingChanged(key, str(path), True))

    def stop_recording(self, key: str) -> None:
        rec = self.recordings.pop(key, None)
        if rec is None:
            return
        self.reroute()
        rec.close()
        self.taps.give(rec.tap)
        self.ctx.emit(RecordingChanged(key, str(rec.path), False))

    def start_monitor(self, path: str) -> None:
        """Record everything the local user hears, across calls (tests and diagnostics)."""
        if self.monitor is None:
            self.monitor = Recording(path, CLOCK_RATE, self.ctx.clock, tap=self.taps.take())
            self.reroute()

    def stop_monitor(self) -> None:
        mon, self.monitor = self.monitor, None
        if mon is not None:
            self.reroute()
            mon.close()
            self.taps.give(mon.tap)

    def pump(self) -> None:
        for rec in self.recordings.values():
            rec.pump()
        if self.monitor is not None:
            self.monitor.pump()

    # ------------------------------------------------------------------ conference

    def merge_conference(self, keys: Iterable[str]) -> None:
        self.conference.update(keys)
        self.reroute()

    def split_conference(self, key: str) -> None:
        self.conference.discard(key)
        if len(self.conference) < 2:
            self.conference.clear()
        self.reroute()

    def call_ended(self, key: str, port: int) -> None:
        """A call is gone: its recording closes, it leaves the conference, its port's links are forgotten."""
        self.stop_recording(key)
        self.conference.discard(key)
        self.ctx.graveyard.extend(self.sources.pop(key, []))
        self.purge_port(port)
        self.reroute()

    # ------------------------------------------------------------------ links

    def _desired_links(self) -> list[tuple[Any, Any]]:
        links: list[tuple[Any, Any]] = []
        mic = self.sound.mic
        mic_sources = ([mic] if mic is not None else []) + self.local_sources
        speaker = self.sound.speaker
        active = [c for c in self._call_ports() if not c.held_local]
        conf = [c for c in active if c.key in self.conference]
        for c in active:
            senders = [] if c.muted else mic_sources + self.sources.get(c.key, [])
            if speaker is not None:
                links.append((c.media, speaker))
            links.extend((s, c.media) for s in senders)
            rec = self.recordings.get(c.key)
            if rec is not None:
                links.append((c.media, rec.tap))
                links.extend((s, rec.tap) for s in senders)
                if c in conf:
                    links.extend((o.media, rec.tap) for o in conf if o is not c)
            if self.monitor is not None:
                links.append((c.media, self.monitor.tap))
        for a in conf:
            links.extend((a.media, b.media) for b in conf if b is not a)
        return links

    def reroute(self, refresh_port: int = -1) -> None:
        """Make the bridge carry exactly the desired links (diffed against the links we made); links of
        ``refresh_port`` are (re)connected even when we made them before."""
        want: dict[tuple[int, int], tuple[Any, Any]] = {}
        for src, dst in self._desired_links():
            want[(src.getPortId(), dst.getPortId())] = (src, dst)
        for k in [k for k in self._links if k not in want]:
            log.debug("audio link %s -> %s off", *k)
            src, dst = self._links.pop(k)
            with contextlib.suppress(pj.Error):
                src.stopTransmit(dst)
        for k, (src, dst) in want.items():
            if k not in self._links or refresh_port in k:
                log.debug("audio link %s -> %s on", *k)
                try:
                    src.startTransmit(dst)
                    self._links[k] = (src, dst)
                except pj.Error as exc:
                    log.warning("startTransmit %s: %s", k, exc.info())

    def purge_port(self, port: int) -> None:
        """Forget links of a port pjsua removed (its links went with it); never stop them by hand, since
        the number may already belong to another port."""
        if port >= 0:
            self._links = {k: v for k, v in self._links.items() if port not in k}

    # ------------------------------------------------------------------ teardown

    def stop_all_recordings(self) -> None:
        for key in list(self.recordings):
            self.stop_recording(key)
        if self.monitor is not None:
            self.monitor.close()

    def drop_all(self) -> None:
        for src, dst in self._links.values():
            with contextlib.suppress(pj.Error):
                src.stopTransmit(dst)
        self._links.clear()
        self.conference.clear()
        self.sources.clear()
        self.local_sources.clear()
        self.monitor = None
