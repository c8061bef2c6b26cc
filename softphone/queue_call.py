"""What the PBX tells an agent about a call it places from the call center (``docs/sip-contract.md``, the
agent leg): ``X-Queue: <queue id>``, ``X-Call-Path: schedule 1 open > ivr 1 > queue 1`` and
``X-Queue-Wait: <seconds the caller waited>``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PathStep:
    kind: str  # schedule, ivr, queue, extension, ring_group, external, voicemail, prompt, ...
    ref: str  # its id (or number, prompt name)
    detail: str = ""  # a schedule's decision: open, closed, holiday


@dataclass(frozen=True, slots=True)
class QueueCall:
    queue_id: int | None
    path: tuple[PathStep, ...]
    waited: int | None  # seconds the caller had waited when the agent's phone began to ring

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> QueueCall | None:
        """From an IncomingCall's headers (lower-case names); None unless the call center placed it."""
        queue = headers.get("x-queue", "").strip()
        path = headers.get("x-call-path", "").strip()
        wait = headers.get("x-queue-wait", "").strip()
        if not (queue or path):
            return None
        return cls(
            int(queue) if queue.isdigit() else None,
            tuple(_step(part) for part in path.split(">") if part.strip()),
            int(float(wait)) if _number(wait) else None,
        )


def _step(text: str) -> PathStep:
    words = text.split()
    return PathStep(words[0], words[1] if len(words) > 1 else "", " ".join(words[2:]))


def _number(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False
