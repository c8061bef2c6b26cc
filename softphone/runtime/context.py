"""What every engine-thread component shares: configuration, the event sink and the thread's plumbing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from softphone.config import EngineConfig
from softphone.events import EngineEvent
from softphone.runtime.timers import Timers

CLOCK_RATE = 16000


@dataclass(eq=False)
class EngineContext:
    config: EngineConfig
    emit: Callable[[EngineEvent], None]
    # Run a function on the engine thread soon (thread-safe; pjsua2 callbacks off-thread use it).
    post: Callable[[Callable[[], None]], None]
    clock: Callable[[], float]
    timers: Timers
    # pjsua2 objects that pjsua may still touch after the callback that ended them returns: dropped on the
    # next pump, never inside the callback.
    graveyard: list[Any] = field(default_factory=list)
