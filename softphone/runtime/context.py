"""What every engine-thread component shares: configuration, the event sink and the thread's plumbing."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from softphone.config import EngineConfig
from softphone.events import EngineEvent
from softphone.runtime.timers import Timers

CLOCK_RATE = 16000


# pjmedia 2.15 connects, disconnects and removes conference ports on its clock thread, at the next tick
# after the request: a port we drop may still be called for a tick or two. Dropped pjsua2 objects are kept
# this long.
GRAVE_S = 0.5


class Graveyard:
    """pjsua2 objects we no longer use, kept alive until pjsua and the conference clock are surely done with
    them (dropping them inside the callback that ended them, or one tick early, frees memory still in use)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._graves: deque[tuple[float, Any]] = deque()

    def append(self, obj: Any) -> None:
        self._graves.append((self._clock() + GRAVE_S, obj))

    def extend(self, objs: Iterable[Any]) -> None:
        for obj in objs:
            self.append(obj)

    def sweep(self) -> None:
        now = self._clock()
        while self._graves and self._graves[0][0] <= now:
            self._graves.popleft()

    def clear(self) -> None:
        self._graves.clear()

    def __len__(self) -> int:
        return len(self._graves)


@dataclass(eq=False)
class EngineContext:
    config: EngineConfig
    emit: Callable[[EngineEvent], None]
    # Run a function on the engine thread soon (thread-safe; pjsua2 callbacks off-thread use it).
    post: Callable[[Callable[[], None]], None]
    clock: Callable[[], float]
    timers: Timers
    graveyard: Graveyard = field(init=False)

    def __post_init__(self) -> None:
        self.graveyard = Graveyard(self.clock)
