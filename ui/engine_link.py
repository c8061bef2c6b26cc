"""The seam between the engine thread and the GUI thread.

The engine calls ``deliver(event)`` on its own thread; the signal is connected with a queued connection, so
every view-model sees events on the GUI thread, in order. ``submit(cmd, on_done=...)`` sends a typed command
(softphone/commands.py); its result comes back to the GUI thread the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

from softphone.commands import Command, EnginePort

log = logging.getLogger(__name__)
T = TypeVar("T")


class EngineLink(QObject):
    """Holds the engine, relays its events and command results to the GUI thread."""

    eventReceived = Signal(object)
    commandFailed = Signal(str, str)  # command name, error text
    _event = Signal(object)
    _done = Signal(object, object, object, str)  # callback, error callback, future, command name

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

    def start(self, on_done: Callable[[None], None] | None = None) -> bool:
        """Start the engine; ``on_done`` runs on the GUI thread once it runs."""
        if self.engine is None:
            self.commandFailed.emit("start", "no engine")
            return False
        self._watch(self.engine.start(), "start", on_done, None)
        return True

    def submit(
        self,
        cmd: Command[T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> bool:
        """Run ``cmd`` on the engine; ``on_done(result)`` (or ``on_error(text)``) runs on the GUI thread."""
        if self.engine is None:
            self._failed(cmd.name, "engine not running", on_error)
            return False
        try:
            future = self.engine.submit(cmd)
        except Exception as exc:  # a synchronous refusal (the engine is stopped)
            self._failed(cmd.name, str(exc), on_error)
            return False
        self._watch(future, cmd.name, on_done, on_error)
        return True

    def _watch(
        self,
        future: Future[T],
        name: str,
        on_done: Callable[[T], None] | None,
        on_error: Callable[[str], None] | None,
    ) -> None:
        future.add_done_callback(lambda f: self._done.emit(on_done, on_error, f, name))

    def _failed(self, name: str, text: str, on_error: Callable[[str], None] | None) -> None:
        log.warning("engine %s failed: %s", name, text)
        self.commandFailed.emit(name, text)
        if on_error is not None:
            on_error(text)

    @Slot(object)
    def _relay_event(self, event: object) -> None:
        self.eventReceived.emit(event)

    @Slot(object, object, object, str)
    def _relay_done(
        self,
        callback: Callable[[Any], None] | None,
        on_error: Callable[[str], None] | None,
        future: Future[Any],
        name: str,
    ) -> None:
        exc = future.exception()
        if exc is not None:
            self._failed(name, str(exc), on_error)
            return
        if callback is not None:
            callback(future.result())
