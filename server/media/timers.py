"""One-shot timers for the media service's single pjsua2 thread.

The service loop pumps pjsua2 events and then runs whatever is due here, so feature code
scheduled with :meth:`Timers.call_later` runs on the thread that owns the Endpoint. The
clock is injected so tests can step time by hand.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass(order=True)
class TimerHandle:
    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    """A heap of one-shot callbacks ordered by due time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[TimerHandle] = []
        self._seq = itertools.count()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle(self._clock() + max(0.0, delay), next(self._seq), callback)
        heapq.heappush(self._heap, handle)
        return handle

    def next_due(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def run_due(self) -> int:
        """Run every callback due by now; returns how many ran.

        Callbacks scheduled while running wait for the next call, so a callback that
        re-arms itself with no delay cannot starve the pjsua2 event pump.
        """
        now = self._clock()
        due: list[TimerHandle] = []
        while self._heap and self._heap[0].due <= now:
            due.append(heapq.heappop(self._heap))
        ran = 0
        for handle in due:
            if handle.cancelled:
                continue
            handle.cancelled = True
            handle.callback()
            ran += 1
        return ran
