"""Queue statistics from the queue log (the `LogEntry` lines the engine emits, as persisted).

Definitions (per queue, over the entries given: the caller picks the period):
- offered: ENTERQUEUE lines; answered: CONNECT; abandoned: ABANDON; short abandons (wait < the queue's
  `short_abandon`) are left out of the abandonment rate and of the second service level.
- service level: answered with hold <= threshold / answered.
- service level with abandons: answered with hold <= threshold / (answered + abandoned, not short).
- ASA: mean hold of answered calls; AHT: mean (talk + wrap-up) of completed calls.
- abandon rate: abandoned (not short) / (offered - short abandons).
- waiting: callers entered with no outcome yet; longest wait: the longest any caller waited (answered,
  abandoned, exited or still waiting at `now`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from server.callcenter.queue import LogEntry

_OUTCOMES = frozenset({"CONNECT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "EXITFULL"})


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    answered_within: int
    service_level: float | None
    service_level_with_abandons: float | None
    asa: float | None
    aht: float | None
    abandon_rate: float | None
    waiting: int
    longest_wait: float


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def queue_metrics(
    entries: Iterable[LogEntry], *, now: float, service_level: float = 20.0, short_abandon: float = 5.0
) -> QueueMetrics:
    offered = answered = abandoned = short = timed_out = within = 0
    holds: list[float] = []
    entered: dict[str, float] = {}
    talk: dict[str, float] = {}
    longest = 0.0
    for e in sorted(entries, key=lambda e: e.at):
        if e.event == "ENTERQUEUE":
            offered += 1
            entered[e.call_id] = e.at
        elif e.event == "CONNECT":
            answered += 1
            hold = float(e.data.get("hold", 0.0))
            holds.append(hold)
            within += hold <= service_level
            longest = max(longest, hold)
        elif e.event == "ABANDON":
            wait = float(e.data.get("wait", 0.0))
            longest = max(longest, wait)
            if wait < short_abandon:
                short += 1
            else:
                abandoned += 1
        elif e.event in ("COMPLETEAGENT", "COMPLETECALLER"):
            talk[e.call_id] = float(e.data.get("talk", 0.0))
        elif e.event == "WRAPUP" and e.call_id in talk:
            talk[e.call_id] += float(e.data.get("wrapup", 0.0))
        elif e.event in _OUTCOMES:
            timed_out += e.event == "EXITWITHTIMEOUT"
            longest = max(longest, float(e.data.get("wait", 0.0)))
        if e.event in _OUTCOMES:
            entered.pop(e.call_id, None)
    for since in entered.values():
        longest = max(longest, now - since)
    return QueueMetrics(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandoned=short,
        timed_out=timed_out,
        answered_within=within,
        service_level=_ratio(within, answered),
        service_level_with_abandons=_ratio(within, answered + abandoned),
        asa=_ratio(sum(holds), len(holds)),
        aht=_ratio(sum(talk.values()), len(talk)),
        abandon_rate=_ratio(abandoned, offered - short),
        waiting=len(entered),
        longest_wait=longest,
    )
