"""The agent's voicemail: messages of their extensions' and queues' boxes, played through the app's own
audio path (the engine plays the WAV to the speaker), marked heard, deleted; and the badge.

Theory of operation: the badge is the number of messages not heard yet.  A message-summary NOTIFY the
engine receives (VoicemailWaiting) sets it at once and makes the list reload; every list loaded from the
server sets it too (the server's count is the truth; the NOTIFY is the nudge).  Playing a message
downloads it to ``cache_dir`` and marks it heard.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from softphone import callcenter_api as api
from softphone.callcenter_api import VoicemailMessage
from softphone.commands import PlayMessage, StopMessage
from softphone.events import MessagePlayback, VoicemailWaiting
from softphone.provisioning import ApiError, ProvisioningClient
from softphone.tasks import TaskRunner
from ui.engine_link import EngineLink

log = logging.getLogger(__name__)
T = TypeVar("T")
ClientSource = Callable[[], ProvisioningClient | None]


class VoicemailViewModel(QObject):
    changed = Signal()

    def __init__(
        self,
        link: EngineLink,
        client: ClientSource,
        *,
        cache_dir: Path,
        poll_ms: int = 60_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._client = client
        self._cache = cache_dir
        self._runner = TaskRunner(lambda exc: self._fail("unexpected", str(exc)))
        self.messages: list[VoicemailMessage] = []
        self.badge = 0
        self.playing: str | None = None  # the id of the message playing
        self.error = ""
        self.error_detail = ""
        self._paths: dict[str, str] = {}  # downloaded file -> message id
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.refresh)
        link.eventReceived.connect(self.handle)

    def handle(self, event: object) -> None:
        if isinstance(event, VoicemailWaiting):
            self.badge = event.new
            self.changed.emit()
            self.refresh()
        elif isinstance(event, MessagePlayback):
            playing = self._paths.get(event.path) if event.playing else None
            if playing != self.playing:
                self.playing = playing
                self.changed.emit()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if not self._poll.isActive():
            self._poll.start()
        self.refresh()

    def stop(self) -> None:
        self._poll.stop()
        self._runner.cancel_all()
        self.messages, self.badge = [], 0
        self.changed.emit()

    def wipe(self) -> None:
        """Reset: forget the messages and the recordings downloaded to play."""
        self.stop()
        shutil.rmtree(self._cache, ignore_errors=True)

    # ------------------------------------------------------------------ commands

    def refresh(self) -> None:
        self._runner.spawn(self.refresh_async())

    async def refresh_async(self) -> bool:
        found = await self._server(api.voicemail, quiet=True)
        if found is None:
            return False
        self.messages = found
        self.badge = sum(1 for m in found if not m.heard)
        self.changed.emit()
        return True

    def play(self, message_id: str) -> None:
        self._runner.spawn(self.play_async(message_id))

    async def play_async(self, message_id: str) -> bool:
        data = await self._server(lambda c: api.voicemail_audio(c, message_id))
        if data is None:
            return False
        self._cache.mkdir(parents=True, exist_ok=True)
        path = self._cache / f"{message_id}.wav"
        path.write_bytes(data)
        self._paths[str(path)] = message_id
        self._link.submit(PlayMessage(str(path)), on_error=lambda text: self._fail("playback", text))
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is not None and not message.heard:
            await self.mark_heard_async(message_id)
        return True

    def stop_playing(self) -> None:
        self._link.submit(StopMessage())

    def mark_heard(self, message_id: str) -> None:
        self._runner.spawn(self.mark_heard_async(message_id))

    async def mark_heard_async(self, message_id: str) -> bool:
        if await self._server(lambda c: _done(api.mark_heard(c, message_id))) is None:
            return False
        return await self.refresh_async()

    def delete(self, message_id: str) -> None:
        self._runner.spawn(self.delete_async(message_id))

    async def delete_async(self, message_id: str) -> bool:
        if self.playing == message_id:
            self.stop_playing()
        if await self._server(lambda c: _done(api.delete_voicemail(c, message_id))) is None:
            return False
        (self._cache / f"{message_id}.wav").unlink(missing_ok=True)
        return await self.refresh_async()

    # ------------------------------------------------------------------ plumbing

    async def _server(
        self, call: Callable[[ProvisioningClient], Awaitable[T]], *, quiet: bool = False
    ) -> T | None:
        """The call's result; None after a failure (shown unless `quiet`)."""
        client = self._client()
        if client is None:
            return None
        try:
            result = await call(client)
        except ApiError as exc:
            if quiet:
                log.warning("voicemail refresh failed: %s", exc)
            else:
                self._fail(exc.code or "network", exc.message)
            return None
        if not quiet:
            self.error = self.error_detail = ""
        return result

    def _fail(self, code: str, detail: str) -> None:
        self.error, self.error_detail = code, detail
        self.changed.emit()


async def _done(call: Awaitable[None]) -> bool:
    await call
    return True
