"""A `RoutingSnapshot` filled by hand, plus a store that keeps what the journal committed: for tests,
benchmarks and the sans-IO examples."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from server.sip.directory import (
    Binding,
    CallRecord,
    DeviceKind,
    Hotline,
    QueuedMessage,
    RingMethod,
    SipCredential,
    UserRouting,
)
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
from server.sip.snapshot import CompanyFacts, RoutingSnapshot, UserFacts


def ha1(algorithm_hash: str, username: str, realm: str, password: str) -> str:
    h = hashlib.new(algorithm_hash)
    h.update(f"{username}:{realm}:{password}".encode())
    return h.hexdigest()


class InMemoryDirectory(RoutingSnapshot):
    """The snapshot, set up through `add_*`/`set_*`; `apply(writes)` keeps what the PBX wrote, as the
    database would, and `state()` gives it back to a restarted PBX."""

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[int, UserRouting] = {}
        self.credentials: dict[tuple[str, str], SipCredential] = {}
        self.hotlines_by_domain: dict[str, list[Hotline]] = {}
        self._company_ids: dict[str, int] = {}
        # what the journal committed
        self.outbound_seconds: dict[int, float] = {}
        self.calls: dict[str, CallRecord] = {}
        self.call_history: list[CallRecord] = []
        self.messages: dict[str, QueuedMessage] = {}
        self.delivered: set[str] = set()
        self.bindings: dict[tuple[str, str], Binding] = {}
        self.presence: dict[int, PublishedPresence] = {}

    # --- set-up helpers ---------------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        extension: str,
        *,
        domain: str = "demo.local",
        company_id: int = 1,
        display_name: str | None = None,
        **routing: object,
    ) -> UserRouting:
        u = UserRouting(
            user_id=user_id,
            company_id=company_id,
            domain=domain,
            extensions=(extension,),
            display_name=display_name or f"Agent {extension}",
            **routing,  # type: ignore[arg-type]
        )
        self.users[user_id] = u
        self._company_ids[domain] = company_id
        self._refresh(domain, user_id)
        return u

    def add_device(
        self,
        user_id: int,
        username: str,
        password: str,
        *,
        device_kind: DeviceKind = DeviceKind.APP,
        enabled: bool = True,
        store_plaintext: bool = True,
    ) -> SipCredential:
        u = self.users[user_id]
        c = SipCredential(
            user_id=user_id,
            company_id=u.company_id,
            domain=u.domain,
            username=username,
            password=password if store_plaintext else None,
            ha1_md5=ha1("md5", username, u.domain, password),
            ha1_sha256=ha1("sha256", username, u.domain, password),
            device_kind=device_kind,
            enabled=enabled,
        )
        self.credentials[(u.domain, username)] = c
        self._refresh(u.domain, user_id)
        return c

    def set_user(self, user_id: int, **changes: object) -> UserRouting:
        old = self.users[user_id]
        u = replace(old, **changes)  # type: ignore[arg-type]
        self.users[user_id] = u
        self._drop_users([user_id])  # its old extensions go
        self._refresh(u.domain, user_id)
        return u

    def add_hotline(self, domain: str, hotline: Hotline) -> None:
        self.hotlines_by_domain.setdefault(domain, []).append(hotline)
        self._company_ids.setdefault(domain, 1)
        self._refresh(domain, -1)

    def _refresh(self, domain: str, user_id: int | None = None) -> None:
        """Put the domain's company (hotlines) and one user (or all of the domain's) back in the snapshot."""
        company_id = self._company_ids[domain]
        self._put_company(CompanyFacts(company_id, domain, tuple(self.hotlines_by_domain.get(domain, ()))))
        for u in self.users.values():
            if u.domain == domain and user_id in (None, u.user_id):
                self._drop_users([u.user_id])
                creds = tuple(c for c in self.credentials.values() if c.user_id == u.user_id)
                self._put_user(UserFacts(u, creds), take_usage=False)

    def seconds_used(self, user_id: int, period: str) -> float:
        """Minutes a test set up with `minutes_used` count in every month, plus what calls added."""
        u = self.users.get(user_id)
        base = u.minutes_used * 60.0 if u is not None else 0.0
        return base + super().seconds_used(user_id, period)

    # --- the database's side --------------------------------------------------------------
    def apply(self, writes: list[Write]) -> None:
        """Keep what the journal hands over, as `server.domain.pbx_journal` commits it."""
        for w in writes:
            if isinstance(w, BindingSaved):
                self.bindings[(w.binding.aor, w.binding.contact)] = w.binding
            elif isinstance(w, BindingRemoved):
                self.bindings.pop((w.aor, w.contact), None)
            elif isinstance(w, CallRecorded):
                self.calls[w.record.call_id] = w.record
                self.call_history.append(w.record)
            elif isinstance(w, UsageAdded):
                self.outbound_seconds[w.user_id] = self.outbound_seconds.get(w.user_id, 0.0) + w.seconds
            elif isinstance(w, MessageQueued):
                self.messages.setdefault(w.message.message_id, w.message)
            elif isinstance(w, MessageDelivered):
                self.delivered.add(w.message_id)
            elif isinstance(w, PresencePublished):
                if w.status is None:
                    self.presence.pop(w.user_id, None)
                else:
                    self.presence[w.user_id] = PublishedPresence(w.user_id, w.status, w.note, w.expires_at)

    async def commit(self, writes: list[Write]) -> None:
        """A journal sink for `start_sip_service(journal_sink=...)`: keeps the writes in this store."""
        self.apply(writes)

    def state(self) -> PbxState:
        """What a PBX restarted on this store loads."""
        return PbxState(
            bindings=tuple(self.bindings.values()),
            running_calls=tuple(r for r in self.calls.values() if r.end is None),
            pending_messages=tuple(m for m in self.messages.values() if m.message_id not in self.delivered),
            presence=tuple(self.presence.values()),
        )


__all__ = ["InMemoryDirectory", "RingMethod", "ha1"]
