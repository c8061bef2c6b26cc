"""The PBX as presence server: SUBSCRIBE (presence and dialog events) and PUBLISH from users, NOTIFY to
their watchers whenever what they watch changes.

`PresenceAgent` (presence.py) keeps subscriptions and builds the documents; this part feeds it facts the
PBX knows: registrations (registrar), calls (answered dialogs and ringing INVITEs), DND (the routing
snapshot) and what clients PUBLISHed (written through the journal, so a restart keeps it).  Anything that
can change a user's state calls `changed(user_id, now)`; a watcher is only notified when the state it
last saw differs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from server.sip.address import Address
from server.sip.dialogs import DialogTable
from server.sip.directory import Directory
from server.sip.element import Element
from server.sip.forking import CallState, Forking
from server.sip.journal import Journal, PresencePublished
from server.sip.message import SipRequest, make_response, new_tag
from server.sip.presence import EVENTS, DialogState, PresenceAgent, PresenceFacts, Subscription, derive_status
from server.sip.registrar import Registrar

log = logging.getLogger("server.sip.presence_server")


class PresenceServer:
    def __init__(
        self,
        *,
        element: Element,
        agent: PresenceAgent,
        directory: Directory,
        registrar: Registrar,
        dialogs: DialogTable,
        forking: Forking,
        journal: Journal,
    ) -> None:
        self.element = element
        self.agent = agent
        self.directory = directory
        self.registrar = registrar
        self.dialogs = dialogs
        self.forking = forking
        self.journal = journal

    # ------------------------------------------------------------------ requests
    def subscribe(self, req: SipRequest, domain: str, source: Address, now: float) -> None:
        """An initial SUBSCRIBE (authenticated) to a colleague's extension."""
        event = (req.headers.get("Event") or "").split(";")[0].strip().lower()
        if event not in EVENTS:
            self.element.respond(make_response(req, 489, to_tag=new_tag()), now)
            return
        ext = req.uri.user or ""
        uid = self.directory.user_by_extension(domain, ext)
        if uid is None:
            self.element.respond(make_response(req, 404, to_tag=new_tag()), now)
            return
        resp, sub = self.agent.subscribe(
            req, user_id=uid, entity=f"sip:{ext}@{domain}", source=source, now=now, event=event
        )
        self.element.respond(resp, now)
        if sub is not None and resp.status < 300:
            self._notify(sub, now)

    def in_dialog(self, req: SipRequest, source: Address, now: float) -> None:
        """A request inside one of our subscriptions: a SUBSCRIBE refresh (or its end); anything else 481."""
        if req.method == "SUBSCRIBE":
            user = self._user_of_subscription(req)
            if user is not None:
                resp, sub = self.agent.subscribe(req, user_id=user, entity="", source=source, now=now)
                self.element.respond(resp, now)
                if sub is not None and resp.status < 300:
                    self._notify(sub, now)
                return
        self.element.respond(make_response(req, 481), now)

    def _user_of_subscription(self, req: SipRequest) -> int | None:
        for s in self.agent.subscriptions.values():
            if s.call_id == req.call_id and s.local_tag == req.to_tag:
                return s.user_id
        return None

    def publish(self, req: SipRequest, user_id: int, now: float) -> None:
        self.element.respond(self.agent.publish(req, user_id, now), now)
        kept = self.agent.published.get(user_id)
        status, note, until = kept if kept is not None else (None, "", 0.0)
        self.journal.append(PresencePublished(user_id, status, note, until))
        self.changed(user_id, now)

    def restore(self, user_id: int, status: str, note: str, expires_at: float) -> None:
        self.agent.restore(user_id, status, note, expires_at)

    # ------------------------------------------------------------------ state
    def dialog_states(self, user_id: int) -> tuple[DialogState, ...]:
        """The user's calls as RFC 4235 sees them: ringing (early) and connected (confirmed)."""
        out: list[DialogState] = []
        for d in self.dialogs.of_user(user_id):
            role = "initiator" if user_id == d.caller_user_id else "recipient"
            out.append((d.call_id, "confirmed", role))
        for c in self.forking.pending_invites().values():
            if c.state is not CallState.PROCEEDING or c.request.method != "INVITE" or c.request.to_tag:
                continue
            if user_id == c.callee_user_id:
                out.append((c.request.call_id, "early", "recipient"))
            elif user_id == c.caller_user_id:
                out.append((c.request.call_id, "early", "initiator"))
        return tuple(sorted(set(out)))

    def status(self, user_id: int, now: float) -> tuple[str, str]:
        u = self.directory.user_routing(user_id)
        published, note = self.agent.published_state(user_id, now)
        facts = PresenceFacts(
            registered=self.registrar.is_registered(user_id, now),
            dnd=bool(u and u.dnd),
            on_call=self.dialogs.on_call(user_id),
            published=published,
            note=note,
        )
        return derive_status(facts)

    def _state_for(self, sub: Subscription, now: float) -> object:
        if sub.event == "dialog":
            return self.dialog_states(sub.user_id)
        return self.status(sub.user_id, now)

    def _notify(self, sub: Subscription, now: float, state: object = None) -> None:
        if state is None:
            state = self._state_for(sub, now)
        req = self.agent.notify(sub, state, now)
        self.element.send_request(self.element.with_via(req, sub.destination), sub.destination, now)

    def changed(self, user_id: int, now: float) -> None:
        """Something about the user may have changed: NOTIFY the watchers who would see a difference."""
        for sub in self.agent.watchers_of(user_id):
            state = self._state_for(sub, now)
            if sub.last_status != state:
                self._notify(sub, now, state)

    def activity_changed(self, user_ids: Iterable[int | None], now: float) -> None:
        for uid in set(user_ids):
            if uid is not None:
                self.changed(uid, now)

    def watched(self, user_id: int) -> bool:
        return bool(self.agent.watchers_of(user_id))

    def housekeeping(self, now: float) -> None:
        for sub in self.agent.expire(now):
            self._notify(sub, now)
