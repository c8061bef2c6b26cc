"""Ring groups: which extensions ring in which step, and where an unanswered call goes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.callcenter.destinations import Destination, destination_from_json


@dataclass(frozen=True, slots=True)
class RingStep:
    extensions: tuple[str, ...]
    timeout: float


@dataclass(frozen=True, slots=True)
class RingPlan:
    steps: tuple[RingStep, ...]
    no_answer: Destination


def ring_plan(config: Mapping[str, Any]) -> RingPlan:
    """Simultaneous: one step ringing every member; ordered: one member per step, in the listed order."""
    extensions = tuple(str(e) for e in config["extensions"])
    timeout = float(config.get("ring_timeout", 20.0))
    if config.get("mode", "simultaneous") == "ordered":
        steps = tuple(RingStep((ext,), timeout) for ext in extensions)
    else:
        steps = (RingStep(extensions, timeout),)
    return RingPlan(steps, destination_from_json(config.get("no_answer")))
