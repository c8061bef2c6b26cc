"""A call answered by the media service, and the events its pjsua2 callbacks report.

pjsua2 callbacks only post a :class:`CallEvent` to the service's inbox; the service loop
hands them to the call's :class:`CallSession` after ``libHandleEvents`` returns, so feature
code never runs inside a pjsua2 callback and may freely create media ports or hang up.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pjsua2 as pj

from server.media.timers import TimerHandle, Timers


@dataclass(frozen=True)
class MediaActive:
    call_key: int


@dataclass(frozen=True)
class CallEnded:
    call_key: int
    code: int
    reason: str


CallEvent = MediaActive | CallEnded


class CallSession(Protocol):
    """What a feature attaches to a call to follow its media and its end."""

    def media_ready(self, audio: pj.AudioMedia) -> None:
        """The call's audio is flowing (again, after a re-INVITE): connect ports to ``audio``."""

    def ended(self) -> None:
        """The call is over: stop and release every media port used for it."""


class MediaCall(pj.Call):
    """One inbound call, kept alive by the service until it is disconnected."""

    def __init__(
        self,
        account: pj.Account,
        call_id: int,
        *,
        dialled: str | None,
        post: Callable[[CallEvent], None],
        timers: Timers,
    ) -> None:
        super().__init__(account, call_id)
        self.key = call_id
        self.dialled = dialled
        self.session: CallSession | None = None
        self._post = post
        self._timers = timers
        self._pending: list[TimerHandle] = []
        self.answered = False
        self.ended = False
        self.recording_path: Path | None = None
        self._recorder: pj.AudioMediaRecorder | None = None

    # -- pjsua2 callbacks: post and return ---------------------------------------------
    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._post(CallEnded(self.key, int(info.lastStatusCode), str(info.lastReason)))

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        self._post(MediaActive(self.key))

    # -- used by features, on the service thread ------------------------------------------
    def attach(self, session: CallSession) -> None:
        self.session = session

    def answer_with(self, code: int, reason: str = "") -> None:
        prm = pj.CallOpParam()
        prm.statusCode = code
        if reason:
            prm.reason = reason
        self.answer(prm)
        self.answered = 200 <= code < 300

    def reject(self, code: int, reason: str = "") -> None:
        prm = pj.CallOpParam()
        prm.statusCode = code
        if reason:
            prm.reason = reason
        self.hangup(prm)

    def end(self) -> None:
        """Hang up (BYE, or a final response if not answered yet); safe to repeat."""
        if self.ended:
            return
        prm = pj.CallOpParam()
        prm.statusCode = 200 if self.answered else 480
        with contextlib.suppress(pj.Error):  # already disconnecting
            self.hangup(prm)

    def audio_media(self) -> pj.AudioMedia | None:
        """The call's conference-bridge port if its audio is active (or held by the peer)."""
        try:
            info = self.getInfo()
        except pj.Error:
            return None
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status in (
                pj.PJSUA_CALL_MEDIA_ACTIVE,
                pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
            ):
                return self.getAudioMedia(index)
        return None

    def connect_source(self, source: pj.AudioMedia) -> None:
        """Make the caller hear ``source``; mirrored into the call's recording, if any."""
        audio = self.audio_media()
        if audio is None:
            return
        source.startTransmit(audio)
        if self._recorder is not None and source.getPortId() != audio.getPortId():
            source.startTransmit(self._recorder)

    def disconnect_source(self, source: pj.AudioMedia) -> None:
        audio = self.audio_media()
        for sink in (audio, self._recorder):
            if sink is not None:
                with contextlib.suppress(pj.Error):  # the source may be gone already
                    source.stopTransmit(sink)

    def record_caller(self, audio: pj.AudioMedia) -> None:
        """Start (or, after a re-INVITE, re-attach) the recording of what the caller says.

        What the caller hears joins it through :meth:`connect_source`, so the WAV holds both
        parties mixed by the conference bridge.
        """
        if self.recording_path is None:
            return
        if self._recorder is None:
            self.recording_path.parent.mkdir(parents=True, exist_ok=True)
            recorder = pj.AudioMediaRecorder()
            recorder.createRecorder(str(self.recording_path))
            self._recorder = recorder
        audio.startTransmit(self._recorder)

    def sip_call_id(self) -> str:
        try:
            return str(self.getInfo().callIdString)
        except pj.Error:
            return ""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` on the service thread after ``delay`` s unless the call ends first.

        A callback that raises ends this call only (logged), never the service.
        """

        def guarded() -> None:
            try:
                callback()
            except Exception:
                with contextlib.suppress(OSError):
                    traceback.print_exc(file=sys.stderr)
                self.end()

        handle = self._timers.call_later(delay, guarded)
        self._pending = [h for h in self._pending if not h.cancelled]
        self._pending.append(handle)
        return handle

    def finish(self) -> None:
        """Called once by the service when the call is over."""
        self.ended = True
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        session, self.session = self.session, None
        if session is not None:
            session.ended()
        # Destroying the recorder writes the final WAV header.
        self._recorder = None
