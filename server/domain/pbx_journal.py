"""The database side of the PBX's journal (`server.sip.journal`): one transaction per batch of writes, and
what a starting PBX loads back (`load_state`).

A batch is coalesced before it is written: the last write of a binding (aor, contact) or of a CDR (call id)
wins, minutes are summed per user and month, and each kind goes to the database as one multi-row statement
(`INSERT ... ON CONFLICT DO UPDATE` on SQLite and PostgreSQL alike).  Plain Core statements, no ORM: they
publish no "changed" events (the PBX does not need to hear about its own writes) and cost a fraction of
an ORM flush.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.domain import models as m
from server.domain.call_cost import DEFAULT_TABLE, RateTable, call_cost
from server.sip import directory as d
from server.sip.journal import (
    BindingRemoved,
    BindingSaved,
    CallRecorded,
    MessageDelivered,
    MessageQueued,
    PbxState,
    PresencePublished,
    PublishedPresence,
    UsageAdded,
    Write,
)

_BINDINGS = cast(Table, m.SipBinding.__table__)
_CALLS = cast(Table, m.CallRecord.__table__)
_MESSAGES = cast(Table, m.QueuedMessage.__table__)
_PRESENCE = cast(Table, m.PresenceState.__table__)
_USERS = cast(Table, m.User.__table__)


def _naive_utc(posix: float) -> datetime:
    return datetime.fromtimestamp(posix, UTC).replace(tzinfo=None)


def _binding_row(b: d.Binding) -> dict[str, Any]:
    return {
        "aor": b.aor,
        "contact": b.contact,
        "expires_at": b.expires_at,
        "user_id": b.user_id,
        "username": b.username,
        "device_kind": str(b.device_kind),
        "call_id": b.call_id,
        "cseq": b.cseq,
        "source": b.source,
        "instance_id": b.instance_id,
        "user_agent": b.user_agent[:255],
    }


# The rate table of a call's (company, hotline): the snapshot's, in memory (`SnapshotRefresher.rate_table`).
RateLookup = Callable[[int | None, str | None], RateTable]


def _builtin(company_id: int | None, hotline: str | None) -> RateTable:
    return DEFAULT_TABLE


def _call_row(cdr: d.CallRecord, rates: RateLookup = _builtin) -> dict[str, Any]:
    return {
        "call_id": cdr.call_id,
        "company_id": cdr.company_id,
        "domain": cdr.domain,
        "caller": cdr.caller[:255],
        "callee": cdr.callee[:255],
        "direction": cdr.direction,
        "hotline": cdr.hotline,
        "start": cdr.start,
        "answer": cdr.answer,
        "end": cdr.end,
        "disposition": str(cdr.disposition),
        "hangup_cause": cdr.hangup_cause,
        "caller_user_id": cdr.caller_user_id,
        "callee_user_id": cdr.callee_user_id,
        "cutoff": cdr.cutoff,
        "dialog": None if cdr.dialog is None else dialog_json(cdr.dialog),
        "path": cdr.path,
        "cost": _cost(cdr, rates),
    }


def _cost(cdr: d.CallRecord, rates: RateLookup) -> float | None:
    """What the call cost, once it has ended (0 for the free ones), priced with the table of the hotline
    it went out through; None while it runs."""
    if cdr.end is None:
        return None
    talk = cdr.end - cdr.answer if cdr.answer is not None else 0.0
    if cdr.direction != "outbound" or talk <= 0:
        return 0.0
    return call_cost(cdr.direction, cdr.callee, talk, rates(cdr.company_id, cdr.hotline))


class SqlJournal:
    """Commits journal batches to the database behind `engine`; `await sink(writes)` is one transaction.
    `rates` gives the rate table a finished outbound call is priced with."""

    def __init__(self, engine: AsyncEngine, rates: RateLookup = _builtin) -> None:
        self._engine = engine
        self._rates = rates
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._upserts: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Any] = {}
        self.statements = 0

    async def __call__(self, writes: list[Write]) -> None:
        bindings: dict[tuple[str, str], BindingSaved | BindingRemoved] = {}
        calls: dict[str, d.CallRecord] = {}
        usage: dict[tuple[int, str], float] = {}
        queued: dict[str, d.QueuedMessage] = {}
        delivered: dict[str, float] = {}
        presence: dict[int, PresencePublished] = {}
        for w in writes:
            if isinstance(w, BindingSaved):
                bindings[(w.binding.aor, w.binding.contact)] = w
            elif isinstance(w, BindingRemoved):
                bindings[(w.aor, w.contact)] = w
            elif isinstance(w, CallRecorded):
                calls[w.record.call_id] = w.record
            elif isinstance(w, UsageAdded):
                key = (w.user_id, w.period)
                usage[key] = usage.get(key, 0.0) + w.seconds
            elif isinstance(w, MessageQueued):
                queued.setdefault(w.message.message_id, w.message)
            elif isinstance(w, MessageDelivered):
                delivered[w.message_id] = w.at
            elif isinstance(w, PresencePublished):
                presence[w.user_id] = w
        async with self._engine.begin() as conn:
            await self._bindings(conn, bindings.values())
            if calls:
                await self._upsert(
                    conn, _CALLS, ["call_id"], [_call_row(c, self._rates) for c in calls.values()]
                )
            if usage:
                await self._usage(conn, usage)
            if queued:
                await self._queue(conn, queued.values())
            if delivered:
                await self._execute(
                    conn,
                    update(_MESSAGES)
                    .where(_MESSAGES.c.message_id == bindparam("mid"), _MESSAGES.c.delivered_at.is_(None))
                    .values(delivered_at=bindparam("at")),
                    [{"mid": mid, "at": _naive_utc(at)} for mid, at in delivered.items()],
                )
            if presence:
                await self._presence(conn, presence.values())

    async def _execute(self, conn: AsyncConnection, statement: Any, rows: list[dict[str, Any]]) -> None:
        self.statements += 1
        await conn.execute(statement, rows)

    async def _upsert(
        self, conn: AsyncConnection, table: Any, keys: list[str], rows: list[dict[str, Any]]
    ) -> None:
        # Built once per shape: making the statement cost more CPU than SQLite spent running it.
        shape = (table.name, tuple(keys), tuple(rows[0]))
        stmt = self._upserts.get(shape)
        if stmt is None:
            insert = self._insert(table)
            stmt = insert.on_conflict_do_update(
                index_elements=keys, set_={c: insert.excluded[c] for c in rows[0] if c not in keys}
            )
            self._upserts[shape] = stmt
        await self._execute(conn, stmt, rows)

    async def _bindings(self, conn: AsyncConnection, writes: Iterable[BindingSaved | BindingRemoved]) -> None:
        saved = [_binding_row(w.binding) for w in writes if isinstance(w, BindingSaved)]
        removed = [{"a": w.aor, "c": w.contact} for w in writes if isinstance(w, BindingRemoved)]
        if removed:
            await self._execute(
                conn,
                delete(_BINDINGS).where(
                    and_(_BINDINGS.c.aor == bindparam("a"), _BINDINGS.c.contact == bindparam("c"))
                ),
                removed,
            )
        if saved:
            await self._upsert(conn, _BINDINGS, ["aor", "contact"], saved)

    async def _usage(self, conn: AsyncConnection, usage: dict[tuple[int, str], float]) -> None:
        # A counter of an earlier month restarts at this call's seconds.
        stmt = (
            update(_USERS)
            .where(_USERS.c.id == bindparam("uid"))
            .values(
                seconds_used_this_month=case(
                    (
                        _USERS.c.usage_period == bindparam("period"),
                        _USERS.c.seconds_used_this_month + bindparam("s"),
                    ),
                    else_=bindparam("s"),
                ),
                usage_period=bindparam("period"),
            )
        )
        for (uid, period), seconds in usage.items():  # in order: a month boundary inside one batch
            await self._execute(conn, stmt, [{"uid": uid, "period": period, "s": seconds}])

    async def _queue(self, conn: AsyncConnection, messages: Iterable[d.QueuedMessage]) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {
                "message_id": q.message_id,
                "domain": q.domain,
                "user_id": q.user_id,
                "from_uri": q.from_uri,
                "to_uri": q.to_uri,
                "content_type": q.content_type,
                "body": q.body,
                "date": q.date,
                "created_at": now,
            }
            for q in messages
        ]
        await self._execute(
            conn, self._insert(_MESSAGES).on_conflict_do_nothing(index_elements=["message_id"]), rows
        )

    async def _presence(self, conn: AsyncConnection, writes: Iterable[PresencePublished]) -> None:
        gone = [{"uid": w.user_id} for w in writes if w.status is None]
        kept = [
            {"user_id": w.user_id, "status": w.status, "note": w.note[:255], "expires_at": w.expires_at}
            for w in writes
            if w.status is not None
        ]
        if gone:
            await self._execute(conn, delete(_PRESENCE).where(_PRESENCE.c.user_id == bindparam("uid")), gone)
        if kept:
            await self._upsert(conn, _PRESENCE, ["user_id"], kept)


def _call_record(r: Any) -> d.CallRecord:
    return d.CallRecord(
        call_id=r.call_id,
        company_id=r.company_id,
        domain=r.domain,
        caller=r.caller,
        callee=r.callee,
        direction=r.direction,
        hotline=r.hotline,
        start=r.start,
        answer=r.answer,
        end=r.end,
        disposition=d.Disposition(r.disposition),
        hangup_cause=r.hangup_cause,
        caller_user_id=r.caller_user_id,
        callee_user_id=r.callee_user_id,
        cutoff=r.cutoff,
        dialog=call_dialog(r.dialog),
        path=r.path,
    )


def dialog_json(dialog: d.CallDialog) -> dict[str, Any]:
    """The dialog as a CDR stores it; `call_dialog` reads it back. Written out: `asdict` cost more than the
    rest of the row."""
    return {
        "caller": _party_json(dialog.caller),
        "callee": _party_json(dialog.callee),
        "billed_user_id": dialog.billed_user_id,
        "cseq_offset": dialog.cseq_offset,
        "carrier_from": dialog.carrier_from,
    }


def _party_json(party: d.DialogParty) -> dict[str, Any]:
    return {
        "uri": party.uri,
        "tag": party.tag,
        "target": party.target,
        "flow": party.flow,
        "cseq": party.cseq,
        "route_set": list(party.route_set),
    }


def call_dialog(data: object) -> d.CallDialog | None:
    """The dialog stored with a CDR; None for records without one, or one this version cannot read."""
    if not isinstance(data, dict):
        return None
    try:
        caller, callee = dict(data["caller"]), dict(data["callee"])
        for party in (caller, callee):
            party["route_set"] = tuple(party.get("route_set") or ())
        return d.CallDialog(
            caller=d.DialogParty(**caller),
            callee=d.DialogParty(**callee),
            billed_user_id=data.get("billed_user_id"),
            cseq_offset=int(data.get("cseq_offset") or 0),
            carrier_from=data.get("carrier_from"),
        )
    except (KeyError, TypeError, ValueError):
        return None


async def load_state(engine: AsyncEngine, now: float) -> PbxState:
    """What the PBX had committed: bindings, calls still running, undelivered messages, live presence."""
    async with engine.connect() as conn:
        bindings = [
            d.Binding(
                aor=r.aor,
                contact=r.contact,
                expires_at=r.expires_at,
                user_id=r.user_id,
                username=r.username,
                device_kind=d.DeviceKind(r.device_kind),
                call_id=r.call_id,
                cseq=r.cseq,
                source=r.source,
                instance_id=r.instance_id,
                user_agent=r.user_agent,
            )
            for r in (await conn.execute(select(_BINDINGS).order_by(_BINDINGS.c.id))).all()
        ]
        running = [
            _call_record(r)
            for r in (
                await conn.execute(select(_CALLS).where(_CALLS.c.end.is_(None)).order_by(_CALLS.c.id))
            ).all()
        ]
        messages = [
            d.QueuedMessage(
                message_id=r.message_id,
                domain=r.domain,
                user_id=r.user_id,
                from_uri=r.from_uri,
                to_uri=r.to_uri,
                content_type=r.content_type,
                body=bytes(r.body),
                date=r.date,
            )
            for r in (
                await conn.execute(
                    select(_MESSAGES).where(_MESSAGES.c.delivered_at.is_(None)).order_by(_MESSAGES.c.id)
                )
            ).all()
        ]
        presence = [
            PublishedPresence(r.user_id, r.status, r.note, r.expires_at)
            for r in (await conn.execute(select(_PRESENCE).where(_PRESENCE.c.expires_at > now))).all()
        ]
    return PbxState(tuple(bindings), tuple(running), tuple(messages), tuple(presence))


async def call_records(engine: AsyncEngine, *, company_id: int | None = None) -> list[d.CallRecord]:
    """Stored CDRs in the order they were first written (tests, reports)."""
    query = select(_CALLS).order_by(_CALLS.c.id)
    if company_id is not None:
        query = query.where(_CALLS.c.company_id == company_id)
    async with engine.connect() as conn:
        return [_call_record(r) for r in (await conn.execute(query)).all()]
