"""One-shot timers run by the engine thread's pump (auto-answer, ringtone tests)."""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable

log = logging.getLogger("softphone.engine")


class Timers:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count(1)

    def schedule(self, delay_s: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (self._clock() + delay_s, next(self._seq), fn))

    def run_due(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, _, fn = heapq.heappop(self._heap)
            guard(fn)

    def clear(self) -> None:
        self._heap.clear()


def guard(fn: Callable[[], None]) -> None:
    """Run engine-thread work that must not end the pump loop when it fails."""
    try:
        fn()
    except Exception:
        log.exception("engine task failed")
