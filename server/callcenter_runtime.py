"""The call center in the running server: loads the companies' configurations into the call-center UAS
(:class:`server.media.callcenter_calls.CallCenterCalls`), keeps them current from the domain's change
events, and connects the UAS to the PBX core (which hotlines go to it, whose INVITEs the proxy trusts, the
registrar's and snapshot's facts about agents, the CDR).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.callcenter.announce import RECORDING_NOTICE
from server.callcenter.destinations import destination_from_json
from server.callcenter.flow import CallCenter, VoicemailBox
from server.callcenter.ivr import ivr_from_json
from server.callcenter.queue import Member, queue_from_json
from server.callcenter.ringgroup import ring_plan
from server.callcenter.schedule import schedule_from_json
from server.domain import callcenter, forwarding, queue_log
from server.domain import callcenter_models as cc
from server.domain.changes import AGENT_READY, VOICEMAIL_MESSAGES, Change, ChangeBus
from server.domain.context import DomainContext
from server.domain.errors import DomainError
from server.domain.models import Company, Extension, Hotline, Role, User
from server.domain.prompts import spoken_prompt
from server.domain.voicemail_mail import mail_voicemail
from server.media.callcenter_calls import CallCenterCalls, HotlineEntry, QueueLogSink
from server.media.engine import RtpEngine
from server.sip.carriers import normalize_number
from server.sip.directory import ForwardTargetKind

log = logging.getLogger("server.callcenter")

RELOAD_ON = frozenset({"hotlines", "extensions", "companies"})


async def _company_language(session: AsyncSession, company_id: int) -> str:
    """The language the PBX speaks to a company's own people: its default console language (vi unless set)."""
    company = await session.get(Company, company_id)
    return _spoken_language(company.console_language if company is not None else None)


def _spoken_language(language: str | None) -> str:
    return language if language in ("vi", "en") else "vi"


def _notice(company: Company) -> str | None:
    """The recording notice's prompt for the company's hotline callers: only when the notice is on and the
    policy records calls from outside (all, inbound); an agent's own "always" alone does not say it."""
    if not company.recording_notice or company.recording_policy not in ("all", "inbound"):
        return None
    return company.recording_notice_prompt or RECORDING_NOTICE


def _reloads(change: Change) -> bool:
    return (change.kind.startswith("cc_") and change.kind != "cc_queue_events") or change.kind in RELOAD_ON


class ProxyView:
    """`PbxView` over the running SIP service (same event loop: reads are direct, writes go `in_core`)."""

    def __init__(self, service: Any, domains: dict[int, str]) -> None:
        self.service = service
        self.proxy = service.proxy
        self.domains = domains

    def domain(self, company_id: int) -> str | None:
        return self.domains.get(company_id)

    def extension_of(self, user_id: int) -> str | None:
        routing = self.proxy.directory.user_routing(user_id)
        return routing.extensions[0] if routing is not None and routing.extensions else None

    def user_of_extension(self, company_id: int, extension: str) -> int | None:
        domain = self.domains.get(company_id)
        if domain is None:
            return None
        uid = self.proxy.directory.user_by_extension(domain, extension)
        return int(uid) if uid is not None else None

    def _now(self) -> float:
        return float(self.service.runner.clock())

    def presence(self, user_id: int) -> tuple[bool, bool, bool]:
        routing = self.proxy.directory.user_routing(user_id)
        registered = bool(self.proxy.registrar.bindings_of(user_id, self._now()))
        dnd = bool(routing.dnd) if routing is not None else False
        return registered, dnd, bool(self.proxy.dialogs.on_call(user_id))

    def contacts(self, user_id: int) -> list[tuple[str, tuple[str, int]]]:
        from server.sip.element import resolve
        from server.sip.registrar import binding_address
        from server.sip.uri import parse_uri

        out = []
        for b in self.proxy.registrar.bindings_of(user_id, self._now()):
            address = binding_address(b) or resolve(parse_uri(b.contact))
            if address.transport == "udp":
                out.append((b.contact, (address.host, address.port)))
        return out

    def update_cdr(self, call_id: str, **changes: object) -> None:
        self.service.in_core(lambda now: self.proxy.calls.update(call_id, **changes))


