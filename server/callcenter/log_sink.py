"""Where the queue engine's log lines go: `QueueLogSink.record(entry[, company_id])`, called from the PBX.

`record` must not block or await (the core never waits on the database): the SQL implementation
(`server.domain.queue_log.QueueLogWriter`) buffers and commits in groups behind the hot path.
`at` is UNIX time (the PBX core's clock is wall-clock).  Agent log-in and pause lines
(`AGENT_STATE_EVENTS`) are written by the domain service that persists the agent's state, in the same
transaction; the SQL writer drops the engine's copies of them so that each change is logged once, also
when a restarting PBX replays the stored states into a fresh engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from server.callcenter.queue import LogEntry

AGENT_STATE_EVENTS = frozenset({"AGENTLOGIN", "AGENTLOGOFF", "PAUSE", "UNPAUSE"})


class QueueLogSink(Protocol):
    def record(self, entry: LogEntry, company_id: int | None = None) -> None:
        """Take one queue-log line (returns at once); `company_id` is the queue's company when the
        caller knows it (the SQL writer looks it up otherwise)."""


@dataclass(slots=True)
class MemoryQueueLog:
    """A sink that keeps the lines in a list (tests, and metrics over what one engine emitted)."""

    entries: list[LogEntry] = field(default_factory=list)

    def record(self, entry: LogEntry, company_id: int | None = None) -> None:
        self.entries.append(entry)


class LoggingQueueSink:
    """A sink that writes each line to the server log (``queue_log company=.. queue=.. call=.. EVENT ..``)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or logging.getLogger("server.callcenter.queue_log")

    def record(self, entry: LogEntry, company_id: int | None = None) -> None:
        self.log.info(
            "queue_log company=%s queue=%d call=%s %s agent=%s %s",
            company_id,
            entry.queue_id,
            entry.call_id,
            entry.event,
            entry.user_id,
            dict(entry.data),
        )


class FanOutQueueLog:
    """A sink that hands each line to several sinks in turn (the database and the server log, say)."""

    def __init__(self, *sinks: QueueLogSink) -> None:
        self.sinks = sinks

    def record(self, entry: LogEntry, company_id: int | None = None) -> None:
        for sink in self.sinks:
            sink.record(entry, company_id)
