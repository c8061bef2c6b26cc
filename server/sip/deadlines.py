"""Named moments in the future, sans-IO: a part of the PBX sets a deadline under a typed key (a ring timeout
of this call, the quota cut-off of that one), may move or cancel it, and asks which are due at `now`."""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Deadlines(Generic[K]):
    """At most one moment per key; `due(now)` hands back (and forgets) the keys whose moment has come, in
    time order.  A heap with lazy deletion: moving or cancelling a key leaves its old entry to be skipped."""

    def __init__(self) -> None:
        self._at: dict[K, float] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._seq = 0

    def set(self, key: K, when: float) -> None:
        self._at[key] = when
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, key))

    def cancel(self, key: K) -> None:
        self._at.pop(key, None)

    def get(self, key: K) -> float | None:
        return self._at.get(key)

    def next(self) -> float | None:
        heap = self._heap
        while heap:
            when, _, key = heap[0]
            if self._at.get(key) == when:
                return when
            heapq.heappop(heap)
        return None

    def due(self, now: float) -> list[K]:
        out: list[K] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, _, key = heapq.heappop(heap)
            if self._at.get(key) == when:
                del self._at[key]
                out.append(key)
        return out

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, key: object) -> bool:
        return key in self._at
