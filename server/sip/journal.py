"""What the PBX writes back, off the response path: a numbered journal the domain commits in batches.

The SIP core never waits for the database.  Every state change that must survive a restart (a binding
saved or removed, a CDR state change, outbound minutes used, a MESSAGE stored or delivered, a published
presence state) is appended here as a frozen record and the core goes on.  The asyncio side
(`server.domain.pbx_journal.JournalWriter`) takes everything pending every few milliseconds (or sooner
when many are waiting), commits it in one transaction (group commit) and reports the sequence number
it reached with `Proxy.journal_committed(seq, now)`.

Only a response that promises durability waits for that: a MESSAGE stored for an offline recipient is
answered 202 once its record is committed (`Proxy` holds the response until then).  Everything else is
answered at once; after `kill -9` the restarted server has every write committed before the kill, which
under the writer's batching is everything acknowledged more than a few milliseconds earlier.

`PbxState` is what a starting PBX loads back: bindings, calls that were still running, undelivered
messages and published presence states.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.sip.directory import Binding, CallRecord, QueuedMessage


# BindingSaved and CallRecorded write out __init__ so that mypyc compiles it: one is made per REGISTER
# or call state change.
@dataclass(frozen=True, slots=True, init=False)
class BindingSaved:
    binding: Binding  # insert or replace the binding keyed by (aor, contact)

    def __init__(self, binding: Binding) -> None:
        object.__setattr__(self, "binding", binding)


@dataclass(frozen=True, slots=True)
class BindingRemoved:
    aor: str
    contact: str


@dataclass(frozen=True, slots=True, init=False)
class CallRecorded:
    record: CallRecord  # insert or replace the CDR keyed by call_id

    def __init__(self, record: CallRecord) -> None:
        object.__setattr__(self, "record", record)


@dataclass(frozen=True, slots=True)
class UsageAdded:
    user_id: int
    seconds: float
    period: str  # "YYYY-MM" the seconds count in (a counter of an earlier month restarts)


@dataclass(frozen=True, slots=True)
class MessageQueued:
    message: QueuedMessage


@dataclass(frozen=True, slots=True)
class MessageDelivered:
    message_id: str
    at: float


@dataclass(frozen=True, slots=True)
class PresencePublished:
    """What a user's client PUBLISHed (status None: withdrawn)."""

    user_id: int
    status: str | None
    note: str
    expires_at: float


Write = (
    BindingSaved
    | BindingRemoved
    | CallRecorded
    | UsageAdded
    | MessageQueued
    | MessageDelivered
    | PresencePublished
)


class Journal:
    """Writes waiting for the next group commit, in order.  `append` numbers them from 1."""

    __slots__ = ("_pending", "appended", "committed")

    def __init__(self) -> None:
        self._pending: list[Write] = []
        self.appended = 0  # sequence number of the last write appended
        self.committed = 0  # ... and of the last one the database has

    def append(self, write: Write) -> int:
        self._pending.append(write)
        self.appended += 1
        return self.appended

    def take(self) -> tuple[int, list[Write]]:
        """Everything pending, and the sequence number it reaches once committed."""
        batch, self._pending = self._pending, []
        return self.appended, batch

    def mark_committed(self, seq: int) -> None:
        if seq > self.committed:
            self.committed = seq

    def __len__(self) -> int:
        return len(self._pending)


@dataclass(frozen=True, slots=True)
class PublishedPresence:
    user_id: int
    status: str
    note: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class PbxState:
    """What the PBX had committed, loaded back at start-up."""

    bindings: tuple[Binding, ...] = ()
    running_calls: tuple[CallRecord, ...] = ()  # CDRs without an end
    pending_messages: tuple[QueuedMessage, ...] = ()  # stored, not delivered yet
    presence: tuple[PublishedPresence, ...] = field(default=())
