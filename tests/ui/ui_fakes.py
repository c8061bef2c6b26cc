"""A strict stand-in at the engine boundary for view-model tests: records commands, lets tests push events.

It has the Engine's shape (``start``/``stop``/``submit`` returning completed futures) and answers every
command type in ``softphone.commands`` — anything else is refused, as the real engine refuses it. Events are
delivered from a separate thread like the real engine does, so the Qt marshalling is exercised too.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from softphone import commands as c
from softphone.events import CallStats

T = TypeVar("T")


def _done(value: Any = None) -> Future[Any]:
    f: Future[Any] = Future()
    f.set_result(value)
    return f


class FakeEngine:
    def __init__(self) -> None:
        self.on_event: Any = None
        self.commands: list[c.Command[Any]] = []
        self._ids = itertools.count(1)
        self.devices: list[Any] = []
        self.codecs = ["G722/16000", "PCMU/8000", "PCMA/8000", "GSM/8000"]
        self.mos = 4.2
        self.srtp_suite = ""
        self.answers: dict[type[c.Command[Any]], Callable[[Any], Any]] = {
            c.MakeCall: lambda _cmd: f"c{next(self._ids)}",
            c.SendMessage: lambda _cmd: f"m{next(self._ids)}",
            c.GetCallStats: lambda cmd: CallStats(
                cmd.call_id, "PCMU", 8000, 1.0, 50, 50, 0.0, 2.0, 10.0, self.mos,
                srtp_active=bool(self.srtp_suite), srtp_suite=self.srtp_suite,
            ),
            c.ListAudioDevices: lambda _cmd: list(self.devices),
            c.GetCodecs: lambda _cmd: list(self.codecs),
            c.LocalSipPort: lambda _cmd: 5060,
            c.CallDuration: lambda _cmd: 0.0,
            c.PlayMessage: lambda _cmd: 1.0,
        }
        unknown = set(self.answers) - set(c.Command.by_name.values())
        assert not unknown, f"answers for commands that do not exist: {unknown}"

    def start(self) -> Future[None]:
        return _done(None)

    def stop(self) -> Future[None]:
        return _done(None)

    def submit(self, cmd: c.Command[T]) -> Future[T]:
        if type(cmd) not in c.Command.by_name.values() or not dataclasses.is_dataclass(cmd):
            raise TypeError(f"not an engine command: {cmd!r}")
        self.commands.append(cmd)
        answer = self.answers.get(type(cmd))
        return _done(answer(cmd) if answer is not None else None)

    def emit(self, event: object) -> None:
        """Deliver ``event`` from another thread, as the engine thread would."""
        t = threading.Thread(target=self.on_event, args=(event,))
        t.start()
        t.join()

    def names(self) -> list[str]:
        return [cmd.name for cmd in self.commands]

    def last(self, name: str) -> tuple[Any, ...]:
        """The fields of the most recent command with this wire name (``"make_call"`` -> (account, target,
        hotline)), in declaration order."""
        if name not in c.Command.by_name:
            raise KeyError(f"no engine command is called {name!r}")
        cmd = next(x for x in reversed(self.commands) if x.name == name)
        return tuple(getattr(cmd, f.name) for f in dataclasses.fields(cmd))  # type: ignore[arg-type]
