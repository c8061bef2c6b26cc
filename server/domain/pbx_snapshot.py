"""Keeps the PBX's `RoutingSnapshot` equal to the database: loaded whole at start-up, then refreshed from
the domain's "changed" events (`server.domain.changes`) within milliseconds of each commit.

Which rows decide routing: companies (their SIP domain), hotlines (inbound numbers, caller IDs, trunks,
the default caller ID), users (DND, ring method, permissions, quota...), their extensions and devices (SIP
credentials).  A change of a company or its hotlines reloads the company; a change of users, devices or
extensions reloads those users; the company's rate tables are kept beside it (`rate_table`), so the
journal prices a finished call without a query.  Changes that arrive while a load runs are gathered and
loaded right after it, so a burst of edits costs a few loads, not one each; a commit waits only for the
load that covers it, not for loads of edits committed after it (which would hold every request up under a
steady stream of writes).  Reads are plain Core selects in one session:
the snapshot never mixes two moments of the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import models as m
from server.domain.call_cost import DEFAULT_TABLE, RateTable
from server.domain.changes import Change, ChangeBus
from server.domain.rate_tables import CompanyRates, company_rates
from server.sip import directory as d
from server.sip.snapshot import CompanyFacts, RoutingSnapshot, UserFacts

log = logging.getLogger("server.domain.pbx_snapshot")

COMPANY_KINDS = frozenset({"companies", "hotlines", "rate_tables"})  # reload the whole company
USER_KINDS = frozenset({"users", "devices", "extensions", "forwarding_rules"})  # reload the users named
# Columns of `users` that only an admin changes about the outbound-minute counter (a reset).
USAGE_FIELDS = frozenset({"seconds_used_this_month", "usage_period"})
# Columns nothing routes on: an update of only these (an app re-activating, a login) needs no reload.
BOOKKEEPING_FIELDS = frozenset({"activated_at", "revision", "failed_logins", "locked_until", "created_at"})

_KIND = {
    m.DeviceKind.DESKTOP.value: d.DeviceKind.APP,
    m.DeviceKind.MOBILE.value: d.DeviceKind.APP,
    m.DeviceKind.WEB.value: d.DeviceKind.APP,
    m.DeviceKind.IP_PHONE.value: d.DeviceKind.IP_PHONE,
}


def _hotline(h: m.Hotline) -> d.Hotline:
    return d.Hotline(
        number=h.number,
        carrier=h.carrier,
        trunk=d.Trunk(
            host=h.trunk_host,
            port=h.trunk_port,
            transport=h.trunk_transport,
            username=h.trunk_username,
            password=h.trunk_password,
            register=h.trunk_register,
        ),
        inbound_extension=h.inbound_extension,
    )


def _forward_rule(rule: m.ForwardingRule) -> d.ForwardRule:
    return d.ForwardRule(
        condition=d.ForwardCondition(rule.condition),
        target_kind=d.ForwardTargetKind(rule.target_kind),
        target=rule.target,
        seconds=float(rule.seconds),
    )


@dataclass
class _Loaded:
    companies: dict[int, CompanyFacts] = field(default_factory=dict)
    users: dict[int, list[UserFacts]] = field(default_factory=lambda: defaultdict(list))
    rates: dict[int, CompanyRates] = field(default_factory=dict)


async def _load(
    session: AsyncSession, *, company_ids: Iterable[int] | None = None, user_ids: Iterable[int] | None = None
) -> _Loaded:
    """Companies (all, or `company_ids`) with their users (all of them, or only `user_ids`)."""
    cq = select(m.Company.id, m.Company.sip_domain, m.Company.recording_policy)
    hq = select(m.Hotline).order_by(m.Hotline.id)
    uq = select(m.User)
    if company_ids is not None:
        wanted = sorted(set(company_ids))
        cq = cq.where(m.Company.id.in_(wanted))
        hq = hq.where(m.Hotline.company_id.in_(wanted))
        uq = uq.where(m.User.company_id.in_(wanted))
    if user_ids is not None:
        uq = uq.where(m.User.id.in_(sorted(set(user_ids))))
    out = _Loaded()
    rows = (await session.execute(cq)).all()
    domains: dict[int, str] = {cid: domain for cid, domain, _policy in rows}
    policies: dict[int, str] = {cid: policy for cid, _domain, policy in rows}
    hotlines: dict[int, list[m.Hotline]] = defaultdict(list)
    for h in await session.scalars(hq):
        hotlines[h.company_id].append(h)
    tables: dict[int, list[m.RateTable]] = defaultdict(list)
    rq = select(m.RateTable).order_by(m.RateTable.id)
    if company_ids is not None:
        rq = rq.where(m.RateTable.company_id.in_(sorted(set(company_ids))))
    for t in await session.scalars(rq):
        tables[t.company_id].append(t)
    for cid, domain in domains.items():
        out.companies[cid] = CompanyFacts(
            cid, domain, tuple(_hotline(h) for h in hotlines[cid]), recording=policies[cid]
        )
        out.rates[cid] = company_rates(tables[cid], hotlines[cid])
    users = [u for u in await session.scalars(uq) if u.company_id in domains]
    if not users:
        return out
    ids = [u.id for u in users]
    extensions: dict[int, list[str]] = defaultdict(list)
    devices: dict[int, list[m.Device]] = defaultdict(list)
    forwarding: dict[int, list[d.ForwardRule]] = defaultdict(list)
    for chunk in _chunks(ids, 900):  # under SQLite's bound-parameter limit
        rows = await session.execute(
            select(m.Extension.user_id, m.Extension.number)
            .where(m.Extension.user_id.in_(chunk))
            .order_by(m.Extension.number)
        )
        for uid, number in rows.all():
            extensions[uid].append(number)
        for dev in await session.scalars(
            select(m.Device).where(m.Device.user_id.in_(chunk)).order_by(m.Device.id)
        ):
            devices[dev.user_id].append(dev)
        for rule in await session.scalars(
            select(m.ForwardingRule)
            .where(m.ForwardingRule.user_id.in_(chunk), m.ForwardingRule.enabled.is_(True))
            .order_by(m.ForwardingRule.id)
        ):
            forwarding[rule.user_id].append(_forward_rule(rule))
    by_hotline_id = {h.id: h.number for hs in hotlines.values() for h in hs}
    for u in users:
        domain = domains[u.company_id]
        default = by_hotline_id.get(u.default_hotline_id) if u.default_hotline_id is not None else None
        if default is None and hotlines[u.company_id]:
            default = hotlines[u.company_id][0].number
        routing = d.UserRouting(
            user_id=u.id,
            company_id=u.company_id,
            domain=domain,
            extensions=tuple(extensions[u.id]),
            display_name=u.full_name,
            dnd=u.dnd,
            ring_method=d.RingMethod(u.ring_method),
            mobile_number=u.mobile_number,
            auto_answer=u.auto_answer,
            allow_outbound=u.allow_outbound and u.active,
            monthly_minutes=u.monthly_minutes,
            default_hotline=default,
            forwarding=tuple(forwarding[u.id]),
        )
        credentials = tuple(
            d.SipCredential(
                user_id=u.id,
                company_id=u.company_id,
                domain=domain,
                username=dev.sip_username,
                password=dev.sip_password,
                ha1_md5=dev.ha1_md5,
                ha1_sha256=dev.ha1_sha256,
                device_kind=_KIND.get(dev.kind, d.DeviceKind.OTHER),
                enabled=bool(dev.enabled and u.active),
            )
            for dev in devices[u.id]
        )
        out.users[u.company_id].append(
            UserFacts(routing, credentials, u.usage_period, u.seconds_used_this_month, recording=u.recording)
        )
    return out


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SnapshotRefresher:
    """Applies committed changes to `snapshot`; `on_applied(user_ids)` learns which users changed."""

    def __init__(
        self,
        snapshot: RoutingSnapshot,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_applied: Callable[[set[int]], None] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self._sessions = sessions
        self._on_applied = on_applied
        self._companies: set[int] = set()
        self._users: dict[int, set[int]] = defaultdict(set)  # company -> users
        self._usage_users: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._waiting: list[asyncio.Future[None]] = []  # one per published batch not yet applied
        self._unsubscribe: Callable[[], None] | None = None
        self._bus: ChangeBus | None = None
        self._rates: dict[int, CompanyRates] = {}
        self.loads = 0

    def rate_table(self, company_id: int | None, hotline: str | None) -> RateTable:
        """The table a call of `company_id` through `hotline` is priced with (the journal's hot path)."""
        rates = self._rates.get(company_id) if company_id is not None else None
        return rates.table_for(hotline) if rates is not None else DEFAULT_TABLE

    def attach(self, bus: ChangeBus) -> None:
        """Follow `bus` from now on (attach before `load_all`, so no commit falls in between)."""
        self._bus = bus
        self._unsubscribe = bus.subscribe(self.on_changes)

    async def load_all(self) -> None:
        """Every company, with every user, as the database has them now."""
        async with self._sessions() as session:
            loaded = await _load(session)
        self._rates.update(loaded.rates)
        for cid, company in loaded.companies.items():
            self.snapshot.replace_company(company, loaded.users.get(cid, ()), take_usage=True)
        self.loads += 1

    def on_changes(self, changes: list[Change]) -> None:
        relevant = False
        for c in changes:
            if c.fields and BOOKKEEPING_FIELDS.issuperset(c.fields):
                continue
            if c.kind in COMPANY_KINDS or (c.kind in USER_KINDS and not c.user_ids):
                self._companies.add(c.company_id)
                relevant = True
            elif c.kind in USER_KINDS:
                self._users[c.company_id].update(c.user_ids)
                if c.kind == "users" and USAGE_FIELDS & set(c.fields):
                    self._usage_users.update(c.user_ids)
                relevant = True
        if not relevant:
            return
        loop = asyncio.get_running_loop()
        applied: asyncio.Future[None] = loop.create_future()
        self._waiting.append(applied)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._refresh())
        if self._bus is not None:
            self._bus.track(applied)

    async def _refresh(self) -> None:
        while self._companies or self._users:
            companies, self._companies = self._companies, set()
            users, self._users = self._users, defaultdict(set)
            usage, self._usage_users = self._usage_users, set()
            waiting, self._waiting = self._waiting, []
            try:
                await self._apply(companies, users, usage)
            except Exception:
                log.exception("routing snapshot: refresh failed; retrying")
                self._companies |= companies
                for cid, ids in users.items():
                    self._users[cid] |= ids
                self._usage_users |= usage
                self._waiting[:0] = waiting
                await asyncio.sleep(0.5)
                continue
            except asyncio.CancelledError:
                _resolve(waiting)  # stopping: nobody should wait on a load that will not happen
                raise
            _resolve(waiting)

    async def _apply(self, companies: set[int], users: dict[int, set[int]], usage: set[int]) -> None:
        changed: set[int] = set()
        async with self._sessions() as session:
            whole = await _load(session, company_ids=companies) if companies else _Loaded()
            partial = {
                cid: await _load(session, company_ids=[cid], user_ids=ids)
                for cid, ids in users.items()
                if cid not in companies
            }
        self.loads += 1
        for cid in companies:
            old = {u.user_id for u in self.snapshot.users_of(cid)}
            company = whole.companies.get(cid)
            if company is None:
                self._rates.pop(cid, None)
                self.snapshot.remove_company(cid)
                changed |= old
                continue
            facts = whole.users.get(cid, [])
            self._rates[cid] = whole.rates[cid]
            self.snapshot.replace_company(company, facts)
            changed |= old | {f.routing.user_id for f in facts}
        for cid, loaded in partial.items():
            ids = users[cid]
            facts = loaded.users.get(cid, [])
            self.snapshot.replace_users(cid, ids, [f for f in facts if f.routing.user_id not in usage])
            self.snapshot.replace_users(
                cid, set(), [f for f in facts if f.routing.user_id in usage], take_usage=True
            )
            changed |= ids
        log.debug("routing snapshot: %d companies, %d users refreshed", len(companies), len(changed))
        if self._on_applied is not None and changed:
            self._on_applied(changed)

    async def idle(self) -> None:
        """Wait until every change received so far is applied (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        _resolve(self._waiting)
        self._waiting = []
