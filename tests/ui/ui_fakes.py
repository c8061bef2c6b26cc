"""A stand-in at the engine boundary for view-model tests: records commands, lets tests push events.

It implements the Engine API's shape (methods return completed ``concurrent.futures.Future``); events are
delivered from a separate thread like the real engine does, so the Qt marshalling is exercised too.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future
from typing import Any

from softphone.events import CallStats


def _done(value: Any = None) -> Future[Any]:
    f: Future[Any] = Future()
    f.set_result(value)
    return f


class FakeEngine:
    def __init__(self) -> None:
        self.on_event: Any = None
        self.commands: list[tuple[str, tuple[Any, ...]]] = []
        self._ids = itertools.count(1)
        self.devices: list[Any] = []
        self.mos = 4.2

    def emit(self, event: object) -> None:
        """Deliver ``event`` from another thread, as the engine thread would."""
        t = threading.Thread(target=self.on_event, args=(event,))
        t.start()
        t.join()

    def names(self) -> list[str]:
        return [c[0] for c in self.commands]

    def last(self, name: str) -> tuple[Any, ...]:
        return next(args for n, args in reversed(self.commands) if n == name)

    def _record(self, name: str, *args: Any) -> None:
        self.commands.append((name, args))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def command(*args: Any, **kwargs: Any) -> Future[Any]:
            self._record(name, *args, *kwargs.values())
            return _done(None)

        return command

    def make_call(self, account_id: str, target: str, hotline: str | None = None) -> Future[str]:
        self._record("make_call", account_id, target, hotline)
        return _done(f"c{next(self._ids)}")

    def send_message(self, account_id: str, to_uri: str, text: str) -> Future[str]:
        self._record("send_message", account_id, to_uri, text)
        return _done(f"m{next(self._ids)}")

    def call_stats(self, call_id: str) -> Future[CallStats]:
        self._record("call_stats", call_id)
        return _done(CallStats(call_id, "PCMU", 8000, 1.0, 50, 50, 0.0, 2.0, 10.0, self.mos))

    def list_audio_devices(self) -> Future[list[Any]]:
        self._record("list_audio_devices")
        return _done(list(self.devices))
