"""'Something changed' events: what the domain committed, published after the commit.

Every ORM write of a company-scoped row (any model with a ``company_id`` column, unless the model sets
``__changes__ = False``) is noted at flush time and published once the transaction commits, as one
`Change` per (table, company): which rows, which of their users, which columns.  A rollback publishes
nothing.  Services need not do anything: the session hooks below see every `session.add`, attribute
change and `session.delete`.  Bulk `update()`/`delete()` statements bypass them, so the domain only
uses those for columns nobody routes on (login counters, provisioning revisions).

Subscribers (the PBX's routing snapshot, the console's live views) get the changes on the event loop
that committed them; work they start on them is `track`ed, and the HTTP layer awaits `settled()` before
it answers a request, so an edit the API acknowledged is already how the PBX routes (read your writes).

A `Change` is plain JSON (`to_json`/`from_json`) so that a second server process sharing one PostgreSQL
database can receive the same events later: the committing process adds
``SELECT pg_notify('softphone_changes', <json>)`` in ``before_commit`` (PostgreSQL delivers a NOTIFY only
if its transaction commits, and in commit order), and every other process ``LISTEN``s on that channel
with a dedicated asyncpg connection and feeds what arrives to its own `ChangeBus.publish`.  Payloads
stay far below NOTIFY's 8000-byte limit because `Change.split` cuts long id lists.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

log = logging.getLogger("server.domain.changes")

NOTIFY_CHANNEL = "softphone_changes"
BUS_KEY = "change_bus"
_PENDING_KEY = "pending_changes"
# Kinds published without a row behind them, for the PBX: an agent's "ready now" (`user_ids`), and voicemail
# boxes whose messages were heard or deleted (`ids`; the owners' phones get a new message summary).  They
# stay in this process (no NOTIFY): the API and the PBX that must hear them share it.
AGENT_READY = "agent_ready"
VOICEMAIL_MESSAGES = "voicemail_messages"
_MAX_IDS = 500  # per Change, so one JSON payload stays well under PostgreSQL's 8000-byte NOTIFY limit


@dataclass(frozen=True, slots=True)
class Change:
    """Rows of one table of one company that a committed transaction wrote."""

    kind: str  # the table name: "users", "devices", "extensions", "hotlines", "companies", ...
    company_id: int
    ids: tuple[int, ...] = ()  # the rows written (ids of deleted rows included)
    user_ids: tuple[int, ...] = ()  # their `user_id` (or their own id for "users"), when they have one
    fields: tuple[str, ...] = ()  # the columns updated; empty when rows were only inserted or deleted
    deleted: bool = False  # some of the rows were deleted

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "company_id": self.company_id,
                "ids": list(self.ids),
                "user_ids": list(self.user_ids),
                "fields": list(self.fields),
                "deleted": self.deleted,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Change:
        data = json.loads(text)
        return cls(
            kind=str(data["kind"]),
            company_id=int(data["company_id"]),
            ids=tuple(int(i) for i in data.get("ids", ())),
            user_ids=tuple(int(i) for i in data.get("user_ids", ())),
            fields=tuple(str(f) for f in data.get("fields", ())),
            deleted=bool(data.get("deleted", False)),
        )

    def split(self, size: int = _MAX_IDS) -> list[Change]:
        """The same change cut into pieces of at most `size` ids (and user ids) each."""
        if len(self.ids) <= size and len(self.user_ids) <= size:
            return [self]
        out: list[Change] = []
        for start in range(0, max(len(self.ids), len(self.user_ids)), size):
            out.append(
                Change(
                    self.kind,
                    self.company_id,
                    self.ids[start : start + size],
                    self.user_ids[start : start + size],
                    self.fields,
                    self.deleted,
                )
            )
        return out


Subscriber = Callable[[list[Change]], None]


class ChangeBus:
    """In-process publish/subscribe of committed `Change`s.  Subscribers must not block: they are called
    synchronously from the commit, and schedule whatever work they need."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._work: set[asyncio.Future[Any]] = set()
        self.published = 0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber(changes)` after every commit that changed something; returns an unsubscribe."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def track(self, work: asyncio.Future[Any]) -> None:
        """A subscriber's work on the changes just published (awaited by `settled`)."""
        if not work.done():
            self._work.add(work)
            work.add_done_callback(self._work.discard)

    async def settled(self, timeout: float = 1.0) -> bool:
        """Wait until the subscribers' work on everything published so far is done (the PBX routes by
        it): the API answers an edit only once it is live.  False if that took longer than `timeout`."""
        if not self._work:
            return True
        _done, pending = await asyncio.wait(set(self._work), timeout=timeout)
        if pending:
            log.warning("change subscribers still busy after %.1f s", timeout)
        return not pending

    def publish(self, changes: list[Change]) -> None:
        if not changes:
            return
        self.published += len(changes)
        for subscriber in list(self._subscribers):
            try:
                subscriber(changes)
            except Exception:  # one broken subscriber must not fail the commit's caller
                log.exception("change subscriber %r failed", subscriber)


@dataclass(slots=True)
class _Pending:
    ids: set[int]
    user_ids: set[int]
    fields: set[str]
    deleted: bool = False


def _tracked(obj: object) -> tuple[str, int] | None:
    """(table, company id) of a row whose writes are published; None for the others."""
    cls = type(obj)
    if not getattr(cls, "__changes__", True):
        return None
    table = getattr(cls, "__tablename__", None)
    if table is None:
        return None
    company_id = getattr(obj, "id" if table == "companies" else "company_id", None)
    if not isinstance(company_id, int):
        return None
    return table, company_id


def _note(
    pending: dict[tuple[str, int], _Pending], obj: object, *, deleted: bool, fields: Iterable[str]
) -> None:
    found = _tracked(obj)
    if found is None:
        return
    entry = pending.get(found)
    if entry is None:
        entry = pending[found] = _Pending(set(), set(), set())
    row_id = getattr(obj, "id", None)
    if isinstance(row_id, int):
        entry.ids.add(row_id)
    user_id = row_id if found[0] == "users" else getattr(obj, "user_id", None)
    if isinstance(user_id, int):
        entry.user_ids.add(user_id)
    entry.fields.update(fields)
    entry.deleted = entry.deleted or deleted


def _changed_fields(obj: object) -> list[str]:
    state: Any = inspect(obj)
    return [attr.key for attr in state.attrs if attr.history.has_changes()]


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get(BUS_KEY) is None:
        return
    pending: dict[tuple[str, int], _Pending] = session.info.setdefault(_PENDING_KEY, {})
    for obj in session.new:
        _note(pending, obj, deleted=False, fields=())
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _note(pending, obj, deleted=False, fields=_changed_fields(obj))
    for obj in session.deleted:
        _note(pending, obj, deleted=True, fields=())


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    bus = session.info.get(BUS_KEY)
    pending: dict[tuple[str, int], _Pending] | None = session.info.pop(_PENDING_KEY, None)
    if bus is None or not pending:
        return
    changes: list[Change] = []
    for (kind, company_id), p in sorted(pending.items()):
        ids, user_ids, fields = tuple(sorted(p.ids)), tuple(sorted(p.user_ids)), tuple(sorted(p.fields))
        whole = Change(kind, company_id, ids, user_ids, fields, p.deleted)
        changes.extend(whole.split())
    bus.publish(changes)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
