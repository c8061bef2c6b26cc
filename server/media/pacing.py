"""A 20 ms clock for the media loops that run in Python (the conference mixer, the call recorders)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

PTIME = 0.02  # one RTP frame of G.711 at 8 kHz
STALL = 0.2  # this far behind, start a new schedule instead of bursting to catch up


async def every_frame(step: Callable[[int], None]) -> None:
    """Call ``step(tick)`` every 20 ms for ever (cancel to stop).  The schedule is absolute, so the rate
    holds over time; after a stall (the event loop or the machine held up more than 200 ms) it restarts
    rather than sending a burst."""
    start = time.monotonic()
    tick = 0
    while True:
        step(tick)
        tick += 1
        delay = start + tick * PTIME - time.monotonic()
        if delay < -STALL:
            start, tick = time.monotonic(), 0
            delay = 0
        await asyncio.sleep(max(0.0, delay))


class FrameLoop:
    """``every_frame(step)`` as a task started on first use and stopped on demand."""

    def __init__(self, step: Callable[[int], None], name: str) -> None:
        self._step = step
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(every_frame(self._step), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
