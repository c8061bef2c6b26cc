"""The seam between the engine thread and the GUI thread.

The engine calls ``deliver(event)`` on its own thread; the signal is connected with a queued
connection, so every view-model sees events on the GUI thread, in order. Engine commands return
``concurrent.futures.Future``; ``when_done`` brings their outcome back to the GUI thread the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)


class EnginePort(Protocol):
    """The part of ``softphone.engine.Engine`` the desktop app uses (see /docs and interfaces)."""

    def start(self) -> Future[Any]: ...
    def stop(self) -> Future[Any]: ...
    def add_account(self, config: Any) -> Future[Any]: ...
    def modify_account(self, config: Any) -> Future[Any]: ...
    def remove_account(self, account_id: str) -> Future[Any]: ...
    def make_call(self, account_id: str, target: str, hotline: str | None = None) -> Future[Any]: ...
    def answer(self, call_id: str) -> Future[Any]: ...
    def decline(self, call_id: str, code: int = 486) -> Future[Any]: ...
    def hangup(self, call_id: str) -> Future[Any]: ...
    def hold(self, call_id: str) -> Future[Any]: ...
    def resume(self, call_id: str) -> Future[Any]: ...
    def set_mute(self, call_id: str, muted: bool) -> Future[Any]: ...
    def send_dtmf(self, call_id: str, digits: str, method: str = "rfc4733") -> Future[Any]: ...
    def blind_transfer(self, call_id: str, target: str) -> Future[Any]: ...
    def attended_transfer(self, call_id: str, consult_call_id: str) -> Future[Any]: ...
    def merge_conference(self, call_ids: list[str]) -> Future[Any]: ...
    def start_recording(self, call_id: str, path: str) -> Future[Any]: ...
    def stop_recording(self, call_id: str) -> Future[Any]: ...
    def set_dnd(self, enabled: bool) -> Future[Any]: ...
    def send_message(self, account_id: str, to_uri: str, text: str) -> Future[Any]: ...
    def subscribe_presence(self, account_id: str, uri: str) -> Future[Any]: ...
    def publish_presence(self, account_id: str, status: str, note: str = "") -> Future[Any]: ...
    def call_stats(self, call_id: str) -> Future[Any]: ...
    def set_audio_devices(self, input: Any, output: Any, ringer: Any) -> Future[Any]: ...
    def list_audio_devices(self) -> Future[Any]: ...


class EngineLink(QObject):
    """Holds the engine, relays its events and command results to the GUI thread."""

    eventReceived = Signal(object)
    commandFailed = Signal(str, str)  # command name, error text
    _event = Signal(object)
    _done = Signal(object, object, object)  # callback, future, name

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine: EnginePort | None = None
        self._event.connect(self._relay_event, Qt.ConnectionType.QueuedConnection)
        self._done.connect(self._relay_done, Qt.ConnectionType.QueuedConnection)

    def attach(self, engine: EnginePort) -> None:
        self.engine = engine

    def deliver(self, event: object) -> None:
        """Engine-thread entry point; pass as the engine's ``on_event``."""
        self._event.emit(event)

    def call(
        self,
        name: str,
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        **kwargs: Any,
    ) -> bool:
        """Run ``engine.<name>(*args)``; ``on_done(result)`` runs on the GUI thread on success."""
        if self.engine is None:
            self.commandFailed.emit(name, "engine not running")
            return False
        try:
            future = getattr(self.engine, name)(*args, **kwargs)
        except Exception as exc:  # a synchronous refusal (bad argument, engine stopped)
            log.warning("engine.%s failed: %s", name, exc)
            self.commandFailed.emit(name, str(exc))
            return False
        future.add_done_callback(lambda f: self._done.emit(on_done, f, name))
        return True

    @Slot(object)
    def _relay_event(self, event: object) -> None:
        self.eventReceived.emit(event)

    @Slot(object, object, object)
    def _relay_done(self, callback: Callable[[Any], None] | None, future: Future[Any], name: str) -> None:
        exc = future.exception()
        if exc is not None:
            log.warning("engine.%s failed: %s", name, exc)
            self.commandFailed.emit(name, str(exc))
            return
        if callback is not None:
            callback(future.result())
