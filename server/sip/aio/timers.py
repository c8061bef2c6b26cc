"""Bridge from a sans-IO object's ``next_timer()`` to one asyncio timer handle.

The protocol objects take ``now`` from ``loop.time()`` (monotonic); this class keeps a single
``loop.call_at`` armed for the earliest deadline and re-arms it whenever asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class LoopTimer:
    """Calls ``on_fire(now)`` at the deadline given to ``schedule``; one pending call at most."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_fire: Callable[[float], None]) -> None:
        self._loop = loop
        self._on_fire = on_fire
        self._handle: asyncio.TimerHandle | None = None
        self._when: float | None = None

    @property
    def deadline(self) -> float | None:
        return self._when

    def schedule(self, when: float | None) -> None:
        """Arm for ``when`` (loop time); ``None`` disarms. Re-arming for the same deadline is free."""
        if when == self._when and (when is None or self._handle is not None):
            return
        self.cancel()
        if when is not None:
            self._when = when
            self._handle = self._loop.call_at(when, self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._when = None

    def _fire(self) -> None:
        self._handle = None
        self._when = None
        self._on_fire(self._loop.time())
