"""Echo test (``*43``): answer, a short beep, then the caller hears their own audio.

The echo is the call's conference-bridge port transmitting to itself: what the caller sends
is decoded, mixed into the same port's output and sent straight back (the same loop pjsua's
``--auto-loop`` uses). The beep comes first so a user knows the line is up before speaking.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import pjsua2 as pj

from server.media.call import MediaCall

BEEP_END_POLL_S = 0.02
BEEP_END_POLLS = 100


@dataclass(frozen=True)
class Beep:
    frequency_hz: int = 1000
    duration_s: float = 0.3
    # Silence before the beep: the caller's first packets after the 200 OK are often lost
    # while its side is still connecting audio, and the beep must be heard whole.
    lead_in_s: float = 0.25


class EchoTest:
    """The feature: one :class:`EchoSession` per call."""

    def __init__(self, beep: Beep = Beep(), clock_rate: int = 16000) -> None:
        self._beep = beep
        self._clock_rate = clock_rate

    def on_call(self, call: MediaCall) -> None:
        call.attach(EchoSession(call, self._beep, self._clock_rate))
        call.answer_with(200)


class EchoSession:
    def __init__(self, call: MediaCall, beep: Beep, clock_rate: int) -> None:
        self._call = call
        self._beep = beep
        self._clock_rate = clock_rate
        self._tone: pj.ToneGenerator | None = None
        self._echoing = False
        self._started = False

    def media_ready(self, audio: pj.AudioMedia) -> None:
        if self._echoing:
            self._call.connect_source(audio)  # the port may be new after a re-INVITE
            return
        if not self._started:
            self._started = True
            self._call.call_later(self._beep.lead_in_s, self._start_beep)

    def _start_beep(self) -> None:
        if self._call.audio_media() is None:  # held: try again shortly
            self._call.call_later(self._beep.lead_in_s, self._start_beep)
            return
        self._tone = self._play_beep()
        self._call.call_later(self._beep.duration_s, lambda: self._await_beep_end(BEEP_END_POLLS))

    def _await_beep_end(self, polls_left: int) -> None:
        # The bridge's media clock, not the wall clock, plays the beep: under CPU load it
        # lags, so wait until the generator says it is done (bounded) before echoing.
        tone = self._tone
        if tone is not None and polls_left > 0 and tone.isBusy():
            self._call.call_later(BEEP_END_POLL_S, lambda: self._await_beep_end(polls_left - 1))
            return
        self._start_echo()

    def _play_beep(self) -> pj.ToneGenerator:
        tone = pj.ToneGenerator()
        tone.createToneGenerator(self._clock_rate, 1)
        desc = pj.ToneDesc()
        desc.freq1 = self._beep.frequency_hz
        desc.freq2 = 0
        desc.on_msec = round(self._beep.duration_s * 1000)
        desc.off_msec = 0
        tones = pj.ToneDescVector()
        tones.append(desc)
        tone.play(tones, False)
        self._call.connect_source(tone)
        return tone

    def _start_echo(self) -> None:
        self._release_tone()
        audio = self._call.audio_media()
        if audio is not None:
            self._call.connect_source(audio)
        self._echoing = True

    def _release_tone(self) -> None:
        tone, self._tone = self._tone, None
        if tone is not None:
            with contextlib.suppress(pj.Error):
                tone.stop()
            # Dropping the last reference removes the port from the conference bridge.
            del tone

    def ended(self) -> None:
        self._release_tone()
        self._echoing = False