class CallCenterRuntime:
    def __init__(
        self,
        engine: RtpEngine,
        sessions: async_sessionmaker[AsyncSession],
        *,
        prompts: dict[str, Path],
        prompts_dir: Path,
        voicemail_dir: Path,
        host: str,
        limit: int,
        sink: QueueLogSink | None = None,
    ) -> None:
        self.sessions = sessions
        self.calls = CallCenterCalls(
            engine,
            prompts,
            prompts_dir=prompts_dir,
            voicemail_dir=voicemail_dir,
            host=host,
            limit=limit,
            sink=sink,
            speaker=lambda language, text: spoken_prompt(prompts_dir, language, text),
        )
        self.domains: dict[int, str] = {}
        self.service: Any = None
        self.ctx: DomainContext | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._bus: ChangeBus | None = None
        self._reload: asyncio.Task[None] | None = None
        self._mailing: set[asyncio.Task[bool]] = set()

    async def start(self, ctx: DomainContext) -> dict[str, tuple[str, int]]:
        """Load the configurations, follow changes, open the UAS; feature number -> its address (``*cc``
        for hotline calls, the agents' codes)."""
        self.ctx = ctx
        self._bus = ctx.changes
        self._unsubscribe = ctx.changes.subscribe(self._on_changes)
        self.calls.agent_command = self.agent_command
        self.calls.schedule_command = self.schedule_command
        self.calls.forward_command = self.forward_command
        self.calls.voicemail_recorded = self.voicemail_recorded
        await self.load()
        address = await self.calls.start()
        return dict.fromkeys(self.calls.features, address)

    async def agent_command(
        self, user_id: int, action: str, reason: str = ""
    ) -> tuple[list[int], str, int | None]:
        """An agent's feature code through the domain service (audited, published like an API edit): the
        ids of the queues it changed (none: the user serves no queue), the company's language, the
        company."""
        routing = self.service.proxy.directory.user_routing(user_id) if self.service is not None else None
        if routing is None or self.ctx is None:
            return [], "vi", None
        table: dict[str, dict[str, Any]] = {
            "login": {"logged_in": True},
            "logout": {"logged_in": False},
            "pause": {"paused": True, "pause_reason": reason or "break"},
            "unpause": {"paused": False},
        }
        async with self.sessions() as session:
            language = await _company_language(session, routing.company_id)
            try:
                states = await callcenter.set_agent_state(
                    session,
                    ctx=self.ctx,
                    company_id=routing.company_id,
                    user_id=user_id,
                    queue_id=None,
                    actor_id=user_id,
                    **table[action],
                )
            except DomainError:
                return [], language, routing.company_id
        return [s.queue_id for s in states], language, routing.company_id

    async def schedule_command(self, user_id: int, action: str) -> tuple[bool, str | None, str, int | None]:
        """A supervisor's or admin's ``*65``: set ("open", "closed", "auto") or cycle (automatic -> open ->
        closed -> automatic) the manual override of their company's first schedule, through the domain
        service (audited, published: the hotlines route by it at once).  (done, the override now, the
        company's language, the company)."""
        if self.ctx is None:
            return False, None, "vi", None
        async with self.sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                return False, None, "vi", None
            language = await _company_language(session, user.company_id)
            company_id = user.company_id
            if user.role not in (Role.ADMIN, Role.SUPERVISOR):
                return False, None, language, company_id
            schedules = sorted(
                await callcenter.list_configured(session, company_id=user.company_id, kind="schedules"),
                key=lambda row: row.id,
            )
            if not schedules:
                return False, None, language, company_id
            schedule = schedules[0]
            current = schedule.config.get("override")
            if action == "cycle":
                wanted = {None: "open", "open": "closed"}.get(current)
            else:
                wanted = None if action == "auto" else action
            await callcenter.update_configured(
                session,
                ctx=self.ctx,
                company_id=user.company_id,
                kind="schedules",
                row_id=schedule.id,
                name=schedule.name,
                config={**schedule.config, "override": wanted},
                actor_id=user_id,
            )
        return True, wanted, language, company_id

    async def forward_command(
        self, user_id: int, condition: str, target: str | None
    ) -> tuple[bool, str, int | None]:
        """A user's ``*72<number>``/``*73`` (and busy, no-answer): set or clear one of their own forwarding
        rules through the service the API uses (same validation, audited, published: routing follows
        within a second).  A 2-4 digit target is an extension, anything longer a Vietnamese number.
        (done, the company's language, the company)."""
        if self.ctx is None:
            return False, "vi", None
        async with self.sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                return False, "vi", None
            language = await _company_language(session, user.company_id)
            company_id = user.company_id
            rules = await forwarding.get_rules(session, user_id=user_id)
            old = rules[condition]
            if target is None:
                rules[condition] = replace(old, enabled=False)
            else:
                kind = ForwardTargetKind.EXTENSION if len(target) <= 4 else ForwardTargetKind.EXTERNAL
                rules[condition] = replace(old, enabled=True, target_kind=kind.value, target=target)
            try:
                await forwarding.set_rules(session, ctx=self.ctx, user=user, rules=rules, actor_id=user_id)
            except DomainError as exc:
                log.info("forwarding code of user %d refused: %s", user_id, exc)
                return False, language, company_id
        return True, language, company_id

    def voicemail_recorded(
        self, company_id: int, box: VoicemailBox, path: Path, seconds: float, caller: str
    ) -> None:
        """E-mail the message (WAV attached) when its box has an address: behind the call, not in its way."""
        if not box.email or self.ctx is None:
            return
        task = asyncio.ensure_future(
            mail_voicemail(
                self.ctx.mail,
                to=box.email,
                box=box.name or str(box.id),
                caller=caller,
                path=path,
                seconds=seconds,
                at=self.calls.wall(),
            )
        )
        self._mailing.add(task)
        task.add_done_callback(self._mailing.discard)

    def attach_pbx(self, service: Any, sip_host: str, udp_port: int) -> None:
        """The SIP service is up: agent legs go to it, it routes the hotlines here and trusts our INVITEs."""
        from server.sip.address import Address

        self.service = service
        self.calls.view = ProxyView(service, self.domains)
        self.calls.pbx = (sip_host, udp_port)
        source = Address("udp", self.calls.host, self.calls.port)
        service.in_core(lambda now: setattr(service.proxy.router, "pbx_sources", frozenset({source})))
        self._publish_hotlines()

    def _publish_hotlines(self) -> None:
        service = self.service
        if service is None:
            return
        routed = frozenset(self.calls.hotlines)
        service.in_core(lambda now: setattr(service.proxy.router, "routed_hotlines", routed))

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._reload is not None:
            self._reload.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reload
        await self.calls.stop()

    def _on_changes(self, changes: list[Change]) -> None:
        for c in changes:
            if c.kind == AGENT_READY:
                for uid in c.user_ids:
                    self.calls.ready_now(uid)
            elif c.kind == VOICEMAIL_MESSAGES:
                for box_id in c.ids:
                    self.calls.voicemail_changed(c.company_id, box_id)
        if not any(_reloads(c) for c in changes):
            return
        task = asyncio.ensure_future(self._reload_after(self._reload))
        self._reload = task
        if self._bus is not None:
            self._bus.track(task)  # the API answers the edit once the call center routes by it

    async def _reload_after(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await previous
        try:
            await self.load()
        except Exception:
            log.exception("call-center reload failed")

    async def load(self) -> None:
        async with self.sessions() as session:
            companies = list(await session.scalars(select(Company)))
            domains = {c.id: c.sip_domain for c in companies}
            languages = {c.id: _spoken_language(c.console_language) for c in companies}
            notices = {c.id: _notice(c) for c in companies}
            numbers = {h.id: (h.company_id, h.number) for h in await session.scalars(select(Hotline))}
            extensions: dict[int, set[str]] = defaultdict(set)
            for e in await session.scalars(select(Extension)):
                extensions[e.company_id].add(e.number)
            schedules = list(await session.scalars(select(cc.Schedule)))
            menus = list(await session.scalars(select(cc.IvrMenu)))
            queues = list(await session.scalars(select(cc.Queue)))
            boxes = list(await session.scalars(select(cc.VoicemailBox)))
            groups = list(await session.scalars(select(cc.RingGroup)))
            routes = list(await session.scalars(select(cc.HotlineRoute)))
            members = list(
                await session.scalars(
                    select(cc.QueueMember).order_by(cc.QueueMember.queue_id, cc.QueueMember.id)
                )
            )
            states = {(s.queue_id, s.user_id): s for s in await session.scalars(select(cc.AgentState))}
            known = set(self.calls.queues.queue_ids())
            holds = await queue_log.recent_holds(session, [q.id for q in queues if q.id not in known])
        parts: dict[int, dict[str, Any]] = defaultdict(
            lambda: {"schedules": {}, "menus": {}, "moh": {}, "voicemail": {}, "groups": {}}
        )
        for s in schedules:
            parts[s.company_id]["schedules"][s.id] = schedule_from_json(s.config)
        for m in menus:
            parts[m.company_id]["menus"][m.id] = ivr_from_json(m.id, m.config)
        for q in queues:
            moh = str(q.config.get("moh") or "default")
            parts[q.company_id]["moh"][q.id] = "moh" if moh == "default" else moh  # the API's "default"
        for g in groups:
            parts[g.company_id]["groups"][g.id] = ring_plan(g.config)
        for b in boxes:
            parts[b.company_id]["voicemail"][b.id] = VoicemailBox(
                b.id,
                greeting=str(b.config.get("greeting") or "voicemail"),
                extension=b.config.get("extension"),
                queue_id=b.config.get("queue_id"),
                name=b.name,
                email=b.config.get("email") or None,
            )
        centers = {
            cid: CallCenter(
                cid,
                schedules=p["schedules"],
                menus=p["menus"],
                queue_moh=p["moh"],
                voicemail=p["voicemail"],
                ring_groups=p["groups"],
                extensions=frozenset(extensions.get(cid, ())),
                language=languages.get(cid, "vi"),
                recording_notice=notices.get(cid),
            )
            for cid, p in parts.items()
        }
        for cid in {cid for cid, _n in numbers.values()} - centers.keys():
            centers[cid] = CallCenter(
                cid,
                extensions=frozenset(extensions.get(cid, ())),
                language=languages.get(cid, "vi"),
                recording_notice=notices.get(cid),
            )
        hotlines: dict[str, HotlineEntry] = {}
        for r in routes:
            company_id, number = numbers.get(r.hotline_id, (r.company_id, ""))
            if number:
                key = normalize_number(number) or number
                hotlines[key] = HotlineEntry(company_id, number, destination_from_json(r.destination))
        calls = self.calls
        engine = calls.queues
        now = calls.wall()
        by_queue: dict[int, list[Member]] = defaultdict(list)
        for qm in members:
            state = states.get((qm.queue_id, qm.user_id))
            by_queue[qm.queue_id].append(
                Member(
                    qm.user_id,
                    tier=qm.tier,
                    penalty=qm.penalty,
                    logged_in=bool(state and state.logged_in),
                    paused=bool(state and state.paused),
                    reason=state.pause_reason if state else "",
                )
            )
        wanted = {q.id for q in queues}
        actions = []
        for qid in set(engine.queue_ids()) - wanted:
            actions += engine.remove_queue(qid, now)
        for q in queues:
            config = queue_from_json(q.id, q.name, q.config, lambda n: normalize_number(n) or n)
            engine.configure(config, by_queue.get(q.id, []), now)
            engine.seed_holds(q.id, holds.get(q.id, ()))  # the estimated wait survives a restart
        self.domains.clear()
        self.domains.update(domains)
        calls.centers = centers
        calls.hotlines = hotlines
        calls.queue_company = {q.id: q.company_id for q in queues}
        if actions or calls._transport is not None:
            calls._queue_actions([*actions, *engine.tick(now)])
        self._publish_hotlines()
        log.info(
            "call center: %d hotline routes, %d queues, %d IVR menus, %d schedules",
            len(hotlines),
            len(queues),
            len(menus),
            len(schedules),
        )
